"""電源等差替: an optional end date (差替終了日) and the early end of a replacement in force (ReplacementEnd)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0002_contract_change_requests"),
        ("predelivery", "0002_notice_rendered_after_commit"),
        ("registry", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReplacementEnd",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("valid_to", models.DateField(verbose_name="差替終了日")),
                ("reason", models.TextField(verbose_name="終了の理由")),
                ("in_force", models.BooleanField(default=False, verbose_name="適用中")),
            ],
            options={
                "verbose_name": "電源等差替の終了",
                "verbose_name_plural": "電源等差替の終了",
            },
        ),
        migrations.RemoveConstraint(
            model_name="application",
            name="application_kind_known",
        ),
        migrations.RemoveConstraint(
            model_name="noticedocument",
            name="notice_document_kind_known",
        ),
        migrations.AddField(
            model_name="replacement",
            name="valid_to",
            field=models.DateField(blank=True, null=True, verbose_name="差替終了日"),
        ),
        migrations.AlterField(
            model_name="application",
            name="kind",
            field=models.CharField(
                choices=[
                    ("expected_capacity", "期待容量の登録・変更・取消"),
                    ("replacement", "電源等差替"),
                    ("replacement_end", "電源等差替の終了"),
                    ("succession", "電源承継・事業者統合"),
                    ("market_exit", "市場退出"),
                    ("effectiveness_test", "実効性テスト結果"),
                ],
                max_length=32,
                verbose_name="申込種別",
            ),
        ),
        migrations.AlterField(
            model_name="contractconfirmation",
            name="kind",
            field=models.CharField(
                choices=[
                    ("expected_capacity", "電源等登録通知書（期待容量）"),
                    ("eligibility", "容量オークション参加資格通知書"),
                    ("award", "容量オークション結果通知書"),
                    ("contract", "容量確保契約書（本紙）"),
                    ("contract_annex", "容量確保契約書（別紙）"),
                    ("change_contract", "変更契約書"),
                    ("cancellation", "解約合意書"),
                    ("replacement", "電源等差替通知書"),
                    ("replacement_end", "電源等差替終了通知書"),
                    ("succession", "電源承継・事業者統合通知書"),
                    ("exit_penalty", "市場退出時の経済的ペナルティ算定額通知書"),
                    ("effectiveness", "実効性テスト結果通知書"),
                    ("outage_adjustment", "容量停止計画調整結果通知書"),
                    ("rejection", "審査結果通知書（却下）"),
                ],
                max_length=32,
                verbose_name="文書",
            ),
        ),
        migrations.AlterField(
            model_name="noticedocument",
            name="kind",
            field=models.CharField(
                choices=[
                    ("expected_capacity", "電源等登録通知書（期待容量）"),
                    ("eligibility", "容量オークション参加資格通知書"),
                    ("award", "容量オークション結果通知書"),
                    ("contract", "容量確保契約書（本紙）"),
                    ("contract_annex", "容量確保契約書（別紙）"),
                    ("change_contract", "変更契約書"),
                    ("cancellation", "解約合意書"),
                    ("replacement", "電源等差替通知書"),
                    ("replacement_end", "電源等差替終了通知書"),
                    ("succession", "電源承継・事業者統合通知書"),
                    ("exit_penalty", "市場退出時の経済的ペナルティ算定額通知書"),
                    ("effectiveness", "実効性テスト結果通知書"),
                    ("outage_adjustment", "容量停止計画調整結果通知書"),
                    ("rejection", "審査結果通知書（却下）"),
                ],
                max_length=32,
                verbose_name="文書種別",
            ),
        ),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "kind__in",
                        [
                            "expected_capacity",
                            "replacement",
                            "replacement_end",
                            "succession",
                            "market_exit",
                            "effectiveness_test",
                        ],
                    )
                ),
                name="application_kind_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="noticedocument",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "kind__in",
                        [
                            "expected_capacity",
                            "eligibility",
                            "award",
                            "contract",
                            "contract_annex",
                            "change_contract",
                            "cancellation",
                            "replacement",
                            "replacement_end",
                            "succession",
                            "exit_penalty",
                            "effectiveness",
                            "outage_adjustment",
                            "rejection",
                        ],
                    )
                ),
                name="notice_document_kind_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="replacement",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("valid_to__isnull", True), ("valid_to__gt", models.F("valid_from")), _connector="OR"
                ),
                name="replacement_valid_to_after_from",
                violation_error_message="差替終了日は差替開始日より後の日付です。",
            ),
        ),
        migrations.AddField(
            model_name="replacementend",
            name="application",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="replacement_end",
                to="predelivery.application",
            ),
        ),
        migrations.AddField(
            model_name="replacementend",
            name="replacement",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ends",
                to="predelivery.replacement",
                verbose_name="終了する電源等差替",
            ),
        ),
        migrations.AddConstraint(
            model_name="replacementend",
            constraint=models.CheckConstraint(
                condition=models.Q(("reason", ""), _negated=True), name="replacement_end_reason_given"
            ),
        ),
    ]
