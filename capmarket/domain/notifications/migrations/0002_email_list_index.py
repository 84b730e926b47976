"""An index for the send log, newest first (a page no longer sorts every e-mail ever sent)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_outbox"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(fields=["-created_at", "-id"], name="email_created"),
        ),
    ]
