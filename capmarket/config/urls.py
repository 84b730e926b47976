"""Top-level URL configuration: the Japanese web UI, the REST API and its OpenAPI schema."""

from django.urls import include, path

urlpatterns = [
    path("api/", include("capmarket.interfaces.api.urls")),
    path("", include("capmarket.interfaces.web.urls")),
]
