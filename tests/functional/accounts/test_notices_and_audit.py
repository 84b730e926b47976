"""Notices by audience, posting notices, and the audit log search with its CSV download."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from capmarket.domain.accounts.models import User
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction, AuditEvent
from capmarket.domain.notices import queries as notice_queries
from capmarket.domain.notices.models import Audience, Notice
from tests.factories import T0


def _notice(title: str, audience: str, participant: Any = None, published_at: dt.datetime = T0) -> Notice:
    return Notice.objects.create(
        title=title, body="本文", audience=audience, participant=participant, published_at=published_at
    )


def test_each_user_sees_the_notices_meant_for_it(
    company_user: User, other_user: User, operator: User, company: Any, other_company: Any
) -> None:
    _notice("全員", Audience.ALL)
    _notice("提供事業者", Audience.PROVIDERS)
    _notice("小売", Audience.RETAILERS)
    _notice("送配電", Audience.TSOS)
    _notice("東だけ", Audience.PARTICIPANT, company)
    _notice("職員", Audience.STAFF)
    _notice("未来", Audience.ALL, published_at=T0 + dt.timedelta(days=30))
    now = T0 + dt.timedelta(days=1)

    def titles(user: User) -> set[str]:
        return {n.title for n in notice_queries.notices_for(user=user, now=now)}

    assert titles(company_user) == {"全員", "提供事業者", "東だけ"}  # a provider
    assert titles(other_user) == {"全員", "小売"}  # a retailer
    assert len(titles(operator)) == 7


def test_notice_of_another_company_is_a_404(client: Client, other_user: User, company: Any) -> None:
    notice = _notice("東だけ", Audience.PARTICIPANT, company)
    client.force_login(other_user)

    assert client.get(reverse("web:notice_detail", args=[notice.pk])).status_code == 404


def test_operator_posts_a_notice_and_the_participant_sees_it_on_the_portal(
    client: Client, operator: User, company_user: User
) -> None:
    client.force_login(operator)
    response = client.post(
        reverse("web:notice_create"),
        {"title": "システムメンテナンスのお知らせ", "body": "停止します。", "audience": "all"},
    )
    refused = client.post(reverse("web:notice_create"), {"title": "x", "body": "y", "audience": "participant"})

    assert response.status_code == 302
    assert "対象事業者" in " ".join(refused.context["form"].errors["participant"])
    assert AuditEvent.objects.filter(action=AuditAction.CREATED, object_type="notice").count() == 1
    client.force_login(company_user)
    assert "システムメンテナンスのお知らせ" in client.get(reverse("web:portal")).content.decode()
    assert client.get(reverse("web:notice_create")).status_code == 403


def _event(username: str, action: str, at: dt.datetime, code: str = "", summary: str = "") -> None:
    event = audit.record(now=at, action=action, actor_username=username, summary=summary)
    AuditEvent.objects.filter(pk=event.pk).update(actor_participant_code=code)


def test_audit_search_by_period_user_company_action_and_text(client: Client, approver: User) -> None:
    tz = timezone.get_current_timezone()
    _event("alice", AuditAction.LOGIN, dt.datetime(2025, 5, 1, 10, tzinfo=tz), "P001", "朝のログイン")
    _event("bob", AuditAction.LOGIN_FAILED, dt.datetime(2025, 5, 2, 23, 59, tzinfo=tz), "P002", "パスワード誤り")
    _event("alice", AuditAction.ACCESS_DENIED, dt.datetime(2025, 5, 3, 0, 0, tzinfo=tz), "P001", "拒否")
    client.force_login(approver)
    url = reverse("web:audit_list")

    def users(**params: str) -> list[str]:
        page = client.get(url, params).context["page"]
        return [e.actor_username for e in page]

    assert users(date_from="2025-05-01", date_to="2025-05-02") == ["bob", "alice"]
    assert users(username="alice") == ["alice", "alice"]
    assert users(participant_code="P002") == ["bob"]
    assert users(action="access_denied") == ["alice"]
    assert users(q="パスワード") == ["bob"]
    bad = client.get(url, {"date_from": "2025-05-03", "date_to": "2025-05-01"})
    assert "終了日" in " ".join(bad.context["form"].errors["date_to"])


def test_audit_csv_download(client: Client, approver: User) -> None:
    _event("alice", AuditAction.LOGIN, T0, "P001", "ログイン")
    client.force_login(approver)

    response = client.get(reverse("web:audit_list"), {"username": "alice", "format": "csv"})

    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["日時", "ユーザID", "事業者コード", "操作"]
    assert rows[1][1:4] == ["alice", "P001", "ログイン"]
    assert len(rows) == 2
    assert AuditEvent.objects.filter(action=AuditAction.DOWNLOADED, actor=approver).count() == 1


def test_audit_log_is_for_staff_with_the_right_only(
    client: Client, company_admin: User, operator: User, sysadmin: User
) -> None:
    for user, expected in ((company_admin, 403), (operator, 403), (sysadmin, 200)):
        client.force_login(user)
        assert client.get(reverse("web:audit_list")).status_code == expected
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).count() == 2


def test_paging(client: Client, sysadmin: User) -> None:
    for i in range(60):
        _event(f"user{i:02d}", AuditAction.LOGIN, T0 + dt.timedelta(minutes=i))
    client.force_login(sysadmin)

    first = client.get(reverse("web:audit_list"))
    second = client.get(reverse("web:audit_list"), {"page": 2})

    assert len(first.context["page"]) == 50
    assert first.context["page"][0].actor_username == "user59"
    assert [e.actor_username for e in second.context["page"]] == [f"user{i:02d}" for i in range(9, -1, -1)]
