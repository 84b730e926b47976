"""Writes of notices (お知らせ)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.notices.models import Audience, Notice
from capmarket.domain.registry.models import Participant


class UnableToPostNotice(ValidationError):
    """The notice cannot be posted; the message names the field."""


def post_notice(
    *,
    actor: Any,
    title: str,
    body: str,
    audience: str,
    participant: Participant | None,
    important: bool,
    published_at: dt.datetime,
    now: dt.datetime,
    ip_address: str | None = None,
) -> Notice:
    """Post a notice for an audience; ``published_at`` may lie in the future (shown to participants from then)."""
    if not can(user=actor, action=Action.MANAGE_NOTICES):
        raise UnableToPostNotice({"audience": "お知らせを掲載する権限がありません。"})
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "件名を入力してください。"
    if not body.strip():
        errors["body"] = "本文を入力してください。"
    if audience not in Audience.values:
        errors["audience"] = "対象を選択してください。"
    elif audience == Audience.PARTICIPANT and participant is None:
        errors["participant"] = "対象が「特定の事業者」のときは対象事業者を選択してください。"
    elif audience != Audience.PARTICIPANT and participant is not None:
        errors["participant"] = "対象事業者は対象が「特定の事業者」のときだけ指定できます。"
    if errors:
        raise UnableToPostNotice(errors)
    with transaction.atomic():
        notice = Notice.objects.create(
            title=title.strip(),
            body=body.strip(),
            audience=audience,
            participant=participant,
            important=important,
            published_at=published_at,
            created_by=actor,
        )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="notice",
            object_id=notice.pk,
            object_repr=notice.title,
            summary=f"お知らせ掲載（対象: {notice.get_audience_display()}）",
            ip_address=ip_address,
        )
    return notice


def post_system_notice(
    *,
    title: str,
    body: str,
    audience: str,
    participant: Participant | None,
    now: dt.datetime,
    important: bool = True,
) -> Notice:
    """A notice the system itself posts (no author): e.g. telling a company that its background upload failed for
    good. Published at ``now``; audited as the system's act."""
    if (audience == Audience.PARTICIPANT) != (participant is not None) or audience not in Audience.values:
        raise ValueError(f"a system notice for {audience!r} cannot target {participant!r}")
    with transaction.atomic():
        notice = Notice.objects.create(
            title=title.strip()[:200],
            body=body.strip(),
            audience=audience,
            participant=participant,
            important=important,
            published_at=now,
            created_by=None,
        )
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor_username="（システム）",
            object_type="notice",
            object_id=notice.pk,
            object_repr=notice.title,
            summary=f"お知らせ自動掲載（対象: {notice.get_audience_display()}）",
        )
    return notice
