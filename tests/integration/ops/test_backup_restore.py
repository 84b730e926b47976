"""``capmarket backup`` and ``capmarket restore``: back up an installation with confirmed settlement runs, restore it
into a new, empty installation (another database, other stores) and get every run back — its export identical byte
for byte — with a damaged backup and a non-empty target refused. On SQLite and, in CI, on PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import filecmp
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from capmarket.application.documents.issuing import issue_run
from capmarket.domain.rulesets import operations as ruleset_ops
from capmarket.domain.settlement.models import RunOutput
from capmarket.domain.timeseries.models import DatasetVersion
from tests.books import empty_books
from tests.integration.settlement.helpers import confirmed_year

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stores(settings: Any, tmp_path: Path) -> Path:
    settings.DATASETS_DIR = tmp_path / "source" / "datasets"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "source" / "media")},
        },
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "source" / "documents")},
        },
    }
    return tmp_path


def _url(settings_dict: dict[str, Any], name: str) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if user else ""
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{name}"


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[Any]:
    """Makes URLs of new, empty databases of the engine the suite runs on (dropped afterwards)."""
    made: list[str] = []
    settings_dict = connection.settings_dict

    def new(label: str) -> str:
        if connection.vendor == "sqlite":
            return f"sqlite:///{tmp_path / f'{label}.sqlite3'}"
        name = f"{settings_dict['NAME']}_{label}_{uuid.uuid4().hex[:8]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return _url(settings_dict, name)

    yield new
    for name in made:
        with connection.cursor() as cursor, contextlib.suppress(Exception):
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _capmarket(args: list[str], *, database_url: str, var: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "CAPMARKET_", "DATABASE_URL"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "capmarket.config.settings",
            "DATABASE_URL": database_url,
            "CAPMARKET_VAR_DIR": str(var),
            "CAPMARKET_HTTPS": "0",
        }
    )
    script = Path(sys.executable).with_name("capmarket")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "capmarket.interfaces.cli.main"]
    return subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def _same_tree(left: Path, right: Path) -> list[str]:
    """Relative paths that differ (missing on one side, or different bytes)."""
    names = {p.relative_to(left) for p in left.rglob("*") if p.is_file()}
    names |= {p.relative_to(right) for p in right.rglob("*") if p.is_file()}
    return sorted(
        str(n)
        for n in names
        if not ((left / n).is_file() and (right / n).is_file() and filecmp.cmp(left / n, right / n, shallow=False))
    )


def test_a_backup_restored_elsewhere_gives_back_every_run_byte_for_byte(
    stores: Path, empty_database: Any, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    ruleset_ops.install_builtin_rulesets(now=timezone.now())  # a flushed transactional database lost them
    year = confirmed_year(stores / "case")
    run = year["runs"][-1]
    backup_dir = stores / "backup"
    for confirmed in year["runs"]:  # the documents of each confirmed month, posted to the ledger
        issue_run(run=confirmed, actor=year["operator"], now=timezone.now(), render=False, send_mail=False)
    request.addfinalizer(empty_books)  # the flush after this transactional test may not delete posted entries
    capsys.readouterr()
    as_of = (timezone.localdate() + dt.timedelta(days=366)).isoformat()  # every posting the issue made
    call_command("trial_balance", as_of=as_of)
    trial_balance = capsys.readouterr().out
    assert any(int(line.split(",")[-1]) != 0 for line in trial_balance.splitlines()[1:])  # books with balances

    call_command("backup", str(backup_dir))
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    call_command("export_run", run.pk, str(stores / "export-source"))

    manifest = json.loads((backup_dir / "manifest.json").read_text())
    stored = {(f["store"], f["name"]) for f in manifest["files"]}
    assert summary["engine"] == connection.vendor
    assert summary["files"] == len(manifest["files"]) > 0
    assert {("default", o.storage_name) for o in RunOutput.objects.all()} <= stored
    assert all(
        any(s == "datasets" and n.startswith(v.storage_path) for s, n in stored) for v in DatasetVersion.objects.all()
    )
    assert manifest["database"]["rows"]["settlement_settlementrun"] == len(year["runs"])
    assert manifest["database"]["digests"].keys() == manifest["database"]["rows"].keys()
    sums = (backup_dir / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(manifest["files"]) + 1

    # Restore into a new installation: another database, other (empty) stores.
    target_url = empty_database("restored")
    target_var = stores / "restored"
    restored = _capmarket(["restore", str(backup_dir)], database_url=target_url, var=target_var)
    assert restored.returncode == 0, restored.stderr
    result = json.loads(restored.stdout.strip().splitlines()[-1])
    assert result["files"] == len(manifest["files"])
    assert result["rows"] == sum(manifest["database"]["rows"].values())
    assert result["migrations_to_apply"] == 0

    exported = _capmarket(
        ["export-run", str(run.pk), str(stores / "export-restored")], database_url=target_url, var=target_var
    )
    assert exported.returncode == 0, exported.stderr
    assert _same_tree(stores / "export-source", stores / "export-restored") == []
    restored_balance = _capmarket(["trial-balance", "--as-of", as_of], database_url=target_url, var=target_var)
    assert restored_balance.returncode == 0, restored_balance.stderr
    assert restored_balance.stdout == trial_balance  # the books back to the yen, line for line

    # Restoring again into the now full installation is refused, and so is a backup with one altered byte.
    again = _capmarket(["restore", str(backup_dir)], database_url=target_url, var=target_var)
    assert again.returncode == 2
    assert "not empty" in again.stderr
    assert "Traceback" not in again.stderr

    damaged = manifest["files"][0]
    victim = backup_dir / damaged["path"]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    other_url = empty_database("damaged")
    refused = _capmarket(["restore", str(backup_dir)], database_url=other_url, var=stores / "damaged")
    assert refused.returncode == 2
    assert damaged["path"] in refused.stderr
    assert not (stores / "damaged" / "media").exists() or not any((stores / "damaged" / "media").rglob("*.*"))
