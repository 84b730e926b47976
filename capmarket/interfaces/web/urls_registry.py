"""Participants, resources and capacity contracts."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
