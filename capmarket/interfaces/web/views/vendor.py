"""Third-party browser libraries served by this site (no CDN): Plotly's JavaScript bundle from the ``plotly``
package."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control


@cache
def _plotly_js() -> Path | None:
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


@cache
def _plotly_bytes() -> bytes | None:
    path = _plotly_js()
    return path.read_bytes() if path is not None else None


@cache_control(max_age=86400, public=True)
def plotly_js(request: HttpRequest) -> HttpResponse:
    body = _plotly_bytes()
    if body is None:
        raise Http404("plotly.min.js is not installed")
    return HttpResponse(body, content_type="text/javascript; charset=utf-8")
