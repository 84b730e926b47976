"""The differences of a settlement run to the previous run of its year, with the input changes that explain them.

``input_changes`` lists what changed between two runs' inputs (new dataset versions with the resources, areas and
retailers they touch, registry changes, a new rule-set version, another engine, newly confirmed months);
``differences`` compares the figures per contract and month, per provider statement and per contribution bill and
gives each difference the changes that touch it as its reasons.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

import polars as pl

import capmarket
from capmarket.domain.contracts.models import CapacityContract
from capmarket.domain.outages.models import OutagePlan
from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.rulesets.models import RuleSet
from capmarket.domain.settlement.models import (
    ContractMonth,
    ContributionBill,
    RunContract,
    RunDifference,
    RunInputVersion,
    SettlementRun,
    Statement,
)
from capmarket.domain.timeseries.storage import scan_version

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


def _version_touches(version: Any) -> dict[str, list[str]]:
    """Resources / areas / retailers whose rows a dataset version holds."""
    dataset = version.dataset
    columns = {c for c, _ in version.columns}
    found: dict[str, list[str]] = {}
    lf = scan_version(version=version)
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


def differences(
    *,
    previous: SettlementRun,
    scope: list[str],
    contracts: list[RunContract],
    contract_months: dict[tuple[str, str], ContractMonth],
    statements: list[Statement],
    bills: list[ContributionBill],
    changes: list[dict[str, Any]],
) -> list[RunDifference]:
    """Every figure of the months both runs computed that differs from ``previous``, with its reasons."""
    months = [m for m in scope if m <= previous.through_month]
    if not months:
        return []
    return (
        _contract_differences(
            previous=previous, months=months, contracts=contracts, contract_months=contract_months, changes=changes
        )
        + _statement_differences(
            previous=previous, months=months, contracts=contracts, statements=statements, changes=changes
        )
        + _bill_differences(previous=previous, months=months, bills=bills, changes=changes)
    )


def _contract_differences(
    *,
    previous: SettlementRun,
    months: list[str],
    contracts: list[RunContract],
    contract_months: dict[tuple[str, str], ContractMonth],
    changes: list[dict[str, Any]],
) -> list[RunDifference]:
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
    return out


def _statement_differences(
    *,
    previous: SettlementRun,
    months: list[str],
    contracts: list[RunContract],
    statements: list[Statement],
    changes: list[dict[str, Any]],
) -> list[RunDifference]:
    out: list[RunDifference] = []
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
    return out


def _bill_differences(
    *, previous: SettlementRun, months: list[str], bills: list[ContributionBill], changes: list[dict[str, Any]]
) -> list[RunDifference]:
    out: list[RunDifference] = []
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
