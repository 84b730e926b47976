"""Web UI views (Japanese, server-rendered)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def portal(request: HttpRequest) -> HttpResponse:
    return render(request, "web/portal.html", {})


login_view = auth_views.LoginView.as_view(template_name="web/login.html")
