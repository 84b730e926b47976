"""Monthly totals per account (月次科目合計), so that the trial balance reads closed months from a few rows instead
of summing every entry ever posted (docs/ledger.md, "Trial balance").

- The table ``ledger_monthlytotal``: Σ debit / Σ credit per (closed period, account).
- Guards, PostgreSQL and SQLite alike: no UPDATE or DELETE of a total; no total for a period that is open (totals
  are made when a close is approved, of a month that takes no more postings).
- The totals of the months already closed, summed from their entries (the build step for existing books).

The SQL is written here (migrations do not import application code); tests read it from this module.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Sum

POSTGRESQL_FORWARD = """
CREATE TRIGGER ledger_monthlytotal_immutable BEFORE UPDATE OR DELETE ON ledger_monthlytotal
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE OR REPLACE FUNCTION ledger_check_monthly_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_period p WHERE p.id = NEW.period_id AND p.state = 'open') THEN
        RAISE EXCEPTION 'ledger: monthly totals are made only for a month that is closed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_monthlytotal_of_closed BEFORE INSERT ON ledger_monthlytotal
    FOR EACH ROW EXECUTE FUNCTION ledger_check_monthly_total();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS ledger_monthlytotal_of_closed ON ledger_monthlytotal;
DROP TRIGGER IF EXISTS ledger_monthlytotal_immutable ON ledger_monthlytotal;
DROP FUNCTION IF EXISTS ledger_check_monthly_total();
"""

SQLITE_FORWARD = [
    *(
        f"CREATE TRIGGER ledger_monthlytotal_no_{op.lower()} BEFORE {op} ON ledger_monthlytotal BEGIN "
        f"SELECT RAISE(ABORT, 'ledger: {op} on ledger_monthlytotal refused: the totals of a closed month never "
        "change'); END"
        for op in ("UPDATE", "DELETE")
    ),
    "CREATE TRIGGER ledger_monthlytotal_of_closed BEFORE INSERT ON ledger_monthlytotal "
    "WHEN EXISTS (SELECT 1 FROM ledger_period p WHERE p.id = NEW.period_id AND p.state = 'open') "
    "BEGIN SELECT RAISE(ABORT, 'ledger: monthly totals are made only for a month that is closed'); END",
]

SQLITE_TRIGGER_NAMES = [
    "ledger_monthlytotal_no_update",
    "ledger_monthlytotal_no_delete",
    "ledger_monthlytotal_of_closed",
]


def guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"the ledger's database guards are written for PostgreSQL and SQLite, not {vendor}")


def no_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGER_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def totals_of_closed_months(apps, schema_editor):
    """The totals of every month closed before this migration, from its entries."""
    Period = apps.get_model("ledger", "Period")
    Entry = apps.get_model("ledger", "Entry")
    MonthlyTotal = apps.get_model("ledger", "MonthlyTotal")
    for period in Period.objects.filter(state="closed").order_by("start_date"):
        sums = (
            Entry.objects.filter(
                transaction__posted_on__gte=period.start_date, transaction__posted_on__lt=period.end_date
            )
            .values("account_id")
            .annotate(d=Sum("debit_yen"), c=Sum("credit_yen"))
            .order_by("account_id")
        )
        MonthlyTotal.objects.bulk_create(
            MonthlyTotal(period_id=period.pk, account_id=r["account_id"], debit_yen=r["d"] or 0, credit_yen=r["c"] or 0)
            for r in sums
        )


def drop_totals(apps, schema_editor):
    """Reversing: the table is dropped by the next step back (its guards are gone by then)."""


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0005_merge_suspense_and_exit_accounts"),
    ]

    operations = [
        migrations.CreateModel(
            name="MonthlyTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("debit_yen", models.BigIntegerField(verbose_name="借方合計（円）")),
                ("credit_yen", models.BigIntegerField(verbose_name="貸方合計（円）")),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="勘定科目",
                    ),
                ),
                (
                    "period",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="totals",
                        to="ledger.period",
                        verbose_name="会計期間",
                    ),
                ),
            ],
            options={
                "verbose_name": "月次科目合計",
                "verbose_name_plural": "月次科目合計",
                "constraints": [
                    models.UniqueConstraint(fields=("period", "account"), name="ledger_monthly_total_unique"),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("debit_yen__gte", 0),
                            ("credit_yen__gte", 0),
                            models.Q(("debit_yen__gt", 0), ("credit_yen__gt", 0), _connector="OR"),
                        ),
                        name="ledger_monthly_total_sums",
                    ),
                ],
            },
        ),
        migrations.RunPython(guards, no_guards),
        migrations.RunPython(totals_of_closed_months, drop_totals),
    ]
