"""The chart of accounts of the market account (容量市場勘定). Codes are named in ``capmarket/domain/ledger/chart.py``
(copied here: migrations do not import application code)."""

from django.db import migrations

ACCOUNTS = (
    ("1110", "普通預金", "asset", False, "対象外", "容量市場勘定の決済口座"),
    (
        "1310",
        "未収金（容量確保契約金精算）",
        "asset",
        True,
        "対象外",
        "容量提供事業者への請求書（経済的ペナルティが交付額を上回る月）の未回収額",
    ),
    (
        "1320",
        "未収金（容量拠出金）",
        "asset",
        True,
        "対象外",
        "小売電気事業者・一般送配電事業者への容量拠出金請求書の未回収額",
    ),
    ("1330", "未収金（追加徴収）", "asset", True, "対象外", "年次精算の追加徴収の未回収額"),
    ("1410", "仮払消費税", "asset", False, "対象外", "容量確保契約金（交付額）に係る消費税"),
    ("2110", "未払金（容量確保契約金）", "liability", True, "対象外", "支払通知書の未払額"),
    ("2120", "未払金（還元金）", "liability", True, "対象外", "年次精算の還元金の未払額"),
    ("2310", "預り金（過入金）", "liability", True, "対象外", "請求額を超える入金"),
    ("2410", "仮受消費税", "liability", False, "対象外", "容量拠出金に係る消費税"),
    ("2420", "未払消費税等", "liability", False, "対象外", "仮受消費税と仮払消費税の差額（年次）"),
    ("3100", "繰越収支差額", "net_assets", False, "対象外", "前年度までの収支差額"),
    (
        "4110",
        "容量拠出金収益（小売電気事業者）",
        "revenue",
        True,
        "課税売上10%",
        "小売電気事業者への容量拠出金（税抜）",
    ),
    (
        "4120",
        "容量拠出金収益（一般送配電事業者）",
        "revenue",
        True,
        "課税売上10%",
        "一般送配電事業者への容量拠出金（税抜）",
    ),
    (
        "4210",
        "経済的ペナルティ収益",
        "revenue",
        True,
        "課対仕入返還10%",
        "容量確保契約金から控除した経済的ペナルティ（消費税法上は対価の返還として交付額と相殺）",
    ),
    ("4310", "追加徴収収益", "revenue", True, "課税売上10%", "年次精算の追加徴収（税抜）"),
    ("5110", "容量確保契約金", "expense", True, "課対仕入10%", "容量提供事業者への交付額（税抜）"),
    ("5210", "還元金", "expense", True, "対象外", "年次精算で容量拠出金の拠出者へ還元する経済的ペナルティ"),
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
    dependencies = [("ledger", "0002_database_guards")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
