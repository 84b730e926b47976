"""Settlement runs (精算処理): start one, and compute it in a background job.

``start_run`` records the run with the moment its data is read at (``as_of`` = now) and queues the job
``settlement.run``; starting the same run again (same year and month, same inputs) returns the run already
queued or waiting for review. ``compute`` (the job) reads the registry and every dataset as of that moment
(``case_export.case_frames``: the very case ``export-run`` writes), calls the engine's library API, stores every
output as Parquet with its SHA-256, and records the figures: per contract and month, per provider statement, per
contribution bill, data issues, adjustments of confirmed months (``calc.adjustments``) and the differences to
the previous run with the input changes that explain them. A retried job after a killed worker starts again from
the beginning; the figures are written in one transaction, so a run is computed once or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import polars as pl
from django.db import transaction
from django.db.models import Max

import capmarket
from capmarket.application.intake import case_export
from capmarket.application.settlement import figures
from capmarket.application.settlement import issues as run_issues
from capmarket.application.settlement.differences import differences as run_differences
from capmarket.application.settlement.differences import input_changes
from capmarket.calc.engine import CalcResult, CaseData
from capmarket.calc.engine import run as engine_run
from capmarket.calc.io.validate import TABLE_ORDER, output_schema
from capmarket.calc.io.write import csv_bytes
from capmarket.calc.rules import RuleParams, UnknownRuleSet, resolve
from capmarket.calc.slots import month_labels
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress, ignore_progress
from capmarket.domain.outages.models import OutagePlan
from capmarket.domain.predelivery import queries as predelivery_queries
from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.rulesets.models import RuleSet
from capmarket.domain.settlement import operations as ops
from capmarket.domain.settlement import queries
from capmarket.domain.settlement.models import (
    CoalResult,
    ContractAdjustment,
    ContributionAdjustment,
    ContributionArea,
    ContributionBill,
    MonthRole,
    RunContract,
    RunDifference,
    RunInputVersion,
    RunMonth,
    RunOutput,
    SettlementRun,
    Statement,
)
from capmarket.domain.timeseries import queries as ts_queries
from capmarket.domain.timeseries.models import DATASETS as STORED_DATASETS

logger = logging.getLogger(__name__)

JOB_KIND: Final = "settlement.run"
UnableToStartRun = ops.UnableToStartRun
REQUIREMENTS: Final = ("outage", "market_bid", "supply_instruction", "dispatch")


@dataclass(frozen=True)
class StartedRun:
    run: SettlementRun
    job: Job | None
    created: bool


# ---------------------------------------------------------------- starting


def _check_month(*, delivery_year: int, through_month: str) -> list[str]:
    months = month_labels(delivery_year=delivery_year)
    if through_month not in months:
        raise UnableToStartRun(
            f"対象月 {through_month} は {delivery_year} 年度（{months[0]}〜{months[-1]}）の月ではありません。"
        )
    return months


def _first_open(*, delivery_year: int, months: list[str]) -> str | None:
    confirmed = queries.confirmed_months(delivery_year=delivery_year)
    return next((m for m in months if m not in confirmed), None)


def _fingerprint(*, delivery_year: int, through_month: str, as_of: dt.datetime) -> str:
    """What the run's result depends on: dataset versions and registry changes up to ``as_of``, the rule set
    version, the engine version and the confirmed months."""
    versions = sorted(
        (v.dataset, v.sequence)
        for name in STORED_DATASETS
        for v in ts_queries.versions_in_force(dataset=name, as_of=as_of)
    )
    registry = [
        str(model.history.filter(history_date__lte=as_of).aggregate(m=Max("history_id"))["m"])
        for model in (Participant, Resource, CapacityContract, OutagePlan)
    ]
    rulesets = list(
        RuleSet.objects.filter(name=f"jp-{delivery_year}", published_at__lte=as_of).values_list("version", flat=True)
    )
    confirmed = sorted((m, c.run_id) for m, c in queries.confirmed_months(delivery_year=delivery_year).items())
    parts: list[Any] = [delivery_year, through_month, versions, registry, sorted(rulesets), capmarket.__version__]
    parts.append(confirmed)
    replaced = list(
        predelivery_queries.replacements_in_force(delivery_year=delivery_year, as_of=as_of).values_list("pk", flat=True)
    )
    if replaced:  # appended only when there are any, so the fingerprints of runs without replacements stay as they were
        parts.append(["replacements", replaced])
    ended = list(
        predelivery_queries.replacement_ends_in_force(delivery_year=delivery_year, as_of=as_of).values_list(
            "pk", flat=True
        )
    )
    if ended:  # an approved early end (電源等差替の終了) changes what the run assesses from its date
        parts.append(["replacement_ends", ended])
    payload = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def start_run(*, actor: Any, delivery_year: int, through_month: str, now: dt.datetime) -> StartedRun:
    """Record a run of ``delivery_year`` through ``through_month`` on the data stored now and queue its job."""
    months = _check_month(delivery_year=delivery_year, through_month=through_month)
    try:
        resolve(name=f"jp-{delivery_year}")
    except UnknownRuleSet:
        raise UnableToStartRun(f"{delivery_year} 年度の算定ルールセットがありません。") from None
    first_open = _first_open(delivery_year=delivery_year, months=months)
    if first_open is None:
        raise UnableToStartRun(f"{delivery_year} 年度は全ての月が確定済みです（訂正は年次精算で行います）。")
    if through_month < first_open:
        raise UnableToStartRun(f"{through_month} までは確定済みです。{first_open} 以降の月を指定してください。")
    fingerprint = _fingerprint(delivery_year=delivery_year, through_month=through_month, as_of=now)
    existing = (
        queries.active_runs(delivery_year=delivery_year)
        .filter(through_month=through_month, inputs_fingerprint=fingerprint)
        .order_by("-started_at", "-pk")
        .first()
    )
    if existing is not None:
        return StartedRun(run=existing, job=existing.job, created=False)
    with transaction.atomic():
        run = ops.create_run(
            actor=actor,
            delivery_year=delivery_year,
            through_month=through_month,
            first_open_month=first_open,
            as_of=now,
            fingerprint=fingerprint,
            ruleset_name=f"jp-{delivery_year}",
            now=now,
        )
        job, _ = job_ops.enqueue(
            kind=JOB_KIND,
            owner=actor,
            participant=None,
            inputs={"run_id": run.pk},
            idempotency_key=f"settlement-run:{run.pk}",
            now=now,
        )
        ops.attach_job(run=run, job=job)
    return StartedRun(run=run, job=job, created=True)


def run_job(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    """Job handler of ``settlement.run``."""
    run = queries.get_run(run_id=int(job.inputs["run_id"]))
    if run is None:
        raise LookupError(f"settlement run {job.inputs['run_id']} does not exist")
    compute(run=run, progress=progress, now=now)
    run.refresh_from_db()
    if run.state == "failed":
        raise RuntimeError(run.error.splitlines()[0] if run.error else "settlement run failed")
    return {"run_id": run.pk, "state": run.state, **{k: v for k, v in run.summary.items() if isinstance(v, int)}}


def compute(*, run: SettlementRun, now: dt.datetime, progress: Progress = ignore_progress) -> SettlementRun:
    """Compute the run (idempotent: a computed run is left as it is)."""
    if not ops.mark_running(run=run):
        return run
    try:
        computed = _compute(run=run, progress=progress)
    except Exception as exc:
        ops.mark_failed(run=run, error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=20)}", now=now)
        raise
    progress(7, 8, "結果を登録中")
    ops.record_computed(run=run, computed=computed, now=now)
    progress(8, 8, "完了")
    return run


# ---------------------------------------------------------------- the case and the engine


def case_data(*, frames: case_export.CaseFrames) -> CaseData:
    """The engine's input from the in-memory case (columns and types of ``calc.io.validate.output_schema``)."""
    typed: dict[str, pl.DataFrame] = {}
    for name in TABLE_ORDER:
        frame = frames.tables.get(name)
        if frame is None:
            continue
        schema = output_schema(name=name)
        missing = [c for c in schema if c not in frame.columns]
        if missing:
            frame = frame.with_columns([pl.lit(None).alias(c) for c in missing])
        typed[name] = frame.select(list(schema)).cast(schema)  # type: ignore[arg-type]
    return CaseData(delivery_year=frames.delivery_year, areas_given="areas" in typed, **typed)


def params_of(*, frames: case_export.CaseFrames) -> tuple[dict[str, str], RuleParams]:
    """The parameter values used (as ``case.toml`` would resolve them) and the typed parameters."""
    _, used, params = resolve(name=frames.ruleset, overrides=frames.parameters)
    return used, params


# ---------------------------------------------------------------- computing


def _participants(codes: Iterable[str]) -> dict[str, Participant]:
    wanted = sorted(set(codes))
    found = {p.participant_code: p for p in Participant.objects.filter(participant_code__in=wanted)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise LookupError(f"事業者が登録されていません: {', '.join(missing[:10])}")
    return found


# long: the run's steps in order, each a call with its progress message and timing;
# the work itself is in figures.py and differences.py
def _compute(*, run: SettlementRun, progress: Progress) -> ops.ComputedRun:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    year = run.delivery_year
    months = month_labels(delivery_year=year)
    progress(0, 8, "登録情報・データセットを読込み中")
    frames = case_export.case_frames(year=year, as_of=run.as_of)
    case = case_data(frames=frames)
    used, params = params_of(frames=frames)
    timings["read_s"] = time.perf_counter() - started

    confirmed = queries.confirmed_months(delivery_year=year)
    scope = [m for m in months if m <= run.through_month]
    first_open = next((m for m in scope if m not in confirmed), None)
    if first_open is None:
        raise ops.UnableToStartRun(f"{run.through_month} までの月は既に確定済みです。")
    confirmed_before = [m for m in months if m < first_open]
    recognised = queries.latest_confirming_run(delivery_year=year) if confirmed_before else None

    progress(1, 8, "計算中（リクワイアメント・アセスメント・ペナルティ・交付額・容量拠出金）")
    t0 = time.perf_counter()
    result = engine_run(case=case, params=params)
    timings["engine_s"] = time.perf_counter() - t0

    progress(2, 8, "出力を保存中")
    t0 = time.perf_counter()
    outputs = _store_outputs(run=run, result=result)
    timings["store_outputs_s"] = time.perf_counter() - t0

    progress(3, 8, "契約・月別の結果を作成中")
    t0 = time.perf_counter()
    codes = (
        set(case.contracts["provider_id"].to_list())
        | set(result.statements["provider_id"].to_list())
        | (set(result.contributions["payer_id"].to_list()) if result.contributions is not None else set())
    )
    if recognised is not None:
        codes |= set(RunContract.objects.filter(run=recognised).values_list("participant__participant_code", flat=True))
        codes |= set(
            Statement.objects.filter(run__confirmed_months__delivery_year=year)
            .order_by()
            .values_list("participant__participant_code", flat=True)
            .distinct()
        )
        codes |= set(
            ContributionBill.objects.filter(run=recognised).values_list("participant__participant_code", flat=True)
        )
    participants = _participants(codes)
    contracts = figures.run_contracts(case=case, params=params, participants=participants)
    contract_months = figures.contract_months(result=result, scope=scope)
    coal = [
        (str(c), CoalResult(capacity_factor_pct=int(pct), penalty_yen=int(yen)))
        for c, pct, yen in result.coal.select("contract_id", "capacity_factor_pct", "penalty_yen").iter_rows()
    ]

    progress(4, 8, "確定済み月の調整を計算中")
    contract_adjustments: list[ContractAdjustment] = []
    bill_adjustments: list[ContributionAdjustment] = []
    if recognised is not None:
        contract_adjustments, extra = figures.contract_adjustments(
            run=run,
            recognised=recognised,
            result=result,
            confirmed_before=confirmed_before,
            first_open=first_open,
            participants=participants,
            contracts=contracts,
            contract_months=contract_months,
        )
        contracts += extra
        bill_adjustments = figures.bill_adjustments(
            recognised=recognised,
            result=result,
            confirmed_before=confirmed_before,
            first_open=first_open,
            participants=participants,
        )

    progress(5, 8, "支払通知書・請求書・容量拠出金の金額を計算中")
    statements = figures.statements(
        year=year,
        result=result,
        case=case,
        params=params,
        scope=scope,
        first_open=first_open,
        confirmed=confirmed,
        contract_months=contract_months,
        contracts=contracts,
        participants=participants,
    )
    bills = figures.bills(
        result=result,
        params=params,
        scope=scope,
        first_open=first_open,
        adjustments=bill_adjustments,
        participants=participants,
    )
    areas = []
    if result.contribution_areas is not None:
        areas = [
            ContributionArea(
                area=a,
                area_total_yen=int(t),
                transitional_deduction_yen=int(d),
                tso_share_yen=int(s),
                retailer_total_yen=int(r),
            )
            for a, t, d, s, r in result.contribution_areas.iter_rows()
        ]
    timings["figures_s"] = time.perf_counter() - t0

    progress(6, 8, "データの不備・前回との差異を確認中")
    t0 = time.perf_counter()
    issues = run_issues.issues(run=run, case=case, result=result, participants=participants)
    input_versions = [
        RunInputVersion(dataset=name, version=v)
        for name in STORED_DATASETS
        for v in ts_queries.versions_in_force(dataset=name, as_of=run.as_of)
    ]
    previous = queries.previous_run(run=run)
    changes: list[dict[str, Any]] = []
    differences: list[RunDifference] = []
    if previous is not None:
        changes = input_changes(previous=previous, run=run, input_versions=input_versions, recognised=recognised)
        differences = run_differences(
            previous=previous,
            scope=scope,
            contracts=contracts,
            contract_months=contract_months,
            statements=statements,
            bills=bills,
            changes=changes,
        )
    timings["review_s"] = time.perf_counter() - t0
    version = (
        RuleSet.objects.filter(name=frames.ruleset, published_at__lte=run.as_of).order_by("-version", "-pk").first()
    )
    summary: dict[str, Any] = {
        "contracts": len(contracts),
        "contract_months": len(contract_months),
        "statements": len(statements),
        "contribution_bills": len(bills),
        "data_issues": len(issues),
        "adjustments": len(contract_adjustments) + len(bill_adjustments),
        "differences": len(differences),
        "first_open_month": first_open,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
    return ops.ComputedRun(
        first_open_month=first_open,
        ruleset_version=version.version if version is not None else None,
        parameters=used,
        engine_version=capmarket.__version__,
        previous_run=previous,
        recognised_run=recognised,
        changes=changes,
        summary=summary,
        input_versions=input_versions,
        outputs=outputs,
        months=[
            RunMonth(month=m, role=MonthRole.OPEN if m >= first_open else MonthRole.CONFIRMED_EARLIER) for m in scope
        ],
        contracts=contracts,
        contract_months=[(c, row) for (c, _), row in sorted(contract_months.items())],
        coal=coal,
        statements=statements,
        contribution_bills=bills,
        contribution_areas=areas,
        contract_adjustments=contract_adjustments,
        contribution_adjustments=bill_adjustments,
        data_issues=issues,
        differences=differences,
    )


def _store_outputs(*, run: SettlementRun, result: CalcResult) -> list[RunOutput]:
    from capmarket.application.settlement.storage import write_frame  # noqa: PLC0415

    rows = []
    for name, frame in result.outputs().items():
        path, sha = write_frame(run_id=run.pk, name=name, frame=frame)
        rows.append(
            RunOutput(
                name=name,
                storage_name=path,
                sha256=sha,
                csv_sha256=hashlib.sha256(csv_bytes(frame=frame)).hexdigest(),
                rows=frame.height,
            )
        )
    return rows
