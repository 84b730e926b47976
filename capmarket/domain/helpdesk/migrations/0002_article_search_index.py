"""On PostgreSQL, a trigram index (pg_trgm) on the normalised search text of FAQ entries and talk scripts, which
serves the search's ``LIKE '%word%'`` comparisons. Other databases (SQLite) search the same column without it. If
the extension cannot be created (no right to), the search still works, unindexed."""

from django.db import migrations, transaction


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # without the extension the search runs unindexed
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS helpdesk_article_search_trgm "
        "ON helpdesk_knowledgearticle USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS helpdesk_article_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0001_inquiry_desk")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
