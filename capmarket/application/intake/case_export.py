"""Case export: the stored data as of a moment, written as a case directory (case-format.md) that ``capmarket
calc`` runs on — the registry (providers, resources, contracts of the delivery year, as their history stood at
the moment), the approved 電源等差替 the engine accepts (``replacements.csv``, only when there are some;
``case_replacements``), the dataset versions in force, the outage plans in force, and the year's rule set with its
parameters as published by then.

Published reserve margins are turned into the tight slots they imply (rules.md §2.2, the same function the
engine uses) and added to ``tight_slots.csv``, so the exported case needs no ``reserve_margins/`` directory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from capmarket.application.intake.case_replacements import CaseReplacements, case_replacements
from capmarket.application.intake.catalogue import DATASETS, YEAR_COLUMN
from capmarket.application.intake.downloads import kwh_text
from capmarket.calc.rules import UnknownRuleSet, resolve
from capmarket.calc.tables import TABLES
from capmarket.calc.tight_slots import tight_slots_from_margins
from capmarket.domain.contracts import queries as contract_queries
from capmarket.domain.outages import queries as outage_queries
from capmarket.domain.registry import queries as registry_queries
from capmarket.domain.rulesets import queries as ruleset_queries
from capmarket.domain.timeseries import queries as ts_queries
from capmarket.domain.timeseries.models import DATASETS as STORED_DATASETS


class UnableToExportCase(Exception):
    """The case cannot be exported; the message (Japanese) says why, in one line."""


class ExportDirectoryNotEmpty(UnableToExportCase):
    def __init__(self, directory: Path) -> None:
        super().__init__(
            f"{directory}: 出力先のディレクトリが空ではありません（存在しないか空のディレクトリを指定してください）"
        )
        self.directory = directory


class NoRuleSetForYear(UnableToExportCase):
    def __init__(self, year: int) -> None:
        super().__init__(f"{year}年度の算定ルールセット（jp-{year}）がありません")
        self.year = year


@dataclass
class ExportedCase:
    directory: Path
    ruleset: str
    parameters: dict[str, str]
    files: dict[str, int] = field(default_factory=dict)  # file name → rows


def _ruleset_as_of(*, year: int, as_of: dt.datetime) -> tuple[str, dict[str, str]]:
    """The year's rule set and its parameters that differ from the built-in values, as published by ``as_of``."""
    name = f"jp-{year}"
    try:
        _, builtin, _ = resolve(name=name)
    except UnknownRuleSet:
        raise NoRuleSetForYear(year) from None
    version = ruleset_queries.version_published_by(name=name, as_of=as_of)
    if version is None:
        return name, {}
    values = ruleset_queries.values_of(ruleset=version)
    return name, {k: v for k, v in sorted(values.items()) if builtin.get(k) != v}


def _toml_text(*, year: int, ruleset: str, parameters: dict[str, str]) -> str:
    lines = [f"delivery_year = {year}", f'ruleset = "{ruleset}"']
    if parameters:
        lines += ["", "[parameters]"]
        lines += [f'{k} = "{v}"' for k, v in parameters.items()]
    return "\n".join(lines) + "\n"


def _write_csv(frame: pl.DataFrame, path: Path) -> None:
    path.write_bytes(frame.write_csv(line_terminator="\n", datetime_format="%Y-%m-%d %H:%M").encode("utf-8"))


def _registry(*, year: int, as_of: dt.datetime) -> dict[str, pl.DataFrame]:
    participants = {p.pk: p for p in registry_queries.participants_as_of(as_of=as_of)}
    providers = [p for p in participants.values() if p.is_provider]
    resources = registry_queries.resources_as_of(as_of=as_of)
    codes = {r.pk: r.resource_code for r in resources}
    contracts = contract_queries.active_contracts_as_of(as_of=as_of, delivery_year=year)
    return {
        "providers": pl.DataFrame(
            {"provider_id": [p.participant_code for p in providers], "name": [p.name for p in providers]},
            schema={"provider_id": pl.String, "name": pl.String},
        ),
        "resources": pl.DataFrame(
            {
                "resource_id": [r.resource_code for r in resources],
                "provider_id": [participants[r.participant_id].participant_code for r in resources],
                "area": [r.area for r in resources],
                "resource_type": [r.resource_type for r in resources],
                "inefficient_coal": [r.inefficient_coal for r in resources],
            },
            schema={
                "resource_id": pl.String,
                "provider_id": pl.String,
                "area": pl.String,
                "resource_type": pl.String,
                "inefficient_coal": pl.Boolean,
            },
        ),
        "contracts": pl.DataFrame(
            {
                "contract_id": [c.contract_code for c in contracts],
                "provider_id": [participants[c.participant_id].participant_code for c in contracts],
                "resource_id": [codes[c.resource_id] for c in contracts],
                "price_yen_per_kw": [c.price_yen_per_kw for c in contracts],
                "contract_kw": [c.contract_kw for c in contracts],
                "assessment_kw": [c.assessment_kw for c in contracts],
                "transitional": [c.transitional for c in contracts],
                "amount_yen": [c.amount_yen if c.amount_overridden else None for c in contracts],
            },
            schema={
                "contract_id": pl.String,
                "provider_id": pl.String,
                "resource_id": pl.String,
                "price_yen_per_kw": pl.Int64,
                "contract_kw": pl.Int64,
                "assessment_kw": pl.Int64,
                "transitional": pl.Boolean,
                "amount_yen": pl.Int64,
            },
        ),
    }


def _replacements(
    *, year: int, as_of: dt.datetime, registry: dict[str, pl.DataFrame], ruleset: str, parameters: dict[str, str]
) -> pl.DataFrame | None:
    """The approved 電源等差替 the engine accepts (``case_replacements``); None when there are none, so that a case
    without replacements is written exactly as before."""
    _, _, params = resolve(name=ruleset, overrides=parameters)
    found = case_replacements(
        year=year,
        as_of=as_of,
        contracts=registry["contracts"],
        resources=registry["resources"],
        coal_rule=params.coal_restraint_enabled,
    )
    return found.frame if found.frame.height else None


def replacements_as_of(*, year: int, as_of: dt.datetime) -> CaseReplacements:
    """The approved 電源等差替 of ``year`` as the case of ``as_of`` carries them, and the ones it leaves out."""
    ruleset, parameters = _ruleset_as_of(year=year, as_of=as_of)
    registry = _registry(year=year, as_of=as_of)
    _, _, params = resolve(name=ruleset, overrides=parameters)
    return case_replacements(
        year=year,
        as_of=as_of,
        contracts=registry["contracts"],
        resources=registry["resources"],
        coal_rule=params.coal_restraint_enabled,
    )


def _in_year(frame: pl.LazyFrame, *, dataset: str, year: int) -> pl.LazyFrame:
    first, last = dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
    lo, hi = dt.datetime(year, 4, 1), dt.datetime(year + 1, 4, 1)  # noqa: DTZ001 - JST wall-clock, as stored
    names = frame.collect_schema().names()
    if DATASETS[dataset].by_year and YEAR_COLUMN in names:
        return frame.filter(pl.col(YEAR_COLUMN) == year).drop(YEAR_COLUMN)
    if "date" in names:
        return frame.filter(pl.col("date").is_between(first, last))
    if dataset == "outages":
        return frame.filter((pl.col("start") < hi) & (pl.col("end") > lo))
    if dataset == "dispatch_orders":
        return frame.filter((pl.col("start") >= lo) & (pl.col("start") < hi))
    for column in ("delivery_month", "month"):
        if column in names:
            return frame.filter(pl.col(column).is_between(pl.lit(f"{year}-04"), pl.lit(f"{year + 1}-03")))
    return frame


def _case_columns(frame: pl.DataFrame, *, dataset: str) -> pl.DataFrame:
    """Stored (typed) columns back to the case file's columns (kWh from Wh), in the format's order."""
    exprs: list[pl.Expr] = []
    for column in TABLES[dataset].columns:
        if column.out and column.out in frame.columns:
            exprs.append(kwh_text(pl.col(column.out)).alias(column.name))
        else:
            exprs.append(pl.col(column.name))
    return frame.select(exprs)


def _outages(*, as_of: dt.datetime) -> pl.DataFrame | None:
    plans = outage_queries.plans_in_force(as_of=as_of)
    if not plans:
        return None
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    jst = ZoneInfo("Asia/Tokyo")
    resources = registry_queries.resource_codes_by_id(ids=(p.resource_id for p in plans))
    return pl.DataFrame(
        {
            "outage_id": [p.outage_code for p in plans],
            "resource_id": [resources[p.resource_id] for p in plans],
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


def export_case(*, year: int, as_of: dt.datetime, out_dir: Path) -> ExportedCase:
    """Write the case of delivery year ``year`` as the data stood at ``as_of`` into ``out_dir`` (which must not
    exist or be empty). Raises ``UnableToExportCase`` (nothing written) for a directory that is not empty or a year
    without a rule set."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ExportDirectoryNotEmpty(out_dir)
    ruleset, parameters = _ruleset_as_of(year=year, as_of=as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "case.toml").write_text(_toml_text(year=year, ruleset=ruleset, parameters=parameters), encoding="utf-8")
    exported = ExportedCase(directory=out_dir, ruleset=ruleset, parameters=parameters)
    registry = _registry(year=year, as_of=as_of)
    for name, frame in registry.items():
        _write_csv(frame, out_dir / f"{name}.csv")
        exported.files[f"{name}.csv"] = frame.height
    replaced = _replacements(year=year, as_of=as_of, registry=registry, ruleset=ruleset, parameters=parameters)
    if replaced is not None:
        _write_csv(replaced, out_dir / "replacements.csv")
        exported.files["replacements.csv"] = replaced.height

    tables: dict[str, pl.DataFrame] = {}
    for name, spec in DATASETS.items():
        if spec.registry or name == "reserve_margins":
            continue
        if name == "outages":
            plans = _outages(as_of=as_of)
            if plans is not None:
                tables[name] = _in_year(plans.lazy(), dataset=name, year=year).sort("outage_id").collect()
            continue
        try:
            stored = ts_queries.read_as_of(dataset=name, as_of=as_of, sort=True)
        except ts_queries.NoVersionInForce:
            continue
        tables[name] = _case_columns(_in_year(stored, dataset=name, year=year).collect(), dataset=name)

    try:
        margins = ts_queries.read_as_of(dataset="reserve_margins", as_of=as_of).collect()
    except ts_queries.NoVersionInForce:
        margins = None
    if margins is not None and margins.height:
        _, _, params = resolve(name=ruleset, overrides=parameters)
        derived = tight_slots_from_margins(
            margins=margins.with_columns(pl.lit("").alias("file"), pl.lit(0).alias("line")),
            threshold_pct=params.tight_reserve_margin_pct,
            delivery_year=year,
        ).select(pl.col("area"), pl.col("date"), pl.col("slot").cast(pl.Int64))
        given = tables.get("tight_slots")
        combined = derived if given is None else pl.concat([given.select(derived.columns), derived])
        tables["tight_slots"] = combined.unique().sort("area", "date", "slot")

    for name, frame in tables.items():
        _write_csv(frame, out_dir / f"{name}.csv")
        exported.files[f"{name}.csv"] = frame.height
    return exported


def parse_as_of(text: str, *, tz: Any) -> dt.datetime:
    """``YYYY-MM-DD[ HH:MM[:SS]]`` or ISO 8601; naive values are taken in ``tz``."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


# ------------------------------------------------------------------------------------ in memory (settlement runs)


@dataclass
class CaseFrames:
    """The same case as ``export_case`` writes, kept in memory as the engine's typed frames (no CSV round trip):
    what a settlement run hands to ``capmarket.calc.engine.run``. ``parameters`` are those ``case.toml`` names."""

    delivery_year: int
    ruleset: str
    parameters: dict[str, str]
    tables: dict[str, pl.DataFrame]


def _by_date(name: str) -> bool:
    """Slot series partitioned by the month of their ``date`` key (the month decides which rows are in the year)."""
    keys, month_column = STORED_DATASETS[name]
    return month_column == "date" and "date" in keys and not DATASETS[name].by_year


def case_frames(*, year: int, as_of: dt.datetime) -> CaseFrames:
    """The case of delivery year ``year`` as the data stood at ``as_of``: every table ``export_case`` would
    write, typed as the engine reads it (``calc.io.validate.output_schema``: kWh as integer Wh)."""
    ruleset, parameters = _ruleset_as_of(year=year, as_of=as_of)
    months = [f"{year + (m < 4)}-{m:02d}" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    tables: dict[str, pl.DataFrame] = dict(_registry(year=year, as_of=as_of))
    replaced = _replacements(year=year, as_of=as_of, registry=tables, ruleset=ruleset, parameters=parameters)
    if replaced is not None:
        tables["replacements"] = replaced
    for name, spec in DATASETS.items():
        if spec.registry or name == "reserve_margins":
            continue
        if name == "outages":
            plans = _outages(as_of=as_of)
            if plans is not None:
                tables[name] = _in_year(plans.lazy(), dataset=name, year=year).collect()
            continue
        try:
            stored = ts_queries.read_as_of(dataset=name, as_of=as_of, months=months if _by_date(name) else None)
        except ts_queries.NoVersionInForce:
            continue
        # slot series are read by month partition, so only the year's rows are opened: no filter pass over them
        tables[name] = stored.collect() if _by_date(name) else _in_year(stored, dataset=name, year=year).collect()
    try:
        margins = ts_queries.read_as_of(dataset="reserve_margins", as_of=as_of).collect()
    except ts_queries.NoVersionInForce:
        margins = None
    if margins is not None and margins.height:
        _, _, params = resolve(name=ruleset, overrides=parameters)
        derived = tight_slots_from_margins(
            margins=margins.with_columns(pl.lit("").alias("file"), pl.lit(0).alias("line")),
            threshold_pct=params.tight_reserve_margin_pct,
            delivery_year=year,
        ).select(pl.col("area"), pl.col("date").cast(pl.Date), pl.col("slot").cast(pl.Int64))
        given = tables.get("tight_slots")
        combined = (
            derived if given is None else pl.concat([given.select(derived.columns).cast(derived.schema), derived])
        )
        tables["tight_slots"] = combined.unique().sort("area", "date", "slot")
    return CaseFrames(delivery_year=year, ruleset=ruleset, parameters=parameters, tables=tables)
