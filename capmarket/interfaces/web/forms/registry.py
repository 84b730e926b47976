"""Forms of the registry pages. They translate input into values for the domain operations; they save nothing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from capmarket.domain.contracts.models import Auction
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.registry.operations import (
    PARTICIPANT_CREATE_FIELDS,
    PARTICIPANT_UPDATE_FIELDS,
    RESOURCE_CREATE_FIELDS,
    RESOURCE_UPDATE_FIELDS,
    route_constraint_errors,
)


class NamedErrorsMixin:
    """Every error message names its field in Japanese; errors from the domain land next to their field."""

    fields: dict[str, forms.Field]

    def add_error(self, field: str | None, error: Any) -> None:
        if not isinstance(error, ValidationError):
            error = ValidationError(error)
        model = getattr(getattr(self, "_meta", None), "model", None)
        if field in (None, NON_FIELD_ERRORS) and not hasattr(error, "error_dict"):
            error = ValidationError({NON_FIELD_ERRORS: error.messages})
        if hasattr(error, "error_dict") and model is not None:
            # a violated database constraint that concerns one field is shown next to that field
            error = ValidationError(route_constraint_errors(messages=error.message_dict, model=model))
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                target = name if name in self.fields else None
                super().add_error(target, self._named(target, ValidationError(errors)))  # type: ignore[misc]
            return
        super().add_error(field, self._named(field, error))  # type: ignore[misc]

    def _named(self, field: str | None, error: ValidationError) -> ValidationError:
        label = str(self.fields[field].label) if field and field in self.fields and self.fields[field].label else ""
        return ValidationError([m if not label or label in m else f"{label}: {m}" for m in error.messages])


class ParticipantForm(NamedErrorsMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Participant
        fields = list(PARTICIPANT_CREATE_FIELDS)
        help_texts = {
            "participant_code": "英数字（例: P0001）。登録後は変更できません。",
            "invoice_registration_no": "「T」＋法人番号13桁（例: T7000012050002）",
            "bank_code": "全銀協の金融機関コード4桁（例: 0001）",
            "branch_code": "支店コード3桁",
            "account_number": "7桁（7桁未満は先頭を0で埋める）",
            "account_holder_kana": "半角カナ（例: ｶ)ﾖｳﾘﾖｳﾃﾞﾝﾘﾖｸ）",
        }

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ParticipantEditForm(ParticipantForm):
    class Meta(ParticipantForm.Meta):
        fields = list(PARTICIPANT_UPDATE_FIELDS)


class ResourceForm(NamedErrorsMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Resource
        fields = list(RESOURCE_CREATE_FIELDS)
        help_texts = {
            "resource_code": "電源等識別番号（例: R0123456）。登録後は変更できません。",
            "completion_fiscal_year": "西暦（例: 1998）。2010年度以前の竣工は経過措置の対象です。",
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "participant" in self.fields:
            field = self.fields["participant"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = registry_queries.providers_visible_to(user=user)

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ResourceEditForm(ResourceForm):
    class Meta(ResourceForm.Meta):
        fields = list(RESOURCE_UPDATE_FIELDS)


class ContractTermsForm(NamedErrorsMixin, forms.Form):
    price_yen_per_kw = forms.IntegerField(label="約定価格（円/kW）", min_value=0)
    contract_kw = forms.IntegerField(label="契約容量（kW）", min_value=0)
    assessment_kw = forms.IntegerField(
        label="アセスメント対象容量（kW）", min_value=0, required=False, help_text="空欄のときは契約容量と同じ"
    )
    transitional = forms.BooleanField(label="経過措置対象", required=False)
    amount_override_yen = forms.IntegerField(
        label="容量確保契約金額（個別指定・円）",
        min_value=0,
        required=False,
        help_text="空欄のときは約定価格×契約容量から経過措置控除額を差し引いて算定します",
    )


class ContractCreateForm(ContractTermsForm):
    resource_code = forms.CharField(label="電源等識別番号", max_length=20)
    delivery_year = forms.IntegerField(label="実需給年度", min_value=2020, max_value=2100)
    auction = forms.ChoiceField(label="オークション", choices=Auction.choices, initial=Auction.MAIN)
    field_order = [
        "resource_code",
        "delivery_year",
        "auction",
        "price_yen_per_kw",
        "contract_kw",
        "assessment_kw",
        "transitional",
        "amount_override_yen",
    ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_resource_code(self) -> str:
        code = str(self.cleaned_data["resource_code"]).strip()
        try:
            self.resource = registry_queries.get_resource_by_code_for(user=self.user, resource_code=code)
        except Resource.DoesNotExist:
            raise ValidationError(f"電源等識別番号「{code}」の電源等は登録されていません。") from None
        return code


class ContractChangeForm(ContractTermsForm):
    reason = forms.CharField(
        label="変更理由",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="変更は責任者の承認後に反映されます。理由は契約の履歴に残ります。",
    )


class ChangeRejectForm(NamedErrorsMixin, forms.Form):
    comment = forms.CharField(label="差戻し理由", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ContractCancelForm(NamedErrorsMixin, forms.Form):
    reason = forms.CharField(label="解約理由", max_length=200, widget=forms.Textarea(attrs={"rows": 3}))
