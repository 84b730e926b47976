"""Form of the bulk upload (一括登録)."""

from __future__ import annotations

from django import forms


class UploadForm(forms.Form):
    file = forms.FileField(label="ファイル（CSV・Excel・Parquet）")
    delivery_year = forms.IntegerField(label="実需給年度", min_value=2020, max_value=2100)
