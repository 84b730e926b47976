"""Audit log search (監査ログ) and its CSV download, for staff allowed to view the audit log."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from capmarket.domain.accounts.permissions import Action
from capmarket.domain.audit import queries as audit_queries
from capmarket.domain.audit.models import AuditEvent
from capmarket.interfaces.web.downloads import csv_stream
from capmarket.interfaces.web.forms.accounts import AuditSearchForm
from capmarket.interfaces.web.rights import requires
from capmarket.interfaces.web.views.accounts import paginate, query_without_page

CSV_HEADER = ["日時", "ユーザID", "事業者コード", "操作", "対象種別", "対象ID", "対象", "内容", "IPアドレス", "パス"]


def _row(e: AuditEvent) -> list[str]:
    return [
        timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
        e.actor_username,
        e.actor_participant_code,
        e.get_action_display(),
        e.object_type,
        e.object_id,
        e.object_repr,
        e.summary,
        e.ip_address or "",
        e.request_path,
    ]


@requires(Action.VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = AuditSearchForm(request.GET or None)
    qs = audit_queries.search_events()
    if form.is_bound and form.is_valid():
        start, end = form.period(timezone.get_current_timezone())
        data = form.cleaned_data
        qs = audit_queries.search_events(
            occurred_from=start,
            occurred_to=end,
            username=data["username"],
            participant_code=data["participant_code"],
            action=data["action"],
            text=data["q"],
        )
    elif form.is_bound:
        qs = qs.none()
    if request.GET.get("format") == "csv":
        return csv_stream(
            request,
            filename="audit-log.csv",
            header=CSV_HEADER,
            rows=(_row(e) for e in qs.iterator()),
            what="audit_log",
            summary=f"監査ログCSVダウンロード（{query_without_page(request)}）",
        )
    return render(
        request,
        "web/accounts/audit_list.html",
        {"form": form, "page": paginate(request, qs), "query": query_without_page(request)},
    )
