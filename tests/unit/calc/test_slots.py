"""Time arithmetic and exact formatting of a delivery year (rules.md §0): half-even rounding in integers."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from capmarket.calc.slots import (
    delivery_month_of_index,
    format_decimal,
    format_ratio,
    format_wh_as_kwh,
    hours_in_year,
    month_of_index,
    slot_index,
    slots_in_year,
)


def _reference_round(value: Fraction, places: int) -> str:
    scaled = round(value * 10**places)
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**7).flatmap(lambda d: st.sampled_from([d, -d])))
def test_format_ratio_rounds_half_even_like_fraction(numerator: int, denominator: int) -> None:
    for places in (3, 4):
        assert format_ratio(numerator, denominator, places) == _reference_round(
            Fraction(numerator, denominator), places
        )


@given(st.integers(-(10**15), 10**15))
def test_format_wh_as_kwh(wh: int) -> None:
    assert format_wh_as_kwh(wh) == _reference_round(Fraction(wh, 1000), 3)


def test_decimal_formatting_rounds_half_even() -> None:
    assert format_decimal(Fraction(5, 100000), 4) == "0.0000"
    assert format_decimal(Fraction(15, 100000), 4) == "0.0002"
    assert format_decimal(Fraction(1, 3), 4) == "0.3333"


def test_a_leap_delivery_year_has_8784_hours() -> None:
    assert hours_in_year(2023) == 8784  # 2023-04-01 .. 2024-03-31 holds 29 February 2024
    assert hours_in_year(2024) == 8760
    assert slots_in_year(2025) == 365 * 48


def test_delivery_month_of_index_agrees_with_the_calendar() -> None:
    year = 2023
    t = pl.int_range(0, slots_in_year(year), eager=True).alias("t")
    frame = pl.DataFrame(t).select(
        fast=delivery_month_of_index(pl.col("t"), delivery_year=year),
        slow=month_of_index(pl.col("t"), delivery_year=year),
    )
    assert frame["fast"].equals(frame["slow"], check_names=False)
    first_of_march = pl.DataFrame({"d": [dt.date(2024, 3, 1)], "s": [1]}).select(
        slot_index(pl.col("d"), pl.col("s"), delivery_year=year)
    )
    assert first_of_march.item() == (dt.date(2024, 3, 1) - dt.date(2023, 4, 1)).days * 48
