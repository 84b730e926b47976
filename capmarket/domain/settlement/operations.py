"""Writes of settlement runs: start, record the computed figures, handle data issues, confirm under four eyes,
mark publication, discard. Every act is audited; a run's figures are written once, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.jobs.models import Job
from capmarket.domain.settlement.models import (
    CoalResult,
    ConfirmedMonth,
    ContractAdjustment,
    ContractMonth,
    ContributionAdjustment,
    ContributionArea,
    ContributionBill,
    DataIssue,
    IssueState,
    MonthRole,
    RunContract,
    RunDifference,
    RunInputVersion,
    RunMonth,
    RunOutput,
    RunState,
    SettlementRun,
    Statement,
)

BATCH = 2_000


class UnableToStartRun(Exception):
    """The run cannot be started (the message says why, in Japanese)."""


class UnableToConfirmRun(Exception):
    """The run's months cannot be confirmed (the message says why, in Japanese)."""


class UnableToHandleIssue(Exception):
    pass


class UnableToDiscardRun(Exception):
    pass


def _audit(*, now: dt.datetime, action: str, actor: Any, run: SettlementRun, summary: str, **changes: Any) -> None:
    audit.record(
        now=now,
        action=action,
        actor=actor,
        object_type="settlement_run",
        object_id=run.pk,
        object_repr=str(run),
        summary=summary,
        changes=changes or None,
    )


def create_run(
    *,
    actor: Any,
    delivery_year: int,
    through_month: str,
    first_open_month: str,
    as_of: dt.datetime,
    fingerprint: str,
    ruleset_name: str,
    now: dt.datetime,
) -> SettlementRun:
    if not can(user=actor, action=Action.RUN_SETTLEMENT):
        raise UnableToStartRun("精算処理を起票する権限がありません。")
    run = SettlementRun.objects.create(
        delivery_year=delivery_year,
        through_month=through_month,
        first_open_month=first_open_month,
        as_of=as_of,
        state=RunState.QUEUED,
        started_by=actor,
        started_at=now,
        inputs_fingerprint=fingerprint,
        ruleset_name=ruleset_name,
    )
    _audit(
        now=now,
        action=AuditAction.CREATED,
        actor=actor,
        run=run,
        summary=(
            f"精算処理を起票しました（{delivery_year}年度 {first_open_month}〜{through_month}、"
            f"基準 {as_of:%Y-%m-%d %H:%M:%S}）。"
        ),
    )
    return run


def attach_job(*, run: SettlementRun, job: Job) -> None:
    SettlementRun.objects.filter(pk=run.pk, job__isnull=True).update(job=job)
    run.job = job


def mark_running(*, run: SettlementRun) -> bool:
    """Queued (or failed, on a retry) → running; False when the run is already computed or beyond."""
    n = SettlementRun.objects.filter(pk=run.pk, state__in=[RunState.QUEUED, RunState.RUNNING, RunState.FAILED]).update(
        state=RunState.RUNNING, error=""
    )
    run.refresh_from_db()
    return n == 1


def mark_failed(*, run: SettlementRun, error: str, now: dt.datetime) -> None:
    SettlementRun.objects.filter(pk=run.pk, state__in=[RunState.QUEUED, RunState.RUNNING]).update(
        state=RunState.FAILED, error=error[:5000]
    )
    run.refresh_from_db()


@dataclass
class ComputedRun:
    """Everything a computed run records (unsaved rows; ``contract`` of the month rows is set by contract code)."""

    first_open_month: str
    ruleset_version: int | None
    parameters: dict[str, str]
    engine_version: str
    previous_run: SettlementRun | None
    recognised_run: SettlementRun | None
    changes: list[dict[str, Any]]
    summary: dict[str, Any]
    input_versions: list[RunInputVersion] = field(default_factory=list)
    outputs: list[RunOutput] = field(default_factory=list)
    months: list[RunMonth] = field(default_factory=list)
    contracts: list[RunContract] = field(default_factory=list)
    contract_months: list[tuple[str, ContractMonth]] = field(default_factory=list)
    coal: list[tuple[str, CoalResult]] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    contribution_bills: list[ContributionBill] = field(default_factory=list)
    contribution_areas: list[ContributionArea] = field(default_factory=list)
    contract_adjustments: list[ContractAdjustment] = field(default_factory=list)
    contribution_adjustments: list[ContributionAdjustment] = field(default_factory=list)
    data_issues: list[DataIssue] = field(default_factory=list)
    differences: list[RunDifference] = field(default_factory=list)


def _bulk(model: Any, rows: Sequence[Any], run: SettlementRun) -> None:
    for row in rows:
        row.run = run
    model.objects.bulk_create(rows, batch_size=BATCH)


def record_computed(*, run: SettlementRun, computed: ComputedRun, now: dt.datetime) -> None:
    """Write the run's figures and mark it computed (one transaction; a run already computed is left as is)."""
    with transaction.atomic():
        locked = SettlementRun.objects.select_for_update().get(pk=run.pk)
        if locked.state != RunState.RUNNING:
            return
        for model in (
            RunInputVersion,
            RunOutput,
            RunMonth,
            CoalResult,
            ContractMonth,
            RunContract,
            Statement,
            ContributionBill,
            ContributionArea,
            ContractAdjustment,
            ContributionAdjustment,
            DataIssue,
            RunDifference,
        ):
            model.objects.filter(run=run).delete()  # a partial earlier attempt never commits; this is belt and braces
        _bulk(RunInputVersion, computed.input_versions, run)
        _bulk(RunOutput, computed.outputs, run)
        _bulk(RunMonth, computed.months, run)
        _bulk(RunContract, computed.contracts, run)
        by_code = {c.contract_code: c for c in RunContract.objects.filter(run=run)}
        for code, row in computed.contract_months:
            row.contract = by_code[code]
        _bulk(ContractMonth, [row for _, row in computed.contract_months], run)
        for code, coal in computed.coal:
            coal.contract = by_code[code]
        _bulk(CoalResult, [row for _, row in computed.coal], run)
        _bulk(Statement, computed.statements, run)
        _bulk(ContributionBill, computed.contribution_bills, run)
        _bulk(ContributionArea, computed.contribution_areas, run)
        _bulk(ContractAdjustment, computed.contract_adjustments, run)
        _bulk(ContributionAdjustment, computed.contribution_adjustments, run)
        _bulk(DataIssue, computed.data_issues, run)
        _bulk(RunDifference, computed.differences, run)
        SettlementRun.objects.filter(pk=run.pk).update(
            state=RunState.COMPUTED,
            computed_at=now,
            first_open_month=computed.first_open_month,
            ruleset_version=computed.ruleset_version,
            parameters=computed.parameters,
            engine_version=computed.engine_version,
            previous_run=computed.previous_run,
            recognised_run=computed.recognised_run,
            changes=computed.changes,
            summary=computed.summary,
        )
    run.refresh_from_db()


def handle_issue(*, issue: DataIssue, actor: Any, state: str, comment: str, now: dt.datetime) -> DataIssue:
    """Resolve (対応済) or accept (承認) one data issue with a comment, or reopen it."""
    if not can(user=actor, action=Action.RUN_SETTLEMENT):
        raise UnableToHandleIssue("データの不備に対応する権限がありません。")
    if issue.run.state != RunState.COMPUTED:
        raise UnableToHandleIssue("確認待ちの精算のデータの不備だけを変更できます。")
    if state not in IssueState.values:
        raise UnableToHandleIssue("対応状況を選択してください。")
    comment = comment.strip()
    if state != IssueState.OPEN and not comment:
        raise UnableToHandleIssue("コメントを入力してください（対応内容・承認の理由）。")
    before = issue.state
    issue.state = state
    issue.comment = comment if state != IssueState.OPEN else ""
    issue.handled_by = actor if state != IssueState.OPEN else None
    issue.handled_at = now if state != IssueState.OPEN else None
    with transaction.atomic():
        issue.save(update_fields=["state", "comment", "handled_by", "handled_at"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="settlement_data_issue",
            object_id=issue.pk,
            object_repr=f"{issue.file} {issue.key}"[:200],
            summary=(
                f"データの不備（精算 #{issue.run_id}）: {IssueState(before).label} → {IssueState(state).label}。"
                f"{comment}"
            ),
        )
    return issue


def _accept_open(*, run: SettlementRun, actor: Any, comment: str, now: dt.datetime) -> int:
    n = DataIssue.objects.filter(run=run, blocking=True, state=IssueState.OPEN).update(
        state=IssueState.ACCEPTED, comment=comment, handled_by=actor, handled_at=now
    )
    if n:
        _audit(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            run=run,
            summary=f"未対応のデータの不備 {n} 件を一括承認しました: {comment}",
        )
    return n


def confirm_run(
    *, run: SettlementRun, actor: Any, now: dt.datetime, accept_comment: str | None = None
) -> list[ConfirmedMonth]:
    """Confirm the run's open months (four eyes). Refused while blocking data issues are open, unless the
    confirmer accepts them all with ``accept_comment``; refused when another run confirmed months since this
    one was computed. Other draft runs of the year are superseded."""
    if not can(user=actor, action=Action.CONFIRM_SETTLEMENT):
        raise UnableToConfirmRun("精算を確定する権限がありません（責任者のみ）。")
    with transaction.atomic():
        locked = SettlementRun.objects.select_for_update().get(pk=run.pk)
        if locked.state == RunState.CONFIRMED:
            raise UnableToConfirmRun("この精算は既に確定済みです。")
        if locked.state != RunState.COMPUTED:
            raise UnableToConfirmRun(f"確認待ちの精算だけを確定できます（現在: {RunState(locked.state).label}）。")
        if locked.started_by_id == getattr(actor, "pk", None):
            raise UnableToConfirmRun("起票者と同じ人は確定できません（別の責任者が確定してください）。")
        roles = dict(RunMonth.objects.filter(run=locked).values_list("month", "role"))
        confirmed = set(
            ConfirmedMonth.objects.filter(delivery_year=locked.delivery_year).values_list("month", flat=True)
        )
        expected = {m for m, role in roles.items() if role == MonthRole.CONFIRMED_EARLIER}
        if confirmed != expected:
            raise UnableToConfirmRun(
                "この精算の計算後に別の精算で月が確定されました。最新のデータで精算をやり直してください。"
            )
        if accept_comment is not None and accept_comment.strip():
            _accept_open(run=locked, actor=actor, comment=accept_comment.strip(), now=now)
        still_open = DataIssue.objects.filter(run=locked, blocking=True, state=IssueState.OPEN).count()
        if still_open:
            raise UnableToConfirmRun(
                f"未対応のデータの不備が {still_open} 件あります。"
                "対応済・承認にするか、コメントを付けて一括承認してください。"
            )
        open_months = sorted(m for m, role in roles.items() if role == MonthRole.OPEN)
        try:
            with transaction.atomic():
                created = [
                    ConfirmedMonth.objects.create(
                        delivery_year=locked.delivery_year, month=m, run=locked, confirmed_by=actor, confirmed_at=now
                    )
                    for m in open_months
                ]
        except IntegrityError:
            raise UnableToConfirmRun("同じ月が同時に確定されました。最新のデータで精算をやり直してください。") from None
        SettlementRun.objects.filter(pk=locked.pk).update(
            state=RunState.CONFIRMED, confirmed_by=actor, confirmed_at=now
        )
        superseded = list(
            SettlementRun.objects.filter(
                delivery_year=locked.delivery_year,
                state__in=[RunState.COMPUTED, RunState.QUEUED, RunState.RUNNING],
            )
            .exclude(pk=locked.pk)
            .values_list("pk", flat=True)
        )
        SettlementRun.objects.filter(pk__in=superseded, state=RunState.COMPUTED).update(state=RunState.SUPERSEDED)
        locked.refresh_from_db()
        _audit(
            now=now,
            action=AuditAction.CONFIRMED,
            actor=actor,
            run=locked,
            summary=(
                f"精算を確定しました（{', '.join(open_months)}）。起票者: {locked.started_by.username}"
                + (f"。差替済: {', '.join(f'#{pk}' for pk in superseded)}" if superseded else "")
            ),
            months=open_months,
        )
    run.refresh_from_db()
    return created


def mark_published(*, months: Sequence[ConfirmedMonth], actor: Any, now: dt.datetime, participants: int) -> None:
    ConfirmedMonth.objects.filter(pk__in=[m.pk for m in months], published_at__isnull=True).update(published_at=now)
    if months:
        run = months[0].run
        _audit(
            now=now,
            action=AuditAction.PUBLISHED,
            actor=actor,
            run=run,
            summary=f"精算結果を公開しました（{', '.join(m.month for m in months)}、{participants} 事業者に通知）。",
        )


def discard_run(*, run: SettlementRun, actor: Any, now: dt.datetime) -> None:
    if not can(user=actor, action=Action.RUN_SETTLEMENT):
        raise UnableToDiscardRun("精算処理を取り消す権限がありません。")
    n = SettlementRun.objects.filter(pk=run.pk, state__in=[RunState.COMPUTED, RunState.FAILED]).update(
        state=RunState.DISCARDED
    )
    if n != 1:
        raise UnableToDiscardRun("確認待ち・エラーの精算だけを取り消せます。")
    run.refresh_from_db()
    _audit(now=now, action=AuditAction.UPDATED, actor=actor, run=run, summary="精算処理を取り消しました。")
