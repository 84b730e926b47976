"""The demo's 電源等差替 (``demo_predelivery``, FY2029): part of a contract moved to another resource of the same
company for October–December; again from January, ended early (電源等差替終了通知書); and once more from 1 March,
withdrawn before its start (電源等差替取消通知書). Dated before the demo's ``now``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from capmarket.domain.accounts.models import User
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.registry.models import Resource


def load_demo_replacements(
    *, staff: tuple[User, User], member: User, contract: Any, to: Resource, now: dt.datetime
) -> None:
    """Part of the contract moves to ``to`` for October–December (差替終了日 1 January), and again from January to
    the year's end — a replacement the company ended early (its own resource back on 1 March: 電源等差替終了通知書) —
    and one from 1 March withdrawn before its start (電源等差替取消通知書)."""
    operator, approver = staff
    year = contract.delivery_year
    kw = max(1, contract.contract_kw // 5)
    for valid_from, valid_to, hours in (
        (dt.date(year, 10, 1), dt.date(year + 1, 1, 1), 0),
        (dt.date(year + 1, 1, 1), None, 1),
    ):
        application = wf.submit_replacement(
            actor=member, now=now - dt.timedelta(days=3, hours=-hours), contract=contract,
            to_resource_code=to.resource_code, kw=kw, valid_from=valid_from, valid_to=valid_to,
        )  # fmt: skip
        ops.check_application(actor=operator, now=now - dt.timedelta(days=2, hours=-hours), application=application)
        ops.approve_application(actor=approver, now=now - dt.timedelta(days=1, hours=-hours), application=application)
    ended = wf.submit_replacement_end(
        actor=member, now=now - dt.timedelta(hours=12), replacement=application.replacement,
        valid_to=dt.date(year + 1, 3, 1), reason="差替元の電源等の補修が予定より早く完了したため、3月1日から戻します。",
    )  # fmt: skip
    ops.check_application(actor=operator, now=now - dt.timedelta(hours=6), application=ended)
    ops.approve_application(actor=approver, now=now - dt.timedelta(hours=1), application=ended)
    _withdrawn_replacement(staff=staff, member=member, contract=contract, to=to, kw=kw, now=now)


def _withdrawn_replacement(
    *, staff: tuple[User, User], member: User, contract: Any, to: Resource, kw: int, now: dt.datetime
) -> None:
    """From 1 March (free again after the early end) to the year's end, approved and then withdrawn before its
    start (電源等差替の取消: 電源等差替取消通知書) — it covers no day."""
    operator, approver = staff
    application = wf.submit_replacement(
        actor=member, now=now - dt.timedelta(minutes=50), contract=contract, to_resource_code=to.resource_code,
        kw=kw, valid_from=dt.date(contract.delivery_year + 1, 3, 1),
    )  # fmt: skip
    ops.check_application(actor=operator, now=now - dt.timedelta(minutes=45), application=application)
    ops.approve_application(actor=approver, now=now - dt.timedelta(minutes=40), application=application)
    withdrawal = wf.submit_replacement_withdrawal(
        actor=member, now=now - dt.timedelta(minutes=30), replacement=application.replacement,
        reason="差替先の電源等を他社へ売却することになったため、差替開始前に取り消します。",
    )  # fmt: skip
    ops.check_application(actor=operator, now=now - dt.timedelta(minutes=20), application=withdrawal)
    ops.approve_application(actor=approver, now=now - dt.timedelta(minutes=10), application=withdrawal)
