"""Forms of the documents screens: the 赤伝/黒伝 correction, the operator profile."""

from __future__ import annotations

from django import forms

from capmarket.domain.registry.models import AccountType


class CorrectionForm(forms.Form):
    reason = forms.CharField(label="訂正理由", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    replace = forms.BooleanField(
        label="黒伝（代わりの帳票）を発行する",
        required=False,
        initial=True,
        help_text="宛先・口座・発行者情報を現在の登録内容で再発行します（金額は変わりません）。",
    )


class OperatorProfileForm(forms.Form):
    name = forms.CharField(label="名称", max_length=200)
    invoice_registration_no = forms.CharField(label="適格請求書発行事業者登録番号", max_length=14)
    postal_code = forms.CharField(label="郵便番号", max_length=8)
    address = forms.CharField(label="所在地", max_length=300)
    department = forms.CharField(label="担当部署", max_length=100)
    phone = forms.CharField(label="電話番号", max_length=20)
    email = forms.EmailField(label="連絡先メールアドレス")
    bank_code = forms.CharField(label="金融機関コード（容量拠出金の振込先）", max_length=4)
    branch_code = forms.CharField(label="支店コード", max_length=3)
    account_type = forms.ChoiceField(label="預金種目", choices=AccountType.choices)
    account_number = forms.CharField(label="口座番号", max_length=7)
    account_holder_kana = forms.CharField(label="口座名義（半角カナ）", max_length=80)
    payment_day = forms.IntegerField(label="交付日（0=末日）", min_value=0, max_value=28)
    invoice_due_day = forms.IntegerField(label="請求書の支払期限（0=末日）", min_value=0, max_value=28)
    contribution_due_day = forms.IntegerField(label="容量拠出金の支払期限（0=末日）", min_value=0, max_value=28)
    minimum_terms_business_days = forms.IntegerField(
        label="発行日から期日までの最短営業日数", min_value=0, max_value=60
    )
    note = forms.CharField(label="改定内容", max_length=200)
