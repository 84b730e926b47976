"""The 市場退出ペナルティ請求書 (``exit_penalty_invoice``, numbers ``XP-<FY>-000001``): the invoice of a market exit's
penalty, issued when the exit is approved (``documents/exit_penalty.py``)."""

from django.db import migrations, models

DOCUMENT_TYPES = [
    ("payment_notice", "支払通知書"),
    ("invoice", "請求書"),
    ("contribution_invoice", "容量拠出金請求書"),
    ("penalty_notice", "経済的ペナルティ算定額通知書"),
    ("exit_penalty_invoice", "市場退出ペナルティ請求書"),
    ("credit_note", "赤伝（取消）"),
]
LINE_CATEGORIES = [
    ("instalment", "容量確保契約金額（各月）"),
    ("penalty", "経済的ペナルティ額"),
    ("coal_penalty", "稼働抑制の経済的ペナルティ額"),
    ("carried_in", "前月までの未精算額"),
    ("contribution", "容量拠出金"),
    ("penalty_requirement", "リクワイアメント別算定額"),
    ("cap_adjustment", "上限による調整"),
    ("adjustment", "調整額（過去月の再算定）"),
    ("exit_penalty", "市場退出時の経済的ペナルティ"),
    ("cancellation", "取消"),
]


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_database_guards")]

    operations = [
        migrations.AlterField(
            model_name="document",
            name="document_type",
            field=models.CharField(choices=DOCUMENT_TYPES, max_length=24, verbose_name="帳票種別"),
        ),
        migrations.AlterField(
            model_name="documentnumbercounter",
            name="document_type",
            field=models.CharField(choices=DOCUMENT_TYPES, max_length=24, verbose_name="帳票種別"),
        ),
        migrations.AlterField(
            model_name="documentline",
            name="category",
            field=models.CharField(choices=LINE_CATEGORIES, max_length=24, verbose_name="区分"),
        ),
    ]
