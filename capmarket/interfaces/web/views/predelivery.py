"""Pre-delivery pages (seed 004 070, 130, 800–841): expected capacity (single and bulk), applications and their
review, notices (PDF), contract documents to confirm.

Views translate only: read the request, call one query or operation, render. Scoping to the user's company is done
by the ``queries`` functions; another company's row is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from capmarket.application import predelivery_exit, predelivery_files, predelivery_notices
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.predelivery import documents, queries
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery.models import (
    Application,
    ApplicationKind,
    ApplicationState,
    ContractConfirmation,
    NoticeDocument,
)
from capmarket.domain.registry import queries as registry_queries
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.forms.predelivery import CommentForm, CorrectionForm, ExpectedCapacityForm, UploadForm
from capmarket.interfaces.web.rights import any_user, guarded

PAGE_SIZE = 50


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _year(request: HttpRequest) -> int | None:
    raw = request.GET.get("year", "").strip()
    return int(raw) if raw.isdigit() and len(raw) == 4 else None


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


# ---------------------------------------------------------------------------------------------- expected capacity


@guarded(any_user)
def expected_capacity(request: HttpRequest) -> HttpResponse:
    """期待容量情報管理: what is registered, the application form and the bulk upload (own company)."""
    user = request.user
    year = _year(request)
    rows = queries.expected_capacities_visible_to(user=user, delivery_year=year, state="")
    own = registry_queries.own_participant_id(user=user)
    resources = [
        (r.resource_code, f"{r.resource_code} {r.name}")
        for r in registry_queries.resources_visible_to(user=user).filter(participant_id=own or -1)
    ]
    form = ExpectedCapacityForm(request.POST or None, resources=resources, prefix="one")
    upload = UploadForm(prefix="file")
    problems: list[str] = []
    if request.method == "POST" and own is not None:
        participant = registry_queries.get_participant_for(user=user, pk=own)
        if "file-file" in request.FILES:
            upload = UploadForm(request.POST, request.FILES, prefix="file")
            if upload.is_valid():
                stored = upload.cleaned_data["file"]
                try:
                    lines = predelivery_files.expected_capacity_lines(stored.read(), stored.name)
                    application = ops.submit_expected_capacity(
                        actor=user,
                        now=timezone.now(),
                        participant=participant,
                        delivery_year=upload.cleaned_data["delivery_year"],
                        lines=lines,
                    )
                except predelivery_files.UnableToReadFile as exc:
                    problems = exc.problems
                except ValidationError as exc:
                    problems = [f"{stored.name}: {m}" for m in _errors(exc)]
                else:
                    messages.success(
                        request, f"{len(lines)}件の期待容量を申し込みました（申込番号 {application.number}）。"
                    )
                    return redirect("web:application_detail", pk=application.pk)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                application = ops.submit_expected_capacity(
                    actor=user,
                    now=timezone.now(),
                    participant=participant,
                    delivery_year=data["delivery_year"],
                    lines=[
                        ops.ExpectedCapacityInput(
                            line=1,
                            action=data["action"],
                            resource_code=data["resource_code"],
                            expected_capacity_kw=data["expected_capacity_kw"],
                            installed_capacity_kw=data["installed_capacity_kw"],
                            reason=data["reason"],
                        )
                    ],
                )
            except ValidationError as exc:
                problems = [m.replace("1行目: ", "") for m in _errors(exc)]
            else:
                messages.success(request, f"期待容量を申し込みました（申込番号 {application.number}）。")
                return redirect("web:application_detail", pk=application.pk)
    return render(
        request,
        "web/predelivery/expected_capacity.html",
        {
            "page_obj": _page(request, rows),
            "year": year,
            "form": form,
            "upload": upload,
            "problems": problems,
            "can_apply": own is not None and can(user=user, action=Action.SUBMIT_EXPECTED_CAPACITY),
        },
    )


# ---------------------------------------------------------------------------------------------- applications


@guarded(any_user)
def application_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    kind = kind if kind in ApplicationKind.values else ""
    state = state if state in ApplicationState.values else ""
    invoice = "missing" if request.GET.get("invoice") == "missing" else ""
    qs = predelivery_exit.exit_invoice_missing(
        applications=queries.applications_visible_to(
            user=request.user, kind=kind, state=state, delivery_year=_year(request), search=request.GET.get("q", "")
        ),
        only_missing=bool(invoice),
    )
    return render(
        request,
        "web/predelivery/application_list.html",
        {
            "page_obj": _page(request, qs),
            "kind": kind,
            "state": state,
            "kinds": ApplicationKind.choices,
            "states": ApplicationState.choices,
            "search": request.GET.get("q", ""),
            "invoice": invoice,
            "billing_staff": can(user=request.user, action=Action.ISSUE_DOCUMENTS),
            "queue": queries.review_queue(user=request.user)[:50]
            if can(user=request.user, action=Action.REVIEW_PREDELIVERY)
            else [],
        },
    )


def _application_or_404(request: HttpRequest, pk: int) -> Application:
    try:
        return queries.get_application_for(user=request.user, pk=pk)
    except Application.DoesNotExist:
        raise Http404("申込が見つかりません。") from None


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_or_404(request, pk)
    user = request.user
    is_member = getattr(user, "participant_id", None) == application.participant_id
    return render(
        request,
        "web/predelivery/application_detail.html",
        {
            "a": application,
            "lines": application.expected_capacity_lines.select_related("resource").order_by("line_no"),
            "notices": queries.notices_visible_to(user=user).filter(application=application),
            "exit_documents": predelivery_exit.exit_documents_for(user, application=application),
            "comment_form": CommentForm(),
            "can_check": application.state == ApplicationState.SUBMITTED
            and can(user=user, action=Action.REVIEW_PREDELIVERY),
            "can_return": application.state in (ApplicationState.SUBMITTED, ApplicationState.CHECKED)
            and can(user=user, action=Action.REVIEW_PREDELIVERY),
            "can_decide": application.state == ApplicationState.CHECKED
            and can(user=user, action=Action.APPROVE_PREDELIVERY)
            and application.checked_by_id != user.pk,
            "is_checker": application.checked_by_id == user.pk,
            "can_withdraw": is_member and application.is_open,
            "can_issue_exit_invoice": can(user=user, action=Action.ISSUE_DOCUMENTS)
            and predelivery_exit.exit_invoice_is_missing(application=application),
            "can_resubmit": is_member
            and application.state == ApplicationState.RETURNED
            and application.kind == ApplicationKind.EXPECTED_CAPACITY,
            "detail_template": f"web/predelivery/_detail_{application.kind}.html",
        },
    )


def _act(request: HttpRequest, pk: int, act: str) -> HttpResponse:
    application = _application_or_404(request, pk)
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    now = timezone.now()
    try:
        if act == "check":
            ops.check_application(actor=request.user, now=now, application=application, comment=comment)
            done = "一次審査を完了しました。責任者の承認を待っています。"
        elif act == "return":
            ops.return_application(actor=request.user, now=now, application=application, comment=comment)
            done = "申込を差し戻しました。"
        elif act == "approve":
            notice = predelivery_exit.approve_application(
                actor=request.user, now=now, application=application, comment=comment
            )
            done = f"申込を承認しました。{notice.get_kind_display()}（{notice.number}）を発行しました。"
        elif act == "reject":
            notice = ops.reject_application(actor=request.user, now=now, application=application, comment=comment)
            done = f"申込を却下しました。審査結果通知書（{notice.number}）を発行しました。"
        elif act == "exit-invoice":
            invoice, issued = predelivery_exit.issue_missing_exit_invoice(
                actor=request.user, now=now, application=application, ip_address=client_ip(request)
            )
            done = (
                f"退出ペナルティ請求書（{invoice.number}）を発行しました。"
                if issued
                else f"退出ペナルティ請求書は既に発行されています（{invoice.number}）。新たには発行していません。"
            )
        else:
            ops.withdraw_application(actor=request.user, now=now, application=application)
            done = "申込を取り下げました。"
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("web:application_detail", pk=application.pk)


@require_POST
@login_required
def application_act(request: HttpRequest, pk: int, act: str) -> HttpResponse:
    if act not in ("check", "return", "approve", "reject", "withdraw", "exit-invoice"):
        raise Http404
    return _act(request, pk, act)


@require_POST
@login_required
def application_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    """A returned expected-capacity application corrected by a file or the one-line form."""
    application = _application_or_404(request, pk)
    stored = request.FILES.get("file-file")
    try:
        if stored is None:
            raise predelivery_files.UnableToReadFile(["修正したファイルを選択してください。"])
        lines = predelivery_files.expected_capacity_lines(stored.read(), stored.name or "upload.csv")
        ops.resubmit_expected_capacity(actor=request.user, now=timezone.now(), application=application, lines=lines)
    except predelivery_files.UnableToReadFile as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, "修正して再申込しました。")
    return redirect("web:application_detail", pk=application.pk)


# ---------------------------------------------------------------------------------------------- notices


@guarded(any_user)
def notice_list(request: HttpRequest) -> HttpResponse:
    qs = queries.notices_visible_to(user=request.user, kind=request.GET.get("kind", ""), delivery_year=_year(request))
    return render(request, "web/predelivery/notice_list.html", {"page_obj": _page(request, qs)})


@login_required
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notice = queries.get_notice_for(user=request.user, pk=pk)
    except NoticeDocument.DoesNotExist:
        raise Http404("通知書が見つかりません。") from None
    try:
        data = predelivery_notices.notice_pdf(notice=notice, now=timezone.now())
    except documents.PdfTampered:
        raise Http404("保存されたファイルが発行時と一致しません。管理者に連絡してください。") from None
    audit.record(
        now=timezone.now(),
        action=AuditAction.DOWNLOADED,
        actor=request.user,
        object_type="predelivery_notice",
        object_id=notice.pk,
        object_repr=str(notice),
        summary=f"{notice.number}.pdf を表示しました。",
        request_path=request.get_full_path(),
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
    return response


# ---------------------------------------------------------------------------------------------- contract documents


@guarded(any_user)
def confirmation_list(request: HttpRequest) -> HttpResponse:
    from capmarket.domain.predelivery.models import ConfirmationState  # noqa: PLC0415

    state = request.GET.get("state", "")
    state = state if state in ConfirmationState.values else ""
    qs = queries.confirmations_visible_to(user=request.user, state=state)
    return render(
        request,
        "web/predelivery/confirmation_list.html",
        {
            "page_obj": _page(request, qs),
            "state": state,
            "states": ConfirmationState.choices,
            "correction_form": CorrectionForm(),
            "is_staff": can(user=request.user, action=Action.REVIEW_PREDELIVERY),
            "pending_documents": queries.contracts_needing_documents(user=request.user)[:50],
        },
    )


def _confirmation_or_404(request: HttpRequest, pk: int) -> ContractConfirmation:
    try:
        return queries.get_confirmation_for(user=request.user, pk=pk)
    except ContractConfirmation.DoesNotExist:
        raise Http404("契約書が見つかりません。") from None


@require_POST
@login_required
def confirmation_act(request: HttpRequest, pk: int, act: str) -> HttpResponse:
    confirmation = _confirmation_or_404(request, pk)
    now = timezone.now()
    try:
        if act == "confirm":
            ops.confirm_contract(actor=request.user, now=now, confirmation=confirmation)
            messages.success(request, "契約書の内容を確認しました。")
        elif act == "correct":
            form = CorrectionForm(request.POST)
            note = form.cleaned_data["note"] if form.is_valid() else ""
            ops.request_contract_correction(actor=request.user, now=now, confirmation=confirmation, note=note)
            messages.success(request, "修正を依頼しました。広域機関が確認して再発行します。")
        elif act == "reissue":
            new = ops.reissue_contract_documents(actor=request.user, now=now, confirmation=confirmation)
            messages.success(request, f"契約書を再発行しました（{new.document.number}）。")
        else:
            raise Http404
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    return redirect("web:confirmation_list")


@require_POST
@login_required
def contract_documents_issue(request: HttpRequest, contract_pk: int) -> HttpResponse:
    """Staff issue the 変更契約書 or 解約合意書 of a changed or cancelled contract (once)."""
    if not can(user=request.user, action=Action.REVIEW_PREDELIVERY):
        raise PermissionDenied
    try:
        contract, kind, previous = queries.contract_needing_documents(user=request.user, pk=contract_pk)
    except LookupError:
        raise Http404("書類の発行が必要な契約が見つかりません。") from None
    confirmation = ops.issue_contract_documents(
        actor=request.user, now=timezone.now(), contract=contract, kind=kind, previous=previous
    )
    messages.success(request, f"{confirmation.get_kind_display()}（{confirmation.document.number}）を発行しました。")
    return redirect("web:confirmation_list")
