"""Forms of the accounts context: login, password change, user management, audit search."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from capmarket.domain.accounts import queries as account_queries
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.registry.models import Participant
from capmarket.interfaces.auth import LOGIN_REFUSED


class NamedErrorsMixin:
    """Every field's standard errors name the field, in Japanese (「氏名」を入力してください。)."""

    fields: dict[str, forms.Field]
    label_suffix: str

    def name_errors(self) -> None:
        self.label_suffix = ""
        for field in self.fields.values():
            label = f"「{field.label}」"
            field.error_messages["required"] = f"{label}を入力してください。"
            if isinstance(field, forms.ChoiceField):
                field.error_messages["invalid_choice"] = f"{label}は選択肢から選んでください。"
            elif isinstance(field, forms.EmailField | forms.DateField | forms.DateTimeField):
                field.error_messages["invalid"] = f"{label}の形式が正しくありません。"
            if isinstance(field, forms.ModelChoiceField):
                field.error_messages["invalid_choice"] = f"{label}は選択肢から選んでください。"


INVALID_LOGIN = LOGIN_REFUSED  # one answer for an unknown ID, a wrong password, a locked account and the throttle


class LoginForm(forms.Form):
    username = forms.CharField(label="ユーザID", max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(label="パスワード", strip=False, widget=forms.PasswordInput)

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User | None = None
        self.fields["username"].error_messages["required"] = "ユーザIDを入力してください。"
        self.fields["password"].error_messages["required"] = "パスワードを入力してください。"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        username, password = data.get("username"), data.get("password")
        if username and password:
            user = authenticate(self.request, username=username, password=password)
            if user is None:
                # A right password refused by the access rules (company suspended, maintenance, service hours,
                # client certificate) says why; anything else gets the one answer.
                refusal = getattr(self.request, "capmarket_login_refusal", None)
                if refusal is not None:
                    raise ValidationError(refusal.message, code=refusal.code)
                raise ValidationError(INVALID_LOGIN, code="invalid_login")
            self.user = user
        return data


class PasswordChangeForm(NamedErrorsMixin, forms.Form):
    old_password = forms.CharField(label="現在のパスワード", strip=False, widget=forms.PasswordInput)
    new_password = forms.CharField(
        label="新しいパスワード",
        strip=False,
        widget=forms.PasswordInput,
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password_confirm = forms.CharField(label="新しいパスワード（確認）", strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password_confirm"):
            self.add_error("new_password_confirm", "確認用のパスワードが一致しません。")
        return data


def _role_choices(actor: User) -> list[tuple[str, str]]:
    labels = dict(Role.choices)
    return [(r, labels[r]) for r in account_queries.roles_assignable_by(actor=actor)]


class UserIssueForm(NamedErrorsMixin, forms.Form):
    username = forms.CharField(label="ユーザID", max_length=150, help_text="英数字と @ . + - _ が使えます。")
    full_name = forms.CharField(label="氏名", max_length=100, help_text="ユーザIDは自然人に限り発行できます。")
    email = forms.EmailField(label="メールアドレス")
    role = forms.ChoiceField(label="権限")
    participant = forms.ModelChoiceField(
        label="事業者（管理者IDの発行時）",
        queryset=Participant.objects.none(),
        required=False,
        to_field_name="participant_code",
    )
    notify_by_email = forms.BooleanField(label="仮パスワードをメールで通知する", required=False)

    def __init__(self, actor: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = _role_choices(actor)
        if Role.PARTICIPANT_ADMIN in account_queries.roles_assignable_by(actor=actor):
            cast(
                "forms.ModelChoiceField[Participant]", self.fields["participant"]
            ).queryset = Participant.objects.order_by("participant_code", "id")
        else:
            del self.fields["participant"]
        self.name_errors()


class UserEditForm(NamedErrorsMixin, forms.Form):
    full_name = forms.CharField(label="氏名", max_length=100)
    email = forms.EmailField(label="メールアドレス")
    is_active = forms.BooleanField(label="有効", required=False, help_text="無効にするとログインできなくなります。")
    role = forms.ChoiceField(label="権限", required=False)

    def __init__(self, actor: User, target: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _role_choices(actor)
        if target.role in {c for c, _ in choices} and target.is_operator_staff:
            cast(forms.ChoiceField, self.fields["role"]).choices = [
                c for c in choices if c[0] != Role.PARTICIPANT_ADMIN
            ]
        else:
            del self.fields["role"]
        self.name_errors()


class UserSearchForm(forms.Form):
    q = forms.CharField(label="ユーザID・氏名・メール", required=False)
    role = forms.ChoiceField(label="権限", required=False)
    locked = forms.ChoiceField(
        label="ロック", required=False, choices=[("", "すべて"), ("1", "ロック中"), ("0", "ロックなし")]
    )

    def __init__(self, actor: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = [("", "すべて"), *_role_choices(actor)]


class TemporaryPasswordForm(forms.Form):
    notify_by_email = forms.BooleanField(label="仮パスワードをメールで通知する", required=False)


class AuditSearchForm(NamedErrorsMixin, forms.Form):
    date_from = forms.DateField(label="期間（開始日）", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="期間（終了日）", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    username = forms.CharField(label="ユーザID", required=False)
    participant_code = forms.CharField(label="事業者コード", required=False)
    action = forms.ChoiceField(label="操作", required=False, choices=[("", "すべて"), *AuditAction.choices])
    q = forms.CharField(label="キーワード", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name_errors()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "終了日は開始日以降の日付を指定してください。")
        return data

    def period(self, tz: dt.tzinfo) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The half-open period [date_from 00:00, date_to + 1 day 00:00) in ``tz``."""
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        return (
            dt.datetime.combine(start, dt.time(), tzinfo=tz) if start else None,
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz) if end else None,
        )
