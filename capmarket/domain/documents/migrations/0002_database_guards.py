"""Database guards of issued documents (PostgreSQL and SQLite alike).

- Documents, their lines, tax lines and PDFs, and operator-profile versions are never updated or deleted.
- Document numbers are gap-free: a document's sequence must be one more than the highest of its type and year.
- A number counter only moves forward and is never deleted.
"""

from django.db import migrations

IMMUTABLE_TABLES = (
    "documents_document",
    "documents_documentline",
    "documents_documenttaxline",
    "documents_documentfile",
    "documents_operatorprofile",
)

_IMMUTABLE_TRIGGERS = "".join(
    f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION documents_refuse_change();\n"
    for table in IMMUTABLE_TABLES
)
_DROP_IMMUTABLE_TRIGGERS = "".join(
    f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};\n" for table in IMMUTABLE_TABLES
)

_NEXT_SEQUENCE = (
    "coalesce((SELECT max(d.sequence) FROM documents_document d WHERE d.document_type = NEW.document_type "
    "AND d.fiscal_year = NEW.fiscal_year), 0) + 1"
)

POSTGRESQL_FORWARD = f"""
CREATE OR REPLACE FUNCTION documents_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'documents: % on % refused: issued documents never change (issue a correction instead)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;

{_IMMUTABLE_TRIGGERS}

CREATE OR REPLACE FUNCTION documents_gap_free_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.sequence <> {_NEXT_SEQUENCE} THEN
        RAISE EXCEPTION 'documents: number % of % % leaves a gap', NEW.sequence, NEW.document_type, NEW.fiscal_year
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER documents_document_gap_free BEFORE INSERT ON documents_document
    FOR EACH ROW EXECUTE FUNCTION documents_gap_free_number();

CREATE OR REPLACE FUNCTION documents_counter_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'documents: a number counter is never deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.last_sequence < OLD.last_sequence OR NEW.document_type <> OLD.document_type
       OR NEW.fiscal_year <> OLD.fiscal_year THEN
        RAISE EXCEPTION 'documents: a number counter only moves forward'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER documents_counter_forward BEFORE UPDATE OR DELETE ON documents_documentnumbercounter
    FOR EACH ROW EXECUTE FUNCTION documents_counter_forward();
"""

POSTGRESQL_REVERSE = f"""
DROP TRIGGER IF EXISTS documents_counter_forward ON documents_documentnumbercounter;
DROP TRIGGER IF EXISTS documents_document_gap_free ON documents_document;
{_DROP_IMMUTABLE_TRIGGERS}
DROP FUNCTION IF EXISTS documents_counter_forward();
DROP FUNCTION IF EXISTS documents_gap_free_number();
DROP FUNCTION IF EXISTS documents_refuse_change();
"""

SQLITE_FORWARD = [
    *(
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} BEGIN "
        f"SELECT RAISE(ABORT, 'documents: {op} on {table} refused: issued documents never change "
        "(issue a correction instead)'); END"
        for table in IMMUTABLE_TABLES
        for op in ("UPDATE", "DELETE")
    ),
    f"CREATE TRIGGER documents_document_gap_free BEFORE INSERT ON documents_document "
    f"WHEN NEW.sequence <> {_NEXT_SEQUENCE} "
    "BEGIN SELECT RAISE(ABORT, 'documents: the document number leaves a gap'); END",
    "CREATE TRIGGER documents_counter_no_delete BEFORE DELETE ON documents_documentnumbercounter "
    "BEGIN SELECT RAISE(ABORT, 'documents: a number counter only moves forward'); END",
    "CREATE TRIGGER documents_counter_forward BEFORE UPDATE ON documents_documentnumbercounter "
    "WHEN NEW.last_sequence < OLD.last_sequence OR NEW.document_type <> OLD.document_type "
    "OR NEW.fiscal_year <> OLD.fiscal_year "
    "BEGIN SELECT RAISE(ABORT, 'documents: a number counter only moves forward'); END",
]

SQLITE_TRIGGER_NAMES = [
    *(f"{table}_no_{op}" for table in IMMUTABLE_TABLES for op in ("update", "delete")),
    "documents_document_gap_free",
    "documents_counter_no_delete",
    "documents_counter_forward",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"the documents' database guards are written for PostgreSQL and SQLite, not {vendor}")


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGER_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(forward, reverse)]
