"""Audit log search (監査ログ) and its CSV download, for staff allowed to view the audit log."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from capmarket.domain.accounts.permissions import Action
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit import queries as audit_queries
from capmarket.domain.audit.models import AuditAction, AuditEvent
from capmarket.domain.shared import csv as shared_csv
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.forms.accounts import AuditSearchForm
from capmarket.interfaces.web.views.accounts import paginate, query_without_page, requires
from capmarket.interfaces.web.views.registry import csv_encoding

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
        audit.record(
            now=timezone.now(),
            action=AuditAction.DOWNLOADED,
            actor=request.user,
            object_type="audit_log",
            summary=f"監査ログCSVダウンロード（{query_without_page(request)}）",
            ip_address=client_ip(request),
            request_path=request.get_full_path(),
        )
        encoding = csv_encoding(request)
        lines = shared_csv.iter_csv(header=CSV_HEADER, rows=(_row(e) for e in qs.iterator()), encoding=encoding)
        response = StreamingHttpResponse(lines, content_type=shared_csv.content_type(encoding))
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        return response
    return render(
        request,
        "web/accounts/audit_list.html",
        {"form": form, "page": paginate(request, qs), "query": query_without_page(request)},
    )
