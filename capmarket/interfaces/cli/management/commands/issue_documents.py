"""``capmarket issue-documents RUN_ID --user U [--wait]`` (operations-cli.md).

Issues the documents of the months the settlement run confirmed — 支払通知書 / 請求書, 経済的ペナルティ算定額通知書,
容量拠出金請求書 — as the staff button does: a background job (one per run) that numbers them, posts their ledger
transactions, renders their PDFs and announces them by e-mail. The last line of standard output is the number of
documents of the run's confirmed months that are issued. With ``--wait`` the command returns when the job is done
(it runs the job itself unless a worker has taken it, whose progress it then follows; progress on standard
error); without it the job is queued and the count is what was issued before. Exit 0 on success, 2 when refused
(unknown run or user, no confirmed month, no right), 1 when it fails.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from capmarket.application.documents import jobs, sources
from capmarket.application.documents.issuing import UnableToIssueDocuments
from capmarket.domain.documents import queries as document_queries
from capmarket.domain.jobs import queries as job_queries
from capmarket.domain.settlement import queries as settlement_queries
from capmarket.interfaces.cli.management.commands._settlement_cli import acting_user, fail, refuse
from capmarket.interfaces.tasks import runner

POLL_SECONDS = 1.0


class Command(BaseCommand):
    help = "精算の確定月の帳票（支払通知書・請求書・容量拠出金請求書・算定額通知書）を発行します（最後の行: 帳票数）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id", type=int)
        parser.add_argument("--user", required=True, help="acting user (staff allowed to issue documents)")
        parser.add_argument("--wait", action="store_true", help="return when the documents are issued")
        parser.add_argument("--lang", choices=("ja", "en"), default="ja")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(self, options["user"], lang=options["lang"])
        run = settlement_queries.get_run(run_id=options["run_id"])
        if run is None:
            refuse(self, f"精算 #{options['run_id']} はありません。")
        try:
            job, created = jobs.start_issue_job(run=run, actor=user, now=timezone.now())
        except UnableToIssueDocuments as exc:
            refuse(self, str(exc))
        self.stderr.write(f"帳票発行の処理 #{job.pk}（{'登録' if created else '登録済み'}）")
        if options["wait"]:
            if job.state == "queued":
                runner.execute(job_id=job.pk, worker="issue-documents --wait")
            last = ""
            while True:
                current = job_queries.get_job(job_id=job.pk)
                assert current is not None
                line = f"{current.progress_done}/{current.progress_total or '?'} {current.progress_message}"
                if line != last:
                    self.stderr.write(line)
                    last = line
                if current.state == "succeeded":
                    break
                if current.state == "failed":
                    fail(self, f"帳票の発行に失敗しました: {current.error.strip()}")
                time.sleep(POLL_SECONDS)
        months = sources.confirmed_months_of(run=run)
        count = sum(
            document_queries.documents_of_run_month(run_ref=sources.run_ref(run), delivery_month=m)
            .exclude(document_type="credit_note")
            .count()
            for m in months
        )
        self.stdout.write(str(count))
