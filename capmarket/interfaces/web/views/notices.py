"""Notices (お知らせ): everyone reads the notices meant for them; staff with the right post new ones."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.notices import operations as notice_ops
from capmarket.domain.notices import queries as notice_queries
from capmarket.domain.notices.models import Notice
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.forms.notices import NoticeForm
from capmarket.interfaces.web.rights import any_user, guarded, requires
from capmarket.interfaces.web.views.accounts import attach_errors, paginate, query_without_page


@guarded(any_user)
def notice_list(request: HttpRequest) -> HttpResponse:
    qs = notice_queries.notices_for(user=request.user, now=timezone.now())
    return render(
        request,
        "web/accounts/notice_list.html",
        {
            "page": paginate(request, qs),
            "query": query_without_page(request),
            "can_post": can(user=request.user, action=Action.MANAGE_NOTICES),
        },
    )


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notice = notice_queries.notices_for(user=request.user, now=timezone.now()).get(pk=pk)
    except Notice.DoesNotExist as exc:
        raise Http404("お知らせが見つかりません。") from exc
    return render(request, "web/accounts/notice_detail.html", {"notice": notice})


@requires(Action.MANAGE_NOTICES)
def notice_create(request: HttpRequest) -> HttpResponse:
    form = NoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        now = timezone.now()
        try:
            notice = notice_ops.post_notice(
                actor=request.user,
                title=data["title"],
                body=data["body"],
                audience=data["audience"],
                participant=data["participant"],
                important=data["important"],
                published_at=data["published_at"] or now,
                now=now,
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "お知らせを掲載しました。")
            return redirect("web:notice_detail", pk=notice.pk)
    return render(request, "web/accounts/notice_form.html", {"form": form})
