"""Pre-delivery rules: expected-capacity checks, the market-exit penalty, an effectiveness test's result."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction

import pytest

from capmarket.calc.predelivery.checks import check_expected_capacity, effectiveness_result, market_exit_penalty
from capmarket.calc.predelivery.rules import (
    PARAMETER_NAMES,
    UnableToParsePreDeliveryParameters,
    builtin_parameters,
    builtin_params,
    parse_predelivery_params,
)

PARAMS = builtin_params()


def test_every_builtin_parameter_has_a_source_and_a_confidence() -> None:
    spec = builtin_parameters()
    assert set(spec) == set(PARAMETER_NAMES)
    assert all(p.source and p.confidence for p in spec.values())


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"variable_adjustment_factor": "0,7"}, "not a decimal"),
        ({"market_exit_deadline_month_day": "13-01"}, "MM-DD"),
        ({"effectiveness_test_hours": "0"}, "at least 1"),
        ({"nonsense": "1"}, "unknown"),
    ],
)
def test_bad_parameters_are_refused(change: dict[str, str], problem: str) -> None:
    values = {name: p.value for name, p in builtin_parameters().items()} | change
    with pytest.raises(UnableToParsePreDeliveryParameters, match=problem):
        parse_predelivery_params(values=values)


def test_expected_capacity_checks() -> None:
    def problems(kind: str, installed: int, expected: int) -> list[tuple[str, int]]:
        return [
            (p.code, p.limit_kw)
            for p in check_expected_capacity(
                resource_type=kind, installed_capacity_kw=installed, expected_capacity_kw=expected, params=PARAMS
            )
        ]

    assert problems("stable", 120_000, 100_000) == []
    assert problems("stable", 120_000, 120_001) == [("ABOVE_INSTALLED", 120_000)]
    assert problems("dispatch", 5_000, 999) == [("BELOW_MINIMUM", 1_000)]
    assert problems("variable_single", 10_001, 7_000) == []  # floor(10,001 × 0.7) = 7,000
    assert problems("variable_aggregate", 10_001, 7_001) == [("ABOVE_ADJUSTED", 7_000)]


def test_exit_penalty_rate_changes_after_the_deadline_two_years_before_delivery() -> None:
    early = market_exit_penalty(
        contract_amount_yen=819_946_001, delivery_year=2029, declared_on=dt.date(2027, 12, 25), params=PARAMS
    )
    late = market_exit_penalty(
        contract_amount_yen=819_946_001, delivery_year=2029, declared_on=dt.date(2027, 12, 26), params=PARAMS
    )
    assert (early.late, early.penalty_yen, early.deadline_date) == (False, 40_997_300, dt.date(2027, 12, 25))
    assert (late.late, late.penalty_yen) == (True, 81_994_600)


def test_effectiveness_result_is_the_average_response_truncated() -> None:
    # six slots of a 3-hour test: 1,000 kW contracted; the response averages 1,000.5 kW
    baselines = [3_000_000] * 6
    metered = [2_499_750, 2_499_500, 2_500_000, 2_499_750, 2_500_000, 2_500_000]  # Σ response 3,001,000 Wh

    result = effectiveness_result(contract_kw=1_000, baselines_wh=baselines, metered_wh=metered, params=PARAMS)

    assert result.response_kwh == Fraction(3_000_000 * 6 - sum(metered), 1000)
    assert (result.delivered_kw, result.required_kw, result.passed) == (1_000, 1_000, True)
    failed = effectiveness_result(contract_kw=1_001, baselines_wh=baselines, metered_wh=metered, params=PARAMS)
    assert (failed.delivered_kw, failed.passed) == (1_000, False)
    stricter = dataclasses.replace(PARAMS, effectiveness_pass_ratio=Fraction(11, 10))
    assert not effectiveness_result(
        contract_kw=1_000, baselines_wh=baselines, metered_wh=metered, params=stricter
    ).passed
    with pytest.raises(ValueError, match="one baseline and one metered value"):
        effectiveness_result(contract_kw=1, baselines_wh=[1], metered_wh=[], params=PARAMS)
