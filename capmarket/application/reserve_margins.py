"""Use cases of the reserve-margin alerts (seed 000 ③): take in a published file from wherever it comes (poller,
watched folder, upload, API, command line, 一括登録), judge it and alert the providers — one code path for all.

The publications feed the ``reserve_margins`` dataset that the settlement run reads: each new publication becomes
one dataset version holding the rows for which it is the latest publication (rules.md §2.2), so a run as of T
derives its tight slots from the latest publication of every slot received by T (``case_export``).

The poller fetches the configured URLs (``CAPMARKET_RESERVE_MARGIN_URLS``, comma-separated; empty = off) every
``CAPMARKET_RESERVE_MARGIN_POLL_SECONDS`` (1800) with conditional requests; the watched folder
(``CAPMARKET_RESERVE_MARGIN_INBOX``; empty = off) is looked at on every scheduler tick, and each file is moved to
``done/`` or ``rejected/`` (with a ``.error.txt`` naming line and reason) once taken in. The poll job runs on
whichever worker takes it: with workers on several machines the folder must be a shared mount seen at the same path
by all of them; a file another worker took first is skipped (taking a publication in twice changes nothing).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.alerts import operations as alert_ops
from capmarket.domain.alerts.models import PollState, PublicationSource
from capmarket.domain.alerts.operations import ImportOutcome, UnableToImportPublication
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress

logger = logging.getLogger(__name__)

POLL_JOB_KIND = "alerts.poll"
MAX_FILE_BYTES = 20 * 1024 * 1024  # a month of 480 rows a day is ~2 MB

__all__ = ["ImportOutcome", "UnableToImportPublication", "import_file"]


class NotAllowed(PermissionError):
    """The user may not import publications."""


def import_file(
    *, data: bytes, filename: str, source: str, user: Any, now: dt.datetime, correction: bool = False
) -> ImportOutcome:
    """Store, judge and alert. ``user`` None: the system (poller, watched folder, scheduled command)."""
    if user is not None and not can(user=user, action=Action.MANAGE_ALERTS):
        raise NotAllowed("広域予備率の公表ファイルを取り込む権限がありません。")
    if len(data) > MAX_FILE_BYTES:
        from capmarket.calc.io.reserve_margins import MarginFileError  # noqa: PLC0415

        raise UnableToImportPublication(
            [
                MarginFileError(
                    filename, 0, None, "RM_TOO_LARGE", f"ファイルが大きすぎます（{len(data)} バイト）", "file too large"
                )
            ]
        )
    actor = user if user is not None else account_ops.system_account(now=now)
    return alert_ops.import_publication(
        data=data, filename=filename, source=source, user=actor, now=now, correction=correction
    )


def import_publication_as(*, data: bytes, filename: str, user: Any, now: dt.datetime) -> ImportOutcome:
    """For 一括登録 (upload or a whole case): the intake has checked the uploader's rights to the dataset."""
    return alert_ops.import_publication(
        data=data, filename=filename, source=PublicationSource.INTAKE, user=user, now=now
    )


# ----------------------------------------------------------------------------------------------- poller


@dataclass(frozen=True)
class Fetched:
    status: int
    data: bytes
    etag: str
    last_modified: str


Fetch = Callable[[str, dict[str, str]], Fetched]


def http_fetch(url: str, headers: dict[str, str]) -> Fetched:
    """GET with conditional headers; 304 gives no data. Only http(s) URLs."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, headers={"User-Agent": "capmarket-poller", **headers})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            data = response.read(MAX_FILE_BYTES + 1)
            return Fetched(
                status=int(response.status),
                data=data,
                etag=response.headers.get("ETag", "") or "",
                last_modified=response.headers.get("Last-Modified", "") or "",
            )
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Fetched(status=304, data=b"", etag="", last_modified="")
        raise


def poll_urls() -> list[str]:
    raw = getattr(settings, "CAPMARKET_RESERVE_MARGIN_URLS", "") or ""
    return [u.strip() for u in str(raw).split(",") if u.strip()]


def poll_interval() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "CAPMARKET_RESERVE_MARGIN_POLL_SECONDS", 1800)))


def poll_url(*, url: str, now: dt.datetime, fetch: Fetch = http_fetch) -> dict[str, Any]:
    """Fetch one URL and take in what is new. Returns what happened (for the job's result)."""
    state = PollState.objects.filter(url=url).first()
    headers: dict[str, str] = {}
    if state is not None and state.etag:
        headers["If-None-Match"] = state.etag
    if state is not None and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    try:
        fetched = fetch(url, headers)
    except Exception as exc:
        alert_ops.record_poll(url=url, now=now, status=f"取得失敗: {type(exc).__name__}: {exc}")
        return {"url": url, "status": "error", "error": str(exc)}
    if fetched.status == 304 or not fetched.data:
        alert_ops.record_poll(url=url, now=now, status="更新なし")
        return {"url": url, "status": "not_modified"}
    sha = hashlib.sha256(fetched.data).hexdigest()
    name = url.rstrip("/").rsplit("/", 1)[-1] or "reserve_margin.csv"
    try:
        outcome = import_file(data=fetched.data, filename=name, source=PublicationSource.POLLER, user=None, now=now)
    except UnableToImportPublication as exc:
        alert_ops.record_poll(url=url, now=now, status=f"取込不可: {exc.first_line_ja()}", sha256=sha)
        return {"url": url, "status": "refused", "error": exc.first_line_ja()}
    alert_ops.record_poll(
        url=url,
        now=now,
        status="新しい公表を取込" if outcome.new else "取込済みの公表",
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        sha256=sha,
    )
    return {"url": url, "status": "imported" if outcome.new else "unchanged", **outcome.as_dict()}


def inbox_dir() -> Path | None:
    raw = getattr(settings, "CAPMARKET_RESERVE_MARGIN_INBOX", "") or ""
    return Path(raw) if raw else None


def scan_inbox(*, now: dt.datetime) -> list[dict[str, Any]]:
    """Take in every ``*.csv`` of the watched folder, oldest first; move each to ``done/`` or ``rejected/``."""
    inbox = inbox_dir()
    if inbox is None or not inbox.is_dir():
        return []
    results = []
    files = sorted(
        (p for p in inbox.iterdir() if p.is_file() and p.suffix.lower() == ".csv"),
        key=lambda p: (p.stat().st_mtime, p.name),
    )
    for path in files:
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # another worker took it in and moved it meanwhile
            continue
        try:
            outcome = import_file(data=data, filename=path.name, source=PublicationSource.FOLDER, user=None, now=now)
        except UnableToImportPublication as exc:
            target = inbox / "rejected"
            target.mkdir(exist_ok=True)
            _move(path, target)
            (target / f"{path.name}.error.txt").write_text(
                "\n".join(f"{e.file}:{e.line}: {e.message_ja}" for e in exc.errors) + "\n", encoding="utf-8"
            )
            results.append({"file": path.name, "status": "refused", "error": exc.first_line_ja()})
            continue
        target = inbox / "done"
        target.mkdir(exist_ok=True)
        _move(path, target)
        results.append({"file": path.name, "status": "imported" if outcome.new else "unchanged", **outcome.as_dict()})
    return results


def _move(path: Path, target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):  # moved by another worker that took the same file in meanwhile
        path.replace(target / path.name)


def run_poll_job(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    """Job ``alerts.poll``: the configured URLs (when due) and the watched folder."""
    urls = list(job.inputs.get("urls", []))
    results: list[dict[str, Any]] = []
    total = len(urls) + 1
    for i, url in enumerate(urls):
        progress(i, total, url)
        results.append(poll_url(url=url, now=now))
    results.extend(scan_inbox(now=now))
    progress(total, total, "完了")
    return {"results": results}


def _due_urls(now: dt.datetime) -> list[str]:
    """URLs not yet polled in the current poll period (periods of ``CAPMARKET_RESERVE_MARGIN_POLL_SECONDS`` from
    the epoch: with the default 30 minutes, once in each half hour, as OCCTO republishes)."""
    interval = max(poll_interval().total_seconds(), 1.0)
    period = int(now.timestamp() // interval)
    due = []
    for url in poll_urls():
        state = PollState.objects.filter(url=url).first()
        if state is None or state.last_polled_at is None or int(state.last_polled_at.timestamp() // interval) < period:
            due.append(url)
    return due


def _inbox_has_files() -> bool:
    inbox = inbox_dir()
    return (
        inbox is not None
        and inbox.is_dir()
        and any(p.is_file() and p.suffix.lower() == ".csv" for p in inbox.iterdir())
    )


def request_poll(*, now: dt.datetime) -> int | None:
    """Periodic duty: queue a poll job when a URL is due or the watched folder holds files. Keyed by the time
    bucket, so two schedulers queue one job."""
    urls = _due_urls(now)
    if not urls and not _inbox_has_files():
        return None
    bucket = int(now.timestamp() // max(float(getattr(settings, "CAPMARKET_SCHEDULER_TICK_SECONDS", 30)), 1))
    job, created = job_ops.enqueue(
        kind=POLL_JOB_KIND,
        owner=account_ops.system_account(now=now),
        participant=None,
        inputs={"urls": urls},
        idempotency_key=f"{POLL_JOB_KIND}:{bucket}",
        now=now,
    )
    return job.pk if created else None
