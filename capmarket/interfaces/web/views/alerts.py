"""広域予備率低下時の事業者対応: the live board of margins, publications and judgements, the providers' notified
slots (B80) with CSV, the operators' pattern messages with four eyes, the patterns, and the daily report rows."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from capmarket.application import reserve_margins
from capmarket.calc.market import AREA_NAMES_JA, AREAS
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.alerts import operations as alert_ops
from capmarket.domain.alerts import queries, report_queries
from capmarket.domain.alerts.models import MessageState, OperatorMessage, PatternKind, Publication, PublicationSource
from capmarket.domain.alerts.texts import PLACEHOLDERS, areas_text, margin_text, slot_span
from capmarket.domain.alerts.texts import render as render_template
from capmarket.domain.notifications import queries as mail_queries
from capmarket.domain.registry import queries as registry_queries
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.downloads import csv_download
from capmarket.interfaces.web.forms.alerts import (
    MessageDraftForm,
    MessageEditForm,
    PatternForm,
    PublicationUploadForm,
)
from capmarket.interfaces.web.rights import any_user, guarded, requires
from capmarket.interfaces.web.views.accounts import attach_errors, paginate, query_without_page

BOARD_DAYS = 3
NOTIFIED_PAGE_SIZE = 100  # rows of the notified slots per page (all of them: the CSV)


def _today() -> dt.date:
    return timezone.localtime(timezone.now()).date()


def board_payload(days: list[queries.BoardDay]) -> list[dict[str, Any]]:
    """The board's data for the chart (percent as decimal strings turned into numbers only for drawing)."""
    out = []
    for day in days:
        z: list[list[float | None]] = []
        text: list[list[str]] = []
        for area in day.areas:
            row: list[float | None] = []
            labels: list[str] = []
            for i in range(48):
                if day.blackout[area][i]:
                    row.append(-1.0)
                    labels.append("***")
                elif day.margins[area][i] is None:
                    row.append(None)
                    labels.append("未公表")
                else:
                    value = day.margins[area][i]
                    assert value is not None
                    row.append(value / 1000)
                    labels.append(margin_text(milli_pct=value))
            z.append(row)
            text.append(labels)
        out.append(
            {
                "date": day.day.isoformat(),
                "title": f"{day.day.year}年{day.day.month}月{day.day.day}日（{'月火水木金土日'[day.day.weekday()]}）",
                "areas": [AREA_NAMES_JA[a] for a in day.areas],
                "slots": [f"{(i * 30) // 60:02d}:{(i * 30) % 60:02d}" for i in range(48)],
                "z": z,
                "text": text,
                "threshold": float(day.threshold),
                "tight": day.tight_count,
                "has_data": day.has_data,
            }
        )
    return out


@guarded(any_user)
def board(request: HttpRequest) -> HttpResponse:
    """The live board: margins in force for today and the coming days, by area and slot."""
    now = timezone.now()
    start = _today()
    days = queries.board(days=[start + dt.timedelta(days=i) for i in range(BOARD_DAYS)], as_of=now)
    tight_rows = []
    for day in days:
        for area in day.areas:
            for i in range(48):
                if day.below[area][i]:
                    tight_rows.append(
                        {
                            "date": day.day,
                            "area": AREA_NAMES_JA[area],
                            "span": slot_span(slot_from=i + 1, slot_to=i + 1),
                            "margin": margin_text(milli_pct=day.margins[area][i], blackout=day.blackout[area][i]),
                            "published_at": day.published_at[area][i],
                        }
                    )
    context = {
        "days": days,
        "payload": board_payload(days),
        "tight_rows": tight_rows,
        "latest": queries.latest_publication_at(),
        "now": now,
        "is_staff_view": queries.sees_alerts_back_office(user=request.user),
        "open_messages": queries.open_messages_count() if can(user=request.user, action=Action.MANAGE_ALERTS) else 0,
    }
    return render(request, "web/alerts/board.html", context)


@requires(Action.VIEW_ALL_PARTICIPANTS)
def publication_list(request: HttpRequest) -> HttpResponse:
    form = PublicationUploadForm()
    if request.method == "POST":
        if not can(user=request.user, action=Action.MANAGE_ALERTS):
            raise Http404
        form = PublicationUploadForm(request.POST, request.FILES)
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                outcome = reserve_margins.import_file(
                    data=uploaded.read(),
                    filename=uploaded.name,
                    source=PublicationSource.UPLOAD,
                    user=request.user,
                    now=timezone.now(),
                    correction=form.cleaned_data["correction"],
                )
            except reserve_margins.UnableToImportPublication as exc:
                return render(
                    request,
                    "web/alerts/publication_list.html",
                    {
                        "page": paginate(request, queries.publications()),
                        "form": form,
                        "errors": exc.errors[:200],
                        "query": query_without_page(request),
                    },
                    status=400,
                )
            if outcome.new:
                messages.success(
                    request,
                    f"取り込みました: 基準未満 {outcome.slots_below} コマ、"
                    f"メール {outcome.emails_queued} 通を送信待ちにしました。",
                )
            else:
                messages.info(request, "同じ内容の公表は取込済みです（変更はありません）。")
            return redirect("web:alerts_publication", pk=outcome.publication.pk)
    context: dict[str, Any] = {
        "page": paginate(request, queries.publications(kind=request.GET.get("kind", ""))),
        "form": form if can(user=request.user, action=Action.MANAGE_ALERTS) else None,
        "errors": [],
        "query": query_without_page(request),
    }
    return render(request, "web/alerts/publication_list.html", context)


@requires(Action.VIEW_ALL_PARTICIPANTS)
def publication_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        publication = queries.get_publication(pk=pk)
    except Publication.DoesNotExist as exc:
        raise Http404("公表が見つかりません。") from exc
    judgements = queries.judgements_of(publication=publication)
    emails = mail_queries.emails_with_key_prefix(prefix=f"alert:{publication.pk}:").select_related("participant")
    context = {
        "publication": publication,
        "judgements": [
            {
                "j": j,
                "area": AREA_NAMES_JA[j.area],
                "span": slot_span(slot_from=j.slot, slot_to=j.slot),
                "margin": margin_text(milli_pct=j.margin_milli_pct, blackout=j.blackout),
                "previous": "—"
                if j.previous_margin_milli_pct is None and j.previous_publication is None
                else margin_text(milli_pct=j.previous_margin_milli_pct),
            }
            for j in judgements
        ],
        "alerts": queries.alerts_of(publication=publication),
        "emails": emails.order_by("participant__participant_code", "id"),
        "figures": mail_queries.delivery_figures(emails=emails),
    }
    return render(request, "web/alerts/publication_detail.html", context)


@requires(Action.VIEW_ALL_PARTICIPANTS)
def publication_original(request: HttpRequest, pk: int) -> FileResponse:
    try:
        publication = queries.get_publication(pk=pk)
    except Publication.DoesNotExist as exc:
        raise Http404 from exc
    from django.core.files.storage import default_storage  # noqa: PLC0415

    handle = default_storage.open(publication.stored_path, "rb")
    return FileResponse(handle, as_attachment=True, filename=publication.source_name.rsplit("/", 1)[-1] or "rm.csv")


def _notified_context(request: HttpRequest) -> tuple[list[queries.NotifiedSlot], dict[str, Any]]:
    participant_id = None
    code = request.GET.get("participant", "").strip()
    staff = queries.sees_alerts_back_office(user=request.user)
    if staff and code:
        participant = registry_queries.participants_visible_to(user=request.user).filter(participant_code=code).first()
        participant_id = participant.pk if participant is not None else -1
    date_from = _date(request.GET.get("from"))
    date_to = _date(request.GET.get("to"))
    area = request.GET.get("area", "") if request.GET.get("area", "") in AREAS else ""
    rows = queries.notified_slots(
        user=request.user, participant_id=participant_id, date_from=date_from, date_to=date_to, area=area
    )
    return rows, {"staff": staff, "participant": code, "from": date_from, "to": date_to, "area": area}


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


STATE_LABELS = {"below": "基準未満", "recovered": "回復", "": "—"}
EMAIL_LABELS = {
    "sent": "送信済",
    "queued": "送信待ち",
    "sending": "送信中",
    "failed": "送信失敗",
    "no_address": "宛先未登録",
    "": "—",
}


@guarded(any_user)
def notified(request: HttpRequest) -> HttpResponse:
    """B80 広域予備率低下に伴う供給力提供通知管理: the slots a provider was asked to offer capacity for."""
    rows, filters = _notified_context(request)
    page = Paginator(rows, NOTIFIED_PAGE_SIZE).get_page(request.GET.get("page"))
    view_rows = [
        {
            "r": r,
            "area": AREA_NAMES_JA[r.area],
            "span": slot_span(slot_from=r.slot, slot_to=r.slot),
            "margin": margin_text(milli_pct=r.margin_milli_pct, blackout=r.margin_milli_pct is None),
            "state": STATE_LABELS.get(r.current_state, r.current_state),
            "email": EMAIL_LABELS.get(r.email_state, r.email_state),
        }
        for r in page.object_list
    ]
    return render(
        request,
        "web/alerts/notified.html",
        {
            "rows": view_rows,
            "page": page,
            "total": len(rows),
            "filters": filters,
            "areas": [(a, AREA_NAMES_JA[a]) for a in AREAS],
            "query": query_without_page(request),
        },
    )


@login_required
def notified_csv(request: HttpRequest) -> HttpResponse:
    rows, _ = _notified_context(request)
    header = [
        "事業者コード",
        "事業者名",
        "エリア",
        "対象日",
        "コマ",
        "時間帯",
        "広域予備率(%)",
        "公表日時",
        "通知日時",
        "メール",
        "現在の判定",
    ]
    body = (
        [
            r.participant_code,
            r.participant_name,
            AREA_NAMES_JA[r.area],
            r.date.isoformat(),
            r.slot,
            slot_span(slot_from=r.slot, slot_to=r.slot).split("（")[0],
            margin_text(milli_pct=r.margin_milli_pct, blackout=r.margin_milli_pct is None).rstrip("%"),
            timezone.localtime(r.published_at).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(r.notified_at).strftime("%Y-%m-%d %H:%M:%S"),
            EMAIL_LABELS.get(r.email_state, r.email_state),
            STATE_LABELS.get(r.current_state, r.current_state),
        ]
        for r in rows
    )
    return csv_download(request, filename="notified_slots.csv", header=header, rows=body, what="notified_slots")


# ----------------------------------------------------------------------------------------------- messages


@requires(Action.MANAGE_ALERTS)
def message_list(request: HttpRequest) -> HttpResponse:
    form = MessageDraftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = alert_ops.draft_message(
                actor=request.user,
                pattern_kind=data["pattern_kind"],
                audience=data["audience"],
                areas=data.get("areas") or [],
                resource_types=data.get("resource_types") or [],
                slots=data.get("slots") or [],
                publication=None,
                now=timezone.now(),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return redirect("web:alerts_message", pk=message.pk)
    context = {
        "page": paginate(request, queries.messages(state=request.GET.get("state", ""))),
        "form": form,
        "query": query_without_page(request),
        "states": MessageState.choices,
    }
    return render(request, "web/alerts/message_list.html", context)


def _message(pk: int) -> OperatorMessage:
    try:
        return queries.get_message(pk=pk)
    except OperatorMessage.DoesNotExist as exc:
        raise Http404("連絡が見つかりません。") from exc


@requires(Action.MANAGE_ALERTS)
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(pk)
    form = MessageEditForm(request.POST or None, initial={"subject": message.subject, "body": message.body})
    if request.method == "POST" and form.is_valid():
        try:
            alert_ops.submit_message(
                actor=request.user,
                message=message,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "承認待ちにしました。別の担当者が承認すると送信されます。")
            return redirect("web:alerts_message", pk=message.pk)
    recipients = queries.message_recipients(message=message)
    first = recipients[0] if recipients else None
    context = {
        "message": message,
        "form": form,
        "editable": message.state in (MessageState.PROPOSED, MessageState.SUBMITTED),
        "recipients": recipients,
        "preview_subject": render_template(template=message.subject, values={"事業者名": first.name})
        if first
        else message.subject,
        "preview_body": render_template(template=message.body, values={"事業者名": first.name})
        if first
        else message.body,
        "preview_to": first,
        "can_approve": message.state == MessageState.SUBMITTED
        and message.drafted_by_id != request.user.pk
        and can(user=request.user, action=Action.APPROVE_ALERT_MESSAGES),
        "areas": areas_text(areas=message.areas),
    }
    return render(request, "web/alerts/message_detail.html", context)


@require_POST
@requires(Action.APPROVE_ALERT_MESSAGES)
def message_approve(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(pk)
    try:
        alert_ops.approve_message(
            actor=request.user, message=message, now=timezone.now(), ip_address=client_ip(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"承認しました。{message.recipients if message.recipients else ''}事業者へ送信します。"
        )
    return redirect("web:alerts_message", pk=message.pk)


@require_POST
@requires(Action.MANAGE_ALERTS)
def message_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(pk)
    try:
        alert_ops.cancel_message(actor=request.user, message=message, now=timezone.now(), ip_address=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "取消しました。")
    return redirect("web:alerts_message", pk=message.pk)


@requires(Action.MANAGE_ALERTS)
def patterns(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    for kind in PatternKind.values:
        alert_ops.current_pattern(kind=kind, now=now)
    return render(
        request, "web/alerts/patterns.html", {"patterns": queries.current_patterns(), "placeholders": PLACEHOLDERS}
    )


@requires(Action.MANAGE_ALERTS)
def pattern_edit(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in PatternKind.values:
        raise Http404
    current = alert_ops.current_pattern(kind=kind, now=timezone.now())
    form = PatternForm(
        request.POST or None,
        initial={
            "subject_template": current.subject_template,
            "body_template": current.body_template,
            "enabled": current.enabled,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            alert_ops.change_pattern(actor=request.user, kind=kind, now=timezone.now(), **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "パターンを変更しました（新しい版）。")
            return redirect("web:alerts_patterns")
    return render(
        request,
        "web/alerts/pattern_edit.html",
        {
            "pattern": current,
            "form": form,
            "history": queries.pattern_history(kind=kind),
            "placeholders": PLACEHOLDERS,
            "auto": kind.startswith("auto_"),
        },
    )


@requires(Action.VIEW_ALL_PARTICIPANTS)
def report(request: HttpRequest) -> HttpResponse:
    today = _today()
    date_to = _date(request.GET.get("to")) or today + dt.timedelta(days=1)
    date_from = _date(request.GET.get("from")) or date_to - dt.timedelta(days=14)
    if (date_to - date_from).days > 92 or date_to <= date_from:
        date_from = date_to - dt.timedelta(days=14)
    rows = report_queries.daily_report(date_from=date_from, date_to=date_to)
    return render(
        request,
        "web/alerts/report.html",
        {"rows": [r.as_dict() for r in reversed(rows)], "from": date_from, "to": date_to},
    )


def board_json(days: list[queries.BoardDay]) -> str:
    return json.dumps(board_payload(days), ensure_ascii=False)
