"""The participant's result screens of the delivery period (seed 004 B10–E10, 容量拠出金): one definition per
screen — its columns (English field, Japanese heading) and its rows — served alike as a web page, a CSV download
in the screen's layout and a REST endpoint. Rows are the **confirmed** figures of the reading user's own company
(``domain.settlement.queries.confirmed_*``); operator staff see every company's.

Slot-level screens (B50, B70, B80) are computed on demand from the data the confirming run read (the datasets as
of its moment) with ``calc.slot_detail``: the same figures as when the month was confirmed, whenever asked.
"""

# long module: one declaration per result screen (B10–E10, 容量拠出金), read as a catalogue

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from capmarket.calc import slot_detail
from capmarket.calc.market import AREA_NAMES_JA, RESOURCE_TYPE_NAMES_JA
from capmarket.domain.registry.queries import own_participant_id, sees_all
from capmarket.domain.settlement import queries
from capmarket.domain.settlement.models import (
    CoalResult,
    ConfirmedMonth,
    ContractMonth,
    Document,
    LineKind,
    PayerKind,
    Requirement,
    RunContract,
)
from capmarket.domain.settlement.queries import ResultFilters


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    kind: str = "text"  # text, int, yen, kw, kwh (decimal text), slots (decimal text), pct


@dataclass(frozen=True)
class Screen:
    key: str
    code: str
    title: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[Any, ResultFilters], Sequence[dict[str, Any]]]
    audience: str = "provider"  # provider | payer
    objection: str = ""  # "contract" or "contribution": rows can be objected to

    @property
    def filename(self) -> str:
        return f"{self.code}_{self.key}.csv"


def _dec(value: int | None, places: int) -> str | None:
    if value is None:
        return None
    sign = "-" if value < 0 else ""
    digits = str(abs(value)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def kwh(wh: int | None) -> str | None:
    return _dec(wh, 3)


def slots(e4: int | None) -> str | None:
    return _dec(e4, 4)


def _contract_fields(c: RunContract) -> dict[str, Any]:
    return {
        "participant_code": c.participant.participant_code,
        "participant_name": c.participant.name,
        "contract_code": c.contract_code,
        "resource_code": c.resource_code,
        "resource_name": c.resource_name,
        "area": AREA_NAMES_JA.get(c.area, c.area),
    }


_CONTRACT_COLUMNS: Final = (
    Column("month", "対象年月"),
    Column("participant_code", "事業者コード"),
    Column("participant_name", "容量提供事業者名"),
    Column("contract_code", "契約番号"),
    Column("resource_code", "電源等識別番号"),
    Column("resource_name", "電源等の名称"),
    Column("area", "エリア"),
)

APPLICABLE: Final[dict[str, tuple[str, ...]]] = {
    "stable": ("outage", "market_bid", "supply_instruction"),
    "variable_single": ("outage",),
    "variable_aggregate": (),
    "dispatch": ("dispatch",),
}


def _b10(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    out = []
    for cm in queries.confirmed_contract_months(user=user, filters=f):
        c = cm.contract
        reqs = [Requirement(r).label for r in APPLICABLE.get(c.resource_type, ())]
        if c.inefficient_coal and c.resource_type == "stable":
            reqs.append(Requirement.COAL_RESTRAINT.label)
        out.append(
            {
                "id": cm.pk,
                "month": cm.month,
                **_contract_fields(c),
                "resource_type": RESOURCE_TYPE_NAMES_JA.get(c.resource_type, c.resource_type),
                "inefficient_coal": "対象" if c.inefficient_coal else "",
                "contract_kw": c.contract_kw,
                "assessment_kw": c.assessment_kw,
                "price_yen_per_kw": c.price_yen_per_kw,
                "transitional": "対象" if c.transitional else "対象外",
                "amount_yen": c.amount_yen,
                "requirements": "・".join(reqs),
            }
        )
    return out


def _requirement_rows(cm: ContractMonth) -> list[dict[str, Any]]:
    rows: list[tuple[str, str | None, str | None, str | None]] = []
    if cm.outage_unmet_slots_e4 is not None:
        rows.append(("outage", slots(cm.outage_unmet_slots_e4), slots(cm.outage_weighted_slots_e4), None))
    for req in ("market_bid", "supply_instruction", "dispatch"):
        wh = getattr(cm, f"{req}_unmet_wh")
        if wh is not None:
            rows.append((req, None, None, kwh(wh)))
    return [
        {
            "id": cm.pk,
            "month": cm.month,
            **_contract_fields(cm.contract),
            "requirement_code": req,
            "requirement": Requirement(req).label,
            "unmet_slots": unmet,
            "weighted_unmet_slots": weighted,
            "unmet_kwh": energy,
            "penalty_yen": getattr(cm, f"{req}_penalty_yen"),
        }
        for req, unmet, weighted, energy in rows
    ]


def _b40(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    return [
        r
        for cm in queries.confirmed_contract_months(user=user, filters=f).exclude(contract__resource_type="dispatch")
        for r in _requirement_rows(cm)
    ]


def _c00(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    return [
        {**r, "assessment_kw": cm.contract.assessment_kw}
        for cm in queries.confirmed_contract_months(user=user, filters=f).filter(contract__resource_type="dispatch")
        for r in _requirement_rows(cm)
    ]


def _d00(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    rows = [
        r
        for cm in queries.confirmed_contract_months(user=user, filters=f)
        for r in _requirement_rows(cm)
        if r["penalty_yen"]
    ]
    for cm in queries.confirmed_contract_months(user=user, filters=f).filter(coal_penalty_yen__gt=0):
        rows.append(
            {
                "id": cm.pk,
                "month": cm.month,
                **_contract_fields(cm.contract),
                "requirement_code": "coal_restraint",
                "requirement": Requirement.COAL_RESTRAINT.label,
                "unmet_slots": None,
                "weighted_unmet_slots": None,
                "unmet_kwh": None,
                "penalty_yen": cm.coal_penalty_yen,
            }
        )
    return rows


def _d20(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    out = []
    cumulative: dict[str, int] = {}
    for cm in queries.confirmed_contract_months(user=user, filters=f).order_by(
        "contract__contract_code", "-run__delivery_year", "month", "pk"
    ):
        code = cm.contract.contract_code
        cumulative[code] = cumulative.get(code, 0) + cm.capped_penalty_yen
        out.append(
            {
                "id": cm.pk,
                "month": cm.month,
                **_contract_fields(cm.contract),
                "outage_penalty_yen": cm.outage_penalty_yen,
                "market_bid_penalty_yen": cm.market_bid_penalty_yen,
                "supply_instruction_penalty_yen": cm.supply_instruction_penalty_yen,
                "dispatch_penalty_yen": cm.dispatch_penalty_yen,
                "raw_penalty_yen": cm.raw_penalty_yen,
                "capped_penalty_yen": cm.capped_penalty_yen,
                "cumulative_capped_penalty_yen": cumulative[code],
                "coal_penalty_yen": cm.coal_penalty_yen,
                "penalty_adjustment_yen": cm.penalty_adjustment_yen,
                "settled_penalty_yen": cm.settled_penalty_yen,
            }
        )
    return sorted(out, key=lambda r: (r["month"], r["contract_code"]))


def _e10(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    return [
        {
            "id": cm.pk,
            "month": cm.month,
            **_contract_fields(cm.contract),
            "amount_yen": cm.contract.amount_yen,
            "instalment_yen": cm.instalment_yen,
            "instalment_adjustment_yen": cm.instalment_adjustment_yen,
            "settled_penalty_yen": cm.settled_penalty_yen,
            "net_yen": cm.net_yen,
        }
        for cm in queries.confirmed_contract_months(user=user, filters=f)
    ]


def _statements(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    return [
        {
            "id": s.pk,
            "month": s.month,
            "participant_code": s.participant.participant_code,
            "participant_name": s.participant.name,
            "payment_month": s.payment_month,
            "instalments_yen": s.instalments_yen,
            "instalment_adjustment_yen": s.instalment_adjustment_yen,
            "penalties_yen": s.penalties_yen,
            "penalty_adjustment_yen": s.penalty_adjustment_yen,
            "net_excl_tax_yen": s.net_excl_tax_yen,
            "tax_yen": s.tax_yen,
            "carried_in_yen": s.carried_in_yen,
            "total_yen": s.total_yen,
            "document": Document(s.document).label,
            "amount_yen": s.amount_yen,
        }
        for s in queries.confirmed_statements(user=user, filters=f)
    ]


def _adjustments(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    return [
        {
            "id": a.pk,
            "month": a.month,
            "source_month": a.source_month,
            "participant_code": a.participant.participant_code,
            "participant_name": a.participant.name,
            "contract_code": a.contract_code,
            "kind": LineKind(a.kind).label,
            "recognised_yen": a.recognised_yen,
            "recomputed_yen": a.recomputed_yen,
            "difference_yen": a.difference_yen,
            "run_id": a.run_id,
        }
        for a in queries.confirmed_contract_adjustments(user=user, filters=f)
    ]


def _contributions(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    return [
        {
            "id": b.pk,
            "month": b.month,
            "participant_code": b.participant.participant_code,
            "participant_name": b.participant.name,
            "payer_kind": PayerKind(b.payer_kind).label,
            "area": AREA_NAMES_JA.get(b.area, b.area),
            "area_code": b.area,
            "billing_month": b.billing_month,
            "amount_yen": b.amount_yen,
            "adjustment_yen": b.adjustment_yen,
            "tax_yen": b.tax_yen,
            "total_yen": b.total_yen,
        }
        for b in queries.confirmed_contribution_bills(user=user, filters=f)
    ]


def _b90(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    contracts = queries.confirmed_run_contracts(user=user, delivery_year=f.delivery_year)
    march = {c.run_id for c in ConfirmedMonth.objects.filter(month__endswith="-03")}
    rows = []
    for coal in CoalResult.objects.filter(contract__in=contracts, run_id__in=march).select_related(
        "contract", "contract__participant", "run"
    ):
        rows.append(
            {
                "id": coal.pk,
                "delivery_year": coal.run.delivery_year,
                **_contract_fields(coal.contract),
                "capacity_factor_pct": coal.capacity_factor_pct,
                "limit_pct": int(coal.run.parameters.get("coal_capacity_factor_limit_pct", "50")),
                "penalty_yen": coal.penalty_yen,
            }
        )
    return sorted(rows, key=lambda r: (-int(r["delivery_year"]), r["contract_code"]))


# ---------------------------------------------------------------- slot-level screens (on demand)


def _slot_context(user: Any, f: ResultFilters) -> tuple[str, Any, pl.DataFrame, dict[str, pl.DataFrame]] | None:
    """(month, confirming run, the user's contracts in it, the case tables it read) for the filtered month."""
    month = f.month or next((m.month for m in queries.confirmed_month_list(user=user)), "")
    confirmed = ConfirmedMonth.objects.filter(month=month).select_related("run").first()
    if confirmed is None:
        return None
    run = confirmed.run
    contracts = RunContract.objects.filter(run=run).select_related("participant")
    if not sees_all(user=user):
        own = own_participant_id(user=user)
        contracts = contracts.filter(participant_id=own) if own is not None else contracts.none()
    if f.area:
        contracts = contracts.filter(area=f.area)
    if f.contract_code:
        contracts = contracts.filter(contract_code__icontains=f.contract_code.strip())
    rows = list(contracts.order_by("contract_code"))
    if not rows:
        return None
    frame = pl.DataFrame(
        {
            "contract_id": [c.contract_code for c in rows],
            "resource_id": [c.resource_code for c in rows],
            "area": [c.area for c in rows],
            "assessment_kw": [c.assessment_kw for c in rows],
            "resource_type": [c.resource_type for c in rows],
        }
    )
    tables = month_tables(run=run, month=month, resources=[c.resource_code for c in rows])
    return month, run, frame, tables


def month_tables(*, run: Any, month: str, resources: list[str]) -> dict[str, pl.DataFrame]:
    """The case tables of one month for some resources, as the run read them (datasets as of its moment)."""
    from capmarket.calc.io.validate import output_schema  # noqa: PLC0415
    from capmarket.domain.timeseries import queries as ts_queries  # noqa: PLC0415

    out: dict[str, pl.DataFrame] = {}
    for name in ("generation", "bids", "instructions", "metering", "tight_slots", "multipliers"):
        schema = output_schema(name=name)
        try:
            where = {"resource_id": resources} if "resource_id" in schema else None
            lf = ts_queries.read_as_of(dataset=name, as_of=run.as_of, months=[month], where=where)
            frame = lf.collect()
            out[name] = frame.select([c for c in schema if c in frame.columns]).cast(
                {c: t for c, t in schema.items() if c in frame.columns}
            )
        except ts_queries.NoVersionInForce:
            out[name] = pl.DataFrame(schema=schema)
    try:
        from capmarket.calc.rules import resolve  # noqa: PLC0415
        from capmarket.calc.tight_slots import tight_slots_from_margins  # noqa: PLC0415

        margins = ts_queries.read_as_of(dataset="reserve_margins", as_of=run.as_of, months=[month]).collect()
        if margins.height:
            _, _, params = resolve(name=run.ruleset_name, overrides=run.parameters)
            derived = tight_slots_from_margins(
                margins=margins.with_columns(pl.lit("").alias("file"), pl.lit(0).alias("line")),
                threshold_pct=params.tight_reserve_margin_pct,
                delivery_year=run.delivery_year,
            ).select(pl.col("area"), pl.col("date").cast(pl.Date), pl.col("slot").cast(pl.Int64))
            out["tight_slots"] = pl.concat([out["tight_slots"].select(derived.columns).cast(derived.schema), derived])
    except ts_queries.NoVersionInForce:
        pass
    from capmarket.domain.outages import queries as outage_queries  # noqa: PLC0415

    plans = [p for p in outage_queries.plans_in_force(as_of=run.as_of) if p.resource.resource_code in set(resources)]
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    jst = ZoneInfo("Asia/Tokyo")
    out["outages"] = pl.DataFrame(
        {
            "outage_id": [p.outage_code for p in plans],
            "resource_id": [p.resource.resource_code for p in plans],
            "start": [p.start_at.astimezone(jst).replace(tzinfo=None) for p in plans],
            "end": [p.end_at.astimezone(jst).replace(tzinfo=None) for p in plans],
            "available_kw": [p.available_kw for p in plans],
        },
        schema={
            "outage_id": pl.String,
            "resource_id": pl.String,
            "start": pl.Datetime("us"),
            "end": pl.Datetime("us"),
            "available_kw": pl.Int64,
        },
    )
    return out


def _names(frame: pl.DataFrame, user: Any, run: Any) -> dict[str, RunContract]:
    return {c.contract_code: c for c in RunContract.objects.filter(run=run).select_related("participant")}


def _b50(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    ctx = _slot_context(user, f)
    if ctx is None:
        return []
    month, run, contracts, tables = ctx
    outage_contracts = contracts.filter(pl.col("resource_type").is_in(["stable", "variable_single"]))
    detail = slot_detail.outage_detail(
        delivery_year=run.delivery_year,
        month=month,
        contracts=outage_contracts,
        generation=tables["generation"],
        outages=tables["outages"],
        multipliers=tables["multipliers"],
    ).filter((pl.col("deficit_kw") > 0) & ~pl.col("planned"))
    names = _names(contracts, user, run)
    return [
        {
            "month": month,
            **_contract_fields(names[r["contract_id"]]),
            "date": r["date"].isoformat(),
            "slot": r["slot"],
            "assessment_kw": r["assessment_kw"],
            "upper_kw": r["upper_kw"],
            "deficit_kw": r["deficit_kw"],
        }
        for r in detail.iter_rows(named=True)
    ]


def _b70(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    ctx = _slot_context(user, f)
    if ctx is None:
        return []
    month, run, contracts, tables = ctx
    detail = slot_detail.supply_instruction_detail(
        month=month,
        contracts=contracts.filter(pl.col("resource_type") == "stable"),
        instructions=tables["instructions"],
        metering=tables["metering"],
    )
    names = _names(contracts, user, run)
    return [
        {
            "month": month,
            **_contract_fields(names[r["contract_id"]]),
            "date": r["date"].isoformat(),
            "slot": r["slot"],
            "instructed_kw": r["instructed_kw"],
            "metered_kwh": kwh(r["metered_wh"]),
            "unmet_kwh": kwh(r["unmet_wh"]),
            "result": "計量値なし（データの不備）"
            if r["metered_wh"] is None
            else ("未達成" if r["unmet_wh"] else "達成"),
        }
        for r in detail.iter_rows(named=True)
    ]


def _b80(user: Any, f: ResultFilters) -> list[dict[str, Any]]:
    ctx = _slot_context(user, f)
    if ctx is None:
        return []
    month, run, contracts, tables = ctx
    detail = slot_detail.market_bid_detail(
        month=month,
        contracts=contracts.filter(pl.col("resource_type") == "stable"),
        generation=tables["generation"],
        tight_slots=tables["tight_slots"],
        bids=tables["bids"],
    )
    names = _names(contracts, user, run)
    return [
        {
            "month": month,
            **_contract_fields(names[r["contract_id"]]),
            "date": r["date"].isoformat(),
            "slot": r["slot"],
            "upper_kw": r["upper_kw"],
            "plan_kw": r["plan_kw"],
            "spare_kw": r["spare_kw"] if r["upper_kw"] is not None else None,
            "bid_kw": r["bid_kw"],
            "unmet_kwh": kwh(r["unmet_wh"]),
        }
        for r in detail.iter_rows(named=True)
    ]


_SLOT_COLUMNS: Final = (Column("date", "日付"), Column("slot", "コマ", "int"))

SCREENS: Final[dict[str, Screen]] = {
    s.key: s
    for s in (
        Screen(
            "basis",
            "B10",
            "アセスメント算定諸元",
            "アセスメントの対象となる契約容量・アセスメント対象容量・容量確保契約金額と適用されるリクワイアメント。",
            (
                *_CONTRACT_COLUMNS,
                Column("resource_type", "電源等の区分"),
                Column("inefficient_coal", "非効率石炭火力"),
                Column("contract_kw", "契約容量（kW）", "kw"),
                Column("assessment_kw", "アセスメント対象容量（kW）", "kw"),
                Column("price_yen_per_kw", "約定価格（円/kW）", "yen"),
                Column("transitional", "経過措置"),
                Column("amount_yen", "容量確保契約金額（円）", "yen"),
                Column("requirements", "適用リクワイアメント"),
            ),
            _b10,
        ),
        Screen(
            "assessments",
            "B40",
            "アセスメント算定結果（発動指令以外）",
            "容量停止計画・市場応札・供給指示への対応のリクワイアメント未達成コマ数・未達成量。",
            (
                *_CONTRACT_COLUMNS,
                Column("requirement", "リクワイアメント"),
                Column("unmet_slots", "未達成コマ数", "slots"),
                Column("weighted_unmet_slots", "未達成コマ数（倍率考慮後）", "slots"),
                Column("unmet_kwh", "未達成量（kWh）", "kwh"),
            ),
            _b40,
            objection="contract",
        ),
        Screen(
            "unregistered-outages",
            "B50",
            "容量停止計画登録漏れ確認",
            "発電上限がアセスメント対象容量を下回っているのに容量停止計画が登録されていないコマ（登録漏れの疑い）。",
            (
                *_CONTRACT_COLUMNS,
                *_SLOT_COLUMNS,
                Column("assessment_kw", "アセスメント対象容量（kW）", "kw"),
                Column("upper_kw", "発電上限（kW）", "kw"),
                Column("deficit_kw", "不足（kW）", "kw"),
            ),
            _b50,
        ),
        Screen(
            "supply-instructions",
            "B70",
            "供給指示対応実績確認",
            "一般送配電事業者からの供給指示コマごとの指示量・計量値・未達成量。",
            (
                *_CONTRACT_COLUMNS,
                *_SLOT_COLUMNS,
                Column("instructed_kw", "供給指示量（kW）", "kw"),
                Column("metered_kwh", "計量値（kWh）", "kwh"),
                Column("unmet_kwh", "未達成量（kWh）", "kwh"),
                Column("result", "判定"),
            ),
            _b70,
        ),
        Screen(
            "tight-slots",
            "B80",
            "供給力提供通知コマの市場応札（算定結果）",
            "広域予備率低下に伴う供給力提供通知コマ（低予備率アセスメント対象コマ）ごとの発電上限・発電計画・"
            "発電余力・市場応札量・未達成量。通知そのものの一覧は「供給力提供通知コマ」の画面にあります。",
            (
                *_CONTRACT_COLUMNS,
                *_SLOT_COLUMNS,
                Column("upper_kw", "発電上限（kW）", "kw"),
                Column("plan_kw", "発電計画（kW）", "kw"),
                Column("spare_kw", "発電余力（kW）", "kw"),
                Column("bid_kw", "市場応札量（kW）", "kw"),
                Column("unmet_kwh", "未達成量（kWh）", "kwh"),
            ),
            _b80,
        ),
        Screen(
            "coal-restraint",
            "B90",
            "アセスメント結果（稼働抑制）",
            "非効率石炭火力の年間設備利用率と稼働抑制のペナルティ（最終月の確定後に表示）。",
            (
                Column("delivery_year", "実需給年度", "int"),
                *_CONTRACT_COLUMNS[1:],
                Column("capacity_factor_pct", "設備利用率（%）", "pct"),
                Column("limit_pct", "上限（%）", "pct"),
                Column("penalty_yen", "ペナルティ額（円）", "yen"),
            ),
            _b90,
        ),
        Screen(
            "dispatch-assessments",
            "C00",
            "アセスメント算定結果（発動指令）",
            "発動指令電源の月ごとの発動指令への対応の未達成量。",
            (
                *_CONTRACT_COLUMNS,
                Column("assessment_kw", "アセスメント対象容量（kW）", "kw"),
                Column("unmet_kwh", "未達成量（kWh）", "kwh"),
            ),
            _c00,
            objection="contract",
        ),
        Screen(
            "penalty-targets",
            "D00",
            "ペナルティ対象",
            "経済的ペナルティの対象となったリクワイアメントと未達成の内容。",
            (
                *_CONTRACT_COLUMNS,
                Column("requirement", "リクワイアメント"),
                Column("unmet_slots", "未達成コマ数", "slots"),
                Column("weighted_unmet_slots", "未達成コマ数（倍率考慮後）", "slots"),
                Column("unmet_kwh", "未達成量（kWh）", "kwh"),
                Column("penalty_yen", "ペナルティ額（円）", "yen"),
            ),
            _d00,
            objection="contract",
        ),
        Screen(
            "penalties",
            "D20",
            "経済的ペナルティ額",
            "リクワイアメント別のペナルティ額、上限適用後の額、前月分調整。",
            (
                *_CONTRACT_COLUMNS,
                Column("outage_penalty_yen", "容量停止計画（円）", "yen"),
                Column("market_bid_penalty_yen", "市場応札（円）", "yen"),
                Column("supply_instruction_penalty_yen", "供給指示（円）", "yen"),
                Column("dispatch_penalty_yen", "発動指令（円）", "yen"),
                Column("raw_penalty_yen", "合計（上限適用前・円）", "yen"),
                Column("capped_penalty_yen", "上限適用後（円）", "yen"),
                Column("cumulative_capped_penalty_yen", "年度累計（上限適用後・円）", "yen"),
                Column("coal_penalty_yen", "稼働抑制（円）", "yen"),
                Column("penalty_adjustment_yen", "前月分調整（円）", "yen"),
                Column("settled_penalty_yen", "当月ペナルティ額（円）", "yen"),
            ),
            _d20,
            objection="contract",
        ),
        Screen(
            "contract-amounts",
            "E10",
            "容量確保契約金額算定結果",
            "契約ごとの容量確保契約金額・当月交付額・ペナルティ額・差引額。",
            (
                *_CONTRACT_COLUMNS,
                Column("amount_yen", "容量確保契約金額（円）", "yen"),
                Column("instalment_yen", "当月交付額（円）", "yen"),
                Column("instalment_adjustment_yen", "交付額の前月分調整（円）", "yen"),
                Column("settled_penalty_yen", "ペナルティ額（円）", "yen"),
                Column("net_yen", "差引額（税抜・円）", "yen"),
            ),
            _e10,
            objection="contract",
        ),
        Screen(
            "statements",
            "E10",
            "交付額・請求額（事業者別）",
            "支払通知書・請求書の金額：交付額・ペナルティ・調整・消費税・前月からの繰越。",
            (
                Column("month", "対象年月"),
                Column("participant_code", "事業者コード"),
                Column("participant_name", "容量提供事業者名"),
                Column("payment_month", "交付月"),
                Column("instalments_yen", "交付額（円）", "yen"),
                Column("instalment_adjustment_yen", "交付額の調整（円）", "yen"),
                Column("penalties_yen", "ペナルティ額（円）", "yen"),
                Column("penalty_adjustment_yen", "ペナルティの調整（円）", "yen"),
                Column("net_excl_tax_yen", "差引額（税抜・円）", "yen"),
                Column("tax_yen", "消費税額（円）", "yen"),
                Column("carried_in_yen", "前月からの繰越（未収）額（円）", "yen"),
                Column("total_yen", "差引合計（円）", "yen"),
                Column("document", "帳票"),
                Column("amount_yen", "帳票金額（円）", "yen"),
            ),
            _statements,
        ),
        Screen(
            "adjustments",
            "E10",
            "前月分調整（確定済み月の訂正）",
            "確定済みの月の再計算による差額。確定額は変えず、最初の未確定月に計上しています。",
            (
                Column("month", "計上月"),
                Column("source_month", "対象月（調整元）"),
                Column("participant_code", "事業者コード"),
                Column("participant_name", "容量提供事業者名"),
                Column("contract_code", "契約番号"),
                Column("kind", "項目"),
                Column("recognised_yen", "確定額（円）", "yen"),
                Column("recomputed_yen", "再計算額（円）", "yen"),
                Column("difference_yen", "調整額（円）", "yen"),
                Column("run_id", "精算ID", "int"),
            ),
            _adjustments,
        ),
        Screen(
            "contributions",
            "CONTRIB",
            "容量拠出金の算定結果",
            "エリアごと・月ごとの容量拠出金額（小売電気事業者・一般送配電事業者）。",
            (
                Column("month", "対象年月"),
                Column("participant_code", "事業者コード"),
                Column("participant_name", "事業者名"),
                Column("payer_kind", "区分"),
                Column("area", "エリア"),
                Column("billing_month", "請求月"),
                Column("amount_yen", "容量拠出金額（円）", "yen"),
                Column("adjustment_yen", "前月分調整（円）", "yen"),
                Column("tax_yen", "消費税額（円）", "yen"),
                Column("total_yen", "請求額（税込・円）", "yen"),
            ),
            _contributions,
            audience="payer",
            objection="contribution",
        ),
    )
}


def screens_for(user: Any) -> list[Screen]:
    """The screens the user's company has: providers the B–E screens, retailers and TSOs contributions."""
    if sees_all(user=user):
        return list(SCREENS.values())
    participant = getattr(user, "participant", None)
    if participant is None:
        return []
    out = []
    for s in SCREENS.values():
        if s.audience == "provider" and participant.is_provider:
            out.append(s)
        if s.audience == "payer" and (participant.is_retailer or participant.is_tso):
            out.append(s)
    return out


def rows(*, screen: Screen, user: Any, filters: ResultFilters) -> Sequence[dict[str, Any]]:
    return screen.rows(user, filters)


def csv_rows(*, screen: Screen, data: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """The rows in the screen's layout (the order of its Japanese headings); numbers stay numbers."""
    out = []
    for row in data:
        line: list[Any] = []
        for c in screen.columns:
            value = row.get(c.field)
            line.append(value if value is None or c.kind in ("int", "yen", "kw", "pct") else str(value))
        out.append(line)
    return out
