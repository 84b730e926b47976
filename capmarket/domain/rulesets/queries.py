"""Reads of rule sets: versions, their parameters in the order of rules.md §6."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, QuerySet

from capmarket.calc.rules import PARAMETER_NAMES
from capmarket.domain.rulesets import labels
from capmarket.domain.rulesets.models import Confidence, RuleParameter, RuleSet

#: Confidences shown with a warning: no public source confirms the value.
DOUBTFUL_CONFIDENCES: frozenset[str] = frozenset({Confidence.PLACEHOLDER, Confidence.UNVERIFIED})


def all_versions() -> QuerySet[RuleSet]:
    """Every version of every rule set: by name, newest version first."""
    return RuleSet.objects.select_related("published_by").order_by("name", "-version", "id")


def latest_versions() -> list[RuleSet]:
    """The newest version of each rule set, by name."""
    latest = RuleSet.objects.values("name").annotate(v=Max("version"))
    wanted = {(row["name"], row["v"]) for row in latest}
    return [rs for rs in all_versions() if (rs.name, rs.version) in wanted]


def versions_of(*, name: str) -> QuerySet[RuleSet]:
    return all_versions().filter(name=name)


def latest_version_number(*, name: str) -> int:
    return int(RuleSet.objects.filter(name=name).aggregate(v=Max("version"))["v"] or 0)


def parameters_of(*, ruleset: RuleSet) -> list[RuleParameter]:
    """The parameters of one version in the order of rules.md §6 (unknown names last, by name)."""
    order = {name: i for i, name in enumerate(PARAMETER_NAMES)}
    params = list(RuleParameter.objects.filter(ruleset=ruleset).order_by("name", "id"))
    return sorted(params, key=lambda p: (order.get(p.name, len(order)), p.name))


def values_of(*, ruleset: RuleSet) -> dict[str, str]:
    return {p.name: p.value for p in RuleParameter.objects.filter(ruleset=ruleset).order_by("name", "id")}


def version_published_by(*, name: str, as_of: dt.datetime) -> RuleSet | None:
    """The newest version of rule set ``name`` published at or before ``as_of`` (None: none was)."""
    return RuleSet.objects.filter(name=name, published_at__lte=as_of).order_by("-version", "-id").first()


@dataclass(frozen=True)
class ParameterRow:
    """One parameter as a page shows it: Japanese name and readable value for everyone; the code, stored value,
    confidence and source for operator staff only."""

    name: str
    label: str
    shown_value: str
    value: str
    confidence: str
    confidence_label: str
    source: str

    @property
    def doubtful(self) -> bool:
        return self.confidence in DOUBTFUL_CONFIDENCES


def parameter_rows(*, ruleset: RuleSet) -> list[ParameterRow]:
    """The parameters of one version, in the order of rules.md §6, with their Japanese names and readable values."""
    return [
        ParameterRow(
            name=p.name,
            label=labels.label_of(name=p.name),
            shown_value=labels.shown_value(name=p.name, value=p.value),
            value=p.value,
            confidence=p.confidence,
            confidence_label=p.get_confidence_display(),
            source=p.source,
        )
        for p in parameters_of(ruleset=ruleset)
    ]
