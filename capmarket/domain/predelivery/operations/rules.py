"""Rule sets of the pre-delivery rules: install the built-in version of a delivery year, publish a new version
(a published version never changes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from capmarket.calc.predelivery.rules import (
    PARAMETER_NAMES,
    UnableToParsePreDeliveryParameters,
    builtin_parameters,
    parse_predelivery_params,
)
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.predelivery.models import (
    PreDeliveryParameter,
    PreDeliveryRuleSet,
)
from capmarket.domain.predelivery.operations.common import (
    _refuse,
)


def install_predelivery_rules(*, delivery_year: int, now: dt.datetime) -> PreDeliveryRuleSet | None:
    """Version 1 of the delivery year's pre-delivery rules from the built-in values, unless one exists (idempotent)."""
    with transaction.atomic():
        if PreDeliveryRuleSet.objects.filter(delivery_year=delivery_year).exists():
            return None
        ruleset = PreDeliveryRuleSet.objects.create(
            delivery_year=delivery_year, version=1, note="組込みルール（docs/predelivery.md）", published_at=now
        )
        PreDeliveryParameter.objects.bulk_create(
            PreDeliveryParameter(ruleset=ruleset, name=p.name, value=p.value, source=p.source, confidence=p.confidence)
            for p in builtin_parameters().values()
        )
    return ruleset


def publish_predelivery_rules(
    *, actor: Any, now: dt.datetime, delivery_year: int, values: Mapping[str, str], note: str
) -> PreDeliveryRuleSet:
    """A new version of the delivery year's rules with ``values`` changed; earlier versions stay as they were."""
    if not can(user=actor, action=Action.PUBLISH_RULESET):
        raise _refuse("ルールセットを公開する権限がありません。")
    if not note.strip():
        raise _refuse("改定内容を入力してください。")
    with transaction.atomic():
        install_predelivery_rules(delivery_year=delivery_year, now=now)
        base = PreDeliveryRuleSet.objects.filter(delivery_year=delivery_year).order_by("-version").first()
        assert base is not None
        current = {p.name: p for p in base.parameters.all()}
        merged = {name: values.get(name, current[name].value) for name in PARAMETER_NAMES}
        try:
            parse_predelivery_params(values=merged)
        except UnableToParsePreDeliveryParameters as exc:
            raise _refuse(f"{exc.name}: 値が正しくありません（{exc.problem}）。") from None
        changed = {k: [current[k].value, v] for k, v in merged.items() if current[k].value != v}
        if not changed:
            raise _refuse("変更された値がありません。")
        ruleset = PreDeliveryRuleSet.objects.create(
            delivery_year=delivery_year,
            version=base.version + 1,
            note=note.strip(),
            published_at=now,
            published_by=actor,
        )
        PreDeliveryParameter.objects.bulk_create(
            PreDeliveryParameter(
                ruleset=ruleset,
                name=name,
                value=merged[name],
                source=current[name].source if name not in changed else f"第{ruleset.version}版で改定: {note.strip()}",
                confidence=current[name].confidence if name not in changed else "decision",
            )
            for name in PARAMETER_NAMES
        )
        audit.record(
            now=now,
            action=AuditAction.PUBLISHED,
            actor=actor,
            object_type="predelivery_ruleset",
            object_id=ruleset.pk,
            object_repr=str(ruleset),
            summary=f"実需給期間前ルールの第{ruleset.version}版を公開しました。{note.strip()}",
            changes=changed,
        )
    return ruleset
