"""Forms of the access pages: certificates, contractors, suspension, maintenance, limits, applications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from capmarket.domain.access.models import DelegatedFunction
from capmarket.domain.access.service_hours import JST
from capmarket.domain.registry.models import AREA_CHOICES
from capmarket.interfaces.web.forms.accounts import NamedErrorsMixin

MAX_CERTIFICATE_UPLOAD = 20_000
MAX_FILE_UPLOAD = 5_000_000


class _Named(NamedErrorsMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()


def _read_upload(upload: Any, limit: int, label: str) -> bytes:
    if upload is None:
        return b""
    if upload.size > limit:
        raise forms.ValidationError(f"「{label}」が大きすぎます（{limit // 1000:,}KBまで）。")
    return bytes(upload.read())


class CertificateForm(_Named):
    client_name = forms.CharField(
        label="クライアント名", max_length=100, help_text="証明書を導入する端末の名前（例: 本社-業務端末1）"
    )
    certificate_file = forms.FileField(
        label="クライアント証明書ファイル",
        required=False,
        help_text="PEM形式（.crt / .pem）またはDER形式（.cer / .der）。秘密鍵は指定しないでください。",
    )
    certificate_text = forms.CharField(
        label="または証明書（PEM）を貼り付け", required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 64})
    )
    renew = forms.BooleanField(label="更新（このクライアントの証明書を新しい証明書に更新する）", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = _read_upload(data.get("certificate_file"), MAX_CERTIFICATE_UPLOAD, "クライアント証明書ファイル")
        text = (data.get("certificate_text") or "").strip()
        if not raw and not text:
            self.add_error("certificate_file", "証明書ファイルを選択するか、証明書を貼り付けてください。")
        data["certificate"] = raw or text.encode("ascii", errors="replace")
        return data


class CertificateFileForm(_Named):
    file = forms.FileField(
        label="登録・更新用ファイル（710/711）",
        help_text="CSV（UTF-8またはShift_JIS）。見出し行: 区分,事業者コード,クライアント名,証明書",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_UPLOAD:
            raise forms.ValidationError("ファイルが大きすぎます（5MBまで）。")
        return upload


class RevokeForm(_Named):
    reason = forms.CharField(label="失効の理由", max_length=300, help_text="例: 端末の紛失、端末の廃棄")


class DelegationForm(_Named):
    contractor_code = forms.CharField(label="受託者の事業者コード", max_length=16)
    functions = forms.MultipleChoiceField(
        label="委託する機能", choices=DelegatedFunction.choices, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label="委託業務の内容", max_length=300, required=False)


class ActingForm(forms.Form):
    participant_code = forms.CharField(max_length=16, required=False)


class SuspendForm(_Named):
    participant_code = forms.CharField(label="事業者コード", max_length=16)
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 3}))


class LiftForm(_Named):
    note = forms.CharField(label="解除の理由", max_length=300)


def _jst_input(value: dt.datetime | None) -> str:
    return value.astimezone(JST).strftime("%Y-%m-%dT%H:%M") if value else ""


class JstDateTimeField(forms.DateTimeField):
    """A date and time typed in Japan time (the browser's datetime-local)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    def to_python(self, value: Any) -> dt.datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        return result.replace(tzinfo=None).replace(tzinfo=JST) if result.tzinfo is None else result


class MaintenanceForm(_Named):
    title = forms.CharField(label="件名", max_length=200, initial="定期保守作業")
    message = forms.CharField(label="利用者への案内", widget=forms.Textarea(attrs={"rows": 3}))
    starts_at = JstDateTimeField(label="開始日時（日本時間）")
    ends_at = JstDateTimeField(label="終了予定日時（日本時間）")


class LimitForm(_Named):
    participant_code = forms.CharField(label="事業者コード", max_length=16)
    per_client = forms.IntegerField(label="クライアントごとの上限（回/時間枠）", min_value=1)
    per_company = forms.IntegerField(label="事業者全体の上限（回/時間枠）", min_value=1)
    note = forms.CharField(label="理由", max_length=300)


class ApplicationForm(_Named):
    """容量市場システム利用申込書 (form 700)."""

    participant_code = forms.CharField(label="事業者コード", max_length=16, help_text="事前に取得した事業者コード")
    name = forms.CharField(label="事業者名", max_length=200)
    name_kana = forms.CharField(label="事業者名（カナ）", max_length=200)
    is_provider = forms.BooleanField(label="容量提供事業者", required=False)
    is_retailer = forms.BooleanField(label="小売電気事業者", required=False)
    is_tso = forms.BooleanField(label="一般送配電事業者", required=False)
    tso_area = forms.ChoiceField(
        label="供給区域（一般送配電事業者のみ）", choices=[("", "—"), *AREA_CHOICES], required=False
    )
    address = forms.CharField(label="所在地", max_length=300)
    phone = forms.CharField(label="電話番号", max_length=20)
    email = forms.EmailField(label="事業者の連絡先メールアドレス")
    admin_full_name = forms.CharField(label="管理者の氏名", max_length=100)
    admin_email = forms.EmailField(label="管理者IDの通知先メールアドレス")
    admin_username = forms.CharField(label="希望する管理者ID", max_length=150, help_text="英数字と @ . + - _")
    certificate_client_name = forms.CharField(
        label="クライアント名", max_length=100, help_text="証明書を導入した端末の名前"
    )
    certificate_file = forms.FileField(
        label="クライアント証明書ファイル",
        help_text="取得済みのクライアント証明書（PEM / DER）。秘密鍵は指定しないでください。",
    )
    is_electricity_supplier = forms.BooleanField(label="電気事業法第23条に定める電気供給事業者です", required=False)
    intends_to_bid = forms.BooleanField(
        label="自ら又は他社が保有する電源等を用いて容量オークションに応札する意思があります", required=False
    )
    not_antisocial = forms.BooleanField(
        label="反社会的勢力に該当しないことを表明し、将来にわたっても該当しないことを確約します", required=False
    )
    accepts_terms = forms.BooleanField(label="容量市場システム利用規約（Ver. 3.2）を承諾します", required=False)

    def clean_certificate_file(self) -> bytes:
        return _read_upload(
            self.cleaned_data.get("certificate_file"), MAX_CERTIFICATE_UPLOAD, "クライアント証明書ファイル"
        )


class ApproveForm(_Named):
    admin_username = forms.CharField(label="発行する管理者ID", max_length=150)


class RejectForm(_Named):
    note = forms.CharField(label="却下の理由（申込者への連絡事項）", widget=forms.Textarea(attrs={"rows": 3}))


class TerminationForm(_Named):
    reason = forms.CharField(label="終了の理由", widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(
        label="終了後は貴社のユーザIDでログインできなくなること、データは広域機関が保管することを確認しました",
        required=True,
    )


def initial_jst(value: dt.datetime | None) -> str:
    return _jst_input(value)
