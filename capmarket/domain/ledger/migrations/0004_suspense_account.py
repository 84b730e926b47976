"""仮受金 (suspense, 2320): a credit the bank booked that is not matched with confidence is still money in the
bank — it is posted to 仮受金 on import and moved to the receivable when staff match it (docs/treasury.md).

Also: 追加徴収収益 (4310) is 不課税 (対象外), not 課税売上10% — the annual re-billing spreads contributions that
could not be collected, whose consumption tax the original bills already charged (docs/treasury.md).
Rows copied here: migrations do not import application code."""

from django.db import migrations

SUSPENSE = ("2320", "仮受金", "liability", False, "対象外", "消込できていない入金（入金元・充当先の確認待ち）")
ADDITIONAL = (
    "4310",
    "追加徴収収益",
    "revenue",
    True,
    "対象外",
    "年次精算の追加徴収（不課税: 未回収の容量拠出金の消費税は当初の請求書で計上済み）",
)
ADDITIONAL_BEFORE = ("4310", "追加徴収収益", "revenue", True, "課税売上10%", "年次精算の追加徴収（税抜）")


def _put(apps, row):
    code, name, kind, per_company, tax_category, description = row
    apps.get_model("ledger", "Account").objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "kind": kind,
            "per_company": per_company,
            "tax_category": tax_category,
            "description": description,
        },
    )


def install(apps, schema_editor):
    _put(apps, SUSPENSE)
    _put(apps, ADDITIONAL)


def uninstall(apps, schema_editor):
    account = apps.get_model("ledger", "Account")
    if not apps.get_model("ledger", "Entry").objects.filter(account__code=SUSPENSE[0]).exists():
        account.objects.filter(code=SUSPENSE[0]).delete()
    _put(apps, ADDITIONAL_BEFORE)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_chart_of_accounts")]

    operations = [migrations.RunPython(install, uninstall)]
