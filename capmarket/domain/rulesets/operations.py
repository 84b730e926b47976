"""Writes of rule sets: install the built-in versions, publish a new version. Versions are never changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from capmarket.calc.rules import BUILTIN_RULESETS, InvalidParameter, load_builtin, parse_params
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.rulesets.models import Confidence, RuleParameter, RuleSet
from capmarket.domain.rulesets.queries import latest_version_number, parameters_of


def install_builtin_rulesets(*, now: dt.datetime) -> list[RuleSet]:
    """Install each built-in rule set of ``capmarket.calc.rules`` as version 1 unless the name exists already.

    Idempotent: returns the versions it created (none on a second run).
    """
    created: list[RuleSet] = []
    with transaction.atomic():
        for name in BUILTIN_RULESETS:
            if RuleSet.objects.filter(name=name).exists():
                continue
            spec = load_builtin(name=name)
            ruleset = RuleSet.objects.create(
                name=spec.name,
                version=1,
                delivery_year=spec.delivery_year,
                note="組込みルールセット（rules.md §6）",
                published_at=now,
            )
            RuleParameter.objects.bulk_create(
                RuleParameter(ruleset=ruleset, name=p.name, value=p.value, source=p.source, confidence=p.confidence)
                for p in spec.parameters.values()
            )
            created.append(ruleset)
    return created


@dataclass(frozen=True)
class ParameterInput:
    value: str
    source: str
    confidence: str


class UnableToPublishRuleSet(ValidationError):
    """A new version cannot be published; messages are keyed by parameter name (or ``note`` / ``base``)."""


_EXPECTED_JA: dict[str, str] = {
    "decimal": "数値（小数可）",
    "integer": "整数",
}
#: the values of the one choice parameter (``dispatch_netting``), as rules.md §6 lists them
_CHOICE_JA = "order または slot を入力してください"


def describe_invalid_parameter(*, error: InvalidParameter) -> str:
    """A Japanese message naming the parameter and what its value must be.

    Worded from the parser's ``expected`` type and ``minimum`` (not from its English text), so a decimal parameter
    with a lower bound (``tight_hours_per_year`` ≥ 1, 12.5 allowed) is not called a whole number.
    """
    if not error.expected:
        what = "値がありません" if error.problem.startswith("missing") else "未知のパラメータです"
        return f"{error.name}: {what}。"
    if error.expected == "boolean":
        return f"{error.name}: true または false を入力してください。"
    if error.expected == "choice":
        return f"{error.name}: {_CHOICE_JA}。"
    kind = _EXPECTED_JA.get(error.expected, "値")
    example = ""
    if error.expected == "decimal":
        example = "（例: 12.5）" if error.minimum else "（例: 0.35）"
    return f"{error.name}: {error.minimum or '0'}以上の{kind}で入力してください{example}。"


def validate_values(*, base_values: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    """Check every value on its own (the others from ``base_values``); errors keyed by parameter name."""
    errors: dict[str, str] = {}
    for name in sorted(set(values) - set(base_values)):
        errors[name] = f"{name}: 未知のパラメータです。"
    for name, value in values.items():
        if name in errors:
            continue
        trial = dict(base_values)
        trial[name] = value
        try:
            parse_params(values=trial)
        except InvalidParameter as exc:
            if exc.name == name:
                errors[name] = describe_invalid_parameter(error=exc)
    if not errors:
        try:
            parse_params(values={**base_values, **values})
        except InvalidParameter as exc:
            errors[exc.name] = describe_invalid_parameter(error=exc)
    return errors


def _parameter_rows(
    *, ruleset: RuleSet, old: Mapping[str, RuleParameter], changed: Mapping[str, ParameterInput]
) -> list[RuleParameter]:
    """The parameters of a new version: the changed ones as given, the others copied."""
    rows = []
    for name, param in old.items():
        change = changed.get(name)
        rows.append(
            RuleParameter(
                ruleset=ruleset,
                name=name,
                value=change.value.strip() if change else param.value,
                source=change.source.strip() if change else param.source,
                confidence=change.confidence if change else param.confidence,
            )
        )
    return rows


def publish_version(
    *,
    actor: Any,
    base: RuleSet,
    parameters: Mapping[str, ParameterInput],
    note: str,
    now: dt.datetime,
    ip_address: str | None = None,
) -> RuleSet:
    """Publish version N+1 of ``base.name`` from the newest version ``base`` with changed parameters.

    ``parameters`` may name only some parameters; the others are copied from ``base``. The old version is left
    as it is.
    """
    if not can(user=actor, action=Action.PUBLISH_RULESET):
        raise UnableToPublishRuleSet({"base": "ルールセットを公開する権限がありません。"})
    with transaction.atomic():
        base = RuleSet.objects.select_for_update().get(pk=base.pk)
        if base.version != latest_version_number(name=base.name):
            raise UnableToPublishRuleSet(
                {"base": f"{base.name} 第{base.version}版は最新版ではありません。最新版から改定してください。"}
            )
        old = {p.name: p for p in parameters_of(ruleset=base)}
        errors: dict[str, Any] = validate_values(
            base_values={n: p.value for n, p in old.items()},
            values={n: p.value.strip() for n, p in parameters.items()},
        )
        for name, given in parameters.items():
            if given.confidence not in Confidence.values and name not in errors:
                errors[name] = f"{name}: 確度を選択してください。"
        changed = {
            name: given
            for name, given in parameters.items()
            if name in old
            and (given.value.strip(), given.source.strip(), given.confidence)
            != (old[name].value, old[name].source, old[name].confidence)
        }
        if not errors and not changed:
            errors["note"] = "変更された値がありません。"
        if not note.strip() and "note" not in errors:
            errors["note"] = "改定内容を入力してください。"
        if errors:
            raise UnableToPublishRuleSet(errors)
        new = RuleSet.objects.create(
            name=base.name,
            version=base.version + 1,
            delivery_year=base.delivery_year,
            based_on=base,
            note=note.strip(),
            published_at=now,
            published_by=actor,
        )
        RuleParameter.objects.bulk_create(_parameter_rows(ruleset=new, old=old, changed=changed))
        audit.record(
            now=now,
            action=AuditAction.PUBLISHED,
            actor=actor,
            object_type="ruleset",
            object_id=new.pk,
            object_repr=str(new),
            summary=note.strip(),
            changes={
                name: [old[name].value, given.value.strip()]
                for name, given in changed.items()
                if given.value.strip() != old[name].value
            },
            ip_address=ip_address,
        )
    return new
