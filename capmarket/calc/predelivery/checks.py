"""Checks and amounts of the pre-delivery workflows, from the pre-delivery rule set (``rules.py``).

- ``check_expected_capacity``: what is wrong with a registered expected capacity (期待容量), if anything.
- ``market_exit_penalty``: the economic penalty of leaving the market (市場退出時の経済的ペナルティ).
- ``effectiveness_result``: the kW a dispatch resource delivered in its effectiveness test (実効性テスト) and
  whether that passes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from capmarket.calc.predelivery.rules import PreDeliveryParams

VARIABLE_TYPES = ("variable_single", "variable_aggregate")


@dataclass(frozen=True)
class CapacityProblem:
    code: str  # stable, for screens and files: BELOW_MINIMUM, ABOVE_INSTALLED, ABOVE_ADJUSTED
    limit_kw: int


def check_expected_capacity(
    *, resource_type: str, installed_capacity_kw: int, expected_capacity_kw: int, params: PreDeliveryParams
) -> list[CapacityProblem]:
    """The problems of an expected capacity (empty when it may be registered).

    - at least ``min_expected_capacity_kw``;
    - never above the installed capacity;
    - a variable resource at most ``floor(installed × variable_adjustment_factor)``.
    """
    problems: list[CapacityProblem] = []
    if expected_capacity_kw < params.min_expected_capacity_kw:
        problems.append(CapacityProblem("BELOW_MINIMUM", params.min_expected_capacity_kw))
    if expected_capacity_kw > installed_capacity_kw:
        problems.append(CapacityProblem("ABOVE_INSTALLED", installed_capacity_kw))
    elif resource_type in VARIABLE_TYPES:
        factor = params.variable_adjustment_factor
        adjusted = installed_capacity_kw * factor.numerator // factor.denominator
        if expected_capacity_kw > adjusted:
            problems.append(CapacityProblem("ABOVE_ADJUSTED", adjusted))
    return problems


@dataclass(frozen=True)
class ExitPenalty:
    rate: Fraction
    late: bool  # declared after the deadline (第13条第1項②)
    deadline_date: dt.date
    penalty_yen: int


def market_exit_penalty(
    *, contract_amount_yen: int, delivery_year: int, declared_on: dt.date, params: PreDeliveryParams
) -> ExitPenalty:
    """``floor(contract amount × rate)``; the late rate once the declaration is after the deadline
    (``market_exit_deadline_month_day`` of ``delivery_year − market_exit_deadline_years_before``)."""
    month, day = params.market_exit_deadline_month_day
    deadline = dt.date(delivery_year - params.market_exit_deadline_years_before, month, day)
    late = declared_on > deadline
    rate = params.market_exit_penalty_rate_late if late else params.market_exit_penalty_rate_early
    penalty = contract_amount_yen * rate.numerator // rate.denominator
    return ExitPenalty(rate=rate, late=late, deadline_date=deadline, penalty_yen=penalty)


@dataclass(frozen=True)
class EffectivenessResult:
    slots: int
    response_kwh: Fraction  # Σ (baseline − metered) over the test window
    delivered_kw: int  # floor of the average response in kW
    required_kw: int  # ceil(contract kW × pass ratio)
    passed: bool


def effectiveness_result(
    *, contract_kw: int, baselines_wh: Sequence[int], metered_wh: Sequence[int], params: PreDeliveryParams
) -> EffectivenessResult:
    """The delivered kW of a test: the average over its slots of ``baseline − metered`` (Wh per 30 minutes, so
    ``kW = Wh × 2 / 1000``), truncated; it passes when at least ``ceil(contract_kw × effectiveness_pass_ratio)``."""
    if len(baselines_wh) != len(metered_wh) or not baselines_wh:
        raise ValueError("a test needs one baseline and one metered value per slot, at least one slot")
    response_wh = sum(b - m for b, m in zip(baselines_wh, metered_wh, strict=True))
    slots = len(baselines_wh)
    delivered = Fraction(response_wh * 2, 1000 * slots)
    ratio = params.effectiveness_pass_ratio
    required = -((-contract_kw * ratio.numerator) // ratio.denominator)
    delivered_kw = max(0, delivered.numerator // delivered.denominator)
    return EffectivenessResult(
        slots=slots,
        response_kwh=Fraction(response_wh, 1000),
        delivered_kw=delivered_kw,
        required_kw=required,
        passed=delivered >= required,
    )
