"""The outbox screens: the send log (送信履歴) with bounces, staff actions (resend, record a bounce, import DSNs),
and a company's contact addresses by purpose (連絡先メールアドレス) with their history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.notifications import operations as mail_ops
from capmarket.domain.notifications import queries as mail_queries
from capmarket.domain.notifications.models import ContactPurpose, EmailState, OutboundEmail
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.registry.models import Participant
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.forms.alerts import BounceForm, ContactsForm, DsnUploadForm
from capmarket.interfaces.web.rights import any_user, guarded, requires, staff_or_a_company
from capmarket.interfaces.web.views.accounts import attach_errors, paginate, query_without_page


def _staff(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_operator_staff", False)) and can(
        user=request.user, action=Action.VIEW_EMAIL_LOG
    )


@guarded(any_user)
def email_list(request: HttpRequest) -> HttpResponse:
    participant_id = None
    code = request.GET.get("participant", "").strip()
    if _staff(request) and code:
        found = Participant.objects.filter(participant_code=code).first()
        participant_id = found.pk if found is not None else -1
    qs = mail_queries.emails_visible_to(
        user=request.user,
        state=request.GET.get("state", ""),
        kind=request.GET.get("kind", ""),
        participant_id=participant_id,
        search=request.GET.get("q", ""),
    )
    return render(
        request,
        "web/mail/email_list.html",
        {
            "page": paginate(request, qs),
            "query": query_without_page(request),
            "states": EmailState.choices,
            "kinds": mail_queries.kinds_in_log() if _staff(request) else [],
            "staff": _staff(request),
            "dsn_form": DsnUploadForm() if _staff(request) else None,
        },
    )


def _email(request: HttpRequest, pk: int) -> OutboundEmail:
    try:
        return mail_queries.get_email_for(user=request.user, pk=pk)
    except OutboundEmail.DoesNotExist as exc:
        raise Http404("メールが見つかりません。") from exc


@login_required
def email_detail(request: HttpRequest, pk: int) -> HttpResponse:
    email = _email(request, pk)
    return render(
        request,
        "web/mail/email_detail.html",
        {
            "email": email,
            "bounces": mail_queries.bounces_of(email=email),
            "staff": _staff(request),
            "bounce_form": BounceForm(initial={"recipient": email.to[0] if email.to else ""}),
        },
    )


@require_POST
@requires(Action.VIEW_EMAIL_LOG)
def email_resend(request: HttpRequest, pk: int) -> HttpResponse:
    email = _email(request, pk)
    try:
        mail_ops.resend_failed(actor=request.user, email=email, now=timezone.now(), ip_address=client_ip(request))
    except mail_ops.UnableToResend as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "再送を予約しました。")
    return redirect("web:email_detail", pk=email.pk)


@require_POST
@requires(Action.VIEW_EMAIL_LOG)
def email_bounce(request: HttpRequest, pk: int) -> HttpResponse:
    email = _email(request, pk)
    form = BounceForm(request.POST)
    if form.is_valid():
        try:
            mail_ops.record_bounce(
                actor=request.user,
                email=email,
                recipient=form.cleaned_data["recipient"],
                diagnostic=form.cleaned_data["diagnostic"],
                permanent=form.cleaned_data["permanent"],
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except mail_ops.UnableToRecordBounce as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "不達を登録しました。")
    return redirect("web:email_detail", pk=email.pk)


@require_POST
@requires(Action.VIEW_EMAIL_LOG)
def dsn_import(request: HttpRequest) -> HttpResponse:
    form = DsnUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "不達通知のファイルを選択してください。")
        return redirect("web:email_list")
    try:
        recorded, already, unmatched = mail_ops.import_dsn(
            data=form.cleaned_data["file"].read(), actor=request.user, now=timezone.now()
        )
    except mail_ops.UnableToImportDsn as exc:
        messages.error(request, f"{form.cleaned_data['file'].name}: {exc}")
    else:
        messages.success(
            request, f"不達 {recorded} 件を登録しました（登録済み {already} 件、該当メールなし {unmatched} 件）。"
        )
    return redirect("web:email_list")


@guarded(staff_or_a_company)
def contacts(request: HttpRequest) -> HttpResponse:
    """A company's contact addresses: its own for a member; any company's for staff (?participant=CODE)."""
    user = request.user
    code = request.GET.get("participant", "").strip()
    if getattr(user, "is_operator_staff", False):
        participant = registry_queries.participants_visible_to(user=user).filter(participant_code=code).first()
        if participant is None:
            if code:
                raise Http404("事業者が見つかりません。")
            return render(request, "web/mail/contacts_pick.html", {})
    else:
        participant = getattr(user, "participant", None)
        if participant is None:
            raise PermissionDenied
    editable = mail_ops.may_manage_contacts(actor=user, participant=participant)
    current = mail_queries.contacts_by_purpose(participant=participant)
    form = ContactsForm(request.POST or None, initial={p: "\n".join(e) for p, e in current.items()})
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            try:
                for purpose in ContactPurpose.values:
                    mail_ops.set_contact_addresses(
                        actor=user,
                        participant=participant,
                        purpose=purpose,
                        emails=str(form.cleaned_data[purpose]).replace(",", "\n").splitlines(),
                        now=timezone.now(),
                        ip_address=client_ip(request),
                    )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, "連絡先メールアドレスを保存しました。")
                url = request.path + (f"?participant={participant.participant_code}" if code else "")
                return redirect(url)
    addresses = [e for values in current.values() for e in values]
    return render(
        request,
        "web/mail/contacts.html",
        {
            "participant": participant,
            "form": form,
            "editable": editable,
            "current": [(ContactPurpose(p).label, e) for p, e in current.items()],
            "fallback": participant.email,
            "history": mail_queries.contact_history(participant=participant),
            "bounced": mail_queries.bounced_addresses(emails=addresses),
        },
    )
