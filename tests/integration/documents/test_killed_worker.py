"""A worker killed in the middle of issuing a month leaves, after a rerun, exactly one set of documents and
postings: every chunk is one transaction, and the rerun issues only what is missing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connections

from capmarket.application.documents import figures
from capmarket.application.documents.issuing import issue_month
from capmarket.domain.accounts.models import Role
from capmarket.domain.documents.models import Document
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.ledger.models import Transaction
from tests.factories import make_user
from tests.integration.documents import scenario as sc

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _database_url(settings_dict: dict[str, Any]) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict.get("USER") or "", safe="")
    auth = f"{user}@" if user else ""
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings_dict['NAME']}"


@pytest.fixture
def shared_database(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """A database both this test and the child process open (SQLite: a migrated file instead of memory)."""
    original = connections["default"]
    if original.vendor != "sqlite" or not original.is_in_memory_db():  # type: ignore[attr-defined]
        yield _database_url(original.settings_dict)
        return
    replacement = original.__class__({**original.settings_dict, "NAME": str(tmp_path / "db.sqlite3")}, alias="default")
    connections["default"] = replacement
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield _database_url(replacement.settings_dict)
    finally:
        replacement.close()
        connections["default"] = original


def test_a_killed_issuing_run_completes_exactly_once(shared_database: str, shared_dir: Path, tmp_path: Path) -> None:
    case = shared_dir / "spec" / "scenarios" / "random-fy2025-a" / "case"
    s = sc.load(case)
    sc.register_companies(s)
    actor = make_user(Role.OPERATOR, username="killed-operator")
    env = {**os.environ, "DATABASE_URL": shared_database, "CAPMARKET_VAR_DIR": str(tmp_path / "var")}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.documents.killed_child", str(case), actor.username],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:
            parts = line.split()
            if parts[0] == "progress" and 10 <= int(parts[1]) < int(parts[2]) // 2:
                child.send_signal(signal.SIGKILL)  # mid-batch: some chunks committed, more to come
                break
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    partial = Document.objects.count()
    assert partial >= 10

    month = figures.month_figures(
        run_ref="killed",
        delivery_year=s.delivery_year,
        delivery_month="2025-12",
        outputs=s.outputs,
        contracts=s.contracts,
        tax_rate=s.params.tax_rate,
        contributions_taxable=s.params.contributions_taxable,
    )
    outcome = issue_month(
        figures=month, actor=actor, now=dt.datetime.now(dt.UTC), render=False, send_mail=False, chunk_size=5
    )

    assert outcome.already_issued == partial
    documents = list(Document.objects.all())
    assert len(documents) == outcome.documents
    assert len({d.source_key for d in documents}) == len(documents)
    numbers: dict[str, list[int]] = defaultdict(list)
    for d in documents:
        numbers[d.document_type].append(d.sequence)
    for sequences in numbers.values():
        assert sorted(sequences) == list(range(1, len(sequences) + 1))  # no gap, no duplicate
    posted = [d for d in documents if d.ledger_transaction_id is not None]
    assert Transaction.objects.count() == len(posted) == len({d.ledger_transaction_id for d in posted})
    assert sum(r.balance_yen for r in ledger_queries.trial_balance(as_of=dt.date(2100, 1, 1))) == 0
