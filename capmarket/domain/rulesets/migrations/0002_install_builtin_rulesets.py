"""Install the built-in rule sets jp-2024 and jp-2025 (rules.md §6) as version 1.

The values are copied here, frozen, rather than read from ``capmarket.calc.rules`` at migration time: a migration
must give the same database on every install, for ever. Had it read the TOML files (or had a post-migrate hook
installed them), a later edit of a built-in value would make version 1 of a fresh install differ from version 1
of an upgraded one — and a version is immutable by definition; a changed value is a new published version.
``tests/integration/accounts/test_rulesets.py`` checks that this copy equals the built-in files.
"""

from django.db import migrations
from django.utils import timezone

BUILTIN = [
    {
        "name": "jp-2024",
        "delivery_year": 2024,
        "parameters": [
            (
                "transitional_deduction_rate",
                "0.42",
                "confirmed",
                "rules.md §1: FY2024 14,137 → 8,199 円/kW (42 %); FY2025 inferred",
            ),
            ("outage_allowance_slots", "8640", "seed", "seed 001 p.13 (180 days × 48 slots)"),
            ("outage_rate", "0.000125", "seed", "seed 001 p.13 (0.0125 %/slot)"),
            ("tight_hours_per_year", "60", "placeholder", "not public in our sources; placeholder, unverified"),
            ("tight_reserve_margin_pct", "8", "seed", "seed 000 (広域予備率 8 % judgement)"),
            ("dispatch_netting", "order", "decision", "rules.md §2.4 [decision]"),
            ("dispatch_penalty_factor", "1.1", "seed", "seed 001 p.14 (110 %)"),
            ("dispatch_hours_per_order", "3", "seed", "seed 001 p.14 (3h/回)"),
            ("dispatch_orders_per_year", "12", "seed", "seed 001 p.14 (12回)"),
            ("coal_restraint_enabled", "false", "seed", "seed 003 p.6 (from FY2025)"),
            ("coal_restraint_rate", "0.2", "seed", "seed 003 pp.6-7 (20 %)"),
            ("coal_capacity_factor_limit_pct", "50", "seed", "seed 003 p.6 (50 %)"),
            ("monthly_cap_enabled", "true", "unverified", "rules.md §2.6"),
            ("monthly_cap_rate", "0.183", "unverified", "rules.md §2.6"),
            ("annual_cap_enabled", "true", "unverified", "rules.md §2.6"),
            ("annual_cap_rate", "1.10", "unverified", "rules.md §2.6"),
            ("payment_lag_months", "5", "seed", "seed 003 p.5 (April → September)"),
            ("tax_rate", "0.10", "law", "消費税法 (10 %)"),
            ("contributions_taxable", "true", "decision", "rules.md §6 [decision]"),
            ("contribution_lag_months", "2", "inferred", "inferred from OCCTO notices"),
            ("tso_share_rate", "0.06", "seed", "seed 001 p.16 (6 %); an area's own value wins"),
        ],
    },
    {
        "name": "jp-2025",
        "delivery_year": 2025,
        "parameters": [
            (
                "transitional_deduction_rate",
                "0.35",
                "placeholder",
                "rules.md §1: FY2024 14,137 → 8,199 円/kW (42 %); FY2025 inferred",
            ),
            ("outage_allowance_slots", "8640", "seed", "seed 001 p.13 (180 days × 48 slots)"),
            ("outage_rate", "0.000125", "seed", "seed 001 p.13 (0.0125 %/slot)"),
            ("tight_hours_per_year", "60", "placeholder", "not public in our sources; placeholder, unverified"),
            ("tight_reserve_margin_pct", "8", "seed", "seed 000 (広域予備率 8 % judgement)"),
            ("dispatch_netting", "order", "decision", "rules.md §2.4 [decision]"),
            ("dispatch_penalty_factor", "1.1", "seed", "seed 001 p.14 (110 %)"),
            ("dispatch_hours_per_order", "3", "seed", "seed 001 p.14 (3h/回)"),
            ("dispatch_orders_per_year", "12", "seed", "seed 001 p.14 (12回)"),
            ("coal_restraint_enabled", "true", "seed", "seed 003 p.6 (from FY2025)"),
            ("coal_restraint_rate", "0.2", "seed", "seed 003 pp.6-7 (20 %)"),
            ("coal_capacity_factor_limit_pct", "50", "seed", "seed 003 p.6 (50 %)"),
            ("monthly_cap_enabled", "true", "unverified", "rules.md §2.6"),
            ("monthly_cap_rate", "0.183", "unverified", "rules.md §2.6"),
            ("annual_cap_enabled", "true", "unverified", "rules.md §2.6"),
            ("annual_cap_rate", "1.10", "unverified", "rules.md §2.6"),
            ("payment_lag_months", "5", "seed", "seed 003 p.5 (April → September)"),
            ("tax_rate", "0.10", "law", "消費税法 (10 %)"),
            ("contributions_taxable", "true", "decision", "rules.md §6 [decision]"),
            ("contribution_lag_months", "2", "inferred", "inferred from OCCTO notices"),
            ("tso_share_rate", "0.06", "seed", "seed 001 p.16 (6 %); an area's own value wins"),
        ],
    },
]


def install(apps, schema_editor):
    RuleSet = apps.get_model("rulesets", "RuleSet")
    RuleParameter = apps.get_model("rulesets", "RuleParameter")
    now = timezone.now()
    for entry in BUILTIN:
        if RuleSet.objects.filter(name=entry["name"]).exists():
            continue
        ruleset = RuleSet.objects.create(
            name=entry["name"],
            version=1,
            delivery_year=entry["delivery_year"],
            note="組込みルールセット（rules.md §6）",
            published_at=now,
        )
        RuleParameter.objects.bulk_create(
            RuleParameter(ruleset=ruleset, name=name, value=value, confidence=confidence, source=source)
            for name, value, confidence, source in entry["parameters"]
        )


def uninstall(apps, schema_editor):
    RuleSet = apps.get_model("rulesets", "RuleSet")
    RuleParameter = apps.get_model("rulesets", "RuleParameter")
    names = [entry["name"] for entry in BUILTIN]
    RuleParameter.objects.filter(ruleset__name__in=names, ruleset__version=1).delete()
    RuleSet.objects.filter(name__in=names, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("rulesets", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
