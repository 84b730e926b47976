"""Ending a replacement early (電源等差替の終了) or withdrawing one before its start (電源等差替の取消) — the seed's
電源等差替情報の取消申込 (seed 004 160) and 登録済みの電源等差替の削除申請 (seed 002 §2.2).

- **End**: the provider's own resource is back, so from an earlier date than approved the contract's resource
  carries the replaced kW again.
- **Withdrawal**: the replacement is no longer needed before its first day (the own resource recovered, the
  replacing resource sold …): it never takes effect. Only before its start (the business date of the request and
  of the approval, JST); once started, the early end is the way.

Each is an application of its own, reviewed like the others (four eyes), whose approval records a
``ReplacementEnd`` linked to the replacement — dated at the start for a withdrawal, so that the replacement covers no
day — and issues a 電源等差替終了通知書 / 電源等差替取消通知書. The approved replacement, its application and its
電源等差替通知書 are not rewritten. Settlement runs decided after the approval read the end in force
(``queries.replacements_in_force`` → ``effective_valid_to``); a withdrawn replacement is left out of their cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction

from capmarket.domain.accounts.permissions import Action
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.contracts.models import ContractState
from capmarket.domain.predelivery import documents, queries
from capmarket.domain.predelivery.models import (
    OPEN_STATES,
    Application,
    ApplicationKind,
    NoticeDocument,
    NoticeKind,
    Replacement,
    ReplacementEnd,
)
from capmarket.domain.predelivery.notices import issue_notice, jst_date
from capmarket.domain.predelivery.operations import (
    new_application,
    register_kind,
    require_member_of,
)
from capmarket.domain.predelivery.operations.common import _refuse
from capmarket.domain.predelivery.workflows.common import (
    _content,
    _record,
)
from capmarket.domain.predelivery.workflows.replacements import period_text, valid_to_text, year_end


def _withdrawn_error(*, replacement: Replacement) -> str | None:
    withdrawal = replacement.withdrawal
    if withdrawal is None:
        return None
    return f"この電源等差替は取消済みです（申込番号 {withdrawal.application.number}）。"


def _locked_for_application(*, actor: Any, replacement: Replacement, act: str) -> Replacement:
    """The replacement, locked (one end or withdrawal application at a time) and re-read with its ends, once the
    actor may apply for the company and no end or withdrawal of it is under review. ``act``: 終了 / 取消."""
    Replacement.objects.select_for_update().filter(pk=replacement.pk).first()
    current = queries.replacement_with_end(pk=replacement.pk)
    contract = current.contract
    require_member_of(actor=actor, participant=contract.participant, action=Action.SUBMIT_REPLACEMENT)
    if not current.in_force or contract.state != ContractState.ACTIVE:
        raise _refuse(f"{act}できるのは、有効な契約の承認済みの電源等差替です。")
    pending = (
        ReplacementEnd.objects.filter(replacement=current, application__state__in=OPEN_STATES)
        .select_related("application")
        .first()
    )
    if pending is not None:
        raise _refuse(
            f"この電源等差替の{'取消' if pending.is_withdrawal else '終了'}は申込済みです"
            f"（申込番号 {pending.application.number}、審査中）。"
        )
    return current


def _end_errors(*, replacement: Replacement, valid_to: dt.date, reason: str) -> list[str]:
    """What refuses an early end: it must fall after the start and before the end in force now."""
    year = replacement.contract.delivery_year
    current = queries.effective_valid_to(replacement=replacement)
    errors: list[str] = []
    withdrawn = _withdrawn_error(replacement=replacement)
    if withdrawn is not None:
        errors.append(withdrawn)
    elif valid_to <= replacement.valid_from:
        errors.append(
            f"差替終了日: 差替開始日（{documents.ja_date(day=replacement.valid_from)}）より後の日付を入力してください"
            "（差替は差替終了日の前日までです）。"
        )
    elif valid_to >= (current or year_end(delivery_year=year)):
        errors.append(
            f"差替終了日: 現在の差替終了日（{valid_to_text(valid_to=current)}）より前の日付を入力してください。"
        )
    if not reason.strip():
        errors.append("終了の理由: 入力してください（例: 差替元の電源等の補修が完了したため）。")
    return errors


def submit_replacement_end(
    *, actor: Any, now: dt.datetime, replacement: Replacement, valid_to: dt.date, reason: str
) -> Application:
    """電源等差替の終了: from ``valid_to`` (exclusive end, earlier than the one in force) the contract's own
    resource carries the replaced kW again. One open end application per replacement at a time."""
    return _submit(
        actor=actor,
        now=now,
        replacement=replacement,
        kind=ApplicationKind.REPLACEMENT_END,
        valid_to=valid_to,
        reason=reason,
        check=lambda current: _end_errors(replacement=current, valid_to=valid_to, reason=reason),
        title=f"を{valid_to:%Y-%m-%d}から終了",
    )


def _submit(
    *,
    actor: Any,
    now: dt.datetime,
    replacement: Replacement,
    kind: ApplicationKind,
    valid_to: dt.date,
    reason: str,
    check: Callable[[Replacement], list[str]],
    title: str,
) -> Application:
    """The application of an end or withdrawal (``kind``) with its ``ReplacementEnd`` on ``valid_to``, once
    ``check`` finds nothing wrong with the replacement as it is now (locked, with its ends)."""
    act = "取消" if kind == ApplicationKind.REPLACEMENT_WITHDRAWAL else "終了"
    with transaction.atomic():
        current = _locked_for_application(actor=actor, replacement=replacement, act=act)
        errors = check(current)
        if errors:
            raise _refuse(errors)
        contract = current.contract
        application = new_application(
            actor=actor,
            now=now,
            kind=kind,
            participant=contract.participant,
            delivery_year=contract.delivery_year,
            title=f"電源等差替の{act} {contract.contract_code}: {current.to_resource.resource_code}"
            f"（申込 {current.application.number}）{title}",
        )
        ReplacementEnd.objects.create(
            application=application, replacement=current, valid_to=valid_to, reason=reason.strip()
        )
    return application


def _approve(
    *, application: Application, check: Callable[[Replacement, ReplacementEnd], list[str]]
) -> tuple[ReplacementEnd, Replacement, dt.date | None]:
    """Put the end or withdrawal of ``application`` in force once ``check`` (re-run at approval: another end may
    have been approved since, the start may have come) finds nothing; the replacement as it was and its end
    before."""
    end = ReplacementEnd.objects.select_for_update().get(application=application)
    Replacement.objects.select_for_update().filter(pk=end.replacement_id).first()
    replacement = queries.replacement_with_end(pk=end.replacement_id)
    before = queries.effective_valid_to(replacement=replacement)
    if replacement.contract.state != ContractState.ACTIVE:
        raise _refuse("対象の契約は有効ではありません。")
    errors = check(replacement, end)
    if errors:
        raise _refuse(errors)
    end.in_force = True
    end.save(update_fields=["in_force"])
    return end, replacement, before


def _notice(
    *,
    actor: Any,
    now: dt.datetime,
    application: Application,
    replacement: Replacement,
    kind: NoticeKind,
    paragraphs: Callable[[str], tuple[str, ...]],
    heading: str,
    rows: tuple[tuple[str, str], ...],
) -> NoticeDocument:
    """The notice of an approved end or withdrawal: the replacement it concerns (with the number of the
    電源等差替通知書 that approved it, also given to ``paragraphs``), then ``rows``."""
    c = replacement.contract
    to = replacement.to_resource
    approved = queries.replacement_notice(replacement=replacement)
    approved_text = f"電源等差替通知書{f'（{approved.number}）' if approved else ''}"

    def build(number: str) -> documents.NoticeContent:
        return _content(
            number=number,
            now=now,
            participant=application.participant,
            title=kind.label,
            paragraphs=paragraphs(approved_text),
            tables=(
                documents.Table(
                    heading=heading,
                    rows=(
                        ("申込番号", application.number),
                        ("差替の申込番号", replacement.application.number),
                        ("電源等差替通知書", approved.number if approved else "—"),
                        ("契約番号", c.contract_code),
                        ("差替元の電源等", f"{c.resource.resource_code} {c.resource.name}"),
                        ("差替先の電源等", f"{to.resource_code} {to.name}"),
                        ("差替容量", documents.kw(value=replacement.kw)),
                        ("差替開始日", documents.ja_date(day=replacement.valid_from)),
                        *rows,
                    ),
                ),
            ),
        )

    return issue_notice(
        actor=actor,
        now=now,
        kind=kind,
        participant=application.participant,
        delivery_year=application.delivery_year,
        build=build,
        application=application,
        contract=c,
    )


def _apply_replacement_end(actor: Any, now: dt.datetime, application: Application) -> NoticeDocument:
    end, replacement, before = _approve(
        application=application,
        check=lambda r, e: _end_errors(replacement=r, valid_to=e.valid_to, reason=e.reason),
    )
    _record(
        actor,
        now,
        AuditAction.UPDATED,
        replacement,
        "replacement",
        f"電源等差替（申込 {replacement.application.number}）を{end.valid_to:%Y-%m-%d}から終了しました"
        f"（申込 {application.number}）。",
    )
    days = period_text(
        valid_from=replacement.valid_from, valid_to=end.valid_to, delivery_year=replacement.contract.delivery_year
    )
    return _notice(
        actor=actor,
        now=now,
        application=application,
        replacement=replacement,
        kind=NoticeKind.REPLACEMENT_END,
        paragraphs=lambda approved: (
            "貴社から申込のあった電源等差替の終了を承認しましたので通知します。差替終了日以降、差替容量の"
            "リクワイアメントは差替元の電源等（容量確保契約の電源等）で履行していただきます。",
            f"{approved}で通知した差替は、{days}の差替となります。",
        ),
        heading="終了する差替",
        rows=(
            ("変更前の差替終了日", valid_to_text(valid_to=before)),
            ("差替終了日", valid_to_text(valid_to=end.valid_to)),
            ("終了の理由", end.reason),
        ),
    )


register_kind(kind=ApplicationKind.REPLACEMENT_END, effect=_apply_replacement_end)


# ---------------------------------------------------------------------------------------------- withdrawal


def _withdrawal_errors(*, replacement: Replacement, today: dt.date, reason: str) -> list[str]:
    """What refuses a withdrawal: withdrawn already, or started by ``today`` (then only an early end remains)."""
    errors: list[str] = []
    withdrawn = _withdrawn_error(replacement=replacement)
    ends = queries.effective_valid_to(replacement=replacement)
    if withdrawn is not None:
        errors.append(withdrawn)
    elif ends is not None and ends <= today:
        errors.append(
            f"この電源等差替は{documents.ja_date(day=ends - dt.timedelta(days=1))}までで終了しています"
            "（取消できません）。"
        )
    elif replacement.valid_from <= today:
        errors.append(
            f"差替開始日（{documents.ja_date(day=replacement.valid_from)}）を過ぎているため取消できません。"
            "差替を途中で終えるには「電源等差替の終了」を申し込んでください。"
        )
    if not reason.strip():
        errors.append("取消の理由: 入力してください（例: 差替先の電源等を売却したため）。")
    return errors


def submit_replacement_withdrawal(
    *, actor: Any, now: dt.datetime, replacement: Replacement, reason: str
) -> Application:
    """電源等差替の取消: an approved replacement that has not started by the business date of ``now`` (JST) will
    not take effect. One open end or withdrawal application per replacement at a time."""
    today = jst_date(moment=now)
    return _submit(
        actor=actor,
        now=now,
        replacement=replacement,
        kind=ApplicationKind.REPLACEMENT_WITHDRAWAL,
        valid_to=replacement.valid_from,  # an end dated at the start: the replacement covers no day
        reason=reason,
        check=lambda current: _withdrawal_errors(replacement=current, today=today, reason=reason),
        title=f"（差替開始日 {replacement.valid_from:%Y-%m-%d}）",
    )


def _apply_replacement_withdrawal(actor: Any, now: dt.datetime, application: Application) -> NoticeDocument:
    today = jst_date(moment=now)

    def check(replacement: Replacement, end: ReplacementEnd) -> list[str]:
        errors = _withdrawal_errors(replacement=replacement, today=today, reason=end.reason)
        return [*errors, "この取消は承認できません。差し戻すか却下してください。"] if errors else []

    end, replacement, before = _approve(application=application, check=check)
    _record(
        actor,
        now,
        AuditAction.UPDATED,
        replacement,
        "replacement",
        f"電源等差替（申込 {replacement.application.number}）を取消しました（申込 {application.number}）。",
    )
    return _notice(
        actor=actor,
        now=now,
        application=application,
        replacement=replacement,
        kind=NoticeKind.REPLACEMENT_WITHDRAWAL,
        paragraphs=lambda approved: (
            "貴社から申込のあった電源等差替の取消を承認しましたので通知します。",
            f"{approved}で通知した差替は行いません。差替容量のリクワイアメントは、差替開始日以降も差替元の"
            "電源等（容量確保契約の電源等）で履行していただきます。",
        ),
        heading="取消する差替",
        rows=(
            ("差替終了日", valid_to_text(valid_to=before)),
            ("取消日", documents.ja_date(day=today)),
            ("取消の理由", end.reason),
        ),
    )


register_kind(kind=ApplicationKind.REPLACEMENT_WITHDRAWAL, effect=_apply_replacement_withdrawal)
