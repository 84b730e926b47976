"""The demand curve: flat at the cap left of the first point, straight between points, nothing after the last."""

from __future__ import annotations

from fractions import Fraction

import pytest

from capmarket.calc.auction.demand import DemandCurve, DemandPoint, UnableToBuildDemandCurve

CURVE = DemandCurve(points=(DemandPoint(1000, 10000), DemandPoint(3000, 0)))


def test_price_is_the_cap_left_of_the_first_point() -> None:
    assert CURVE.price_at(kw=0) == 10000
    assert CURVE.price_at(kw=1000) == 10000


def test_price_between_points_is_exact() -> None:
    assert CURVE.price_at(kw=1001) == Fraction(9995)
    assert CURVE.price_at(kw=Fraction(2001, 2)) == Fraction(19995, 2)


def test_no_demand_after_the_last_point() -> None:
    assert CURVE.price_at(kw=3000) == 0
    assert CURVE.price_at(kw=3001) is None


def test_quantity_at_a_price_inverts_the_curve() -> None:
    assert CURVE.quantity_at(price_yen_per_kw=6000) == 1800
    assert CURVE.quantity_at(price_yen_per_kw=10000) == 3000 - 2000  # the flat part ends at the first point
    assert CURVE.quantity_at(price_yen_per_kw=10001) == 0
    assert CURVE.quantity_at(price_yen_per_kw=0) == 3000
    assert CURVE.quantity_at(price_yen_per_kw=1) == Fraction(14999, 5)


@pytest.mark.parametrize(
    "points",
    [
        (),
        (DemandPoint(-1, 5),),
        (DemandPoint(10, 5), DemandPoint(10, 4)),
        (DemandPoint(10, 5), DemandPoint(20, 6)),
    ],
)
def test_bad_points_are_refused(points: tuple[DemandPoint, ...]) -> None:
    with pytest.raises(UnableToBuildDemandCurve):
        DemandCurve(points=points)
