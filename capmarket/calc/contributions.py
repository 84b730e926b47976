"""Capacity contributions (容量拠出金), rules.md §4.

Who pays for the capacity secured: the national total ``N`` (Σ gross contract amounts) is split over the areas by
their H3 demand, less the transitional deduction ``T`` (split the same way) and the share of the area's
transmission and distribution operator (TSO) ``S_a``. What is left, ``R_a``, is billed to the area's retailers
month by month in proportion to their estimated peak kW (share change, シェア変動); the TSO pays ``S_a`` in twelve
monthly instalments.

All amounts are integer yen; ratios are exact ``Fraction``; every split is by largest remainder
(``capmarket.calc.splits``). The data is small (areas × retailers × 12 months), so the arithmetic runs in Python on
exact values, and the results come back as Polars frames with a declared schema.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Final

import polars as pl

from capmarket.calc.contract_amount import contract_amount
from capmarket.calc.splits import largest_remainder

AREAS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "area": pl.String(),
    "area_total_yen": pl.Int64(),
    "transitional_deduction_yen": pl.Int64(),
    "tso_share_yen": pl.Int64(),
    "retailer_total_yen": pl.Int64(),
}

BILLS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "payer_id": pl.String(),
    "payer_kind": pl.String(),
    "area": pl.String(),
    "delivery_month": pl.String(),
    "billing_month": pl.String(),
    "amount_yen": pl.Int64(),
    "tax_yen": pl.Int64(),
    "total_yen": pl.Int64(),
}

ISSUES_SCHEMA: Final[dict[str, pl.DataType]] = {
    "file": pl.String(),
    "key": pl.String(),
    "problem": pl.String(),
}

PAYER_RETAILER: Final[str] = "retailer"
PAYER_TSO: Final[str] = "tso"

#: Delivery months (offsets from April) whose bills use the prior year's summer peak; the others use winter.
SUMMER_MONTH_OFFSETS: Final[range] = range(6)  # April–September


@dataclass(frozen=True)
class ContributionResult:
    """``areas``: one row per area (``contribution_areas.csv``); ``bills``: one row per billed payer × area ×
    delivery month (``contributions.csv``); ``issues``: data issues (``data_issues.csv`` rows)."""

    areas: pl.DataFrame
    bills: pl.DataFrame
    issues: pl.DataFrame


@dataclass(frozen=True)
class _Peak:
    peak_kw: int
    peak_wheeling_kw: int


def delivery_months(*, delivery_year: int) -> list[str]:
    """The twelve delivery months ``YYYY-MM`` of the delivery year, April to March."""
    return [_add_months(delivery_year, 4, offset) for offset in range(12)]


def _add_months(year: int, month: int, offset: int) -> str:
    index = year * 12 + (month - 1) + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _shift_month(month: str, offset: int) -> str:
    year, mon = month.split("-")
    return _add_months(int(year), int(mon), offset)


def monthly_pots(*, total_yen: int) -> list[int]:
    """Twelve monthly amounts: ``floor(total / 12)`` April–February and the remainder in March."""
    instalment = total_yen // 12
    return [instalment] * 11 + [total_yen - 11 * instalment]


def _floor(value: Fraction) -> int:
    return value.numerator // value.denominator


def _truncate_times(amount_yen: int, rate: Fraction) -> int:
    """``amount_yen × rate`` rounded toward zero (切り捨て), in integers: a bill's tax, thousands of times a year."""
    product = amount_yen * rate.numerator  # a Fraction's denominator is positive
    scaled = abs(product) // rate.denominator
    return scaled if product >= 0 else -scaled


class UnableToComputeContributions(ValueError):
    """An area's ``tso_share_rate`` is not a decimal number (the validator refuses such a case)."""


def _parse_rate(text: object, default: Fraction) -> Fraction:
    if text is None:
        return default
    stripped = str(text).strip()
    if not stripped:
        return default
    try:
        return Fraction(Decimal(stripped))
    except (InvalidOperation, ValueError) as exc:
        raise UnableToComputeContributions(f"tso_share_rate {stripped!r} is not a decimal number") from exc


def _national_totals(contracts: pl.DataFrame, transitional_deduction_rate: Fraction) -> tuple[int, int]:
    """``N`` (Σ gross) and ``T`` (Σ transitional deductions) of every contract, by the formula of rules.md §1."""
    gross = 0
    deduction = 0
    for price, kw, transitional in contracts.select("price_yen_per_kw", "contract_kw", "transitional").iter_rows():
        amount = contract_amount(
            price_yen_per_kw=int(price),
            contract_kw=int(kw),
            transitional=bool(transitional),
            transitional_deduction_rate=transitional_deduction_rate,
        )
        gross += amount.gross_yen
        deduction += amount.deduction_yen
    return gross, deduction


def _area_splits(
    h3: Mapping[str, int], gross: int, deduction: int, issues: list[tuple[str, str, str]]
) -> tuple[dict[str, int], dict[str, int]]:
    """``N`` and ``T`` split over the areas by H3 demand (largest remainder)."""
    if sum(h3.values()) > 0:
        return largest_remainder(total=gross, weights=h3), largest_remainder(total=deduction, weights=h3)
    # Nothing to split by: no area is charged, and each area says why.
    issues.extend(("areas", area, "the H3 demand of all areas sums to 0: N and T cannot be split") for area in h3)
    return dict.fromkeys(h3, 0), dict.fromkeys(h3, 0)


@dataclass
class _Bills:
    """The bills of the year: one per payer × area × delivery month, tax per bill, billed after the lag."""

    tax_rate: Fraction
    taxable: bool
    billing_month: dict[str, str]
    rows: list[tuple[str, str, str, str, str, int, int, int]] = field(default_factory=list)

    def add(self, *, payer_id: str, kind: str, area: str, month: str, amount_yen: int) -> None:
        if amount_yen == 0:
            return  # a zero share (or a zero pot) is nothing to bill
        tax = _truncate_times(amount_yen, self.tax_rate) if self.taxable else 0
        self.rows.append((payer_id, kind, area, month, self.billing_month[month], amount_yen, tax, amount_yen + tax))


def _bill_tso(area: str, tso_id: object, tso_share: int, bills: _Bills, issues: list[tuple[str, str, str]]) -> None:
    if tso_share == 0:
        return  # nothing to bill the TSO
    if tso_id is None or not str(tso_id).strip():
        issues.append(("areas", area, "the area has a TSO share but no tso_id: the TSO is not billed"))
        return
    for month, pot in zip(bills.billing_month, monthly_pots(total_yen=tso_share), strict=True):
        bills.add(payer_id=str(tso_id), kind=PAYER_TSO, area=area, month=month, amount_yen=pot)


def _bill_retailers(
    area: str,
    retailer_total: int,
    area_peaks: Mapping[str, Mapping[str, _Peak | None]],
    kw_by_area_month: Mapping[tuple[str, str], Mapping[str, int]],
    bills: _Bills,
) -> None:
    """The area's monthly pots split over its retailers by estimated peak kW (share change)."""
    months = list(bills.billing_month)
    for offset, (month, pot) in enumerate(zip(months, monthly_pots(total_yen=retailer_total), strict=True)):
        season = "summer" if offset in SUMMER_MONTH_OFFSETS else "winter"
        weights = _kw_estimates(
            wheeling_kw=kw_by_area_month.get((area, month), {}),
            peaks={rid: p[season] for rid, p in area_peaks.items() if p.get(season) is not None},
        )
        if not weights:
            continue
        for retailer_id, amount_yen in largest_remainder(total=pot, weights=weights).items():
            bills.add(payer_id=retailer_id, kind=PAYER_RETAILER, area=area, month=month, amount_yen=amount_yen)


def compute_contributions(
    *,
    delivery_year: int,
    contracts: pl.DataFrame,
    areas: pl.DataFrame,
    retailers: pl.DataFrame,
    wheeling: pl.DataFrame,
    tso_share_rate: Fraction,
    tax_rate: Fraction,
    contributions_taxable: bool,
    contribution_lag_months: int,
    transitional_deduction_rate: Fraction,
) -> ContributionResult:
    """Capacity contributions of one delivery year (rules.md §4).

    ``N`` and ``T`` use every contract's formula gross and deduction (rules.md §1); an explicit ``amount_yen``
    changes what the provider is paid, not what the market has to raise. ``tso_share_rate`` is the rule-set default,
    used where the area's own ``tso_share_rate`` is empty. A bill of 0 yen (a zero pot or a share that rounds to
    nothing) is not emitted.
    """
    issues: list[tuple[str, str, str]] = []
    gross, deduction = _national_totals(contracts, transitional_deduction_rate)
    area_rows = sorted(
        areas.select("area", "h3_kw", "price_yen_per_kw", "tso_id", "tso_share_rate").iter_rows(),
        key=lambda r: str(r[0]),
    )
    area_total, area_deduction = _area_splits({str(r[0]): int(r[1]) for r in area_rows}, gross, deduction, issues)
    months = delivery_months(delivery_year=delivery_year)
    bills = _Bills(
        tax_rate=tax_rate,
        taxable=contributions_taxable,
        billing_month={m: _shift_month(m, contribution_lag_months) for m in months},
    )
    peaks = _peaks_by_area(retailers)
    kw_by_area_month = _wheeling_by_area_month(wheeling)
    area_out: list[tuple[str, int, int, int, int]] = []
    for area, h3_kw, price, tso_id, rate_text in area_rows:
        area_id = str(area)
        tso_share = _floor(int(price) * int(h3_kw) * _parse_rate(rate_text, tso_share_rate))
        retailer_total = area_total[area_id] - area_deduction[area_id] - tso_share
        area_out.append((area_id, area_total[area_id], area_deduction[area_id], tso_share, retailer_total))
        _bill_tso(area_id, tso_id, tso_share, bills, issues)
        if retailer_total < 0:
            issues.append(
                (
                    "areas",
                    area_id,
                    f"retailer total is negative ({retailer_total} yen): the area's retailers are not billed",
                )
            )
            continue
        _bill_retailers(area_id, retailer_total, peaks.get(area_id, {}), kw_by_area_month, bills)
    return ContributionResult(
        areas=pl.DataFrame(area_out, schema=AREAS_SCHEMA, orient="row").sort("area"),
        bills=pl.DataFrame(bills.rows, schema=BILLS_SCHEMA, orient="row").sort(
            "payer_id", "payer_kind", "area", "delivery_month"
        ),
        issues=pl.DataFrame(issues, schema=ISSUES_SCHEMA, orient="row").sort("file", "key"),
    )


def _peaks_by_area(retailers: pl.DataFrame) -> dict[str, dict[str, dict[str, _Peak | None]]]:
    """area → retailer → season → peak history (``None``: no history for that season)."""
    out: dict[str, dict[str, dict[str, _Peak | None]]] = defaultdict(dict)
    columns = (
        "retailer_id",
        "area",
        "summer_peak_kw",
        "summer_peak_wheeling_kw",
        "winter_peak_kw",
        "winter_peak_wheeling_kw",
    )
    for retailer_id, area, s_kw, s_wh, w_kw, w_wh in retailers.select(columns).iter_rows():
        out[str(area)][str(retailer_id)] = {"summer": _peak(s_kw, s_wh), "winter": _peak(w_kw, w_wh)}
    return dict(out)


def _peak(peak_kw: int | None, peak_wheeling_kw: int | None) -> _Peak | None:
    """A missing peak, or a missing or zero peak wheeling kW, is no history."""
    if peak_kw is None or peak_wheeling_kw is None or peak_wheeling_kw == 0:
        return None
    return _Peak(peak_kw=int(peak_kw), peak_wheeling_kw=int(peak_wheeling_kw))


def _wheeling_by_area_month(wheeling: pl.DataFrame) -> dict[tuple[str, str], dict[str, int]]:
    """(area, month) → retailer → wheeling kW, only positive values (a retailer with none is not billed)."""
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for retailer_id, area, month, kw in wheeling.select("retailer_id", "area", "month", "wheeling_kw").iter_rows():
        if kw is None or int(kw) <= 0:
            continue
        key = (str(area), str(month))
        out[key][str(retailer_id)] = out[key].get(str(retailer_id), 0) + int(kw)
    return dict(out)


def _kw_estimates(*, wheeling_kw: Mapping[str, int], peaks: Mapping[str, _Peak | None]) -> dict[str, Fraction]:
    """Estimated peak kW of each retailer with wheeling kW in the month (share change, シェア変動).

    ``kw_est = peak_kw × wheeling_kw / peak_wheeling_kw`` from the retailer's own history; a retailer without history
    uses the area factor ``Σ peak_kw / Σ peak_wheeling_kw`` over the area's retailers with history (1 when there are
    none).
    """
    with_history = [p for p in peaks.values() if p is not None]
    factor = _area_factor(with_history)
    estimates: dict[str, Fraction] = {}
    for retailer_id, kw in wheeling_kw.items():
        peak = peaks.get(retailer_id)
        if peak is not None:
            estimates[retailer_id] = Fraction(peak.peak_kw * kw, peak.peak_wheeling_kw)
        else:
            estimates[retailer_id] = factor * kw
    return estimates


def _area_factor(history: Iterable[_Peak]) -> Fraction:
    items = list(history)
    peak_sum = sum(p.peak_kw for p in items)
    wheeling_sum = sum(p.peak_wheeling_kw for p in items)
    if not items or wheeling_sum == 0:
        return Fraction(1)
    return Fraction(peak_sum, wheeling_sum)
