"""Data intake (一括登録): upload screens / endpoints per dataset."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
