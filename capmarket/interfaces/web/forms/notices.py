"""Form to post a notice (お知らせ)."""

from __future__ import annotations

from typing import Any

from django import forms

from capmarket.domain.notices.models import Audience
from capmarket.domain.registry.models import Participant
from capmarket.interfaces.web.forms.accounts import NamedErrorsMixin


class NoticeForm(NamedErrorsMixin, forms.Form):
    title = forms.CharField(label="件名", max_length=200)
    body = forms.CharField(label="本文", widget=forms.Textarea(attrs={"rows": 8}))
    audience = forms.ChoiceField(label="対象", choices=Audience.choices, initial=Audience.ALL)
    participant = forms.ModelChoiceField(
        label="対象事業者（特定の事業者のとき）",
        queryset=Participant.objects.order_by("participant_code", "id"),
        required=False,
        to_field_name="participant_code",
    )
    important = forms.BooleanField(label="重要", required=False)
    published_at = forms.DateTimeField(
        label="掲載日時",
        required=False,
        help_text="空欄なら今すぐ掲載します。",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()
