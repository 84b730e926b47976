"""An index for the document list, newest first (the list no longer sorts every document for a page)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0005_annual_and_exit_document_types"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["-issue_date", "-number"], name="document_issued"),
        ),
    ]
