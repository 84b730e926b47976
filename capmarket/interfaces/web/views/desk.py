"""The inquiry desk for staff (問合せ対応): the list and its CSV, an inquiry's page and the acts on it, answer drafts
under four eyes, phone calls, the original e-mails and fetching mail now. The participants' pages and the
knowledge base are in ``helpdesk.py``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from capmarket.application import helpdesk as helpdesk_app
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.helpdesk import operations as desk_ops
from capmarket.domain.helpdesk import queries as desk_queries
from capmarket.domain.helpdesk.models import (
    AnswerDraft,
    ArticleKind,
    Inquiry,
    InquiryMessage,
    LinkKind,
)
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.downloads import csv_download
from capmarket.interfaces.web.forms.helpdesk import (
    AssignForm,
    AttributesForm,
    DeskFilterForm,
    DocumentLinkForm,
    DraftForm,
    LinkForm,
    NoteForm,
    PhoneCallForm,
    ReturnForm,
    StatusForm,
)
from capmarket.interfaces.web.rights import requires
from capmarket.interfaces.web.views.accounts import attach_errors, paginate, query_without_page
from capmarket.interfaces.web.views.helpdesk import acting_user, with_link_urls


def _filters(request: HttpRequest, *, overdue: bool) -> tuple[DeskFilterForm, desk_queries.InquiryFilter]:
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = "open"
    form = DeskFilterForm(data, staff=desk_queries.desk_staff())
    form.is_valid()
    c = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    assignee = c.get("assignee", "")
    assigned_to_id = request.user.pk if assignee == "me" else (int(assignee) if assignee.isdigit() else None)
    return form, desk_queries.InquiryFilter(
        status=c.get("status", "open"),
        category=c.get("category", ""),
        channel=c.get("channel", ""),
        assigned_to_id=assigned_to_id,
        unassigned=assignee == "none",
        overdue_at=timezone.now() if overdue else None,
        search=c.get("q", ""),
    )


@requires(Action.HANDLE_INQUIRIES)
def desk_list(request: HttpRequest) -> HttpResponse:
    overdue = request.resolver_match is not None and request.resolver_match.url_name == "desk_overdue"
    form, filters = _filters(request, overdue=overdue)
    now = timezone.now()
    page = paginate(request, desk_queries.inquiries_visible_to(user=request.user, filters=filters))
    rows = [(i, desk_queries.working_seconds_left(inquiry=i, now=now) if i.is_open else None) for i in page]
    return render(
        request,
        "web/helpdesk/desk_list.html",
        {
            "form": form,
            "page": page,
            "rows": [(i, None if s is None else s / 3600) for i, s in rows],
            "query": query_without_page(request),
            "counts": desk_queries.desk_counts(user=request.user, now=now),
            "overdue": overdue,
            "mailboxes": desk_queries.mailbox_states(),
        },
    )


HISTORY_HEADER = (
    "問合せ番号", "受付日時", "受付経路", "分類", "優先度", "状態", "事業者コード", "事業者名", "問合せ者", "件名",
    "担当者", "回答期限", "初回回答日時", "回答までの営業時間", "完了日時",
)  # fmt: skip


@requires(Action.HANDLE_INQUIRIES)
def desk_csv(request: HttpRequest) -> HttpResponse:
    """問合せ対応履歴 (seed 000 §13 納入物) as CSV, with the list's filters; through the one CSV writer, audited."""
    _, filters = _filters(request, overdue=False)
    inquiries = list(desk_queries.inquiries_visible_to(user=request.user, filters=filters))

    def local(value: Any) -> Any:
        return timezone.localtime(value).replace(tzinfo=None) if value is not None else None

    rows = []
    for i in inquiries:
        seconds = desk_queries.answer_seconds(inquiry=i)
        assignee = (i.assigned_to.full_name or i.assigned_to.username) if i.assigned_to else ""
        rows.append(
            [
                i.ticket_no, local(i.received_at), i.get_channel_display(), i.get_category_display(),
                i.get_priority_display(), i.get_status_display(),
                i.participant.participant_code if i.participant else "", i.participant.name if i.participant else "",
                i.requester_name, i.subject, assignee,
                local(i.due_at), local(i.first_answered_at), f"{seconds / 3600:.2f}" if seconds is not None else "",
                local(i.closed_at),
            ]
        )  # fmt: skip
    return csv_download(
        request,
        filename=f"inquiries-{timezone.localdate():%Y%m%d}.csv",
        header=HISTORY_HEADER,
        rows=rows,
        what="inquiry",
        title="問合せ対応履歴",
    )


def _desk_inquiry(request: HttpRequest, pk: int) -> Inquiry:
    try:
        return desk_queries.get_inquiry_for(user=request.user, pk=pk)
    except Inquiry.DoesNotExist as exc:
        raise Http404("問合せが見つかりません。") from exc


@requires(Action.HANDLE_INQUIRIES)
def desk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = _desk_inquiry(request, pk)
    user = request.user
    staff = desk_queries.desk_staff()
    draft = desk_queries.active_draft(inquiry=inquiry)
    now = timezone.now()
    return render(
        request,
        "web/helpdesk/desk_detail.html",
        {
            "inquiry": inquiry,
            "thread": desk_queries.messages_for(user=user, inquiry=inquiry),
            "notes": desk_queries.notes_of(user=user, inquiry=inquiry),
            "drafts": desk_queries.drafts_of(user=user, inquiry=inquiry),
            "draft": draft,
            "events": desk_queries.events_of(user=user, inquiry=inquiry),
            "calls": desk_queries.calls_of(user=user, inquiry=inquiry),
            "links": with_link_urls(desk_queries.links_of(user=user, inquiry=inquiry)),
            "left_hours": desk_queries.working_seconds_left(inquiry=inquiry, now=now) / 3600
            if inquiry.is_open
            else None,
            "attributes_form": AttributesForm(
                initial={
                    "category": inquiry.category,
                    "priority": inquiry.priority,
                    "participant": inquiry.participant.participant_code if inquiry.participant else "",
                }
            ),
            "assign_form": AssignForm(initial={"assignee": inquiry.assigned_to_id or ""}, staff=staff),
            "status_form": StatusForm(initial={"status": inquiry.status}),
            "note_form": NoteForm(),
            "link_form": LinkForm(),
            "document_link_form": DocumentLinkForm(
                documents=desk_queries.linkable_documents(user=user, inquiry=inquiry)
            ),
            "draft_form": DraftForm(
                initial={
                    "subject": draft.subject if draft else desk_ops.default_answer_subject(inquiry=inquiry),
                    "body": draft.body if draft else "",
                }
            ),
            "return_form": ReturnForm(),
            "recipients": desk_ops.answer_recipients(inquiry=inquiry),
            "can_review": draft is not None
            and draft.author_id != user.pk
            and can(user=user, action=Action.REVIEW_ANSWERS),
            "suggested": desk_queries.suggest_articles(
                user=user, kind=ArticleKind.FAQ, typed=f"{inquiry.subject} {inquiry.subject}", limit=3
            ),
        },
    )


def _act(request: HttpRequest, pk: int, action: Any, success: str) -> HttpResponse:
    """Run one desk operation from a small form of the detail page; errors come back as messages."""
    try:
        action()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except PermissionError as exc:
        raise PermissionDenied from exc
    else:
        messages.success(request, success)
    return redirect("web:desk_detail", pk=pk)


@requires(Action.HANDLE_INQUIRIES)
@require_POST
def desk_update(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    inquiry = _desk_inquiry(request, pk)
    user, now, ip = acting_user(request), timezone.now(), client_ip(request)
    if what == "attributes":
        form: Any = AttributesForm(request.POST)
        if not form.is_valid():
            return _form_errors(request, pk, form)
        data = form.cleaned_data
        return _act(request, pk, lambda: desk_ops.change_attributes(
            actor=user, inquiry=inquiry, category=data["category"], priority=data["priority"],
            participant=data["participant"], now=now, ip_address=ip), "問合せ情報を変更しました。")  # fmt: skip
    if what == "assign":
        form = AssignForm(request.POST, staff=desk_queries.desk_staff())
        if not form.is_valid():
            return _form_errors(request, pk, form)
        chosen = form.cleaned_data["assignee"]
        assignee = next((u for u in desk_queries.desk_staff() if str(u.pk) == chosen), None)
        return _act(request, pk, lambda: desk_ops.assign(actor=user, inquiry=inquiry, assignee=assignee, now=now,
                                                         ip_address=ip), "担当者を変更しました。")  # fmt: skip
    if what == "status":
        form = StatusForm(request.POST)
        if not form.is_valid():
            return _form_errors(request, pk, form)
        return _act(request, pk, lambda: desk_ops.change_status(
            actor=user, inquiry=inquiry, status=form.cleaned_data["status"], comment=form.cleaned_data["comment"],
            now=now, ip_address=ip), "状態を変更しました。")  # fmt: skip
    if what == "note":
        form = NoteForm(request.POST)
        if not form.is_valid():
            return _form_errors(request, pk, form)
        body = form.cleaned_data["body"]
        return _act(
            request,
            pk,
            lambda: desk_ops.add_note(actor=user, inquiry=inquiry, body=body, now=now, ip_address=ip),
            "社内メモを記入しました。",
        )
    if what == "link":
        form = LinkForm(request.POST)
        if not form.is_valid():
            return _form_errors(request, pk, form)
        return _act(request, pk, lambda: desk_ops.link_record(
            actor=user, inquiry=inquiry, kind=form.cleaned_data["kind"], code=form.cleaned_data["code"], now=now,
            ip_address=ip), "関連情報を追加しました。")  # fmt: skip
    if what == "document":
        form = DocumentLinkForm(request.POST, documents=desk_queries.linkable_documents(user=user, inquiry=inquiry))
        if not form.is_valid():
            return _form_errors(request, pk, form)
        return _act(request, pk, lambda: desk_ops.link_record(
            actor=user, inquiry=inquiry, kind=LinkKind.DOCUMENT, code=form.cleaned_data["number"], now=now,
            ip_address=ip), "帳票を関連付けました。")  # fmt: skip
    if what == "draft":
        form = DraftForm(request.POST)
        if not form.is_valid():
            return _form_errors(request, pk, form)
        return _act(request, pk, lambda: desk_ops.save_draft(
            actor=user, inquiry=inquiry, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
            now=now, ip_address=ip), "回答案を保存しました。")  # fmt: skip
    raise Http404


def _form_errors(request: HttpRequest, pk: int, form: Any) -> HttpResponse:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))
    return redirect("web:desk_detail", pk=pk)


@requires(Action.HANDLE_INQUIRIES)
@require_POST
def draft_action(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    try:
        draft = desk_queries.get_draft_for_staff(user=request.user, pk=pk)
    except AnswerDraft.DoesNotExist as exc:
        raise Http404("回答案が見つかりません。") from exc
    user, now, ip = acting_user(request), timezone.now(), client_ip(request)
    inquiry_pk = draft.inquiry_id
    if what == "submit":
        return _act(request, inquiry_pk, lambda: desk_ops.submit_draft(actor=user, draft=draft, now=now, ip_address=ip),
                    "回答案の確認を依頼しました。")  # fmt: skip
    if what == "approve":
        return _act(request, inquiry_pk, lambda: desk_ops.approve_and_send(actor=user, draft=draft, now=now,
                                                                           ip_address=ip),
                    "回答を確認し、送信しました。")  # fmt: skip
    if what == "return":
        form = ReturnForm(request.POST)
        if not form.is_valid():
            return _form_errors(request, inquiry_pk, form)
        return _act(request, inquiry_pk, lambda: desk_ops.return_draft(
            actor=user, draft=draft, comment=form.cleaned_data["comment"], now=now, ip_address=ip),
            "回答案を差し戻しました。")  # fmt: skip
    if what == "withdraw":
        return _act(
            request,
            inquiry_pk,
            lambda: desk_ops.withdraw_draft(actor=user, draft=draft, now=now, ip_address=ip),
            "回答案を取り下げました。",
        )
    raise Http404


@requires(Action.HANDLE_INQUIRIES)
def review_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "web/helpdesk/review_list.html", {"drafts": desk_queries.drafts_awaiting_review(user=request.user)}
    )


@requires(Action.HANDLE_INQUIRIES)
def phone_call(request: HttpRequest) -> HttpResponse:
    inquiry = None
    if request.GET.get("inquiry"):
        inquiry = _desk_inquiry(request, int(request.GET["inquiry"]) if request.GET["inquiry"].isdigit() else 0)
    now = timezone.localtime()
    initial: dict[str, Any] = {"started_at": now.replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")}
    if inquiry is not None:
        initial.update(
            {
                "participant": inquiry.participant.participant_code if inquiry.participant else "",
                "caller_name": inquiry.requester_name,
                "caller_phone": inquiry.requester_phone,
                "category": inquiry.category,
                "topic": inquiry.subject,
            }
        )
    form = PhoneCallForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            call = desk_ops.log_phone_call(
                actor=acting_user(request),
                inquiry=inquiry,
                direction=data["direction"],
                participant=data["participant"],
                caller_name=data["caller_name"],
                caller_phone=data["caller_phone"],
                category=data["category"],
                topic=data["topic"],
                summary=data["summary"],
                answer=data["answer"],
                started_at=data["started_at"],
                duration_seconds=int(data["duration_minutes"]) * 60,
                outcome=data["outcome"],
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "電話対応を記録しました。")
            return redirect("web:desk_detail", pk=call.inquiry_id)
    return render(request, "web/helpdesk/phone_call.html", {"form": form, "inquiry": inquiry})


@requires(Action.HANDLE_INQUIRIES)
def message_eml(request: HttpRequest, pk: int) -> FileResponse:
    """The original of a received mail (.eml), as the desk's mailer would save it."""
    try:
        message = desk_queries.get_message_for_staff(user=request.user, pk=pk)
    except InquiryMessage.DoesNotExist as exc:
        raise Http404 from exc
    if not message.raw_name:
        raise Http404("原本のないメッセージです。")
    return FileResponse(
        default_storage.open(message.raw_name, "rb"),
        as_attachment=True,
        filename=f"{message.inquiry.ticket_no}-{message.pk}.eml",
        content_type="message/rfc822",
    )


@requires(Action.HANDLE_INQUIRIES)
@require_POST
def fetch_mail_now(request: HttpRequest) -> HttpResponse:
    if not helpdesk_app.mail_configured():
        messages.error(
            request,
            "受信メールボックスが設定されていません（CAPMARKET_HELPDESK_IMAP_HOST / CAPMARKET_HELPDESK_MAILDIR）。",
        )
    else:
        job_id = helpdesk_app.request_mail_fetch(now=timezone.now(), requested_by=acting_user(request))
        messages.success(request, "メールの取込を開始しました。" if job_id else "取込は既に開始されています。")
    return redirect("web:desk_list")
