"""Documents (帳票): search, detail, PDF, a month as one ZIP, resend the e-mail, 赤伝/黒伝 — and the operator
profile (発行者情報) printed on them. Participants see their own company's documents only (queries scope it)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from capmarket.application.documents import correction, export, jobs, mail, sources
from capmarket.application.documents.issuing import UnableToIssueDocuments
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.documents import operations as document_ops
from capmarket.domain.documents import queries
from capmarket.domain.documents.models import Document, DocumentType
from capmarket.domain.documents.storage import PdfTampered
from capmarket.domain.settlement import queries as settlement_queries
from capmarket.domain.settlement.models import SettlementRun
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.forms.documents import CorrectionForm, OperatorProfileForm
from capmarket.interfaces.web.rights import any_user, guarded, operator_staff, requires
from capmarket.interfaces.web.views.accounts import attach_errors, paginate


def _document(request: HttpRequest, pk: int) -> Document:
    try:
        return queries.get_document_for(user=request.user, pk=pk)
    except Document.DoesNotExist:
        raise Http404("帳票が見つかりません。") from None


def _filters(request: HttpRequest) -> dict[str, str]:
    get = request.GET
    return {
        "document_type": get.get("type", "") if get.get("type", "") in DocumentType.values else "",
        "delivery_month": get.get("month", "").strip()[:7],
        "participant_code": get.get("company", "").strip()[:16],
        "text": get.get("q", "").strip()[:100],
        "run_ref": get.get("run", "").strip()[:40],
        "status": get.get("status", "") if get.get("status", "") in ("valid", "cancelled", "no_pdf") else "",
    }


@guarded(any_user)
def document_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    qs = queries.documents_visible_to(user=request.user, **filters)
    return render(
        request,
        "web/documents/document_list.html",
        {
            "page_obj": paginate(request, qs),
            "filters": filters,
            "type_choices": DocumentType.choices,
            "months": queries.delivery_months_visible_to(user=request.user),
            "sees_all": can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS),
        },
    )


@login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    return render(
        request,
        "web/documents/document_detail.html",
        {
            "d": document,
            "lines": document.lines.select_related("refers_to").order_by("line_no"),
            "tax_lines": document.tax_lines.order_by("rate"),
            "corrections": document.corrections.order_by("number")
            if can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS)
            else [],
            "mailings": queries.mailings_of(document=document)
            if can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS)
            else [],
            "posting": document.ledger_transaction if can(user=request.user, action=Action.VIEW_LEDGER) else None,
            "can_resend": can(user=request.user, action=Action.ISSUE_DOCUMENTS),
            "can_correct": can(user=request.user, action=Action.CORRECT_DOCUMENTS)
            and document.document_type != DocumentType.CREDIT_NOTE
            and not getattr(document, "is_cancelled", False),
        },
    )


@login_required
def document_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    try:
        data = queries.pdf_bytes(document=document)
    except PdfTampered:
        messages.error(request, "PDFの内容が発行時と一致しません（改ざんの疑い）。システム管理者に連絡してください。")
        return redirect("web:document_detail", pk=document.pk)
    if data is None:
        messages.warning(request, "PDFを作成中です。しばらくしてからもう一度お試しください。")
        return redirect("web:document_detail", pk=document.pk)
    audit.record(
        now=timezone.now(),
        action=AuditAction.DOWNLOADED,
        actor=request.user,
        object_type="document",
        object_id=document.pk,
        object_repr=str(document),
        summary=f"帳票PDF {document.number} をダウンロードしました。",
        ip_address=client_ip(request),
        request_path=request.get_full_path(),
    )
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{queries.download_name(document=document)}"'
    return response


@login_required
def document_zip(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The documents of one delivery month (and the other filters) as one ZIP with an index.csv."""
    filters = _filters(request)
    if not filters["delivery_month"]:
        messages.error(request, "ZIPダウンロードでは対象月を選んでください。")
        return redirect("web:document_list")
    documents = list(queries.documents_visible_to(user=request.user, **filters).order_by("number")[:5000])
    if not documents:
        messages.warning(request, "該当する帳票はありません。")
        return redirect("web:document_list")
    audit.record(
        now=timezone.now(),
        action=AuditAction.DOWNLOADED,
        actor=request.user,
        object_type="document",
        summary=f"帳票 {len(documents)}件（{filters['delivery_month']}分）をZIPでダウンロードしました。",
        ip_address=client_ip(request),
        request_path=request.get_full_path(),
    )
    response = StreamingHttpResponse(export.zip_stream(documents=documents), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="documents_{filters["delivery_month"]}.zip"'
    return response


@require_POST
@requires(Action.ISSUE_DOCUMENTS)
def document_resend(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    now = timezone.now()
    if mail.queue_document_available(document=document, actor=request.user, now=now, resend=True):
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=request.user,
            object_type="document",
            object_id=document.pk,
            object_repr=str(document),
            summary=f"帳票発行のお知らせメールを再送しました（{document.number}）。",
            ip_address=client_ip(request),
        )
        messages.success(request, "帳票発行のお知らせメールを再送しました。")
    else:
        messages.warning(request, "宛先のメールアドレスが登録されていないため、送信できませんでした。")
    return redirect("web:document_detail", pk=document.pk)


@requires(Action.CORRECT_DOCUMENTS)
def document_correct(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            credit_note, replacement = correction.correct_document(
                document=document,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                replace=form.cleaned_data["replace"],
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            shown = f"赤伝 {credit_note.number}" + (f"・黒伝 {replacement.number}" if replacement else "")
            messages.success(request, f"{document.number} を取り消しました（{shown}）。")
            return redirect("web:document_detail", pk=(replacement or credit_note).pk)
    return render(request, "web/documents/document_correct.html", {"d": document, "form": form})


# ------------------------------------------------------------------ operator profile (発行者情報)


@guarded(operator_staff)
def operator_profile(request: HttpRequest) -> HttpResponse:
    can_edit = can(user=request.user, action=Action.EDIT_OPERATOR_PROFILE)
    current = queries.current_operator_profile() or document_ops.ensure_operator_profile(now=timezone.now())
    initial = {name: getattr(current, name) for name in document_ops.PROFILE_FIELDS}
    form = OperatorProfileForm(request.POST or None, initial=initial) if can_edit else None
    if form is not None and request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        note = cast(str, data.pop("note"))
        try:
            document_ops.change_operator_profile(
                actor=request.user, values=data, note=note, now=timezone.now(), ip_address=client_ip(request)
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "発行者情報を改定しました。これから発行する帳票に使われます。")
            return redirect("web:operator_profile")
    context: dict[str, Any] = {
        "current": current,
        "versions": queries.operator_profile_versions()[:20],
        "form": form,
    }
    return render(request, "web/documents/operator_profile.html", context)


# ------------------------------------------------------------------ issuing (staff)


@requires(Action.ISSUE_DOCUMENTS)
def issue_runs(request: HttpRequest) -> HttpResponse:
    """Settlement runs with confirmed months, and a button to issue (or complete) their documents."""
    if request.method == "POST":
        run_id = request.POST.get("run", "")
        try:
            run = settlement_queries.get_run_for(user=request.user, pk=run_id)
        except SettlementRun.DoesNotExist:
            raise Http404("精算が見つかりません。") from None
        try:
            job, _ = jobs.start_issue_job(run=run, actor=request.user, now=timezone.now())
        except UnableToIssueDocuments as exc:
            messages.error(request, str(exc))
            return redirect("web:document_issue")
        messages.success(request, f"精算 #{run.pk} の帳票発行を開始しました。進捗はこの画面で確認できます。")
        return redirect("web:job_detail", pk=job.pk)
    return render(request, "web/documents/issue.html", {"runs": sources.issuable_runs(user=request.user)})
