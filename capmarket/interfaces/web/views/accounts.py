"""Login, logout, portal top, password change and user management (ユーザ情報管理)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts import queries as account_queries
from capmarket.domain.accounts.models import User
from capmarket.domain.accounts.permissions import Action
from capmarket.domain.notices import queries as notice_queries
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.forms.accounts import (
    LoginForm,
    PasswordChangeForm,
    TemporaryPasswordForm,
    UserEditForm,
    UserIssueForm,
    UserSearchForm,
)
from capmarket.interfaces.web.rights import any_user, guarded, requires

PAGE_SIZE = 50


# ------------------------------------------------------------------ helpers shared by the views of this context


def paginate(request: HttpRequest, qs: QuerySet[Any]) -> Page[Any]:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def attach_errors(form: Form, exc: ValidationError) -> None:
    """Put a domain ``ValidationError`` on the form: on the named field if the form has it, else on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


# ------------------------------------------------------------------ login, logout, portal, password


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or "web:portal")
    form = LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert form.user is not None
        login(request, form.user)  # the backend has recorded the login in the audit log
        if form.user.must_change_password:
            return redirect("web:password_change")
        return redirect(next_url or "web:portal")
    return render(request, "web/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        account_ops.record_logout(user=_actor(request), now=timezone.now(), ip_address=client_ip(request))
    logout(request)
    messages.info(request, "ログアウトしました。")
    return redirect("web:login")


@guarded(any_user)
def portal(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    notices = notice_queries.notices_for(user=user, now=timezone.now())[:10]
    return render(
        request,
        "web/portal.html",
        {"notices": notices},
    )


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_ops.change_own_password(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "パスワードを変更しました。")
            return redirect("web:portal")
    return render(request, "web/accounts/password_change.html", {"form": form, "forced": user.must_change_password})


# ------------------------------------------------------------------ user management

_MANAGE = (Action.MANAGE_STAFF_USERS, Action.ISSUE_PARTICIPANT_ADMIN, Action.MANAGE_OWN_USERS)


def _managed_user(request: HttpRequest, pk: int) -> User:
    """The account ``pk`` if the current user may manage it; 404 for every other account (no existence leak)."""
    try:
        return account_queries.users_manageable_by(actor=request.user).get(pk=pk)
    except User.DoesNotExist as exc:
        raise Http404("ユーザが見つかりません。") from exc


@requires(*_MANAGE)
def user_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = UserSearchForm(actor, request.GET or None)
    qs = account_queries.users_manageable_by(actor=actor)
    if form.is_valid():
        locked = {"1": True, "0": False}.get(form.cleaned_data["locked"])
        qs = account_queries.search_users(
            actor=actor, text=form.cleaned_data["q"], role=form.cleaned_data["role"], locked=locked
        )
    return render(
        request,
        "web/accounts/user_list.html",
        {"form": form, "page": paginate(request, qs), "query": query_without_page(request)},
    )


@requires(*_MANAGE)
def user_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = UserIssueForm(actor, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = account_ops.issue_user(
                actor=actor,
                username=data["username"],
                full_name=data["full_name"],
                email=data["email"],
                role=data["role"],
                participant=data.get("participant"),
                now=timezone.now(),
                ip_address=client_ip(request),
                notify_by_email=data["notify_by_email"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return render(
                request,
                "web/accounts/temporary_password.html",
                {"target": issued.user, "issued": issued, "title": "ユーザIDを発行しました"},
            )
    return render(request, "web/accounts/user_form.html", {"form": form, "title": "ユーザ発行"})


@requires(*_MANAGE)
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    target = _managed_user(request, pk)
    return render(
        request,
        "web/accounts/user_detail.html",
        {"target": target, "reset_form": TemporaryPasswordForm(), "is_self": target.pk == request.user.pk},
    )


@requires(*_MANAGE)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = _managed_user(request, pk)
    initial = {"full_name": target.full_name, "email": target.email, "is_active": target.is_active, "role": target.role}
    form = UserEditForm(actor, target, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_ops.update_user(
                actor=actor,
                user=target,
                full_name=data["full_name"],
                email=data["email"],
                is_active=data["is_active"],
                role=data.get("role") or None,
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except account_ops.UserNotManageable as exc:
            raise Http404 from exc
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "ユーザ情報を変更しました。")
            return redirect("web:user_detail", pk=target.pk)
    return render(request, "web/accounts/user_form.html", {"form": form, "target": target, "title": "ユーザ情報変更"})


def _lock_action(request: HttpRequest, pk: int, *, lock: bool) -> HttpResponse:
    target = _managed_user(request, pk)
    operation = account_ops.lock_user if lock else account_ops.unlock_user
    try:
        operation(actor=_actor(request), user=target, now=timezone.now(), ip_address=client_ip(request))
    except account_ops.UserNotManageable as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "ロックしました。" if lock else "ロックを解除しました。")
    return redirect("web:user_detail", pk=target.pk)


@require_POST
@requires(*_MANAGE)
def user_lock(request: HttpRequest, pk: int) -> HttpResponse:
    return _lock_action(request, pk, lock=True)


@require_POST
@requires(*_MANAGE)
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    return _lock_action(request, pk, lock=False)


@require_POST
@requires(*_MANAGE)
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    target = _managed_user(request, pk)
    form = TemporaryPasswordForm(request.POST)
    form.is_valid()
    try:
        issued = account_ops.reset_password(
            actor=_actor(request),
            user=target,
            now=timezone.now(),
            ip_address=client_ip(request),
            notify_by_email=bool(form.cleaned_data.get("notify_by_email")),
        )
    except account_ops.UserNotManageable as exc:
        raise Http404 from exc
    return render(
        request,
        "web/accounts/temporary_password.html",
        {"target": issued.user, "issued": issued, "title": "パスワードを再発行しました"},
    )
