"""Ending a replacement in force early (電源等差替の終了, the seed's 電源等差替情報の取消申込): the provider's own
resource is back, so from an earlier date than approved the contract's resource carries the replaced kW again.

An application of its own, reviewed like the others (four eyes), whose approval records a ``ReplacementEnd`` linked
to the replacement — the approved replacement, its application and its 電源等差替通知書 are not rewritten — and issues
a 電源等差替終了通知書. Settlement runs decided after the approval assess the contract's own resource from the end
date (``queries.replacements_in_force`` → ``effective_valid_to``).
"""

from __future__ import annotations

import datetime as dt
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
from capmarket.domain.predelivery.notices import issue_notice
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


def _end_errors(*, replacement: Replacement, valid_to: dt.date, reason: str) -> list[str]:
    """What refuses an early end: it must fall after the start and before the end in force now."""
    year = replacement.contract.delivery_year
    current = queries.effective_valid_to(replacement=replacement)
    errors: list[str] = []
    if valid_to <= replacement.valid_from:
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
    with transaction.atomic():
        Replacement.objects.select_for_update().filter(pk=replacement.pk).first()  # one end application at a time
        current = queries.replacement_with_end(pk=replacement.pk)
        contract = current.contract
        require_member_of(actor=actor, participant=contract.participant, action=Action.SUBMIT_REPLACEMENT)
        if not current.in_force or contract.state != ContractState.ACTIVE:
            raise _refuse("終了できるのは、有効な契約の承認済みの電源等差替です。")
        pending = (
            ReplacementEnd.objects.filter(replacement=current, application__state__in=OPEN_STATES)
            .select_related("application")
            .first()
        )
        if pending is not None:
            raise _refuse(f"この電源等差替の終了は申込済みです（申込番号 {pending.application.number}、審査中）。")
        errors = _end_errors(replacement=current, valid_to=valid_to, reason=reason)
        if errors:
            raise _refuse(errors)
        application = new_application(
            actor=actor,
            now=now,
            kind=ApplicationKind.REPLACEMENT_END,
            participant=contract.participant,
            delivery_year=contract.delivery_year,
            title=f"電源等差替の終了 {contract.contract_code}: {current.to_resource.resource_code}"
            f"（申込 {current.application.number}）を{valid_to:%Y-%m-%d}から終了",
        )
        ReplacementEnd.objects.create(
            application=application, replacement=current, valid_to=valid_to, reason=reason.strip()
        )
    return application


def _apply_replacement_end(actor: Any, now: dt.datetime, application: Application) -> NoticeDocument:
    end = ReplacementEnd.objects.select_for_update().get(application=application)
    Replacement.objects.select_for_update().filter(pk=end.replacement_id).first()
    replacement = queries.replacement_with_end(pk=end.replacement_id)
    before = queries.effective_valid_to(replacement=replacement)
    if replacement.contract.state != ContractState.ACTIVE:
        raise _refuse("対象の契約は有効ではありません。")
    errors = _end_errors(replacement=replacement, valid_to=end.valid_to, reason=end.reason)
    if errors:  # another end approved since this one was submitted
        raise _refuse(errors)
    end.in_force = True
    end.save(update_fields=["in_force"])
    _record(
        actor,
        now,
        AuditAction.UPDATED,
        replacement,
        "replacement",
        f"電源等差替（申込 {replacement.application.number}）を{end.valid_to:%Y-%m-%d}から終了しました"
        f"（申込 {application.number}）。",
    )
    c = replacement.contract
    approved = queries.replacement_notice(replacement=replacement)

    days = period_text(valid_from=replacement.valid_from, valid_to=end.valid_to, delivery_year=c.delivery_year)

    def build(number: str) -> documents.NoticeContent:
        to = replacement.to_resource
        return _content(
            number=number,
            now=now,
            participant=application.participant,
            title="電源等差替終了通知書",
            paragraphs=(
                "貴社から申込のあった電源等差替の終了を承認しましたので通知します。差替終了日以降、差替容量の"
                "リクワイアメントは差替元の電源等（容量確保契約の電源等）で履行していただきます。",
                f"電源等差替通知書{f'（{approved.number}）' if approved else ''}で通知した差替は、"
                f"{days}の差替となります。",
            ),
            tables=(
                documents.Table(
                    heading="終了する差替",
                    rows=(
                        ("申込番号", application.number),
                        ("差替の申込番号", replacement.application.number),
                        ("電源等差替通知書", approved.number if approved else "—"),
                        ("契約番号", c.contract_code),
                        ("差替元の電源等", f"{c.resource.resource_code} {c.resource.name}"),
                        ("差替先の電源等", f"{to.resource_code} {to.name}"),
                        ("差替容量", documents.kw(value=replacement.kw)),
                        ("差替開始日", documents.ja_date(day=replacement.valid_from)),
                        ("変更前の差替終了日", valid_to_text(valid_to=before)),
                        ("差替終了日", valid_to_text(valid_to=end.valid_to)),
                        ("終了の理由", end.reason),
                    ),
                ),
            ),
        )

    return issue_notice(
        actor=actor,
        now=now,
        kind=NoticeKind.REPLACEMENT_END,
        participant=application.participant,
        delivery_year=application.delivery_year,
        build=build,
        application=application,
        contract=c,
    )


register_kind(kind=ApplicationKind.REPLACEMENT_END, effect=_apply_replacement_end)
