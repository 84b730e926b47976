"""Forms of the reserve-margin alerts and the outbox screens."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms

from capmarket.calc.market import AREA_NAMES_JA, AREAS, RESOURCE_TYPE_NAMES_JA, RESOURCE_TYPES
from capmarket.domain.alerts.models import Audience, PatternKind
from capmarket.domain.notifications.models import ContactPurpose

AREA_CHOICES = [(a, AREA_NAMES_JA[a]) for a in AREAS]
TYPE_CHOICES = [(t, RESOURCE_TYPE_NAMES_JA[t]) for t in RESOURCE_TYPES]
AREA_BY_NAME = {**{a: a for a in AREAS}, **{AREA_NAMES_JA[a]: a for a in AREAS}}


class PublicationUploadForm(forms.Form):
    file = forms.FileField(label="公表ファイル（CSV）", help_text="広域予備率Web公表システムのCSV（UTF-8・BOM付き）")
    correction = forms.BooleanField(label="訂正版", required=False, help_text="公表済みの数値を訂正するファイル")


class MessageDraftForm(forms.Form):
    pattern_kind = forms.ChoiceField(
        label="パターン",
        choices=[(k, label) for k, label in PatternKind.choices if not k.startswith("auto_")],
    )
    audience = forms.ChoiceField(label="宛先", choices=Audience.choices, initial=Audience.ALL_PROVIDERS)
    areas = forms.MultipleChoiceField(
        label="エリア", choices=AREA_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    resource_types = forms.MultipleChoiceField(
        label="電源等の区分", choices=TYPE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    slots = forms.CharField(
        label="対象コマ",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "東京 2025-08-02 35-38\n関西 2025-08-02 36"}),
        help_text="1行に「エリア 日付 コマ（またはコマ-コマ）」。空欄可。",
    )

    def clean_slots(self) -> list[tuple[str, dt.date, int]]:
        out: list[tuple[str, dt.date, int]] = []
        for n, line in enumerate(str(self.cleaned_data.get("slots") or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.split()
            match = re.fullmatch(r"(\d{1,2})(?:-(\d{1,2}))?", parts[2]) if len(parts) == 3 else None
            area = AREA_BY_NAME.get(parts[0].removesuffix("エリア")) if parts else None
            try:
                day = dt.date.fromisoformat(parts[1].replace("/", "-")) if len(parts) >= 2 else None
            except ValueError:
                day = None
            if match is None or area is None or day is None:
                raise forms.ValidationError(f"{n}行目: 「エリア 日付 コマ」の形で入力してください: {line.strip()}")
            first = int(match.group(1))
            last = int(match.group(2) or first)
            if not 1 <= first <= last <= 48:
                raise forms.ValidationError(f"{n}行目: コマは1〜48です: {line.strip()}")
            out.extend((area, day, s) for s in range(first, last + 1))
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("audience") == Audience.AREAS and not data.get("areas") and not data.get("slots"):
            self.add_error("areas", "エリア指定のときはエリアを選択してください。")
        if data.get("audience") == Audience.RESOURCE_TYPES and not data.get("resource_types"):
            self.add_error("resource_types", "電源等の区分を選択してください。")
        if data.get("audience") == Audience.AREAS and not data.get("areas") and data.get("slots"):
            data["areas"] = sorted({a for a, _, _ in data["slots"]})
        return data


class MessageEditForm(forms.Form):
    subject = forms.CharField(label="件名", max_length=300)
    body = forms.CharField(label="本文", widget=forms.Textarea(attrs={"rows": 16}))


class PatternForm(forms.Form):
    subject_template = forms.CharField(label="件名", max_length=300)
    body_template = forms.CharField(label="本文", widget=forms.Textarea(attrs={"rows": 14}))
    enabled = forms.BooleanField(label="自動送信する（自動通知のパターン）", required=False)


class ContactsForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for purpose, label in ContactPurpose.choices:
            self.fields[purpose] = forms.CharField(
                label=label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="1行に1アドレス（最大10件）",
            )


class BounceForm(forms.Form):
    recipient = forms.CharField(label="宛先")
    diagnostic = forms.CharField(label="内容", required=False, max_length=500)
    permanent = forms.BooleanField(label="恒久的な不達", required=False, initial=True)


class DsnUploadForm(forms.Form):
    file = forms.FileField(label="不達通知（.eml）")
