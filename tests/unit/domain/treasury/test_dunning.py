"""Reminder steps in business days on a fixed clock (no real waiting)."""

from __future__ import annotations

import datetime as dt

import pytest

from capmarket.domain.treasury.banks import is_bank_business_day
from capmarket.domain.treasury.dunning import UnableToPlanDunning, business_days_late, reminder_step_due

DUE = dt.date(2025, 12, 26)  # a Friday before the year-end holidays


def test_business_days_late_skip_weekends_and_year_end_holidays() -> None:
    assert business_days_late(due_date=DUE, as_of=DUE, is_business_day=is_bank_business_day) == 0
    assert business_days_late(due_date=DUE, as_of=dt.date(2025, 12, 28), is_business_day=is_bank_business_day) == 0
    assert business_days_late(due_date=DUE, as_of=dt.date(2025, 12, 29), is_business_day=is_bank_business_day) == 1
    # 29, 30 December, then 5 January: 31 Dec – 4 Jan are closed
    assert business_days_late(due_date=DUE, as_of=dt.date(2026, 1, 5), is_business_day=is_bank_business_day) == 3


@pytest.mark.parametrize(
    ("as_of", "sent", "step"),
    [
        (dt.date(2025, 12, 26), (), None),  # due today: not late
        (dt.date(2025, 12, 29), (), 1),
        (dt.date(2025, 12, 30), (1,), None),  # step 1 sent, step 10 not reached
        (dt.date(2026, 1, 14), (1,), None),  # 9 business days late (12 January is 成人の日)
        (dt.date(2026, 1, 15), (1,), 10),
        (dt.date(2026, 1, 15), (), 10),  # missed runs: only the latest step goes out
        (dt.date(2026, 1, 16), (10,), None),
        (dt.date(2026, 2, 27), (1, 10), 20),
        (dt.date(2026, 3, 31), (1, 10, 20), None),
    ],
)
def test_the_latest_step_reached_and_not_yet_sent(as_of: dt.date, sent: tuple[int, ...], step: int | None) -> None:
    assert reminder_step_due(due_date=DUE, as_of=as_of, already_sent=sent, is_business_day=is_bank_business_day) == step


def test_steps_must_increase() -> None:
    with pytest.raises(UnableToPlanDunning):
        reminder_step_due(due_date=DUE, as_of=DUE, steps=(10, 1), is_business_day=is_bank_business_day)
