"""``capmarket import-reserve-margins`` (operations-cli.md contract) and the poller fetching same-day files from a
local HTTP server, judging each publication once."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from capmarket.application import reserve_margins as app
from capmarket.application import scheduled
from capmarket.domain.accounts.models import Role
from capmarket.domain.alerts.models import JudgementState, PollState, Publication, PublicationSource
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import ignore_progress
from tests.factories import make_contract, make_participant, make_resource, make_user
from tests.reserve_margin_files import margin_file

pytestmark = pytest.mark.django_db

JST = ZoneInfo("Asia/Tokyo")
DAY = dt.date(2031, 8, 2)  # in the future: its slots are still to come


def at(hh: int, mm: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=JST)


@pytest.fixture
def provider() -> Any:
    p = make_participant(participant_code="PCL", email="alerts@pcl.example.jp")
    make_contract(make_resource(p, area="tokyo"), delivery_year=2025, ruleset_name="jp-2025")
    p.contracts.update(delivery_year=2031)
    return p


def run_cli(*args: str) -> tuple[int, str, str]:
    stdout, stderr = _Capture(), _Capture()
    try:
        call_command("import_reserve_margins", *args, stdout=stdout, stderr=stderr)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, stdout.text, stderr.text


class _Capture:
    def __init__(self) -> None:
        self.text = ""

    def write(self, s: str) -> None:
        self.text += s

    def flush(self) -> None:
        pass


def test_the_command_prints_one_json_object_and_refuses_bad_input(provider: Any, tmp_path: Path) -> None:
    path = tmp_path / "next_day.csv"
    path.write_bytes(
        margin_file(
            published_at=at(17, day=DAY - dt.timedelta(days=1)),
            days=[DAY],
            margins={("tokyo", DAY, 35): "6.50", ("tokyo", DAY, 36): "***"},
        )
    )
    operator = make_user(Role.OPERATOR, None, username="desk-cli")
    reader = make_user(Role.PARTICIPANT_USER, provider, username="reader-cli")

    code, out, _ = run_cli(str(path), "--user", operator.username)
    again_code, again, _ = run_cli(str(path))
    pub = Publication.objects.get()

    assert code == 0
    assert json.loads(out) == {"publication": pub.pk, "new": True, "slots_below": 2, "emails_queued": 1}
    assert again_code == 0
    assert json.loads(again) == {"publication": pub.pk, "new": False, "slots_below": 2, "emails_queued": 0}
    assert pub.received_by == operator
    assert pub.source == PublicationSource.CLI

    broken = tmp_path / "broken.csv"
    broken.write_bytes(path.read_bytes().replace(b'"2031/08/02","01:00","3"', b'"2031/13/02","01:00","3"'))
    code, out, err = run_cli(str(broken))
    assert (code, out) == (2, "")
    assert err.strip() == "broken.csv:15（対象年月日）: 日付 (YYYY/MM/DD) ではありません: 2031/13/02"
    code, _, err = run_cli(str(broken), "--lang", "en")
    assert code == 2
    assert err.strip() == "broken.csv:15: not a date (YYYY/MM/DD): 2031/13/02"
    assert run_cli(str(tmp_path / "missing.csv"))[0] == 2
    code, _, err = run_cli(str(path), "--user", reader.username)
    assert code == 2
    assert "権限" in err
    assert Publication.objects.count() == 1


def test_the_command_runs_as_a_process_without_a_traceback(tmp_path: Path) -> None:
    script = Path(__import__("sys").executable).with_name("capmarket")
    result = subprocess.run(
        [str(script), "import-reserve-margins", str(tmp_path / "none.csv")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().endswith("ファイルがありません")


class _Files:
    """What the local HTTP server serves at /same_day.csv (changed by the test)."""

    def __init__(self) -> None:
        self.body = b""
        self.etag = ""
        self.requests = 0


@pytest.fixture
def http_server() -> Iterator[tuple[str, _Files]]:
    files = _Files()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            files.requests += 1
            if self.headers.get("If-None-Match") == files.etag and files.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("ETag", files.etag)
            self.send_header("Content-Length", str(len(files.body)))
            self.end_headers()
            self.wfile.write(files.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/same_day.csv", files
    finally:
        server.shutdown()
        server.server_close()


def test_the_poller_judges_each_same_day_publication_once(
    provider: Any, http_server: tuple[str, _Files], settings: Any, dispatched: list[int]
) -> None:
    url, files = http_server
    settings.CAPMARKET_RESERVE_MARGIN_URLS = url
    settings.CAPMARKET_RESERVE_MARGIN_POLL_SECONDS = 1800
    sequence = [
        (at(9, 0), {("tokyo", DAY, 36): "7.00"}),  # newly below
        (at(9, 30), {("tokyo", DAY, 36): "6.00"}),  # still below
        (at(10, 0), {}),  # recovered
        (at(10, 30), {("tokyo", DAY, 36): "***"}),  # below again (blackout)
    ]
    states = []
    for i, (published, margins) in enumerate(sequence):
        files.body = margin_file(published_at=published, days=[DAY], margins=margins)
        files.etag = f'"v{i}"'
        tick_at = published + dt.timedelta(minutes=2)
        outcome = scheduled.run_periodic_duties(now=tick_at)
        job_id = outcome["alerts.poll"]
        assert isinstance(job_id, int), outcome
        job = Job.objects.get(pk=job_id)
        result = app.run_poll_job(job=job, progress=ignore_progress, now=tick_at + dt.timedelta(seconds=5))
        assert result["results"][0]["status"] == "imported"
        assert scheduled.run_periodic_duties(now=tick_at + dt.timedelta(minutes=1))["alerts.poll"] is None  # not due
        pub = Publication.objects.get(published_at=published)
        states.append([j.state for j in pub.judgements.all()])
        # polled again with nothing new: 304 (ETag), nothing judged twice
        assert app.poll_url(url=url, now=tick_at + dt.timedelta(minutes=3))["status"] == "not_modified"

    assert states == [
        [JudgementState.NEWLY_BELOW],
        [JudgementState.STILL_BELOW],
        [JudgementState.RECOVERED],
        [JudgementState.NEWLY_BELOW],
    ]
    assert Publication.objects.count() == 4
    assert set(Publication.objects.values_list("source", flat=True)) == {PublicationSource.POLLER}
    assert PollState.objects.get(url=url).etag == '"v3"'
    assert Job.objects.filter(kind="alerts.poll").count() == 4


def test_the_poller_is_off_by_default_and_takes_files_from_a_watched_folder(
    provider: Any, settings: Any, tmp_path: Path
) -> None:
    assert scheduled.run_periodic_duties(now=at(8))["alerts.poll"] is None
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings.CAPMARKET_RESERVE_MARGIN_INBOX = str(inbox)
    (inbox / "good.csv").write_bytes(margin_file(published_at=at(9), days=[DAY]))
    (inbox / "bad.csv").write_bytes(b"not a publication")

    results = app.scan_inbox(now=at(9, 1))

    assert sorted(r["status"] for r in results) == ["imported", "refused"]
    assert (inbox / "done" / "good.csv").exists()
    assert "bad.csv:1: UTF-8 の BOM がありません" in (inbox / "rejected" / "bad.csv.error.txt").read_text()
    assert Publication.objects.get().source == PublicationSource.FOLDER
