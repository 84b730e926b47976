"""The calculation engine: one delivery year's case in, result frames and data issues out (rules.md §1–§4).

``run(case=..., params=...)`` is pure: typed Polars frames and plain values in, frames out; no files, no clock,
no Django. It is a pipeline of named steps, each with a declared schema at its boundary:

1. ``conform_case``: every input frame to its declared schema (``calc.schemas.input_schema``);
2. ``contract_terms`` / ``contract_groups``: each contract's amount C and kW, and the contracts each rule covers
   (a contract with 電源等差替 split into its parts by ``replacements.expand``, summed back after step 4);
3. ``pipelines.keyed_slot_data``: the dense slot tables keyed by one integer, kept only where a rule reads them;
4. ``pipelines.assess``: the lazy slot pipelines, collected once, as integer sums per contract and month;
5. ``contract_months.contract_months``: yen per contract and month (exact integers, ``penalties.py``);
6. ``contract_months.statements``: each provider's monthly statements (``payments.py``);
7. ``_contributions``: capacity contributions when the case gives areas (``contributions.py``);
then the outputs are assembled with their declared schemas (``calc.tables.OUTPUTS``) and sorted by their keys,
so the result does not depend on the order of input rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Final

import polars as pl

from capmarket.calc import assessment as asm
from capmarket.calc import pipelines, replacements
from capmarket.calc.contract_amount import contract_amount
from capmarket.calc.contract_months import (
    COAL_RESTRAINT,
    DISPATCH,
    MARKET_BID,
    OUTAGE,
    REQUIREMENTS,
    SUPPLY_INSTRUCTION,
    ContractTerms,
    MonthlySums,
    contract_months,
    per_month,
    statements,
)
from capmarket.calc.contributions import compute_contributions
from capmarket.calc.rules import RuleParams
from capmarket.calc.schemas import ISSUE_SCHEMA, OUTPUT_SCHEMAS, OUTPUT_SORT_KEYS, empty_input, input_schema
from capmarket.calc.slots import month_labels
from capmarket.calc.tables import TABLES

__all__ = [
    "COAL_RESTRAINT",
    "DISPATCH",
    "MARKET_BID",
    "OUTAGE",
    "REQUIREMENTS",
    "SCHEMAS",
    "SORT_KEYS",
    "SUPPLY_INSTRUCTION",
    "CalcResult",
    "CaseData",
    "ContractGroups",
    "ContractTerms",
    "UnableToCalculate",
    "conform_case",
    "contract_groups",
    "contract_terms",
    "run",
]

#: output schemas and sort keys, declared in the catalogue (``calc.tables``, ``calc.schemas``)
SCHEMAS: Final[dict[str, pl.Schema]] = OUTPUT_SCHEMAS
SORT_KEYS: Final[dict[str, list[str]]] = OUTPUT_SORT_KEYS


def _empty(name: str) -> pl.DataFrame:
    return empty_input(name=name)


@dataclass(frozen=True)
class CaseData:
    """Typed input tables of one case (schemas: ``capmarket.calc.schemas.input_schema``).

    ``tight_slots`` already contains the slots derived from published reserve margins. ``areas_given`` says
    whether contributions are to be computed (the ``areas`` table was part of the case).
    """

    delivery_year: int
    resources: pl.DataFrame
    contracts: pl.DataFrame
    providers: pl.DataFrame = field(default_factory=lambda: _empty("providers"))
    replacements: pl.DataFrame = field(default_factory=lambda: _empty("replacements"))
    generation: pl.DataFrame = field(default_factory=lambda: _empty("generation"))
    outages: pl.DataFrame = field(default_factory=lambda: _empty("outages"))
    multipliers: pl.DataFrame = field(default_factory=lambda: _empty("multipliers"))
    tight_slots: pl.DataFrame = field(default_factory=lambda: _empty("tight_slots"))
    bids: pl.DataFrame = field(default_factory=lambda: _empty("bids"))
    instructions: pl.DataFrame = field(default_factory=lambda: _empty("instructions"))
    dispatch_orders: pl.DataFrame = field(default_factory=lambda: _empty("dispatch_orders"))
    metering: pl.DataFrame = field(default_factory=lambda: _empty("metering"))
    baselines: pl.DataFrame = field(default_factory=lambda: _empty("baselines"))
    receipts: pl.DataFrame = field(default_factory=lambda: _empty("receipts"))
    areas: pl.DataFrame = field(default_factory=lambda: _empty("areas"))
    retailers: pl.DataFrame = field(default_factory=lambda: _empty("retailers"))
    wheeling: pl.DataFrame = field(default_factory=lambda: _empty("wheeling"))
    areas_given: bool = False


@dataclass(frozen=True)
class CalcResult:
    assessment: pl.DataFrame
    penalties: pl.DataFrame
    contract_months: pl.DataFrame
    coal: pl.DataFrame
    statements: pl.DataFrame
    data_issues: pl.DataFrame
    contribution_areas: pl.DataFrame | None = None
    contributions: pl.DataFrame | None = None

    def outputs(self) -> dict[str, pl.DataFrame]:
        """Output name → frame, for the outputs that exist (``contribution_*`` only when areas were given)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


class UnableToCalculate(ValueError):
    """The case data given to ``run`` does not have the declared shape (a table lacks a column, or a column holds
    values of another type); ``table`` names the table."""

    def __init__(self, table: str, problem: str) -> None:
        super().__init__(f"{table}: {problem}")
        self.table = table
        self.problem = problem


def _schema(name: str, *, keyed: bool) -> pl.Schema:
    """The input schema of table ``name`` (``keyed``: without the key columns, which keys stand for)."""
    schema = input_schema(name=name)
    return pl.Schema({c: t for c, t in schema.items() if c not in pipelines.KEY_COLUMNS}) if keyed else schema


def _conform(name: str, frame: pl.DataFrame, *, keyed: bool = False) -> pl.DataFrame:
    """``frame`` with the columns and types of table ``name`` (``keyed``: without the key columns)."""
    schema = _schema(name, keyed=keyed)
    if frame.schema == schema:
        return frame
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise UnableToCalculate(name, f"missing columns {', '.join(missing)}")
    try:
        return frame.select(schema.names()).cast(schema)
    except pl.exceptions.PolarsError as exc:
        raise UnableToCalculate(name, f"values of the wrong type ({str(exc).splitlines()[0]})") from exc


def conform_case(*, case: CaseData, keyed: Collection[str] = ()) -> CaseData:
    """Step 1: every input frame with exactly its declared columns and types (extra columns dropped, types cast
    where exact); raises ``UnableToCalculate``. Frames read by ``calc.io`` pass unchanged. ``keyed``: the dense
    tables given as keys and values (``pipelines.without_key_columns``), checked without their key columns."""
    frames: dict[str, object] = {name: _conform(name, getattr(case, name), keyed=name in keyed) for name in TABLES}
    return replace(case, **frames)  # type: ignore[arg-type]


def _key_columns_where_needed(case: CaseData, row_keys: dict[str, pipelines.RowKeys]) -> tuple[CaseData, set[str]]:
    """The case with the key columns made again for the dense tables given without them where a step needs them
    (a replacement copies rows by resource and date; keys made with other resource codes, or values of other types,
    are made again), and the names of the tables still given as keys and values. Pops the keys of a table made
    again."""
    given = {
        name
        for name in pipelines.DENSE_TABLES
        if pipelines.without_key_columns(frame=getattr(case, name), keys=row_keys.get(name))
    }
    codes = asm.resource_codes(resource_ids=case.resources["resource_id"]) if given else None
    again = {
        name
        for name in given
        if not case.replacements.is_empty()
        or row_keys[name].codes != codes
        or getattr(case, name).schema != _schema(name, keyed=True)
    }
    if not again:
        return case, given
    frames = {name: pipelines.with_key_columns(keys=row_keys.pop(name), year=case.delivery_year) for name in again}
    return replace(case, **frames), given - again  # type: ignore[arg-type]


#: the contracts a rule covers, as a frame (``contract_groups``)
CONTRACT_FRAME_SCHEMA: Final[pl.Schema] = pl.Schema(
    {"contract_id": pl.String(), "resource_id": pl.String(), "area": pl.String(), "assessment_kw": pl.Int64()}
)


def contract_terms(*, case: CaseData, params: RuleParams) -> list[ContractTerms]:
    """Step 2: each contract with its resource's area and type and its amount C (rules.md §1), by contract id.
    A contract whose resource is not in ``resources`` is not assessed (the validator refuses such a case)."""
    joined = case.contracts.join(
        case.resources.select("resource_id", "area", "resource_type", "inefficient_coal"), on="resource_id", how="inner"
    ).sort("contract_id")
    out = []
    for row in joined.iter_rows(named=True):
        amount = contract_amount(
            price_yen_per_kw=row["price_yen_per_kw"],
            contract_kw=row["contract_kw"],
            transitional=row["transitional"],
            transitional_deduction_rate=params.transitional_deduction_rate,
            amount_override_yen=row["amount_yen"],
        )
        out.append(
            ContractTerms(
                contract_id=row["contract_id"],
                provider_id=row["provider_id"],
                resource_id=row["resource_id"],
                area=row["area"],
                resource_type=row["resource_type"],
                inefficient_coal=bool(row["inefficient_coal"]),
                contract_kw=row["contract_kw"],
                assessment_kw=row["assessment_kw"] if row["assessment_kw"] is not None else row["contract_kw"],
                amount_yen=amount.amount_yen,
            )
        )
    return out


def contract_frame(*, contracts: list[ContractTerms], types: tuple[str, ...], coal_only: bool = False) -> pl.LazyFrame:
    """The contracts of the given resource types (``CONTRACT_FRAME_SCHEMA``), inefficient coal ones only if asked."""
    rows = [
        (c.contract_id, c.resource_id, c.area, c.assessment_kw)
        for c in contracts
        if c.resource_type in types and (c.inefficient_coal or not coal_only)
    ]
    return pl.DataFrame(rows, schema=CONTRACT_FRAME_SCHEMA, orient="row").lazy()


@dataclass(frozen=True)
class ContractGroups:
    """The contracts each rule covers (``CONTRACT_FRAME_SCHEMA``)."""

    outage: pl.LazyFrame  # §2.1: stable and variable single
    stable: pl.LazyFrame  # §2.2, §2.3
    dispatch: pl.LazyFrame  # §2.4
    coal: pl.LazyFrame  # §2.5 (empty when the rule is off)


def contract_groups(*, contracts: list[ContractTerms], params: RuleParams) -> ContractGroups:
    return ContractGroups(
        outage=contract_frame(contracts=contracts, types=("stable", "variable_single")),
        stable=contract_frame(contracts=contracts, types=("stable",)),
        dispatch=contract_frame(contracts=contracts, types=("dispatch",)),
        coal=contract_frame(
            contracts=contracts if params.coal_restraint_enabled else [], types=("stable",), coal_only=True
        ),
    )


def _monthly_sums(aggregates: asm.Aggregates) -> MonthlySums:
    return MonthlySums(
        deficit_kw=per_month(frame=aggregates.outage, value="deficit_kw"),
        weighted_deficit_kw=per_month(frame=aggregates.outage, value="weighted_deficit_kw"),
        unmet_wh={
            MARKET_BID: per_month(frame=aggregates.market_bid, value="unmet_wh"),
            SUPPLY_INSTRUCTION: per_month(frame=aggregates.supply_instruction, value="unmet_wh"),
            DISPATCH: per_month(frame=aggregates.dispatch, value="unmet_wh"),
        },
        coal_wh={
            str(r[0]): (int(r[1]), int(r[2]))
            for r in aggregates.coal.select("contract_id", "metered_wh", "tight_metered_wh").iter_rows()
        },
    )


@dataclass(frozen=True)
class _Contributions:
    areas: pl.DataFrame | None
    bills: pl.DataFrame | None
    issues: pl.DataFrame


def _contributions(case: CaseData, params: RuleParams) -> _Contributions:
    """Step 7: capacity contributions (rules.md §4), when the case gives ``areas``."""
    if not case.areas_given:
        return _Contributions(None, None, pl.DataFrame(schema=ISSUE_SCHEMA))
    contrib = compute_contributions(
        delivery_year=case.delivery_year,
        contracts=case.contracts,
        areas=case.areas,
        retailers=case.retailers,
        wheeling=case.wheeling,
        tso_share_rate=params.tso_share_rate,
        tax_rate=params.tax_rate,
        contributions_taxable=params.contributions_taxable,
        contribution_lag_months=params.contribution_lag_months,
        transitional_deduction_rate=params.transitional_deduction_rate,
    )

    def conform(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.select(SCHEMAS[name].names()).cast(SCHEMAS[name]).sort(SORT_KEYS[name])

    return _Contributions(
        conform(contrib.areas, "contribution_areas"),
        conform(contrib.bills, "contributions"),
        contrib.issues.select(ISSUE_SCHEMA.names()).cast(ISSUE_SCHEMA),
    )


def run(*, case: CaseData, params: RuleParams, row_keys: Mapping[str, pipelines.RowKeys] | None = None) -> CalcResult:
    """Calculate one delivery year (rules.md §1–§4); raises ``UnableToCalculate`` for frames of another shape.

    ``row_keys``: the slot keys of dense tables made while reading them (``calc.io``), by table name; optional —
    a table without keys (or whose frame is not the one keyed) is keyed here (``pipelines.keyed_slot_data``). A
    dense table may be given as its keys and value columns only (``calc.io.case.read_case(key_columns=False)``)."""
    row_keys = dict(row_keys or {})
    case, keyed = _key_columns_where_needed(case, row_keys)
    case = conform_case(case=case, keyed=keyed)
    year = case.delivery_year
    months = month_labels(delivery_year=year)
    terms = contract_terms(case=case, params=params)
    assessed = replacements.expand(case=case, terms=terms)  # 電源等差替: the case itself when it has none
    data = assessed.case
    groups = contract_groups(contracts=assessed.terms, params=params)
    slots = pipelines.keyed_slot_data(
        year=year,
        resources=data.resources,
        generation=data.generation,
        metering=data.metering,
        outage_contracts=groups.outage,
        dispatch_contracts=groups.dispatch,
        coal_contracts=groups.coal,
        instructions=data.instructions.lazy(),
        orders=data.dispatch_orders.lazy(),
        generation_keys=row_keys.get("generation"),
        metering_keys=row_keys.get("metering"),
    )
    aggregates = pipelines.assess(
        year=year,
        slots=slots,
        outage_contracts=groups.outage,
        stable_contracts=groups.stable,
        dispatch_contracts=groups.dispatch,
        coal_contracts=groups.coal if params.coal_restraint_enabled else None,
        outages=data.outages.lazy(),
        multipliers=data.multipliers.lazy(),
        tight_slots=data.tight_slots.lazy(),
        bids=data.bids.lazy(),
        instructions=data.instructions.lazy(),
        orders=data.dispatch_orders.lazy(),
        baselines=data.baselines.lazy(),
        netting=params.dispatch_netting,
    )
    aggregates = assessed.merge(aggregates)
    amounts = contract_months(contracts=terms, sums=_monthly_sums(aggregates), params=params, year=year, months=months)
    provider = statements(amounts=amounts, receipts=case.receipts, params=params, months=months)
    contrib = _contributions(case, params)
    issues = pl.concat([aggregates.issues, provider.issues, contrib.issues]).unique().sort(SORT_KEYS["data_issues"])
    return CalcResult(
        assessment=amounts.frame("assessment"),
        penalties=amounts.frame("penalties"),
        contract_months=amounts.frame("contract_months"),
        coal=amounts.frame("coal"),
        statements=provider.frame,
        data_issues=issues,
        contribution_areas=contrib.areas,
        contributions=contrib.bills,
    )
