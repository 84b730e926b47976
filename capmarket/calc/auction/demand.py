"""The demand curve of an auction (需要曲線): piecewise linear, published as data, evaluated exactly.

The curve is given as points ``(kw, price_yen_per_kw)`` with kW strictly increasing and the price never rising.
Left of the first point the curve is flat at the first point's price (the price cap); between points it is the
straight line between them; right of the last point there is no demand. Values between points are exact
``Fraction`` s — nothing is rounded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


class UnableToBuildDemandCurve(ValueError):
    """The points do not make a demand curve (none, a negative value, kW not increasing, a price rising)."""


@dataclass(frozen=True)
class DemandPoint:
    kw: int
    price_yen_per_kw: int


@dataclass(frozen=True)
class DemandCurve:
    points: tuple[DemandPoint, ...]

    def __post_init__(self) -> None:
        if not self.points:
            raise UnableToBuildDemandCurve("a demand curve needs at least one point")
        for point in self.points:
            if point.kw < 0 or point.price_yen_per_kw < 0:
                raise UnableToBuildDemandCurve("kW and prices of a demand curve must not be negative")
        for left, right in zip(self.points, self.points[1:], strict=False):
            if right.kw <= left.kw:
                raise UnableToBuildDemandCurve("the kW of a demand curve must increase from point to point")
            if right.price_yen_per_kw > left.price_yen_per_kw:
                raise UnableToBuildDemandCurve("the price of a demand curve must not rise from point to point")

    @property
    def cap_yen_per_kw(self) -> int:
        """The highest price the curve pays (its flat part left of the first point)."""
        return self.points[0].price_yen_per_kw

    @property
    def max_kw(self) -> int:
        """The largest quantity with any demand (the last point)."""
        return self.points[-1].kw

    def price_at(self, *, kw: int | Fraction) -> Fraction | None:
        """The price the curve pays at quantity ``kw``; None right of the last point (no demand there)."""
        first = self.points[0]
        if kw <= first.kw:
            return Fraction(first.price_yen_per_kw)
        for left, right in zip(self.points, self.points[1:], strict=False):
            if kw <= right.kw:
                slope = Fraction(right.price_yen_per_kw - left.price_yen_per_kw, right.kw - left.kw)
                return left.price_yen_per_kw + slope * (kw - left.kw)
        return None

    def quantity_at(self, *, price_yen_per_kw: int | Fraction) -> Fraction:
        """The largest quantity at which the curve pays at least ``price_yen_per_kw`` (0 above the cap)."""
        price = Fraction(price_yen_per_kw)
        first = self.points[0]
        if price > first.price_yen_per_kw:
            return Fraction(0)
        for left, right in zip(self.points, self.points[1:], strict=False):
            if right.price_yen_per_kw < price:
                # the curve falls below the price inside this segment (left pays at least the price)
                drop = Fraction(left.price_yen_per_kw - price, left.price_yen_per_kw - right.price_yen_per_kw)
                return left.kw + drop * (right.kw - left.kw)
        return Fraction(self.points[-1].kw)
