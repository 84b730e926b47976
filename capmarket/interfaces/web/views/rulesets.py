"""Rule sets (算定ルールセット): every version readable; staff with the right publish a new version."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.rulesets import operations as ruleset_ops
from capmarket.domain.rulesets import queries as ruleset_queries
from capmarket.domain.rulesets.models import RuleSet
from capmarket.interfaces.auth import client_ip
from capmarket.interfaces.web.forms.rulesets import PublishRuleSetForm
from capmarket.interfaces.web.rights import requires


def _ruleset(pk: int) -> RuleSet:
    try:
        return ruleset_queries.all_versions().get(pk=pk)
    except RuleSet.DoesNotExist as exc:
        raise Http404("ルールセットが見つかりません。") from exc


@requires(Action.VIEW_RULESETS)
def ruleset_list(request: HttpRequest) -> HttpResponse:
    latest = {rs.pk for rs in ruleset_queries.latest_versions()}
    return render(
        request,
        "web/accounts/ruleset_list.html",
        {
            "rulesets": ruleset_queries.all_versions(),
            "latest": latest,
            "staff": can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS),
        },
    )


@requires(Action.VIEW_RULESETS)
def ruleset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ruleset = _ruleset(pk)
    is_latest = ruleset.version == ruleset_queries.latest_version_number(name=ruleset.name)
    return render(
        request,
        "web/accounts/ruleset_detail.html",
        {
            "ruleset": ruleset,
            "rows": ruleset_queries.parameter_rows(ruleset=ruleset),
            "staff": can(user=request.user, action=Action.VIEW_ALL_PARTICIPANTS),
            "versions": ruleset_queries.versions_of(name=ruleset.name),
            "is_latest": is_latest,
            "can_publish": is_latest and can(user=request.user, action=Action.PUBLISH_RULESET),
        },
    )


@requires(Action.PUBLISH_RULESET)
def ruleset_publish(request: HttpRequest, pk: int) -> HttpResponse:
    base = _ruleset(pk)
    parameters = ruleset_queries.parameters_of(ruleset=base)
    form = PublishRuleSetForm(parameters, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        given = {
            name: ruleset_ops.ParameterInput(
                value=data[f"value__{name}"], source=data[f"source__{name}"], confidence=data[f"confidence__{name}"]
            )
            for name in form.parameter_names
        }
        try:
            new = ruleset_ops.publish_version(
                actor=request.user,
                base=base,
                parameters=given,
                note=data["note"],
                now=timezone.now(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = f"value__{field}" if f"value__{field}" in form.fields else field
                form.add_error(target if target in form.fields else None, errors)
        else:
            messages.success(request, f"{new} を公開しました。")
            return redirect("web:ruleset_detail", pk=new.pk)
    return render(request, "web/accounts/ruleset_publish.html", {"ruleset": base, "form": form})
