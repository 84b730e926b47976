"""Applications and their review (four eyes): the registry of kinds (effect on approval, check hook), submit,
check, return, reopen, approve (effect and notice in one transaction), reject and withdraw."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery.models import (
    OPEN_STATES,
    Application,
    ApplicationState,
    NoticeDocument,
    NoticeKind,
)
from capmarket.domain.predelivery.notices import issue_notice, jst_date, next_number
from capmarket.domain.predelivery.operations.common import (
    _refuse,
)
from capmarket.domain.predelivery.queries import APPLICATION_KIND_ACTIONS
from capmarket.domain.registry.models import Participant

#: kind → (effect applied on approval, returning the notice) — filled by the modules of each kind
ApprovalEffect = Callable[[Any, dt.datetime, Application], NoticeDocument]
_EFFECTS: dict[str, ApprovalEffect] = {}
#: kind → check made when a 担当者 checks an application (may refuse, may prepare the approval)
CheckHook = Callable[[Any, dt.datetime, Application], None]
_CHECK_HOOKS: dict[str, CheckHook] = {}


def register_kind(*, kind: str, effect: ApprovalEffect, on_check: CheckHook | None = None) -> None:
    _EFFECTS[kind] = effect
    if on_check is not None:
        _CHECK_HOOKS[kind] = on_check


def require_member_of(*, actor: Any, participant: Participant, action: Action = Action.SUBMIT_PREDELIVERY) -> None:
    """A company's applications are submitted, corrected and withdrawn by its own members only — or by a contractor
    acting for it, when ``action`` is a function the company delegated (``permissions.DELEGABLE``)."""
    if not can(user=actor, action=action) or getattr(actor, "participant_id", None) != participant.pk:
        raise _refuse("この事業者の申込を行う権限がありません。")


def new_application(
    *, actor: Any, now: dt.datetime, kind: str, participant: Participant, delivery_year: int, title: str
) -> Application:
    """A submitted application (call inside the submitting transaction, after the checks of its kind)."""
    application = Application(
        number=next_number(series="AP", year=jst_date(moment=now).year),
        kind=kind,
        participant=participant,
        delivery_year=delivery_year,
        title=title[:200],
        state=ApplicationState.SUBMITTED,
        submitted_by=actor,
        submitted_at=now,
        updated_at=now,
    )
    application.save()
    audit.record(
        now=now,
        action=AuditAction.CREATED,
        actor=actor,
        object_type="predelivery_application",
        object_id=application.pk,
        object_repr=str(application),
        summary=f"{application.get_kind_display()}を申し込みました: {application.title}",
    )
    return application


def _locked(application: Application) -> Application:
    return Application.objects.select_for_update().select_related("participant").get(pk=application.pk)


def _audit(actor: Any, now: dt.datetime, application: Application, action: str, summary: str) -> None:
    audit.record(
        now=now,
        action=action,
        actor=actor,
        object_type="predelivery_application",
        object_id=application.pk,
        object_repr=str(application),
        summary=summary,
    )


def check_application(*, actor: Any, now: dt.datetime, application: Application, comment: str = "") -> Application:
    """一次審査: a 担当者 finds a submitted application in order; it then waits for a 責任者."""
    if not can(user=actor, action=Action.REVIEW_PREDELIVERY):
        raise _refuse("申込を審査する権限がありません。")
    with transaction.atomic():
        current = _locked(application)
        if current.state != ApplicationState.SUBMITTED:
            raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため一次審査できません。")
        hook = _CHECK_HOOKS.get(current.kind)
        if hook is not None:
            hook(actor, now, current)
        current.state = ApplicationState.CHECKED
        current.checked_by = actor
        current.checked_at = now
        current.check_comment = comment.strip()
        current.updated_at = now
        current.save()
        _audit(actor, now, current, AuditAction.UPDATED, f"一次審査を完了しました。{comment.strip()}")
    return current


def return_application(*, actor: Any, now: dt.datetime, application: Application, comment: str) -> Application:
    """Send an open application back to the company for correction (差戻し), saying what to correct."""
    if not can(user=actor, action=Action.REVIEW_PREDELIVERY):
        raise _refuse("申込を審査する権限がありません。")
    if not comment.strip():
        raise _refuse("差戻し理由（修正していただく内容）を入力してください。")
    with transaction.atomic():
        current = _locked(application)
        if current.state not in (ApplicationState.SUBMITTED, ApplicationState.CHECKED):
            raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため差し戻せません。")
        current.state = ApplicationState.RETURNED
        current.returned_comment = comment.strip()
        current.checked_by = None
        current.checked_at = None
        current.updated_at = now
        current.save()
        _audit(actor, now, current, AuditAction.UPDATED, f"申込を差し戻しました。理由: {comment.strip()}")
    return current


def reopen_for_correction(*, actor: Any, now: dt.datetime, application: Application) -> Application:
    """The company resubmits a returned application (its kind's function has replaced the details)."""
    current = _locked(application)
    require_member_of(actor=actor, participant=current.participant, action=APPLICATION_KIND_ACTIONS[current.kind])
    if current.state != ApplicationState.RETURNED:
        raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため再申込できません。")
    current.state = ApplicationState.SUBMITTED
    current.updated_at = now
    current.save()
    _audit(actor, now, current, AuditAction.UPDATED, "差戻しを受けて修正し、再申込しました。")
    return current


def approve_application(*, actor: Any, now: dt.datetime, application: Application, comment: str = "") -> NoticeDocument:
    """A 責任者 other than the checker approves: the effect of the application applies and its notice is issued."""
    if not can(user=actor, action=Action.APPROVE_PREDELIVERY):
        raise _refuse("申込を承認する権限がありません。")
    with transaction.atomic():
        current = _locked(application)
        if current.state != ApplicationState.CHECKED:
            raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため承認できません。")
        if current.checked_by_id == actor.pk:
            raise _refuse("一次審査を行った本人は承認できません（別の責任者が承認してください）。")
        current.state = ApplicationState.APPROVED
        current.decided_by = actor
        current.decided_at = now
        current.decision_comment = comment.strip()
        current.updated_at = now
        current.save()
        notice = _EFFECTS[current.kind](actor, now, current)
        _audit(actor, now, current, AuditAction.CONFIRMED, f"申込を承認しました（{notice.number}を発行）。")
    return notice


def reject_application(*, actor: Any, now: dt.datetime, application: Application, comment: str) -> NoticeDocument:
    """A 責任者 other than the checker rejects an open application; the company gets a notice with the reason."""
    if not can(user=actor, action=Action.APPROVE_PREDELIVERY):
        raise _refuse("申込を却下する権限がありません。")
    if not comment.strip():
        raise _refuse("却下の理由を入力してください。")
    with transaction.atomic():
        current = _locked(application)
        if current.state not in (ApplicationState.SUBMITTED, ApplicationState.CHECKED):
            raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため却下できません。")
        if current.checked_by_id == actor.pk:
            raise _refuse("一次審査を行った本人は却下できません（別の責任者が判断してください）。")
        current.state = ApplicationState.REJECTED
        current.decided_by = actor
        current.decided_at = now
        current.decision_comment = comment.strip()
        current.updated_at = now
        current.save()

        def build(number: str) -> documents.NoticeContent:
            return documents.NoticeContent(
                title="審査結果通知書",
                number=number,
                issued_on=jst_date(moment=now),
                addressee=current.participant.name,
                addressee_code=current.participant.participant_code,
                paragraphs=(
                    f"貴社から{documents.ja_date(day=jst_date(moment=current.submitted_at))}に申込のあった下記の"
                    f"{current.get_kind_display()}について審査した結果、受け付けられないこととしましたので通知します。",
                ),
                tables=(
                    documents.Table(
                        heading="申込の内容",
                        rows=(
                            ("申込番号", current.number),
                            ("件名", current.title),
                            ("実需給年度", f"{current.delivery_year}年度"),
                            ("却下の理由", current.decision_comment),
                        ),
                    ),
                ),
            )

        notice = issue_notice(
            actor=actor,
            now=now,
            kind=NoticeKind.REJECTION,
            participant=current.participant,
            delivery_year=current.delivery_year,
            build=build,
            application=current,
        )
        _audit(actor, now, current, AuditAction.UPDATED, f"申込を却下しました。理由: {comment.strip()}")
    return notice


def withdraw_application(*, actor: Any, now: dt.datetime, application: Application) -> Application:
    """The company withdraws (取下げ) its own open application."""
    with transaction.atomic():
        current = _locked(application)
        require_member_of(actor=actor, participant=current.participant, action=APPLICATION_KIND_ACTIONS[current.kind])
        if current.state not in OPEN_STATES:
            raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため取り下げられません。")
        current.state = ApplicationState.WITHDRAWN
        current.updated_at = now
        current.save()
        _audit(actor, now, current, AuditAction.UPDATED, "申込を取り下げました。")
    return current
