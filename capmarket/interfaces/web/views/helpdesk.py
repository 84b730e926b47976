"""Pages of the inquiry desk. Participants: their company's inquiries, the inquiry form with FAQ suggestions
(htmx), replies, the FAQ. The knowledge base: FAQ and talk scripts with their versions, edited by staff. The desk
staff's own pages (the inquiry list with filters and the overdue view, an inquiry's whole file — messages,
attachments, notes, answer draft and review, assignment, status, links, phone calls, history — phone calls, drafts
waiting for review, mailboxes) are in ``desk.py``."""

from __future__ import annotations

import difflib
import itertools
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from capmarket.domain.accounts.models import User
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.helpdesk import operations as desk_ops
from capmarket.domain.helpdesk import queries as desk_queries
from capmarket.domain.helpdesk.models import (
    ArticleKind,
    Attachment,
    Category,
    Inquiry,
    KnowledgeArticle,
)
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.forms.helpdesk import (
    ArticleForm,
    InquiryForm,
    ReplyForm,
    read_files,
)
from capmarket.interfaces.web.rights import any_user, guarded, requires
from capmarket.interfaces.web.views.accounts import attach_errors, paginate

LINK_PAGES = {
    "resource": "web:resource_detail",
    "contract": "web:contract_detail",
    "result": "web:result_detail",
    "objection": "web:objection_detail",
    "document": "web:document_detail",
}


def with_link_urls(links: list[Any]) -> list[tuple[Any, str]]:
    """Each linked record with the page that shows it (scoped there as everywhere)."""
    out: list[tuple[Any, str]] = []
    for link in links:
        name = LINK_PAGES.get(link.kind)
        url = reverse(name, args=[int(link.target_id)]) if name and link.target_id.isdigit() else ""
        out.append((link, url))
    return out


def acting_user(request: HttpRequest) -> User:
    return cast(User, request.user)


# ----------------------------------------------------------------------------------------------- participants


@requires(Action.ASK_INQUIRIES, Action.HANDLE_INQUIRIES)
def inquiry_list(request: HttpRequest) -> HttpResponse:
    if desk_queries.is_desk_staff(user=request.user):
        return redirect("web:desk_list")
    qs = desk_queries.inquiries_visible_to(user=request.user)
    return render(request, "web/helpdesk/inquiry_list.html", {"page": paginate(request, qs), "query": ""})


@requires(Action.ASK_INQUIRIES)
def inquiry_create(request: HttpRequest) -> HttpResponse:
    form = InquiryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inquiry = desk_ops.submit_portal_inquiry(
                actor=acting_user(request),
                category=data["category"],
                subject=data["subject"],
                body=data["body"],
                files=read_files(data["attachments"]),
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            refused = [
                a
                for m in desk_queries.messages_for(user=request.user, inquiry=inquiry)
                for a in m.attachments.all()
                if not a.accepted
            ]
            messages.success(
                request,
                f"問合せを受け付けました（問合せ番号 {inquiry.ticket_no}）。回答はこの画面とメールでお知らせします。",
            )
            for a in refused:
                messages.warning(request, f"添付ファイル「{a.filename}」は受け付けませんでした: {a.refusal_reason}")
            return redirect("web:inquiry_detail", pk=inquiry.pk)
    return render(request, "web/helpdesk/inquiry_form.html", {"form": form})


@login_required
@require_GET
def faq_suggest(request: HttpRequest) -> HttpResponse:
    """htmx: FAQ entries close to what the participant is typing (subject and body)."""
    typed = f"{request.GET.get('subject', '')} {request.GET.get('body', '')}"[:4000]
    hits = desk_queries.suggest_articles(user=request.user, kind=ArticleKind.FAQ, typed=typed, limit=5)
    return render(request, "web/helpdesk/_faq_suggestions.html", {"hits": hits, "typed": typed.strip()})


@requires(Action.ASK_INQUIRIES, Action.HANDLE_INQUIRIES)
def inquiry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if desk_queries.is_desk_staff(user=request.user):
        return redirect("web:desk_detail", pk=pk)
    try:
        inquiry = desk_queries.get_inquiry_for(user=request.user, pk=pk)
    except Inquiry.DoesNotExist as exc:
        raise Http404("問合せが見つかりません。") from exc
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            desk_ops.add_participant_reply(
                actor=acting_user(request),
                inquiry=inquiry,
                body=form.cleaned_data["body"],
                files=read_files(form.cleaned_data["attachments"]),
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "追記を受け付けました。")
            return redirect("web:inquiry_detail", pk=inquiry.pk)
    return render(
        request,
        "web/helpdesk/inquiry_detail.html",
        {
            "inquiry": inquiry,
            "thread": desk_queries.messages_for(user=request.user, inquiry=inquiry),
            "links": with_link_urls(desk_queries.links_of(user=request.user, inquiry=inquiry)),
            "form": form,
        },
    )


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    try:
        attachment = desk_queries.get_attachment_for(user=request.user, pk=pk)
    except Attachment.DoesNotExist as exc:
        raise Http404("添付ファイルが見つかりません。") from exc
    response = FileResponse(
        default_storage.open(attachment.storage_name, "rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ----------------------------------------------------------------------------------------------- FAQ


@guarded(any_user)
def faq_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    category = request.GET.get("category", "")
    articles = desk_queries.search_articles(user=request.user, kind=ArticleKind.FAQ, query=query, category=category)
    return render(
        request,
        "web/helpdesk/faq_list.html",
        {
            "articles": articles,
            "q": query,
            "category": category,
            "categories": Category.choices,
            "can_edit": can(user=request.user, action=Action.MANAGE_KNOWLEDGE),
            "kind": ArticleKind.FAQ,
        },
    )


@login_required
def faq_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _article_detail(request, pk, kind=ArticleKind.FAQ)


@requires(Action.HANDLE_INQUIRIES, Action.MANAGE_KNOWLEDGE)
def talk_script_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    category = request.GET.get("category", "")
    articles = desk_queries.search_articles(
        user=request.user, kind=ArticleKind.TALK_SCRIPT, query=query, category=category
    )
    return render(
        request,
        "web/helpdesk/talk_script_list.html",
        {
            "articles": articles,
            "q": query,
            "category": category,
            "categories": Category.choices,
            "can_edit": can(user=request.user, action=Action.MANAGE_KNOWLEDGE),
            "kind": ArticleKind.TALK_SCRIPT,
        },
    )


@requires(Action.HANDLE_INQUIRIES, Action.MANAGE_KNOWLEDGE)
def talk_script_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _article_detail(request, pk, kind=ArticleKind.TALK_SCRIPT)


def _article_detail(request: HttpRequest, pk: int, *, kind: str) -> HttpResponse:
    try:
        article = desk_queries.get_article_for(user=request.user, pk=pk, kind=kind)
    except KnowledgeArticle.DoesNotExist as exc:
        raise Http404("記事が見つかりません。") from exc
    staff = can(user=request.user, action=Action.MANAGE_KNOWLEDGE) or desk_queries.is_desk_staff(user=request.user)
    versions = desk_queries.versions_of(article=article) if staff else []
    diffs = []
    for newer, older in itertools.pairwise(versions):
        lines = list(
            difflib.unified_diff(
                f"{older.title}\n{older.body}\n{older.keywords}".splitlines(),
                f"{newer.title}\n{newer.body}\n{newer.keywords}".splitlines(),
                fromfile=f"第{older.version}版",
                tofile=f"第{newer.version}版",
                lineterm="",
            )
        )
        diffs.append((newer, "\n".join(lines)))
    return render(
        request,
        "web/helpdesk/article_detail.html",
        {
            "article": article,
            "versions": versions,
            "diffs": diffs,
            "kind": kind,
            "can_edit": can(user=request.user, action=Action.MANAGE_KNOWLEDGE),
        },
    )


@requires(Action.MANAGE_KNOWLEDGE)
def article_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    if kind not in ArticleKind.values:
        raise Http404
    article = None
    if pk is not None:
        try:
            article = desk_queries.get_article_for(user=request.user, pk=pk, kind=kind)
        except KnowledgeArticle.DoesNotExist as exc:
            raise Http404("記事が見つかりません。") from exc
    initial = (
        {
            "category": article.category,
            "title": article.title,
            "body": article.body,
            "keywords": article.keywords,
            "published": article.published,
        }
        if article is not None
        else {}
    )
    form = ArticleForm(request.POST or None, initial=initial, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved, changed = desk_ops.save_article(
                actor=acting_user(request),
                article=article,
                kind=kind,
                category=data["category"],
                title=data["title"],
                body=data["body"],
                keywords=data["keywords"],
                published=data["published"],
                change_note=data["change_note"],
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"第{saved.version}版を保存しました。" if changed else "変更はありません。")
            target = "web:faq_detail" if kind == ArticleKind.FAQ else "web:talk_script_detail"
            return redirect(target, pk=saved.pk)
    return render(request, "web/helpdesk/article_form.html", {"form": form, "article": article, "kind": kind})
