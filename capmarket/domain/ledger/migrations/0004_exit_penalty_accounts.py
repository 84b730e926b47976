"""Accounts for the market-exit penalty (市場退出時の経済的ペナルティ) billed by its own invoice: a receivable and a
revenue account of their own, so that the books and the annual settlement tell exit penalties apart from the monthly
penalties netted against instalments (4210). Codes are named in ``capmarket/domain/ledger/chart.py`` (copied here:
migrations do not import application code)."""

from django.db import migrations, models

ACCOUNTS = (
    (
        "1340",
        "未収金（市場退出ペナルティ）",
        "asset",
        True,
        "対象外",
        "市場退出時の経済的ペナルティの請求書の未回収額",
    ),
    (
        "4220",
        "市場退出ペナルティ収益",
        "revenue",
        True,
        "対象外",
        "市場退出時の経済的ペナルティ（契約解約に伴う違約金: 対価ではなく不課税）",
    ),
)


def install(apps, schema_editor):
    account = apps.get_model("ledger", "Account")
    for code, name, kind, per_company, tax_category, description in ACCOUNTS:
        account.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "per_company": per_company,
                "tax_category": tax_category,
                "description": description,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_chart_of_accounts")]

    operations = [
        migrations.AlterField(
            model_name="transaction",
            name="kind",
            field=models.CharField(
                choices=[
                    ("payment_notice", "支払通知書"),
                    ("invoice", "請求書"),
                    ("contribution_invoice", "容量拠出金請求書"),
                    ("exit_penalty_invoice", "市場退出ペナルティ請求書"),
                    ("credit_note", "赤伝（取消）"),
                    ("receipt", "入金"),
                    ("disbursement", "出金"),
                    ("annual_settlement", "年次精算"),
                    ("reversal", "取消仕訳"),
                    ("manual", "振替伝票"),
                ],
                max_length=32,
                verbose_name="種別",
            ),
        ),
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
