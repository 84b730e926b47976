"""電源等差替の取消: a new application kind and its notice kind (電源等差替取消通知書); the record is a ReplacementEnd."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0002_contract_change_requests"),
        ("predelivery", "0003_replacement_end_date"),
        ("registry", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="application",
            name="application_kind_known",
        ),
        migrations.RemoveConstraint(
            model_name="noticedocument",
            name="notice_document_kind_known",
        ),
        migrations.AlterField(
            model_name="application",
            name="kind",
            field=models.CharField(
                choices=[
                    ("expected_capacity", "期待容量の登録・変更・取消"),
                    ("replacement", "電源等差替"),
                    ("replacement_end", "電源等差替の終了"),
                    ("replacement_withdrawal", "電源等差替の取消"),
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
                    ("replacement_withdrawal", "電源等差替取消通知書"),
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
                    ("replacement_withdrawal", "電源等差替取消通知書"),
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
                            "replacement_withdrawal",
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
                            "replacement_withdrawal",
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
    ]
