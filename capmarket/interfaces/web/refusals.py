"""The Japanese page of a request refused by the access rules (``capmarket.interfaces.access.Refusal``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from capmarket.interfaces import access


def render_refusal(request: HttpRequest, refusal: access.Refusal) -> HttpResponse:
    response = render(
        request,
        "web/access/refused.html",
        {
            "refusal": refusal,
            "message_lines": refusal.message.splitlines(),
            "resumes_text": access.format_jst(refusal.resumes_at) if refusal.resumes_at else "",
        },
        status=refusal.status,
    )
    if refusal.retry_after is not None:
        response["Retry-After"] = str(refusal.retry_after)
    return response
