"""When a reminder (督促) is due: business days late and the configured reminder steps.

A document is late from the first business day after its due date. With steps such as (1, 10, 20) business days,
the daily dunning job sends the step a document has reached and not yet had; when a document has passed several
steps since the last run (the job did not run, or the document was found late), only the latest is sent — one
reminder, saying how late it is, not three at once. The calendar is passed in (``is_business_day``), the clock
too (``as_of``): nothing here reads either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence

DEFAULT_STEPS = (1, 10, 20)


class UnableToPlanDunning(ValueError):
    """Steps that are not positive, or not strictly increasing."""


def business_days_late(*, due_date: dt.date, as_of: dt.date, is_business_day: Callable[[dt.date], bool]) -> int:
    """Business days in (due_date, as_of]; 0 when not yet late."""
    if as_of <= due_date:
        return 0
    days = 0
    day = due_date + dt.timedelta(days=1)
    while day <= as_of:
        if is_business_day(day):
            days += 1
        day += dt.timedelta(days=1)
    return days


def reminder_step_due(
    *,
    due_date: dt.date,
    as_of: dt.date,
    steps: Sequence[int] = DEFAULT_STEPS,
    already_sent: Collection[int] = (),
    is_business_day: Callable[[dt.date], bool],
) -> int | None:
    """The step whose reminder should go out on ``as_of``, or None.

    It is the latest step the document has reached, provided no reminder of that step or a later one was sent.
    """
    if not steps or any(step <= 0 for step in steps) or list(steps) != sorted(set(steps)):
        raise UnableToPlanDunning("steps must be positive and strictly increasing")
    late = business_days_late(due_date=due_date, as_of=as_of, is_business_day=is_business_day)
    reached = [step for step in steps if step <= late]
    if not reached:
        return None
    latest = reached[-1]
    if any(sent >= latest for sent in already_sent):
        return None
    return latest
