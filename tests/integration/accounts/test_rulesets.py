"""Rule sets: built-in versions installed by migration, reading every version, publishing version N+1."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest

from capmarket.calc.rules import BUILTIN_RULESETS, PARAMETER_NAMES, load_builtin
from capmarket.domain.accounts.models import User
from capmarket.domain.rulesets import operations as ruleset_ops
from capmarket.domain.rulesets import queries as ruleset_queries
from capmarket.domain.rulesets.models import RuleSet
from tests.factories import T0

MIGRATION = importlib.import_module("capmarket.domain.rulesets.migrations.0002_install_builtin_rulesets")
LATER = importlib.import_module("capmarket.domain.rulesets.migrations.0003_install_builtin_rulesets_2026_2029")


def _v1(name: str) -> RuleSet:
    return RuleSet.objects.get(name=name, version=1)


def test_migration_copy_equals_the_built_in_files() -> None:
    frozen = {entry["name"]: entry for entry in [*MIGRATION.BUILTIN, *LATER.BUILTIN]}

    assert set(frozen) == set(BUILTIN_RULESETS)
    for name in BUILTIN_RULESETS:
        spec = load_builtin(name=name)
        assert frozen[name]["delivery_year"] == spec.delivery_year
        assert {n: (v, c, s) for n, v, c, s in frozen[name]["parameters"]} == {
            p.name: (p.value, p.confidence, p.source) for p in spec.parameters.values()
        }


def test_migration_installed_version_1_of_each_built_in(db: Any) -> None:
    for name in BUILTIN_RULESETS:
        ruleset = _v1(name)
        assert ruleset_queries.values_of(ruleset=ruleset) == load_builtin(name=name).values()
        assert [p.name for p in ruleset_queries.parameters_of(ruleset=ruleset)] == list(PARAMETER_NAMES)


def test_install_operation_is_idempotent(db: Any) -> None:
    RuleSet.objects.all().delete()

    first = ruleset_ops.install_builtin_rulesets(now=T0)
    second = ruleset_ops.install_builtin_rulesets(now=T0)

    assert [r.name for r in first] == list(BUILTIN_RULESETS)
    assert second == []
    assert RuleSet.objects.count() == len(BUILTIN_RULESETS)


def test_publishing_without_a_change_or_from_an_old_version_is_refused(approver: User) -> None:
    v1 = _v1("jp-2024")
    unchanged = {
        p.name: ruleset_ops.ParameterInput(value=p.value, source=p.source, confidence=p.confidence)
        for p in ruleset_queries.parameters_of(ruleset=v1)
    }
    with pytest.raises(ruleset_ops.UnableToPublishRuleSet) as exc:
        ruleset_ops.publish_version(actor=approver, base=v1, parameters=unchanged, note="x", now=T0)
    assert "変更された値がありません" in exc.value.message_dict["note"][0]

    changed = {**unchanged, "tax_rate": ruleset_ops.ParameterInput(value="0.08", source="仮", confidence="law")}
    ruleset_ops.publish_version(actor=approver, base=v1, parameters=changed, note="税率", now=T0)
    with pytest.raises(ruleset_ops.UnableToPublishRuleSet) as exc:
        ruleset_ops.publish_version(
            actor=approver, base=v1, parameters=changed, note="税率", now=T0 + dt.timedelta(minutes=1)
        )
    assert "最新版ではありません" in exc.value.message_dict["base"][0]
