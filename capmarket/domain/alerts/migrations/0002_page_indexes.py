"""Indexes for the publications covering given dates (the board and the import read only their versions) and for
the latest alerts of a kind (the notified slots)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_reserve_margin_alerts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="publication",
            index=models.Index(fields=["last_date", "first_date"], name="publication_dates"),
        ),
        migrations.AddIndex(
            model_name="provideralert",
            index=models.Index(fields=["kind", "-created_at", "-id"], name="alert_kind_created"),
        ),
    ]
