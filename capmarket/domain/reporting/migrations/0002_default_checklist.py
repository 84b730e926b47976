"""The contractor's daily checklist as the desk starts with it (staff add and retire items later)."""

import datetime as dt

from django.db import migrations

ITEMS = (
    ("mailbox", "問合せ窓口メールボックスの受信確認", 10),
    ("new_inquiries", "新規問合せの分類・担当者の割当て", 20),
    ("overdue", "回答期限を過ぎた・迫っている問合せの確認", 30),
    ("answer_review", "回答案の確認（ダブルチェック）待ちの処理", 40),
    ("email_failures", "送信失敗・不達メールの確認", 50),
    ("reserve_margin", "広域予備率の公表・判定結果とメール送信の確認", 60),
    ("jobs", "バックグラウンド処理（一括登録・算定・帳票）の結果確認", 70),
    ("daily_report", "日次結果報告の内容確認", 80),
)


def add_items(apps, schema_editor):
    item = apps.get_model("reporting", "ChecklistItem")
    at = dt.datetime(2025, 3, 1, 0, 0, tzinfo=dt.UTC)
    for code, label, order in ITEMS:
        item.objects.get_or_create(code=code, defaults={"label": label, "sort_order": order, "created_at": at})


def remove_items(apps, schema_editor):
    apps.get_model("reporting", "ChecklistItem").objects.filter(
        code__in=[c for c, _, _ in ITEMS], ticks__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_operation_reports")]

    operations = [migrations.RunPython(add_items, remove_items)]
