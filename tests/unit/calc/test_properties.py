"""Invariants of the engine (hypothesis): parts sum to totals, caps hold, order of rows does not matter."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capmarket.calc.contract_amount import contract_amount
from capmarket.calc.engine import CaseData, run
from capmarket.calc.io.case import read_case
from capmarket.calc.payments import instalments, provider_statements
from capmarket.calc.penalties import cap_penalties, cumulative_difference
from capmarket.calc.rules import resolve
from capmarket.calc.slots import floor_fraction

SHARED = Path(os.environ.get("CAPMARKET_SHARED_DIR", Path(__file__).resolve().parents[3].parent / "shared"))
RANDOM_CASE = SHARED / "spec" / "scenarios" / "random-fy2025-a" / "case"
PARAMS = resolve("jp-2025")[2]

yen = st.integers(min_value=0, max_value=10**13)


@given(amount=yen, rate=st.fractions(min_value=0, max_value=1, max_denominator=1000))
def test_instalments_sum_to_the_contract_amount(amount: int, rate: Fraction) -> None:
    withheld = floor_fraction(amount * rate)
    parts = instalments(amount_yen=amount, withheld_yen=withheld)
    assert len(parts) == 12
    assert sum(parts) == amount
    assert all(p >= 0 for p in parts)
    assert parts[:11] == [parts[0]] * 11


@given(
    amount=yen,
    raw=st.lists(st.integers(min_value=0, max_value=10**13), min_size=12, max_size=12),
    monthly=st.booleans(),
    annual=st.booleans(),
)
def test_capped_penalties_never_exceed_either_cap(amount: int, raw: list[int], monthly: bool, annual: bool) -> None:
    params = resolve(
        "jp-2025", {"monthly_cap_enabled": str(monthly).lower(), "annual_cap_enabled": str(annual).lower()}
    )[2]
    capped = cap_penalties(amount_yen=amount, raw=raw, params=params)
    assert all(0 <= c <= r for c, r in zip(capped, raw, strict=True))
    if monthly:
        assert max(capped) <= floor_fraction(amount * params.monthly_cap_rate)
    if annual:
        assert sum(capped) <= floor_fraction(amount * params.annual_cap_rate)
    if not monthly and not annual:
        assert capped == raw


@given(st.lists(st.fractions(min_value=0, max_value=10**9, max_denominator=10**6), min_size=1, max_size=12))
def test_cumulative_difference_sums_to_the_floor_of_the_cumulative_total(increments: list[Fraction]) -> None:
    cumulative = [sum(increments[: i + 1], Fraction(0)) for i in range(len(increments))]
    amounts = cumulative_difference(cumulative)
    assert sum(amounts) == floor_fraction(cumulative[-1])
    assert all(a >= 0 for a in amounts)


@given(
    instalments_yen=st.lists(st.integers(0, 10**9), min_size=12, max_size=12),
    penalties_yen=st.lists(st.integers(0, 2 * 10**9), min_size=12, max_size=12),
    receipts=st.dictionaries(st.integers(0, 11), st.integers(0, 3 * 10**9)),
)
def test_statements_carry_what_is_owed(
    instalments_yen: list[int], penalties_yen: list[int], receipts: dict[int, int]
) -> None:
    months = [f"m{i:02d}" for i in range(12)]
    statements, _ = provider_statements(
        months=months,
        instalments_yen=instalments_yen,
        penalties_yen=penalties_yen,
        receipts_yen={months[i]: v for i, v in receipts.items()},
        tax_rate=Fraction("0.1"),
    )
    carried = 0
    for s in statements:
        assert s.carried_in_yen == carried
        assert s.amount_yen == abs(s.total_yen)
        assert 0 <= s.received_yen <= s.amount_yen
        assert s.carried_out_yen == (s.amount_yen - s.received_yen if s.document == "invoice" else 0)
        carried = s.carried_out_yen


_CASE: CaseData | None = None


def _random_case() -> CaseData:
    global _CASE  # noqa: PLW0603 - read the scenario once per session
    if _CASE is None:
        _CASE = read_case(RANDOM_CASE).data
    return _CASE


def _shuffled(case: CaseData, seed: int) -> CaseData:
    frames = {
        name: getattr(case, name).sample(fraction=1.0, shuffle=True, seed=seed + i)
        for i, name in enumerate(
            (
                "resources",
                "contracts",
                "providers",
                "generation",
                "outages",
                "multipliers",
                "tight_slots",
                "bids",
                "instructions",
                "dispatch_orders",
                "metering",
                "baselines",
                "receipts",
                "areas",
                "retailers",
                "wheeling",
            )
        )
    }
    return CaseData(delivery_year=case.delivery_year, areas_given=case.areas_given, **frames)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**31))
def test_results_do_not_depend_on_row_order(seed: int) -> None:
    case = _random_case()
    reference = run(case=case, params=PARAMS).outputs()

    shuffled = run(case=_shuffled(case, seed), params=PARAMS).outputs()

    assert shuffled.keys() == reference.keys()
    for name, frame in reference.items():
        assert shuffled[name].equals(frame), name


def test_two_runs_are_identical_and_instalments_sum_to_amounts() -> None:
    case = _random_case()
    first = run(case=case, params=PARAMS)
    second = run(case=case, params=PARAMS)
    for name, frame in first.outputs().items():
        assert second.outputs()[name].equals(frame), name

    totals = dict(first.contract_months.group_by("contract_id").agg(pl.col("instalment_yen").sum()).iter_rows())
    for row in case.contracts.iter_rows(named=True):
        amount = contract_amount(
            price_yen_per_kw=row["price_yen_per_kw"],
            contract_kw=row["contract_kw"],
            transitional=row["transitional"],
            transitional_deduction_rate=PARAMS.transitional_deduction_rate,
            amount_override_yen=row["amount_yen"],
        ).amount_yen
        assert totals[row["contract_id"]] == amount
    # statements carry the contracts: Σ instalments of every provider = Σ of its contract months
    assert first.statements["instalments_yen"].sum() == first.contract_months["instalment_yen"].sum()
    # penalties of a statement = capped penalties + coal penalty
    assert int(first.statements["penalties_yen"].sum()) == int(first.contract_months["capped_penalty_yen"].sum()) + int(
        first.coal["penalty_yen"].sum()
    )
