"""``capmarket run-settlement --year Y --through YYYY-MM --user U [--wait]`` (operations-cli.md).

Starts a settlement run of delivery year Y through month YYYY-MM on the data stored now (as the web UI and the
API do). The last line of standard output is the run id. With ``--wait`` the command returns when the run is
computed: it computes the run itself unless a worker has taken the job, whose progress it then follows; progress
goes to standard error. Exit 0 on success, 2 when the run is refused (one line on standard error), 1 when it
fails.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from capmarket.application.settlement import runs
from capmarket.domain.jobs import queries as job_queries
from capmarket.domain.settlement import queries
from capmarket.interfaces.cli.management.commands._settlement_cli import acting_user, fail, refuse
from capmarket.interfaces.tasks import runner

POLL_SECONDS = 1.0


class Command(BaseCommand):
    help = "精算処理を起票し、計算します（最後の行: 精算ID）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="delivery year")
        parser.add_argument("--through", required=True, help="last delivery month YYYY-MM")
        parser.add_argument("--user", required=True, help="acting user (operator or approver)")
        parser.add_argument("--wait", action="store_true", help="return when the run is computed")
        parser.add_argument("--lang", choices=("ja", "en"), default="ja")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(self, options["user"], lang=options["lang"])
        try:
            started = runs.start_run(
                actor=user, delivery_year=options["year"], through_month=options["through"], now=timezone.now()
            )
        except runs.UnableToStartRun as exc:
            refuse(self, str(exc))
        run = started.run
        if not started.created:
            self.stderr.write(f"同じ入力の精算 #{run.pk} が既にあります（{run.get_state_display()}）。")
        if options["wait"]:
            self._wait(run.pk)
        self.stdout.write(str(run.pk))

    def _wait(self, run_id: int) -> None:
        run = queries.get_run(run_id=run_id)
        assert run is not None
        if run.job_id is not None and run.state in ("queued", "failed"):
            runner.execute(job_id=run.job_id, worker="run-settlement --wait")
        last = ""
        while True:
            run.refresh_from_db()
            job = job_queries.get_job(job_id=run.job_id) if run.job_id else None
            if job is not None:
                line = f"{job.progress_done}/{job.progress_total or '?'} {job.progress_message}"
                if line != last:
                    self.stderr.write(line)
                    last = line
            if run.state in ("computed", "confirmed", "superseded", "discarded"):
                return
            if run.state == "failed" or (job is not None and job.state == "failed"):
                fail(self, f"精算 #{run.pk} の計算に失敗しました: {(run.error or (job.error if job else '')).strip()}")
            time.sleep(POLL_SECONDS)
