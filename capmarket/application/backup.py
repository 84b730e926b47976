"""Backups and restore of a whole installation: the database and both file stores.

``back_up`` writes into an empty folder:

- ``database.pgdump`` (PostgreSQL: ``pg_dump`` in its custom format, one consistent snapshot) or
  ``database.sqlite3`` (SQLite: the online backup API, consistent while the system runs);
- ``files/<store>/…``: every file of every file store, read through the storage API (a folder or object storage):
  ``default`` (attachments, run outputs, publications), any other configured store (e.g. ``documents``) and
  ``datasets``;
- ``manifest.json``: format, time, engine, the database's migrations, its row count and a content digest (SHA-256
  based, independent of row order) per table, and every file with its size and SHA-256; ``SHA256SUMS`` the same
  sums for ``sha256sum -c``.

The database is copied first, then the files. Files are written before the rows that name them and never
change afterwards, so every file the copied database refers to is in the store when the files are copied.

``restore`` puts such a folder into an empty installation (no tables; stores empty, or holding only files of this
backup with the same content — a restore cut short can be run again). It checks every SHA-256 before writing
anything, copies the files, then restores the database in one transaction, and finally compares the row count and
content digest of every table and every file's SHA-256 with the manifest: every row comes back value for value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from capmarket.domain.timeseries.storage import dataset_storage

FORMAT = "capmarket-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
DUMP_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
CHUNK = 4 * 1024 * 1024

Progress = Callable[[str], None]


class UnableToBackUp(Exception):
    """The backup cannot be written (the folder is not empty, the database tool failed …)."""


class UnableToRestore(Exception):
    """The backup cannot be restored here (not a backup, a file changed, the installation is not empty …)."""


def file_stores() -> dict[str, Storage]:
    """The file stores a backup covers, by storage alias: every store of ``settings.STORAGES`` but the static files
    (which ship with the code) — ``default`` (attachments, run outputs, publications, documents unless they have a
    store of their own) and any other configured one — and the dataset store."""
    found = {alias: storages[alias] for alias in settings.STORAGES if alias != "staticfiles"}
    found.setdefault("datasets", dataset_storage())
    return found


def _walk(store: Storage, prefix: str = "") -> Iterator[str]:
    try:
        dirs, files = store.listdir(prefix)
    except FileNotFoundError:  # a folder store nothing was saved to yet
        return
    for name in sorted(files):
        yield f"{prefix}/{name}" if prefix else name
    for name in sorted(dirs):
        if name.startswith(".tmp-"):  # a dataset version being written: not yet part of the data
            continue
        yield from _walk(store, f"{prefix}/{name}" if prefix else name)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_out(store: Storage, name: str, target: Path) -> tuple[int, str]:
    """Copy a stored file to ``target``; returns (size, SHA-256)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with store.open(name, "rb") as source, target.open("wb") as out:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def _stored_sha256(store: Storage, name: str) -> str:
    digest = hashlib.sha256()
    with store.open(name, "rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tables() -> dict[str, str]:
    """Every table of the installed models (with auto-created many-to-many tables): table → label."""
    tables: dict[str, str] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables[model._meta.db_table] = model._meta.label
    return tables


def _migrations() -> dict[str, list[str]]:
    """The applied migrations, by app (as recorded in the database being backed up or restored)."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(loader.applied_migrations):
        applied.setdefault(app_label, []).append(name)
    return applied


def _count_rows(cursor: Any, tables: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    quote = connection.ops.quote_name
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - table names come from the models
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _value_text(value: Any) -> str:
    if isinstance(value, memoryview | bytearray):
        value = bytes(value)
    return repr(value)


def _digest_rows(cursor: Any, tables: dict[str, str]) -> dict[str, str]:
    """A SHA-256 of every table's content, independent of row order: the sum modulo 2**256 of each row's SHA-256
    (rows are distinct: every table has a primary key). The same database restored elsewhere — whatever its
    collation or physical order — gives the same digests, and any changed, lost or added value another."""
    digests: dict[str, str] = {}
    quote = connection.ops.quote_name
    for table in sorted(tables):
        cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - table names come from the models
        total = 0
        while batch := cursor.fetchmany(2000):
            for row in batch:
                text = "\x1f".join(_value_text(v) for v in row)
                total += int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest(), "big")
        digests[table] = f"{total % (1 << 256):064x}"
    return digests


def _pg_tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore``: from ``CAPMARKET_PG_BIN``, else the newest server's, else the PATH."""
    if folder := os.environ.get("CAPMARKET_PG_BIN"):
        return str(Path(folder) / name)
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed")
    return found


def _pg_args(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["--dbname", str(settings_dict["NAME"])]
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, env


def _run(argv: list[str], env: dict[str, str], what: str, error: type[Exception]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise error(f"{what} failed: {detail[-1] if detail else f'exit {done.returncode}'}")


# ------------------------------------------------------------------------------------------------------------ backup


@dataclass(frozen=True)
class BackupSummary:
    folder: Path
    engine: str
    tables: int
    rows: int
    files: int
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "backup": str(self.folder),
            "engine": self.engine,
            "tables": self.tables,
            "rows": self.rows,
            "files": self.files,
            "bytes": self.bytes,
        }


def _dump_database(folder: Path, tables: dict[str, str]) -> tuple[str, dict[str, int], dict[str, str]]:
    """Copy the database into ``folder``; returns (engine, rows per table, content digest per table) — counted and
    digested in the very copy."""
    vendor = connection.vendor
    if vendor not in DUMP_FILES:
        raise UnableToBackUp(f"database engine {vendor} is not supported")
    target = folder / DUMP_FILES[vendor]
    connection.ensure_connection()
    if vendor == "sqlite":
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)  # the online backup API: a consistent copy while others write
            return vendor, _count_rows(copy.cursor(), tables), _digest_rows(copy.cursor(), tables)
        finally:
            copy.close()
    # PostgreSQL: count the rows in a snapshot and have pg_dump dump that same snapshot.
    if connection.in_atomic_block:
        raise UnableToBackUp("a backup cannot be taken inside a database transaction")
    args, env = _pg_args(connection.settings_dict)
    connection.set_autocommit(False)
    with connection.cursor() as cursor:
        try:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = str(cursor.fetchone()[0])
            counts = _count_rows(cursor, tables)
            digests = _digest_rows(cursor, tables)
            _run(
                [
                    _pg_tool("pg_dump"),
                    *args,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ],
                env,
                "pg_dump",
                UnableToBackUp,
            )
        finally:
            connection.rollback()
            connection.set_autocommit(True)
    return vendor, counts, digests


def back_up(*, folder: Path, now: dt.datetime, progress: Progress | None = None) -> BackupSummary:
    """Write a backup of this installation into ``folder`` (created; must be empty if it exists)."""
    report = progress or (lambda message: None)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UnableToBackUp(f"{folder} is not an empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    tables = _tables()
    report("database")
    engine, rows, digests = _dump_database(folder, tables)
    dump = folder / DUMP_FILES[engine]
    migrations = _migrations()
    entries: list[dict[str, Any]] = []
    for store_name, store in file_stores().items():
        report(f"files: {store_name}")
        for name in _walk(store):
            relative = f"files/{store_name}/{name}"
            try:
                size, sha = _copy_out(store, name, folder / relative)
            except FileNotFoundError:  # removed since it was listed (a staged upload taken in meanwhile)
                (folder / relative).unlink(missing_ok=True)
                continue
            entries.append({"store": store_name, "name": name, "path": relative, "size": size, "sha256": sha})
    database = {
        "engine": engine,
        "path": dump.name,
        "size": dump.stat().st_size,
        "sha256": _sha256_of(dump),
        "migrations": migrations,
        "rows": rows,
        "digests": digests,
    }
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": now.isoformat(),
        "database": database,
        "files": entries,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    sums = [f"{database['sha256']}  {dump.name}"] + [f"{e['sha256']}  {e['path']}" for e in entries]
    (folder / SUMS).write_text("\n".join(sums) + "\n", encoding="utf-8")
    return BackupSummary(
        folder=folder,
        engine=engine,
        tables=len(rows),
        rows=sum(rows.values()),
        files=len(entries),
        bytes=database["size"] + sum(e["size"] for e in entries),
    )


# ----------------------------------------------------------------------------------------------------------- restore


@dataclass(frozen=True)
class RestoreSummary:
    engine: str
    tables: int
    rows: int
    files: int
    files_already_there: int
    migrations_to_apply: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "tables": self.tables,
            "rows": self.rows,
            "files": self.files,
            "files_already_there": self.files_already_there,
            "migrations_to_apply": self.migrations_to_apply,
        }


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UnableToRestore(f"{path}: no manifest (not a capmarket backup)") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnableToRestore(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UnableToRestore(f"{path}: not a capmarket backup")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise UnableToRestore(f"{path}: backup format {manifest.get('format_version')} is not {FORMAT_VERSION}")
    return manifest


def verify(folder: Path, manifest: dict[str, Any]) -> None:
    """Every file of the backup is there with the size and SHA-256 the manifest states."""
    database = manifest["database"]
    for entry in [database, *manifest["files"]]:
        path = folder / str(entry["path"])
        if not path.is_file():
            raise UnableToRestore(f"{entry['path']}: missing from the backup")
        if path.stat().st_size != entry["size"] or _sha256_of(path) != entry["sha256"]:
            raise UnableToRestore(f"{entry['path']}: SHA-256 differs from the manifest (damaged or altered)")


def _check_empty_database(engine: str) -> None:
    if connection.vendor != engine:
        raise UnableToRestore(f"the backup is of a {engine} database; this installation uses {connection.vendor}")
    if connection.introspection.table_names():
        raise UnableToRestore("the database is not empty: restore only into a new, empty database")


def _check_stores(manifest: dict[str, Any], stores: dict[str, Storage]) -> set[tuple[str, str]]:
    """Files already in the stores must be files of this backup with the same content; returns those."""
    wanted = {(e["store"], e["name"]): e["sha256"] for e in manifest["files"]}
    present: set[tuple[str, str]] = set()
    for store_name, store in stores.items():
        for name in _walk(store):
            key = (store_name, name)
            if key not in wanted or _stored_sha256(store, name) != wanted[key]:
                raise UnableToRestore(f"the {store_name} store is not empty ({name}): restore only into empty stores")
            present.add(key)
    return present


def _restore_database(folder: Path, database: dict[str, Any]) -> None:
    dump = folder / str(database["path"])
    settings_dict = connection.settings_dict
    connection.close()
    if database["engine"] == "sqlite":
        name = str(settings_dict["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise UnableToRestore("an in-memory database cannot be restored into")
        source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        target = sqlite3.connect(name)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return
    args, env = _pg_args(settings_dict)
    _run(
        [
            _pg_tool("pg_restore"),
            *args,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            str(dump),
        ],
        env,
        "pg_restore",
        UnableToRestore,
    )


def _restored_digests(tables: dict[str, str]) -> dict[str, str]:
    """Digests of the restored tables, read the way the backup read them (SQLite: a plain connection, values as
    stored, without Django's converters)."""
    if connection.vendor != "sqlite":
        return _digest_rows(connection.cursor(), tables)
    plain = sqlite3.connect(f"file:{connection.settings_dict['NAME']}?mode=ro", uri=True)
    try:
        return _digest_rows(plain.cursor(), tables)
    finally:
        plain.close()


def restore(*, folder: Path, progress: Progress | None = None) -> RestoreSummary:
    """Restore the backup in ``folder`` into this (empty) installation and check it against the manifest."""
    report = progress or (lambda message: None)
    manifest = read_manifest(folder)
    report("verifying the backup")
    verify(folder, manifest)
    database = manifest["database"]
    _check_empty_database(str(database["engine"]))
    stores = file_stores()
    unknown = {e["store"] for e in manifest["files"]} - set(stores)
    if unknown:
        raise UnableToRestore(f"the backup has files of unknown stores: {sorted(unknown)}")
    present = _check_stores(manifest, stores)
    for entry in manifest["files"]:
        if (entry["store"], entry["name"]) in present:
            continue
        store = stores[entry["store"]]
        with (folder / entry["path"]).open("rb") as handle:
            saved = store.save(entry["name"], File(handle))
        if saved != entry["name"]:
            raise UnableToRestore(f"{entry['path']}: the store saved it as {saved}")
    report(f"files: {len(manifest['files'])}")
    report("database")
    _restore_database(folder, database)
    rows = _count_rows(connection.cursor(), {t: t for t in database["rows"]})
    if rows != database["rows"]:
        wrong = sorted(t for t in database["rows"] if rows.get(t) != database["rows"][t])
        raise UnableToRestore(f"restored row counts differ from the manifest: {', '.join(wrong[:5])}")
    digests = _restored_digests({t: t for t in database["digests"]})
    if digests != database["digests"]:
        wrong = sorted(t for t in database["digests"] if digests.get(t) != database["digests"][t])
        raise UnableToRestore(f"restored table contents differ from the manifest: {', '.join(wrong[:5])}")
    for entry in manifest["files"]:
        if _stored_sha256(stores[entry["store"]], entry["name"]) != entry["sha256"]:
            raise UnableToRestore(f"{entry['store']}/{entry['name']}: restored file differs from the backup")
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    pending = [key for key in loader.graph.leaf_nodes() if key not in loader.applied_migrations]
    report("checked: row counts and contents of every table, SHA-256 of every file")
    return RestoreSummary(
        engine=str(database["engine"]),
        tables=len(rows),
        rows=sum(rows.values()),
        files=len(manifest["files"]),
        files_already_there=len(present),
        migrations_to_apply=len(pending),
    )
