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
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, cast

import polars as pl
from django.db import transaction
from django.db.models import Max, Q

import capmarket
from capmarket.application.intake import case_export
from capmarket.calc import adjustments as adj
from capmarket.calc.contract_amount import contract_amount
from capmarket.calc.engine import CalcResult, CaseData
from capmarket.calc.engine import run as engine_run
from capmarket.calc.io.validate import TABLE_ORDER, output_schema
from capmarket.calc.io.write import csv_bytes
from capmarket.calc.rules import RuleParams, UnknownRuleSet, resolve
from capmarket.calc.slots import add_months, month_labels
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress, ignore_progress
from capmarket.domain.outages.models import OutagePlan
from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.rulesets.models import RuleSet
from capmarket.domain.settlement import operations as ops
from capmarket.domain.settlement import queries
from capmarket.domain.settlement.models import (
    CoalResult,
    ContractAdjustment,
    ContractMonth,
    ContributionAdjustment,
    ContributionArea,
    ContributionBill,
    DataIssue,
    IssueState,
    LineKind,
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
from capmarket.domain.timeseries.storage import scan_version

logger = logging.getLogger(__name__)

JOB_KIND: Final = "settlement.run"
UnableToStartRun = ops.UnableToStartRun
REQUIREMENTS: Final = ("outage", "market_bid", "supply_instruction", "dispatch")
#: datasets keyed by resource / by area / by retailer: what a new version touches
_BY_RESOURCE: Final = frozenset({"generation", "bids", "instructions", "dispatch_orders", "metering", "baselines"})
_BY_AREA: Final = frozenset({"tight_slots", "reserve_margins", "multipliers", "areas"})
_BY_RETAILER: Final = frozenset({"retailers", "wheeling"})
DATASET_LABELS: Final[dict[str, str]] = {
    "generation": "発電上限・発電計画",
    "outages": "容量停止計画",
    "bids": "市場応札量",
    "instructions": "供給指示",
    "dispatch_orders": "発動指令",
    "metering": "計量値",
    "baselines": "ベースライン",
    "tight_slots": "低予備率アセスメント対象コマ",
    "reserve_margins": "広域予備率",
    "multipliers": "停止係数カレンダー",
    "areas": "エリア別H3需要・価格",
    "retailers": "小売電気事業者の最大需要電力",
    "wheeling": "託送契約電力",
    "receipts": "入金",
}


@dataclass(frozen=True)
class StartedRun:
    run: SettlementRun
    job: Job | None
    created: bool


# ---------------------------------------------------------------- starting


def _check_month(*, delivery_year: int, through_month: str) -> list[str]:
    months = month_labels(delivery_year)
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
    payload = json.dumps(
        [delivery_year, through_month, versions, registry, sorted(rulesets), capmarket.__version__, confirmed],
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def start_run(*, actor: Any, delivery_year: int, through_month: str, now: dt.datetime) -> StartedRun:
    """Record a run of ``delivery_year`` through ``through_month`` on the data stored now and queue its job."""
    months = _check_month(delivery_year=delivery_year, through_month=through_month)
    try:
        resolve(f"jp-{delivery_year}")
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
        schema = output_schema(name)
        missing = [c for c in schema if c not in frame.columns]
        if missing:
            frame = frame.with_columns([pl.lit(None).alias(c) for c in missing])
        typed[name] = frame.select(list(schema)).cast(schema)  # type: ignore[arg-type]
    return CaseData(delivery_year=frames.delivery_year, areas_given="areas" in typed, **typed)


def params_of(*, frames: case_export.CaseFrames) -> tuple[dict[str, str], RuleParams]:
    """The parameter values used (as ``case.toml`` would resolve them) and the typed parameters."""
    _, used, params = resolve(frames.ruleset, frames.parameters)
    return used, params


# ---------------------------------------------------------------- computing


def _e4(text: str | None) -> int | None:
    """'12.3456' (4 decimals, as the engine prints) → 123456."""
    if text is None or text == "":
        return None
    return int(text.replace(".", ""))


def _wh(text: str | None) -> int | None:
    """'12.345' kWh (3 decimals) → 12345 Wh."""
    if text is None or text == "":
        return None
    return int(text.replace(".", ""))


def _lines(result_months: pl.DataFrame, penalties: pl.DataFrame) -> dict[tuple[tuple[str, str], str], int]:
    """Money lines ``((contract, kind), month) → yen``: instalment, raw penalty per requirement, the caps'
    reduction."""
    out: dict[tuple[tuple[str, str], str], int] = {}
    for contract, month, inst, raw, capped in result_months.select(
        "contract_id", "month", "instalment_yen", "raw_penalty_yen", "capped_penalty_yen"
    ).iter_rows():
        out[((contract, LineKind.INSTALMENT.value), month)] = int(inst)
        out[((contract, LineKind.CAP.value), month)] = int(capped) - int(raw)
    for contract, month, req, yen in penalties.select("contract_id", "month", "requirement", "penalty_yen").iter_rows():
        out[((contract, str(req)), month)] = int(yen)
    return out


def _bill_lines(contributions: pl.DataFrame | None) -> dict[tuple[tuple[str, str, str], str], int]:
    if contributions is None:
        return {}
    return {
        ((payer, kind, area), month): int(amount)
        for payer, kind, area, month, amount in contributions.select(
            "payer_id", "payer_kind", "area", "delivery_month", "amount_yen"
        ).iter_rows()
    }


def _participants(codes: Iterable[str]) -> dict[str, Participant]:
    wanted = sorted(set(codes))
    found = {p.participant_code: p for p in Participant.objects.filter(participant_code__in=wanted)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise LookupError(f"事業者が登録されていません: {', '.join(missing[:10])}")
    return found


def _compute(*, run: SettlementRun, progress: Progress) -> ops.ComputedRun:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    year = run.delivery_year
    months = month_labels(year)
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
    contracts = _run_contracts(case=case, params=params, participants=participants)
    contract_months = _contract_months(result=result, scope=scope)
    coal = [
        (str(c), CoalResult(capacity_factor_pct=int(pct), penalty_yen=int(yen)))
        for c, pct, yen in result.coal.select("contract_id", "capacity_factor_pct", "penalty_yen").iter_rows()
    ]

    progress(4, 8, "確定済み月の調整を計算中")
    contract_adjustments: list[ContractAdjustment] = []
    bill_adjustments: list[ContributionAdjustment] = []
    if recognised is not None:
        contract_adjustments, extra = _contract_adjustments(
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
        bill_adjustments = _bill_adjustments(
            recognised=recognised,
            result=result,
            confirmed_before=confirmed_before,
            first_open=first_open,
            participants=participants,
        )

    progress(5, 8, "支払通知書・請求書・容量拠出金の金額を計算中")
    statements = _statements(
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
    bills = _bills(
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
    issues = _issues(run=run, case=case, result=result, participants=participants)
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
        differences = _differences(
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
                csv_sha256=hashlib.sha256(csv_bytes(frame)).hexdigest(),
                rows=frame.height,
            )
        )
    return rows


def _run_contracts(*, case: CaseData, params: RuleParams, participants: dict[str, Participant]) -> list[RunContract]:
    names = dict(Resource.objects.values_list("resource_code", "name"))
    joined = case.contracts.join(
        case.resources.select("resource_id", "area", "resource_type", "inefficient_coal"), on="resource_id", how="left"
    ).sort("contract_id")
    out = []
    for row in joined.iter_rows(named=True):
        amount = contract_amount(
            price_yen_per_kw=row["price_yen_per_kw"],
            contract_kw=row["contract_kw"],
            transitional=bool(row["transitional"]),
            transitional_deduction_rate=params.transitional_deduction_rate,
            amount_override_yen=row["amount_yen"],
        )
        out.append(
            RunContract(
                contract_code=row["contract_id"],
                participant=participants[row["provider_id"]],
                resource_code=row["resource_id"],
                resource_name=names.get(row["resource_id"], "")[:200],
                area=row["area"] or "",
                resource_type=row["resource_type"] or "",
                inefficient_coal=bool(row["inefficient_coal"]),
                price_yen_per_kw=row["price_yen_per_kw"],
                contract_kw=row["contract_kw"],
                assessment_kw=row["assessment_kw"] if row["assessment_kw"] is not None else row["contract_kw"],
                transitional=bool(row["transitional"]),
                amount_yen=amount.amount_yen,
            )
        )
    return out


def _contract_months(*, result: CalcResult, scope: list[str]) -> dict[tuple[str, str], ContractMonth]:
    rows: dict[tuple[str, str], ContractMonth] = {}
    in_scope = set(scope)
    for contract, month, inst, raw, capped in result.contract_months.iter_rows():
        if month in in_scope:
            rows[(contract, month)] = ContractMonth(
                month=month, instalment_yen=int(inst), raw_penalty_yen=int(raw), capped_penalty_yen=int(capped)
            )
    for contract, month, req, unmet, weighted, kwh in result.assessment.iter_rows():
        row = rows.get((contract, month))
        if row is None:
            continue
        if req == "outage":
            row.outage_unmet_slots_e4 = _e4(unmet)
            row.outage_weighted_slots_e4 = _e4(weighted)
        else:
            setattr(row, f"{req}_unmet_wh", _wh(kwh))
    for contract, month, req, yen in result.penalties.iter_rows():
        row = rows.get((contract, month))
        if row is None:
            continue
        if req == "coal_restraint":
            row.coal_penalty_yen = int(yen)
        else:
            setattr(row, f"{req}_penalty_yen", int(yen))
    return rows


def _contract_adjustments(
    *,
    run: SettlementRun,
    recognised: SettlementRun,
    result: CalcResult,
    confirmed_before: list[str],
    first_open: str,
    participants: dict[str, Participant],
    contracts: list[RunContract],
    contract_months: dict[tuple[str, str], ContractMonth],
) -> tuple[list[ContractAdjustment], list[RunContract]]:
    """Differences of every contract line in the confirmed months, carried into ``first_open``."""
    from capmarket.application.settlement.storage import read_output  # noqa: PLC0415

    recomputed = _lines(result.contract_months, result.penalties)
    recognised_lines = _lines(
        read_output(run=recognised, name="contract_months"), read_output(run=recognised, name="penalties")
    )
    carried = adj.carry(recomputed=recomputed, recognised=recognised_lines, confirmed_months=confirmed_before)
    known = {c.contract_code: c for c in contracts}
    earlier = {c.contract_code: c for c in RunContract.objects.filter(run=recognised).select_related("participant")}
    extra: list[RunContract] = []
    rows: list[ContractAdjustment] = []
    for a in carried:
        contract_code, kind = cast(tuple[str, str], a.key)
        if contract_code not in known:
            # the contract is no longer in force: its confirmed lines are reversed; keep its description
            old = earlier[contract_code]
            copy = RunContract(
                contract_code=old.contract_code,
                participant=old.participant,
                resource_code=old.resource_code,
                resource_name=old.resource_name,
                area=old.area,
                resource_type=old.resource_type,
                inefficient_coal=old.inefficient_coal,
                price_yen_per_kw=old.price_yen_per_kw,
                contract_kw=old.contract_kw,
                assessment_kw=old.assessment_kw,
                transitional=old.transitional,
                amount_yen=old.amount_yen,
            )
            known[contract_code] = copy
            extra.append(copy)
        rows.append(
            ContractAdjustment(
                month=first_open,
                source_month=a.source_month,
                contract_code=contract_code,
                participant=known[contract_code].participant,
                kind=kind,
                recognised_run=recognised,
                recognised_yen=a.recognised_yen,
                recomputed_yen=a.recomputed_yen,
                difference_yen=a.difference_yen,
            )
        )
        month_row = contract_months.get((contract_code, first_open))
        if month_row is None:
            month_row = ContractMonth(month=first_open, instalment_yen=0, raw_penalty_yen=0, capped_penalty_yen=0)
            contract_months[(contract_code, first_open)] = month_row
        if kind == LineKind.INSTALMENT:
            month_row.instalment_adjustment_yen += a.difference_yen
        else:
            month_row.penalty_adjustment_yen += a.difference_yen
    return rows, extra


def _bill_adjustments(
    *,
    recognised: SettlementRun,
    result: CalcResult,
    confirmed_before: list[str],
    first_open: str,
    participants: dict[str, Participant],
) -> list[ContributionAdjustment]:
    from capmarket.application.settlement.storage import has_output, read_output  # noqa: PLC0415

    earlier = (
        read_output(run=recognised, name="contributions") if has_output(run=recognised, name="contributions") else None
    )
    carried = adj.carry(
        recomputed=_bill_lines(result.contributions),
        recognised=_bill_lines(earlier),
        confirmed_months=confirmed_before,
    )
    out = []
    for a in carried:
        payer, kind, area = cast(tuple[str, str, str], a.key)
        out.append(
            ContributionAdjustment(
                month=first_open,
                source_month=a.source_month,
                participant=participants[payer],
                payer_kind=kind,
                area=area,
                recognised_run=recognised,
                recognised_yen=a.recognised_yen,
                recomputed_yen=a.recomputed_yen,
                difference_yen=a.difference_yen,
            )
        )
    return out


def _statements(
    *,
    year: int,
    result: CalcResult,
    case: CaseData,
    params: RuleParams,
    scope: list[str],
    first_open: str,
    confirmed: dict[str, Any],
    contract_months: dict[tuple[str, str], ContractMonth],
    contracts: list[RunContract],
    participants: dict[str, Participant],
) -> list[Statement]:
    """Statements of the months in scope: recomputed ones for months confirmed earlier (for comparison), settled
    ones for the open months (confirmed months' settled figures, then this run's, adjustments in the first)."""
    months = month_labels(year)
    engine: dict[tuple[str, str], tuple[Any, ...]] = {(str(r[0]), str(r[1])): r for r in result.statements.iter_rows()}
    provider_of = {c.contract_code: c.participant.participant_code for c in contracts}
    adj_inst: dict[str, int] = defaultdict(int)
    adj_pen: dict[str, int] = defaultdict(int)
    for (contract, month), cm in contract_months.items():
        if month == first_open:
            adj_inst[provider_of[contract]] += cm.instalment_adjustment_yen
            adj_pen[provider_of[contract]] += cm.penalty_adjustment_yen
    settled_before: dict[tuple[str, str], tuple[int, int]] = {}
    frozen = Q(pk__in=[])
    for month, c in confirmed.items():
        if month < first_open:
            frozen |= Q(run_id=c.run_id, month=month)
    for code, month, s_inst, s_inst_adj, s_pen, s_pen_adj in (
        Statement.objects.filter(frozen)
        .order_by()
        .values_list(
            "participant__participant_code",
            "month",
            "instalments_yen",
            "instalment_adjustment_yen",
            "penalties_yen",
            "penalty_adjustment_yen",
        )
    ):
        settled_before[(code, month)] = (s_inst + s_inst_adj, s_pen + s_pen_adj)
    receipts: dict[str, dict[str, int]] = defaultdict(dict)
    for provider, month, amount in case.receipts.select("provider_id", "delivery_month", "amount_yen").iter_rows():
        receipts[str(provider)][str(month)] = int(amount)
    providers = sorted({p for p, _ in engine} | {p for p, _ in settled_before} | set(adj_inst) | set(adj_pen))
    out: list[Statement] = []
    lag = params.payment_lag_months
    for provider in providers:
        for month in scope:
            if month >= first_open:
                continue
            row = engine.get((provider, month))
            if row is None:
                continue
            out.append(_statement_from_engine(participants[provider], row))
        inst: list[int] = []
        pen: list[int] = []
        for month in months:
            if month < first_open:
                i, p = settled_before.get((provider, month), (0, 0))
            else:
                row = engine.get((provider, month))
                i, p = (int(row[3]), int(row[4])) if row is not None else (0, 0)
                if month == first_open:
                    i += adj_inst.get(provider, 0)
                    p += adj_pen.get(provider, 0)
            inst.append(i)
            pen.append(p)
        settled = adj.settled_statements(
            months=months,
            instalments_yen=inst,
            penalties_yen=pen,
            receipts_yen=receipts.get(provider, {}),
            tax_rate=params.tax_rate,
        )
        for s in settled:
            if s.delivery_month < first_open or s.delivery_month not in scope:
                continue
            row = engine.get((provider, s.delivery_month))
            base_inst = int(row[3]) if row is not None else 0
            base_pen = int(row[4]) if row is not None else 0
            extra = s.delivery_month == first_open
            out.append(
                Statement(
                    participant=participants[provider],
                    month=s.delivery_month,
                    payment_month=add_months(s.delivery_month, lag),
                    instalments_yen=base_inst,
                    instalment_adjustment_yen=adj_inst.get(provider, 0) if extra else 0,
                    penalties_yen=base_pen,
                    penalty_adjustment_yen=adj_pen.get(provider, 0) if extra else 0,
                    net_excl_tax_yen=s.net_excl_tax_yen,
                    tax_yen=s.tax_yen,
                    carried_in_yen=s.carried_in_yen,
                    total_yen=s.total_yen,
                    document=s.document,
                    amount_yen=s.amount_yen,
                    received_yen=s.received_yen,
                    carried_out_yen=s.carried_out_yen,
                )
            )
    return out


def _statement_from_engine(participant: Participant, row: tuple[Any, ...]) -> Statement:
    (_, month, payment_month, inst, pen, net, tax, carried_in, total, document, amount, received, carried_out) = row
    return Statement(
        participant=participant,
        month=month,
        payment_month=payment_month,
        instalments_yen=int(inst),
        penalties_yen=int(pen),
        net_excl_tax_yen=int(net),
        tax_yen=int(tax),
        carried_in_yen=int(carried_in),
        total_yen=int(total),
        document=document,
        amount_yen=int(amount),
        received_yen=int(received),
        carried_out_yen=int(carried_out),
    )


def _bills(
    *,
    result: CalcResult,
    params: RuleParams,
    scope: list[str],
    first_open: str,
    adjustments: list[ContributionAdjustment],
    participants: dict[str, Participant],
) -> list[ContributionBill]:
    in_scope = set(scope)
    rows: dict[tuple[str, str, str, str], ContributionBill] = {}
    if result.contributions is not None:
        for payer, kind, area, month, billing, amount, tax, total in result.contributions.iter_rows():
            if month not in in_scope:
                continue
            rows[(payer, kind, area, month)] = ContributionBill(
                participant=participants[payer],
                payer_kind=kind,
                area=area,
                month=month,
                billing_month=billing,
                amount_yen=int(amount),
                tax_yen=int(tax),
                total_yen=int(total),
            )
    carried: dict[tuple[str, str, str], int] = defaultdict(int)
    for a in adjustments:
        carried[(a.participant.participant_code, a.payer_kind, a.area)] += a.difference_yen
    for (payer, kind, area), difference in sorted(carried.items()):
        bill = rows.get((payer, kind, area, first_open))
        if bill is None:
            bill = ContributionBill(
                participant=participants[payer],
                payer_kind=kind,
                area=area,
                month=first_open,
                billing_month=add_months(first_open, params.contribution_lag_months),
                amount_yen=0,
                tax_yen=0,
                total_yen=0,
            )
            rows[(payer, kind, area, first_open)] = bill
        bill.adjustment_yen = difference
        bill.tax_yen = adj.bill_tax(
            amount_yen=bill.amount_yen + difference,
            tax_rate=params.tax_rate,
            taxable=params.contributions_taxable,
        )
        bill.total_yen = bill.amount_yen + difference + bill.tax_yen
    return [rows[k] for k in sorted(rows)]


def _issues(
    *, run: SettlementRun, case: CaseData, result: CalcResult, participants: dict[str, Participant]
) -> list[DataIssue]:
    """The engine's data issues with their month, the company they concern, whether they block confirmation,
    and the resolution carried over from an earlier run of the year for the same issue."""
    provider_of_resource = dict(case.resources.select("resource_id", "provider_id").iter_rows())
    order_info = {
        str(o): (str(r), s.strftime("%Y-%m"))
        for o, r, s in case.dispatch_orders.select("order_id", "resource_id", "start").iter_rows()
    }
    last_month = month_labels(run.delivery_year)[-1]
    earlier = {
        (i.file, i.key, i.problem): i
        for i in DataIssue.objects.filter(run__delivery_year=run.delivery_year)
        .exclude(state=IssueState.OPEN)
        .exclude(run=run)
        .order_by("run__started_at", "pk")
    }
    extra = {
        p.participant_code: p
        for p in Participant.objects.filter(participant_code__in=set(provider_of_resource.values()))
    }
    out = []
    for file, key, problem in result.data_issues.iter_rows():
        parts = str(key).split(" ")
        month = ""
        provider = None
        blocking = True
        if file in ("generation", "metering", "instructions") and len(parts) == 3:
            month = parts[1][:7]
            provider = provider_of_resource.get(parts[0])
        elif file == "metering" and len(parts) == 1:
            provider = provider_of_resource.get(parts[0])
            blocking = run.through_month == last_month  # the yearly coal rule counts only at the year's end
        elif file == "dispatch_orders":
            resource, month = order_info.get(parts[0], ("", ""))
            provider = provider_of_resource.get(resource)
        elif file == "receipts" and len(parts) == 2:
            provider, month = parts
        if month and month > run.through_month:
            blocking = False
        issue = DataIssue(
            file=str(file),
            key=str(key)[:200],
            problem=str(problem)[:300],
            month=month,
            participant=participants.get(provider or "") or extra.get(provider or ""),
            blocking=blocking,
        )
        before = earlier.get((issue.file, issue.key, issue.problem))
        if before is not None:
            issue.state = before.state
            issue.comment = f"{before.comment}（精算 #{before.run_id} での対応を引継ぎ）"
            issue.handled_by = before.handled_by
            issue.handled_at = before.handled_at
        out.append(issue)
    return out


# ---------------------------------------------------------------- differences to the previous run


def _version_touches(version: Any) -> dict[str, list[str]]:
    """Resources / areas / retailers whose rows a dataset version holds."""
    dataset = version.dataset
    columns = {c for c, _ in version.columns}
    found: dict[str, list[str]] = {}
    lf = scan_version(version)
    if dataset in _BY_RESOURCE and "resource_id" in columns:
        found["resources"] = sorted(lf.select(pl.col("resource_id").unique()).collect().to_series().to_list())
    if "area" in columns and (dataset in _BY_AREA or dataset in _BY_RETAILER):
        found["areas"] = sorted(lf.select(pl.col("area").unique()).collect().to_series().to_list())
    if dataset in _BY_RETAILER and "retailer_id" in columns:
        found["retailers"] = sorted(lf.select(pl.col("retailer_id").unique()).collect().to_series().to_list())
    if dataset == "receipts" and "provider_id" in columns:
        found["providers"] = sorted(lf.select(pl.col("provider_id").unique()).collect().to_series().to_list())
    return found


def input_changes(
    *,
    previous: SettlementRun,
    run: SettlementRun,
    input_versions: list[RunInputVersion],
    recognised: SettlementRun | None,
) -> list[dict[str, Any]]:
    """What changed in the inputs between ``previous`` and ``run``: new dataset versions (with what they touch),
    registry changes, a new rule-set version, another engine, newly confirmed months."""
    before = set(RunInputVersion.objects.filter(run=previous).values_list("version_id", flat=True))
    changes: list[dict[str, Any]] = []
    for iv in sorted(input_versions, key=lambda iv: (iv.dataset, iv.version.sequence)):
        if iv.version.pk in before:
            continue
        v = iv.version
        changes.append(
            {
                "kind": "dataset",
                "dataset": v.dataset,
                "label": f"{DATASET_LABELS.get(v.dataset, v.dataset)} 第{v.sequence}版"
                f"（{v.created_at:%Y-%m-%d %H:%M} 登録、{v.source_name or '—'}、"
                f"対象月 {', '.join(v.months) or '全体'}）",
                "months": list(v.months),
                **_version_touches(v),
            }
        )
    for model, kind, code_field in (
        (CapacityContract, "contract", "contract_code"),
        (Resource, "resource", "resource_code"),
        (Participant, "participant", "participant_code"),
        (OutagePlan, "outage", "outage_code"),
    ):
        rows = model.history.filter(history_date__gt=previous.as_of, history_date__lte=run.as_of).order_by(
            "history_date", "history_id"
        )
        codes = sorted({getattr(r, code_field) for r in rows})
        if not codes:
            continue
        extra: dict[str, Any] = {}
        if model is CapacityContract:
            extra["contracts"] = codes
        elif model is Resource:
            extra["resources"] = codes
        elif model is OutagePlan:
            extra["resources"] = sorted(
                {r.resource.resource_code for r in rows.select_related("resource") if r.resource_id is not None}
            )
        labels = {
            "contract": "容量確保契約",
            "resource": "電源等情報",
            "participant": "事業者情報",
            "outage": "容量停止計画",
        }
        changes.append(
            {
                "kind": kind,
                "label": f"{labels[kind]}の変更 {len(codes)} 件"
                f"（{', '.join(codes[:5])}{' ほか' if len(codes) > 5 else ''}）",
                **extra,
            }
        )
    if previous.ruleset_version != _ruleset_version(run):
        changes.append({"kind": "ruleset", "label": f"算定ルールセット {run.ruleset_name} の版の変更"})
    if previous.engine_version and previous.engine_version != capmarket.__version__:
        changes.append({"kind": "engine", "label": f"計算エンジン {previous.engine_version} → {capmarket.__version__}"})
    if recognised is not None and recognised.pk not in (previous.pk, previous.recognised_run_id):
        changes.append({"kind": "confirmed", "label": f"確定済みの月の変更（基準: 精算 #{recognised.pk}）"})
    return changes


def _ruleset_version(run: SettlementRun) -> int | None:
    v = RuleSet.objects.filter(name=run.ruleset_name, published_at__lte=run.as_of).order_by("-version", "-pk").first()
    return v.version if v is not None else None


def _reasons(
    changes: list[dict[str, Any]],
    *,
    resource: str = "",
    area: str = "",
    payer: str = "",
    contract: str = "",
    provider: str = "",
) -> list[str]:
    out = []
    for c in changes:
        if c["kind"] in ("ruleset", "engine", "confirmed") or (
            (resource and resource in c.get("resources", ()))
            or (contract and contract in c.get("contracts", ()))
            or (area and c.get("dataset") in _BY_AREA and area in c.get("areas", ()))
            or (payer and payer in c.get("retailers", ()))
            or (provider and provider in c.get("providers", ()))
        ):
            out.append(c["label"])
    return out


def _differences(
    *,
    previous: SettlementRun,
    scope: list[str],
    contracts: list[RunContract],
    contract_months: dict[tuple[str, str], ContractMonth],
    statements: list[Statement],
    bills: list[ContributionBill],
    changes: list[dict[str, Any]],
) -> list[RunDifference]:
    months = [m for m in scope if m <= previous.through_month]
    if not months:
        return []
    by_code = {c.contract_code: c for c in contracts}
    out: list[RunDifference] = []
    before: dict[tuple[str, str], tuple[int, int, int, str, str]] = {}
    for code, month, inst, inst_adj, capped, coal, pen_adj, pid, resource, area in (
        ContractMonth.objects.filter(run=previous, month__in=months)
        .order_by()
        .values_list(
            "contract__contract_code",
            "month",
            "instalment_yen",
            "instalment_adjustment_yen",
            "capped_penalty_yen",
            "coal_penalty_yen",
            "penalty_adjustment_yen",
            "contract__participant_id",
            "contract__resource_code",
            "contract__area",
        )
    ):
        before[(code, month)] = (inst + inst_adj, capped + (coal or 0) + pen_adj, pid, resource, area)
    for key in sorted(set(before) | {k for k in contract_months if k[1] in months}):
        code, month = key
        old, new = before.get(key), contract_months.get(key)
        contract = by_code.get(code)
        if contract is None and old is None:
            continue
        participant_id = contract.participant.pk if contract is not None else old[2]  # type: ignore[index]
        resource = contract.resource_code if contract is not None else old[3]  # type: ignore[index]
        area = contract.area if contract is not None else old[4]  # type: ignore[index]
        for item, old_yen, new_yen in (
            ("instalment", old[0] if old else 0, new.settled_instalment_yen if new else 0),
            ("penalty", old[1] if old else 0, new.settled_penalty_yen if new else 0),
        ):
            if old_yen != new_yen:
                reasons = _reasons(changes, resource=resource, area=area, contract=code)
                out.append(
                    RunDifference(
                        previous_run=previous,
                        month=month,
                        participant_id=participant_id,
                        contract_code=code,
                        item=item,
                        previous_yen=old_yen,
                        current_yen=new_yen,
                        reasons=reasons or ["確定済みの月の調整、または他の契約・データの変更の影響"],
                    )
                )
    old_statements = {
        (code, month): (total, pid)
        for code, month, total, pid in Statement.objects.filter(run=previous, month__in=months)
        .order_by()
        .values_list("participant__participant_code", "month", "total_yen", "participant_id")
    }
    new_statements = {(s.participant.participant_code, s.month): s for s in statements if s.month in months}
    provider_resources: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for c in contracts:
        provider_resources[c.participant.participant_code].append((c.resource_code, c.area, c.contract_code))
    for key in sorted(set(old_statements) | set(new_statements)):
        old_s, new_s = old_statements.get(key), new_statements.get(key)
        old_total = old_s[0] if old_s else 0
        new_total = new_s.total_yen if new_s else 0
        if old_total == new_total:
            continue
        statement_pid = new_s.participant.pk if new_s is not None else old_s[1]  # type: ignore[index]
        statement_reasons: list[str] = []
        for resource, area, code in provider_resources.get(key[0], []):
            statement_reasons += [
                r for r in _reasons(changes, resource=resource, area=area, contract=code) if r not in statement_reasons
            ]
        statement_reasons += [r for r in _reasons(changes, provider=key[0]) if r not in statement_reasons]
        out.append(
            RunDifference(
                previous_run=previous,
                month=key[1],
                participant_id=statement_pid,
                item="statement_total",
                previous_yen=old_total,
                current_yen=new_total,
                reasons=statement_reasons or ["確定済みの月の調整"],
            )
        )
    old_bills = {
        (code, kind, area, month): (total, pid)
        for code, kind, area, month, total, pid in ContributionBill.objects.filter(run=previous, month__in=months)
        .order_by()
        .values_list("participant__participant_code", "payer_kind", "area", "month", "total_yen", "participant_id")
    }
    new_bills = {(b.participant.participant_code, b.payer_kind, b.area, b.month): b for b in bills if b.month in months}
    contract_change = [c["label"] for c in changes if c["kind"] == "contract"]
    for bill_key in sorted(set(old_bills) | set(new_bills)):
        old_b, new_b = old_bills.get(bill_key), new_bills.get(bill_key)
        old_total = old_b[0] if old_b else 0
        new_total = new_b.total_yen if new_b else 0
        if old_total == new_total:
            continue
        bill_pid = new_b.participant.pk if new_b is not None else old_b[1]  # type: ignore[index]
        bill_reasons = _reasons(changes, payer=bill_key[0], area=bill_key[2]) + contract_change
        out.append(
            RunDifference(
                previous_run=previous,
                month=bill_key[3],
                participant_id=bill_pid,
                contract_code="",
                item=f"contribution_{bill_key[2]}",
                previous_yen=old_total,
                current_yen=new_total,
                reasons=bill_reasons or ["確定済みの月の調整、または他の事業者のデータの変更の影響（配分比率）"],
            )
        )
    return out
