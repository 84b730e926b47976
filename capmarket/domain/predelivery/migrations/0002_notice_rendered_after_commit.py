"""Notices are recorded with their content in the transaction of the act; the PDF is rendered after it commits."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("predelivery", "0001_pre_delivery_applications")]

    operations = [
        migrations.AddField(
            model_name="noticedocument",
            name="content",
            field=models.JSONField(blank=True, default=dict, verbose_name="記載内容"),
        ),
        migrations.AddField(
            model_name="noticedocument",
            name="rendered_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="PDF作成日時"),
        ),
        migrations.AlterField(
            model_name="noticedocument",
            name="sha256",
            field=models.CharField(blank=True, max_length=64, verbose_name="SHA-256"),
        ),
        migrations.AlterField(
            model_name="noticedocument",
            name="size_bytes",
            field=models.PositiveIntegerField(default=0, verbose_name="サイズ（バイト）"),
        ),
        migrations.AlterField(
            model_name="noticedocument",
            name="storage_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="保存先"),
        ),
        migrations.AddConstraint(
            model_name="noticedocument",
            constraint=models.UniqueConstraint(
                condition=models.Q(("storage_name", ""), _negated=True),
                fields=("storage_name",),
                name="notice_document_storage_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="noticedocument",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("storage_name", ""), ("sha256", ""), ("size_bytes", 0), ("rendered_at__isnull", True)),
                    models.Q(
                        models.Q(("storage_name", ""), _negated=True),
                        models.Q(("sha256", ""), _negated=True),
                        ("size_bytes__gt", 0),
                    ),
                    _connector="OR",
                ),
                name="notice_document_file_whole",
            ),
        ),
    ]
