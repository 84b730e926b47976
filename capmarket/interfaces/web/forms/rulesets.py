"""Form to publish a new rule-set version: one value, source and confidence per parameter."""

from __future__ import annotations

from typing import Any

from django import forms

from capmarket.domain.rulesets.models import Confidence, RuleParameter
from capmarket.interfaces.web.forms.accounts import NamedErrorsMixin


class PublishRuleSetForm(NamedErrorsMixin, forms.Form):
    note = forms.CharField(label="改定内容", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, parameters: list[RuleParameter], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parameter_names = [p.name for p in parameters]
        for p in parameters:
            self.fields[f"value__{p.name}"] = forms.CharField(
                label=p.name, initial=p.value, max_length=64, widget=forms.TextInput(attrs={"size": 12})
            )
            self.fields[f"source__{p.name}"] = forms.CharField(
                label=f"{p.name} 出典",
                initial=p.source,
                max_length=300,
                required=False,
                widget=forms.TextInput(attrs={"size": 48}),
            )
            self.fields[f"confidence__{p.name}"] = forms.ChoiceField(
                label=f"{p.name} 確度", initial=p.confidence, choices=Confidence.choices
            )
        self.name_errors()

    def rows(self) -> list[dict[str, Any]]:
        """The bound fields of each parameter, for a table in the template."""
        return [
            {
                "name": name,
                "value": self[f"value__{name}"],
                "source": self[f"source__{name}"],
                "confidence": self[f"confidence__{name}"],
            }
            for name in self.parameter_names
        ]
