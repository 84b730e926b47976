"""Form of the bulk upload (一括登録)."""

from __future__ import annotations

from django import forms


class UploadForm(forms.Form):
    file = forms.FileField(
        label="ファイル（CSV・Excel・Parquet）",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.parquet"}),
        help_text="見出し行は項目名（日本語）でも英字項目名でも構いません。",
    )
    delivery_year = forms.IntegerField(
        label="実需給年度", min_value=2020, max_value=2100, help_text="4月〜翌年3月の年度（例: 2025年度）"
    )
