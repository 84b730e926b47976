"""Outage-plan adjustment: plans summed per area and day against the monthly limit; over-limit plans flagged."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.calc.predelivery.outage_adjustment import PlannedOutage, adjust

FIRST, LAST = dt.date(2029, 4, 1), dt.date(2030, 3, 31)


def plan(plan_id: str, area: str, start: str, end: str, kw: int) -> PlannedOutage:
    return PlannedOutage(
        plan_id=plan_id,
        area=area,
        start_at=dt.datetime.fromisoformat(start),
        end_at=dt.datetime.fromisoformat(end),
        outage_kw=kw,
    )


def test_overlapping_plans_over_the_limit_are_flagged_on_their_common_days() -> None:
    plans = [
        plan("A", "tokyo", "2029-05-10 00:00", "2029-05-20 00:00", 600),  # 10th..19th
        plan("B", "tokyo", "2029-05-18 12:00", "2029-05-25 00:00", 500),  # 18th..24th
        plan("C", "tokyo", "2029-06-01 00:00", "2029-06-02 00:00", 900),  # alone in June
        plan("D", "kansai", "2029-05-18 00:00", "2029-05-19 00:00", 5_000),  # no limit in kansai
    ]
    limits = {("tokyo", "2029-05"): 1_000, ("tokyo", "2029-06"): 1_000}

    result = adjust(plans=plans, limits=limits, areas=("tokyo", "kansai"), first_day=FIRST, last_day=LAST)

    assert result.flagged == {"A", "B"}
    assert result.conflict_days["A"] == (dt.date(2029, 5, 18), dt.date(2029, 5, 19))
    may = next(x for x in result.loads if x.area == "tokyo" and x.month == "2029-05")
    assert (may.peak_kw, may.peak_date, may.over) == (1_100, dt.date(2029, 5, 18), True)
    june = next(x for x in result.loads if x.area == "tokyo" and x.month == "2029-06")
    assert (june.peak_kw, june.over) == (900, False)
    assert len(result.loads) == 24


def test_only_days_inside_the_year_count() -> None:
    plans = [plan("X", "tokyo", "2029-03-30 00:00", "2029-04-02 00:00", 2_000)]
    result = adjust(plans=plans, limits={("tokyo", "2029-04"): 1_000}, areas=("tokyo",), first_day=FIRST, last_day=LAST)
    assert result.conflict_days == {"X": (dt.date(2029, 4, 1),)}


@settings(max_examples=60, deadline=None)
@given(
    kws=st.lists(st.integers(1, 800), min_size=1, max_size=8),
    starts=st.lists(st.integers(0, 40), min_size=8, max_size=8),
    lengths=st.lists(st.integers(1, 10), min_size=8, max_size=8),
    limit=st.integers(0, 2_000),
)
def test_no_flag_without_a_day_over_the_limit(
    kws: list[int], starts: list[int], lengths: list[int], limit: int
) -> None:
    base = dt.datetime(2029, 7, 1)
    plans = [
        PlannedOutage(
            plan_id=str(i),
            area="chubu",
            start_at=base + dt.timedelta(days=starts[i]),
            end_at=base + dt.timedelta(days=starts[i] + lengths[i]),
            outage_kw=kw,
        )
        for i, kw in enumerate(kws)
    ]
    limits = {("chubu", m): limit for m in ("2029-07", "2029-08")}
    result = adjust(plans=plans, limits=limits, areas=("chubu",), first_day=FIRST, last_day=LAST)
    over = any(x.over for x in result.loads)
    assert bool(result.flagged) == over
    for plan_id, days in result.conflict_days.items():
        for day in days:
            load = sum(p.outage_kw for p in plans if p.start_at.date() <= day < p.end_at.date() + dt.timedelta(days=0))
            assert load > limit, (plan_id, day)
