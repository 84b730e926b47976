"""Rule sets on the screens: staff and participants read a version, staff publish version N+1 (the operations and
the built-in versions are tested in ``tests/integration/accounts/test_rulesets.py``)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from capmarket.calc.rules import PARAMETER_NAMES, load_builtin
from capmarket.domain.accounts.models import User
from capmarket.domain.audit.models import AuditAction, AuditEvent
from capmarket.domain.rulesets import queries as ruleset_queries
from capmarket.domain.rulesets.models import RuleSet


def _v1(name: str) -> RuleSet:
    return RuleSet.objects.get(name=name, version=1)


def _form_data(ruleset: RuleSet, **values: str) -> dict[str, str]:
    data = {"note": "テスト改定"}
    for p in ruleset_queries.parameters_of(ruleset=ruleset):
        data[f"value__{p.name}"] = values.get(p.name, p.value)
        data[f"source__{p.name}"] = p.source
        data[f"confidence__{p.name}"] = p.confidence
    return data


def test_staff_see_every_parameter_with_its_source_and_doubtful_flag(client: Client, approver: User) -> None:
    client.force_login(approver)

    body = client.get(reverse("web:ruleset_detail", args=[_v1("jp-2025").pk])).content.decode()

    for name in PARAMETER_NAMES:
        assert name in body
    doubtful = [
        p for p in load_builtin(name="jp-2025").parameters.values() if p.confidence in {"placeholder", "unverified"}
    ]
    assert len(doubtful) >= 2
    assert body.count('class="badge warn"') == len(doubtful)
    assert '<span class="badge warn">仮置き</span>' in body
    assert "seed 003 p.6 (from FY2025)" in body


def test_participants_read_japanese_names_and_values_without_developers_notes(
    client: Client, company_user: User
) -> None:
    client.force_login(company_user)

    body = client.get(reverse("web:ruleset_detail", args=[_v1("jp-2025").pk])).content.decode()
    listing = client.get(reverse("web:ruleset_list")).content.decode()

    assert "経過措置による控除率" in body
    assert "35%" in body
    assert "計画停止の許容コマ数（年間）" in body
    assert "8,640コマ" in body
    assert "あり" in body
    for note in (
        "transitional_deduction_rate",
        "unverified",
        "未確認",
        "仮置き",
        "[decision]",
        "§",
        "seed",
        "rules.md",
    ):
        assert note not in body, note
        assert note not in listing, note


def test_publish_creates_version_2_and_leaves_version_1_intact(client: Client, approver: User) -> None:
    v1 = _v1("jp-2025")
    before = ruleset_queries.values_of(ruleset=v1)
    client.force_login(approver)

    response = client.post(
        reverse("web:ruleset_publish", args=[v1.pk]), _form_data(v1, transitional_deduction_rate="0.40")
    )

    assert response.status_code == 302
    v2 = RuleSet.objects.get(name="jp-2025", version=2)
    assert v2.based_on == v1
    assert v2.published_by == approver
    assert ruleset_queries.values_of(ruleset=v2)["transitional_deduction_rate"] == "0.40"
    assert ruleset_queries.values_of(ruleset=v1) == before
    event = AuditEvent.objects.get(action=AuditAction.PUBLISHED)
    assert event.changes == {"transitional_deduction_rate": ["0.35", "0.40"]}
    old_page = client.get(reverse("web:ruleset_detail", args=[v1.pk])).content.decode()
    assert "旧版" in old_page
    assert "0.35" in old_page


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("transitional_deduction_rate", "abc", "小数"),
        ("tight_hours_per_year", "0", "1以上"),
        ("coal_restraint_enabled", "yes", "true または false"),
        ("dispatch_netting", "hourly", "order または slot"),
        ("payment_lag_months", "-1", "整数"),
    ],
)
def test_invalid_values_are_refused_naming_the_parameter(
    client: Client, approver: User, name: str, value: str, message: str
) -> None:
    v1 = _v1("jp-2024")
    client.force_login(approver)

    response = client.post(reverse("web:ruleset_publish", args=[v1.pk]), _form_data(v1, **{name: value}))

    assert response.status_code == 200
    errors = response.context["form"].errors[f"value__{name}"]
    assert any(name in e and message in e for e in errors), errors
    assert not RuleSet.objects.filter(name="jp-2024", version=2).exists()


def test_operator_may_read_but_not_publish(client: Client, operator: User) -> None:
    client.force_login(operator)
    v1 = _v1("jp-2024")

    assert client.get(reverse("web:ruleset_list")).status_code == 200
    assert client.get(reverse("web:ruleset_publish", args=[v1.pk])).status_code == 403
    assert client.post(reverse("web:ruleset_publish", args=[v1.pk]), _form_data(v1, tax_rate="0.2")).status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, actor=operator).count() == 2
    assert not RuleSet.objects.filter(version=2).exists()
