"""Database guards of the journal (PostgreSQL and SQLite alike).

- A transaction header seals its entries: inserting a header checks that its entries (already inserted) are at
  least two and balance (Σ debit = Σ credit > 0); inserting an entry for a sealed transaction is refused.
  On PostgreSQL a deferred constraint trigger checks the balance of every new entry's transaction again at
  commit.
- Headers and entries are never updated or deleted.
- Nothing is posted on or before the last day of a period that is closed or waiting for its close approval.
- A closed period, or a closed fiscal year, is final: no update, no delete.

The SQL is written here (migrations do not import application code); tests read it from this module.
"""

from django.db import migrations

IMMUTABLE_TABLES = ("ledger_transaction", "ledger_entry")
FINAL_TABLES = ("ledger_period", "ledger_annualclose")

POSTGRESQL_FORWARD = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % on % refused: posted entries never change (post a reversing entry instead)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER ledger_transaction_immutable BEFORE UPDATE OR DELETE ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE OR REPLACE FUNCTION ledger_check_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n integer;
    d bigint;
    c bigint;
BEGIN
    SELECT count(*), coalesce(sum(debit_yen), 0), coalesce(sum(credit_yen), 0) INTO n, d, c
        FROM ledger_entry WHERE transaction_uuid = NEW.uuid;
    IF n < 2 OR d <> c OR d = 0 THEN
        RAISE EXCEPTION 'ledger: transaction does not balance (% lines, debit %, credit %)', n, d, c
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM ledger_period p WHERE p.state <> 'open' AND NEW.posted_on < p.end_date) THEN
        RAISE EXCEPTION 'ledger: % lies in a closed period', NEW.posted_on
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_transaction_check BEFORE INSERT ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction();

CREATE OR REPLACE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_transaction t WHERE t.uuid = NEW.transaction_uuid) THEN
        RAISE EXCEPTION 'ledger: the transaction is already posted; entries cannot be added'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_entry_sealed BEFORE INSERT ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry();

CREATE OR REPLACE FUNCTION ledger_entry_balanced_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint;
    c bigint;
BEGIN
    SELECT coalesce(sum(debit_yen), 0), coalesce(sum(credit_yen), 0) INTO d, c
        FROM ledger_entry WHERE transaction_uuid = NEW.transaction_uuid;
    IF d <> c THEN
        RAISE EXCEPTION 'ledger: transaction does not balance at commit (debit %, credit %)', d, c
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced_at_commit();

CREATE OR REPLACE FUNCTION ledger_closed_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'closed' THEN
        RAISE EXCEPTION 'ledger: a closed period cannot be changed or reopened'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_period_final BEFORE UPDATE OR DELETE ON ledger_period
    FOR EACH ROW EXECUTE FUNCTION ledger_closed_is_final();
CREATE TRIGGER ledger_annualclose_final BEFORE UPDATE OR DELETE ON ledger_annualclose
    FOR EACH ROW EXECUTE FUNCTION ledger_closed_is_final();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS ledger_annualclose_final ON ledger_annualclose;
DROP TRIGGER IF EXISTS ledger_period_final ON ledger_period;
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_entry;
DROP TRIGGER IF EXISTS ledger_entry_sealed ON ledger_entry;
DROP TRIGGER IF EXISTS ledger_transaction_check ON ledger_transaction;
DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_entry;
DROP TRIGGER IF EXISTS ledger_transaction_immutable ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_closed_is_final();
DROP FUNCTION IF EXISTS ledger_entry_balanced_at_commit();
DROP FUNCTION IF EXISTS ledger_check_entry();
DROP FUNCTION IF EXISTS ledger_check_transaction();
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""

_ENTRIES_OF_NEW = "FROM ledger_entry WHERE transaction_uuid = NEW.uuid"

SQLITE_FORWARD = [
    *(
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} BEGIN "
        f"SELECT RAISE(ABORT, 'ledger: {op} on {table} refused: posted entries never change "
        "(post a reversing entry instead)'); END"
        for table in IMMUTABLE_TABLES
        for op in ("UPDATE", "DELETE")
    ),
    "CREATE TRIGGER ledger_transaction_balanced BEFORE INSERT ON ledger_transaction "
    f"WHEN (SELECT count(*) {_ENTRIES_OF_NEW}) < 2 "
    f"OR (SELECT coalesce(sum(debit_yen), 0) {_ENTRIES_OF_NEW}) <> (SELECT coalesce(sum(credit_yen), 0) {_ENTRIES_OF_NEW}) "
    f"OR (SELECT coalesce(sum(debit_yen), 0) {_ENTRIES_OF_NEW}) = 0 "
    "BEGIN SELECT RAISE(ABORT, 'ledger: transaction does not balance'); END",
    "CREATE TRIGGER ledger_transaction_open_period BEFORE INSERT ON ledger_transaction "
    "WHEN EXISTS (SELECT 1 FROM ledger_period p WHERE p.state <> 'open' AND NEW.posted_on < p.end_date) "
    "BEGIN SELECT RAISE(ABORT, 'ledger: the posting date lies in a closed period'); END",
    "CREATE TRIGGER ledger_entry_sealed BEFORE INSERT ON ledger_entry "
    "WHEN EXISTS (SELECT 1 FROM ledger_transaction t WHERE t.uuid = NEW.transaction_uuid) "
    "BEGIN SELECT RAISE(ABORT, 'ledger: the transaction is already posted; entries cannot be added'); END",
    *(
        f"CREATE TRIGGER {table}_final_{op.lower()} BEFORE {op} ON {table} WHEN OLD.state = 'closed' "
        "BEGIN SELECT RAISE(ABORT, 'ledger: a closed period cannot be changed or reopened'); END"
        for table in FINAL_TABLES
        for op in ("UPDATE", "DELETE")
    ),
]

SQLITE_TRIGGER_NAMES = [
    *(f"{table}_no_{op}" for table in IMMUTABLE_TABLES for op in ("update", "delete")),
    "ledger_transaction_balanced",
    "ledger_transaction_open_period",
    "ledger_entry_sealed",
    *(f"{table}_final_{op}" for table in FINAL_TABLES for op in ("update", "delete")),
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"the ledger's database guards are written for PostgreSQL and SQLite, not {vendor}")


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGER_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(forward, reverse)]
