"""Approving a use application (利用申込, seed 002 §2.1, §3.2.1): one act across the registry, accounts and access.

The reviewer (``Action.REVIEW_USE_APPLICATIONS``) approves: the company is registered from the application (or an
existing registry entry with the same 事業者コード and no 管理者ID is taken over), the client certificate the
applicant gave is registered for it, its 管理者ID is issued with a temporary password — once, ever (§3.2.1) — and
the applicant is told by e-mail (§2.1.2). All or nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access import queries as access_queries
from capmarket.domain.access.models import ApplicationState, UseApplication
from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.registry.models import Participant, ParticipantStatus
from capmarket.domain.registry.validators import validate_participant
from capmarket.domain.shared.history import save_with_history


@dataclass(frozen=True)
class Approved:
    application: UseApplication
    participant: Participant
    admin_user: User
    temporary_password: str
    participant_created: bool


def _participant_for(*, actor: Any, application: UseApplication, now: dt.datetime) -> tuple[Participant, bool]:
    existing = Participant.objects.select_for_update().filter(participant_code=application.participant_code).first()
    if existing is not None:
        if existing.status != ParticipantStatus.ACTIVE:
            raise access_ops.UnableToReview(
                {
                    "participant": f"事業者コード「{existing.participant_code}」の事業者は"
                    f"{existing.get_status_display()}です。"
                }
            )
        return existing, False
    participant = Participant(
        participant_code=application.participant_code,
        name=application.name,
        name_kana=application.name_kana,
        is_provider=application.is_provider,
        is_retailer=application.is_retailer,
        is_tso=application.is_tso,
        tso_area=application.tso_area,
        email=application.email,
        phone=application.phone,
        address=application.address,
        status=ParticipantStatus.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    try:
        validate_participant(participant=participant)
    except ValidationError as exc:
        raise access_ops.UnableToReview(
            {"participant": [f"申込内容で事業者を登録できません: {m}" for m in exc.messages]}
        ) from None
    save_with_history(obj=participant, actor=actor, now=now)
    audit.record(
        now=now,
        action=AuditAction.CREATED,
        actor=actor,
        object_type="participant",
        object_id=participant.pk,
        object_repr=str(participant),
        summary=f"利用申込（受付番号 {application.reference}）の承認により事業者を登録しました。",
    )
    return participant, True


def approve_application(
    *,
    actor: Any,
    application: UseApplication,
    admin_username: str,
    login_url: str,
    now: dt.datetime,
    ip_address: str | None = None,
) -> Approved:
    """Approve a submitted application and issue the company's 管理者ID (shown once to the reviewer)."""
    if not (
        can(user=actor, action=Action.REVIEW_USE_APPLICATIONS)
        and can(user=actor, action=Action.ISSUE_PARTICIPANT_ADMIN)
    ):
        raise access_ops.NotAllowed(Action.REVIEW_USE_APPLICATIONS)
    with transaction.atomic():
        current = UseApplication.objects.select_for_update().get(pk=application.pk)
        if current.state != ApplicationState.SUBMITTED:
            raise access_ops.UnableToReview({"note": "この利用申込は既に審査済みです。"})
        participant, created = _participant_for(actor=actor, application=current, now=now)
        if access_queries.admin_id_ever_issued(participant_id=participant.pk):
            raise access_ops.UnableToReview(
                {"participant": "この事業者の管理者IDは既に発行されています（新規発行は1回限りです）。"}
            )
        try:
            access_ops.register_application_certificate(
                actor=actor, application=current, participant=participant, now=now, ip_address=ip_address
            )
        except access_ops.UnableToRegisterCertificate as exc:
            raise access_ops.UnableToReview({"certificate": exc.messages}) from None
        try:
            issued = account_ops.issue_user(
                actor=actor,
                username=admin_username or current.admin_username,
                full_name=current.admin_full_name,
                email=current.admin_email,
                role=Role.PARTICIPANT_ADMIN,
                participant=participant,
                now=now,
                ip_address=ip_address,
            )
        except account_ops.UnableToIssueUser as exc:
            raise access_ops.UnableToReview(
                {("admin_username" if k == "username" else k): v for k, v in exc.message_dict.items()}
            ) from None
        approved = access_ops.mark_application_approved(
            actor=actor,
            application=current,
            participant=participant,
            admin_user=issued.user,
            login_url=login_url,
            now=now,
            ip_address=ip_address,
        )
    return Approved(
        application=approved,
        participant=participant,
        admin_user=issued.user,
        temporary_password=issued.temporary_password,
        participant_created=created,
    )
