"""Pages of system access (seed 002 §2–§3): client certificates, contractors, suspension, maintenance, request
limits, service hours, use applications (利用申込) and termination. Each view translates one request into one
domain or application call."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from capmarket.application import use_applications
from capmarket.domain.access import operations as access_ops
from capmarket.domain.access import queries as access_queries
from capmarket.domain.access.certificates import UnableToReadCertificate, read_certificate
from capmarket.domain.access.models import (
    ApplicationState,
    ClientCertificate,
    TerminationRequest,
    UseApplication,
)
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.registry.models import Participant
from capmarket.interfaces import access
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.forms.access import (
    ApplicationForm,
    ApproveForm,
    CertificateFileForm,
    CertificateForm,
    RejectForm,
    RevokeForm,
    TerminationForm,
)
from capmarket.interfaces.web.refusals import render_refusal
from capmarket.interfaces.web.rights import guarded, own_company_or_staff, requires
from capmarket.interfaces.web.views.accounts import attach_errors, paginate, query_without_page


def own_participant(request: HttpRequest) -> Participant | None:
    """The company of a participant's member (never one it acts for as a contractor)."""
    user: Any = request.user
    if getattr(user, "acting_for", None) is not None or not getattr(user, "is_participant_member", False):
        return None
    return cast(Participant, user.participant)


def participant_by_code(code: str) -> Participant | None:
    return Participant.objects.filter(participant_code=code.strip()).first()


def _certificate_rows(certificates: Any, now: Any) -> list[dict[str, Any]]:
    rows = []
    for certificate in certificates:
        state = access_queries.certificate_state(certificate=certificate, now=now)
        rows.append({"c": certificate, "state": state.value, "label": access_queries.CERTIFICATE_STATE_LABELS[state]})
    return rows


# ---------------------------------------------------------------- client certificates


@guarded(own_company_or_staff)
def certificate_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    own = own_participant(request)
    staff = can(user=user, action=Action.VIEW_ALL_PARTICIPANTS)
    now = access.clock()
    search = request.GET.get("q", "")
    page = paginate(request, access_queries.certificates_visible_to(user=user, search=search))
    may_register = own is not None and can(user=user, action=Action.MANAGE_OWN_ACCESS)
    return render(
        request,
        "web/access/certificate_list.html",
        {
            "page": page,
            "rows": _certificate_rows(page.object_list, now),
            "q": search,
            "query": query_without_page(request),
            "staff": staff,
            "own": own,
            "may_register": may_register,
            "form": CertificateForm(),
            "file_form": CertificateFileForm(),
            "expiring": access_queries.certificates_expiring(participant_id=own.pk, now=now) if own else [],
        },
    )


@requires(Action.MANAGE_OWN_ACCESS)
def certificate_register(request: HttpRequest) -> HttpResponse:
    own = own_participant(request)
    if own is None:
        raise PermissionDenied
    form = CertificateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = access_ops.register_certificate(
                actor=request.user,
                participant=own,
                client_name=form.cleaned_data["client_name"],
                certificate=form.cleaned_data["certificate"],
                renew=form.cleaned_data["renew"],
                now=access.clock(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            c = result.certificate
            verb = (
                "更新しました" if result.renewed else ("登録しました" if result.created else "登録済みです（変更なし）")
            )
            messages.success(
                request, f"クライアント「{c.client_name}」の証明書（シリアル番号 {c.serial_number}）を{verb}。"
            )
            return redirect("web:access_certificate_detail", c.pk)
    return render(request, "web/access/certificate_form.html", {"form": form})


@requires(Action.MANAGE_OWN_ACCESS, Action.MANAGE_ACCESS)
def certificate_import(request: HttpRequest) -> HttpResponse:
    form = CertificateFileForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            outcome = access_ops.import_certificate_file(
                actor=request.user,
                content=upload.read(),
                filename=upload.name,
                now=access.clock(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(
                request,
                f"登録・更新用ファイルを取り込みました（登録 {outcome.registered}件、更新 {outcome.renewed}件、"
                f"変更なし {outcome.unchanged}件）。",
            )
            return redirect("web:access_certificates")
    return render(request, "web/access/certificate_import.html", {"form": form, "errors": errors})


@login_required
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        certificate = access_queries.get_certificate_for(user=request.user, pk=pk)
    except ClientCertificate.DoesNotExist:
        raise Http404 from None
    now = access.clock()
    state = access_queries.certificate_state(certificate=certificate, now=now)
    may_revoke = state != access_queries.CertificateState.REVOKED and (
        can(user=request.user, action=Action.MANAGE_ACCESS)
        or (
            can(user=request.user, action=Action.MANAGE_OWN_ACCESS)
            and own_participant(request) == certificate.participant
        )
    )
    return render(
        request,
        "web/access/certificate_detail.html",
        {
            "c": certificate,
            "state": state.value,
            "label": access_queries.CERTIFICATE_STATE_LABELS[state],
            "may_revoke": may_revoke,
            "form": RevokeForm(),
            "renewals": list(certificate.replaced_by.all().order_by("id")),
        },
    )


@require_POST
@requires(Action.MANAGE_OWN_ACCESS, Action.MANAGE_ACCESS)
def certificate_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        certificate = access_queries.get_certificate_for(user=request.user, pk=pk)
    except ClientCertificate.DoesNotExist:
        raise Http404 from None
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            access_ops.revoke_certificate(
                actor=request.user,
                certificate=certificate,
                reason=form.cleaned_data["reason"],
                now=access.clock(),
                ip_address=client_ip(request),
            )
        except access_ops.NotAllowed:
            raise PermissionDenied from None
        except ValidationError as exc:
            for m in exc.messages:
                messages.error(request, m)
        else:
            messages.success(request, f"クライアント「{certificate.client_name}」の証明書を失効させました。")
    else:
        messages.error(request, "失効の理由を入力してください。")
    return redirect("web:access_certificate_detail", pk)


# ---------------------------------------------------------------- use applications (public form, staff review)


def apply(request: HttpRequest) -> HttpResponse:
    """The public 利用申込 form (form 700): no login — the applicant has no account yet."""
    form = ApplicationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and (refusal := access.application_limit(request, now=access.clock())) is not None:
        return render_refusal(request, refusal)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k in access_ops.APPLICATION_FIELDS}
        try:
            application = access_ops.submit_application(
                values=values,
                certificate=form.cleaned_data["certificate_file"],
                now=access.clock(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            request.session["capmarket.application"] = application.pk
            return redirect("web:apply_done")
    return render(request, "web/access/apply.html", {"form": form})


def apply_done(request: HttpRequest) -> HttpResponse:
    pk = request.session.get("capmarket.application")
    application = UseApplication.objects.filter(pk=pk).first() if pk else None
    if application is None:
        return redirect("web:apply")
    return render(request, "web/access/apply_done.html", {"application": application})


@requires(Action.VIEW_ALL_PARTICIPANTS)
def application_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in ApplicationState.values:
        state = ""
    return render(
        request,
        "web/access/application_list.html",
        {
            "page": paginate(request, access_queries.applications_visible_to(user=request.user, state=state)),
            "state": state,
            "states": ApplicationState.choices,
            "query": query_without_page(request),
        },
    )


@requires(Action.VIEW_ALL_PARTICIPANTS)
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        application = access_queries.get_application_for(user=request.user, pk=pk)
    except UseApplication.DoesNotExist:
        raise Http404 from None
    approve_form = ApproveForm(request.POST or None, initial={"admin_username": application.admin_username})
    reject_form = RejectForm(request.POST or None)
    may_review = can(user=request.user, action=Action.REVIEW_USE_APPLICATIONS)
    if request.method == "POST":
        if not may_review:
            raise PermissionDenied
        now = access.clock()
        if request.POST.get("decision") == "approve" and approve_form.is_valid():
            try:
                approved = use_applications.approve_application(
                    actor=request.user,
                    application=application,
                    admin_username=approve_form.cleaned_data["admin_username"],
                    login_url=request.build_absolute_uri(reverse("web:login")),
                    now=now,
                    ip_address=client_ip(request),
                )
            except access_ops.NotAllowed:
                raise PermissionDenied from None
            except ValidationError as exc:
                attach_errors(approve_form, exc)
            else:
                return render(
                    request,
                    "web/access/application_approved.html",
                    {"approved": approved, "application": approved.application},
                )
        elif request.POST.get("decision") == "reject" and reject_form.is_valid():
            try:
                access_ops.reject_application(
                    actor=request.user,
                    application=application,
                    note=reject_form.cleaned_data["note"],
                    now=now,
                    ip_address=client_ip(request),
                )
            except ValidationError as exc:
                attach_errors(reject_form, exc)
            else:
                messages.success(
                    request, f"利用申込（受付番号 {application.reference}）を却下し、申込者に通知しました。"
                )
                return redirect("web:access_applications")
    try:
        certificate = read_certificate(data=application.certificate_pem)
    except UnableToReadCertificate:
        certificate = None
    return render(
        request,
        "web/access/application_detail.html",
        {
            "application": application,
            "certificate": certificate,
            "approve_form": approve_form,
            "reject_form": reject_form,
            "may_review": may_review and application.state == ApplicationState.SUBMITTED,
            "existing": participant_by_code(application.participant_code),
        },
    )


# ---------------------------------------------------------------- termination


@guarded(own_company_or_staff)
def termination(request: HttpRequest) -> HttpResponse:
    """A company's 管理者ID applies to end the use contract; staff see every application and complete them."""
    user = request.user
    own = own_participant(request)
    staff = can(user=user, action=Action.VIEW_ALL_PARTICIPANTS)
    may_request = own is not None and can(user=user, action=Action.MANAGE_OWN_ACCESS)
    form = TerminationForm(request.POST or None) if may_request else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                access_ops.request_termination(
                    actor=user, reason=form.cleaned_data["reason"], now=access.clock(), ip_address=client_ip(request)
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(
                    request,
                    "本システム利用契約の終了を申請しました。広域機関が終了の措置を完了すると、メールでお知らせします。",
                )
                return redirect("web:access_termination")
    return render(
        request,
        "web/access/termination.html",
        {
            "form": form,
            "own": own,
            "staff": staff,
            "may_complete": can(user=user, action=Action.REVIEW_USE_APPLICATIONS),
            "requests": access_queries.terminations_visible_to(user=user)[:200],
            "open_request": access_queries.open_termination(participant_id=own.pk) if own else None,
        },
    )


@require_POST
@login_required
def termination_decide(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        termination_request = access_queries.get_termination_for(user=request.user, pk=pk)
    except TerminationRequest.DoesNotExist:
        raise Http404 from None
    now = access.clock()
    try:
        if request.POST.get("decision") == "complete":
            done = access_ops.complete_termination(
                actor=request.user, request=termination_request, now=now, ip_address=client_ip(request)
            )
            messages.success(
                request,
                f"「{termination_request.participant.name}」の利用契約を終了しました（ユーザ{done.users_revoked}件のログインを無効化、"
                f"証明書{done.certificates_revoked}件を失効）。データは保管されています。",
            )
        else:
            access_ops.withdraw_termination(
                actor=request.user, request=termination_request, now=now, ip_address=client_ip(request)
            )
            messages.success(request, "終了申請を取り下げました。")
    except access_ops.NotAllowed:
        raise PermissionDenied from None
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    return redirect("web:access_termination")
