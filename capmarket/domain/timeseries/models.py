"""Versioned slot-series datasets (architecture.md, "Slot series").

Each accepted upload of a dataset (``generation``, ``metering`` … as named in ``case-format.md``) becomes one
immutable version: Parquet files partitioned by month under ``settings.DATASETS_DIR``, referenced by one row
here. Rows are never one per slot. A version supersedes earlier versions only for the keys it contains; reads
ask for the data "as of" a moment (``queries.read_as_of``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from capmarket.calc.tables import DATASETS as CATALOGUE
from capmarket.domain.registry.models import Participant

#: Tables that may be stored as datasets — every table of the one catalogue (``capmarket.calc.tables``) — with their
#: key columns (a version supersedes earlier ones by them) and the column whose month partitions the stored files
#: (None: one partition, ``month=all``).
DATASETS: dict[str, tuple[tuple[str, ...], str | None]] = {
    name: (spec.key, spec.month_column) for name, spec in CATALOGUE.items()
}
DATASET_CHOICES = [(name, name) for name in DATASETS]
ALL_MONTHS = "all"


class DatasetVersion(models.Model):
    version_id = models.UUIDField("バージョンID", unique=True, editable=False)
    dataset = models.CharField("データ種別", max_length=32, choices=DATASET_CHOICES)
    sequence = models.PositiveIntegerField("版数")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登録者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dataset_versions",
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name="事業者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dataset_versions",
    )
    created_at = models.DateTimeField("登録日時")
    content_sha256 = models.CharField("内容のSHA-256", max_length=64)
    row_count = models.BigIntegerField("行数")
    key_columns = models.JSONField("キー項目")
    columns = models.JSONField("項目", help_text="[[名前, 型], …]")
    month_column = models.CharField("月の基準項目", max_length=32, blank=True)
    months = models.JSONField("対象月", default=list, help_text='["2025-04", …]; 月のない表は []')
    storage_path = models.CharField("格納先", max_length=300, help_text="DATASETS_DIR からの相対パス")
    source_name = models.CharField("元ファイル名", max_length=255, blank=True)

    class Meta:
        verbose_name = "データセット版"
        verbose_name_plural = "データセット版"
        constraints = [
            models.UniqueConstraint(fields=["dataset", "sequence"], name="dataset_version_sequence_unique"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="dataset_version_sequence_positive"),
            models.CheckConstraint(condition=Q(row_count__gte=1), name="dataset_version_has_rows"),
            models.CheckConstraint(condition=Q(dataset__in=list(DATASETS)), name="dataset_version_known_dataset"),
        ]
        indexes = [
            models.Index(fields=["dataset", "created_at"], name="dataset_version_created"),
            models.Index(fields=["dataset", "content_sha256"], name="dataset_version_sha"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} v{self.sequence}"
