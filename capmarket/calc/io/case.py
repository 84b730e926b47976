"""Reading a case directory (case-format.md): ``case.toml`` and the tables, validated, as ``CaseData``.

``read_case`` runs three steps and raises ``UnableToReadCase`` with every error found (at most 1,000):

1. ``read_case_toml``: the delivery year, the rule set and its parameters;
2. ``_read_tables``: every table of the catalogue in reading order (``calc.tables.TABLE_ORDER``), each validated
   against the delivery year and the keys of the tables read before it;
3. ``_derived_tight_slots``: the tight slots of the published reserve-margin files in ``reserve_margins/``,
   added to ``tight_slots``;
4. ``replacement_errors`` (``io/replacements.py``): the checks of ``replacements`` across tables.

When ``case.toml`` does not give a usable delivery year, the tables are still read and their own errors reported,
but nothing is checked against a year nobody gave.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import polars as pl

from capmarket.calc.engine import CaseData
from capmarket.calc.io.context import ValidationContext
from capmarket.calc.io.messages import ValidationError, make_error
from capmarket.calc.io.replacements import replacement_errors
from capmarket.calc.io.reserve_margins import read_reserve_margin_dir
from capmarket.calc.io.validate import parse_table
from capmarket.calc.pipelines import RowKeys
from capmarket.calc.rules import RuleParams, RuleSetSpec, UnableToLoadRuleSet, UnableToParseParameters, resolve
from capmarket.calc.schemas import empty_input, input_schema
from capmarket.calc.tables import TABLE_ORDER, TABLES
from capmarket.calc.tight_slots import tight_slots_from_margins

CASE_TOML: Final[str] = "case.toml"
RESERVE_MARGINS: Final[str] = "reserve_margins"
MAX_ERRORS: Final[int] = 1000
#: delivery years a case may name (far-off years are a typing error, not a plan)
FIRST_YEAR: Final[int] = 2000
LAST_YEAR: Final[int] = 2999


@dataclass
class CaseInput:
    """A validated case: its data, rule set and parameters, and the input files read (for the manifest)."""

    data: CaseData
    ruleset: RuleSetSpec
    parameter_values: dict[str, str]
    params: RuleParams
    input_files: list[Path] = field(default_factory=list)
    #: the slot keys the validator made for dense tables (``engine.run(row_keys=…)``), by table name
    row_keys: dict[str, RowKeys] = field(default_factory=dict)


class UnableToReadCase(Exception):
    """A case directory is invalid; ``errors`` lists every problem (``FILE:LINE: message``)."""

    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__(f"{len(errors)} validation errors")
        self.errors = errors


#: the name ``read_case``'s error had before the calc modules were put in order (kept for its callers)
InvalidCase = UnableToReadCase


@dataclass(frozen=True)
class _Head:
    """What ``case.toml`` says: the delivery year when it is usable, the rule set when everything is."""

    delivery_year: int | None
    resolved: tuple[RuleSetSpec, dict[str, str], RuleParams] | None
    errors: list[ValidationError]


def _toml_line(text: str, key: str) -> int:
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 0


def _err(line: int, code: str, **params: object) -> ValidationError:
    return make_error(file=CASE_TOML, line=line, column="", code=code, **params)


def _load_toml(path: Path) -> tuple[str, dict[str, object]] | ValidationError:
    if not path.is_file():
        return _err(0, "FILE_MISSING", name=CASE_TOML)
    try:
        text = path.read_bytes().decode("utf-8-sig")
        return text, tomllib.loads(text)
    except OSError as exc:
        return _err(0, "CASE_TOML_INVALID", detail=type(exc).__name__)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        match = re.search(r"line (\d+)", str(exc))
        return _err(int(match.group(1)) if match else 0, "CASE_TOML_INVALID", detail=str(exc))


def _as_text(value: object) -> str:
    """A parameter value as the string the rule set reads (``case-format.md``: values are strings; a TOML number
    or boolean is taken as written)."""
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else str(value)


def _read_head(path: Path) -> _Head:
    loaded = _load_toml(path)
    if isinstance(loaded, ValidationError):
        return _Head(None, None, [loaded])
    text, data = loaded
    errors: list[ValidationError] = []
    year = data.get("delivery_year")
    if year is None:
        errors.append(_err(0, "CASE_KEY_MISSING", key="delivery_year"))
    elif not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= LAST_YEAR:
        errors.append(_err(_toml_line(text, "delivery_year"), "CASE_KEY_INVALID", key="delivery_year", value=year))
    usable_year = year if not errors and isinstance(year, int) else None
    name = data.get("ruleset")
    if name is None:
        errors.append(_err(0, "CASE_KEY_MISSING", key="ruleset"))
    elif not isinstance(name, str):
        errors.append(_err(_toml_line(text, "ruleset"), "UNKNOWN_RULESET", value=name))
    overrides_raw = data.get("parameters", {})
    if not isinstance(overrides_raw, dict):
        errors.append(_err(_toml_line(text, "parameters"), "CASE_KEY_INVALID", key="parameters", value=overrides_raw))
        overrides_raw = {}
    if errors or not isinstance(name, str):
        return _Head(usable_year, None, errors)
    overrides = {str(k): _as_text(v) for k, v in overrides_raw.items()}
    return _resolve_ruleset(text, name, overrides, usable_year)


def _resolve_ruleset(text: str, name: str, overrides: dict[str, str], year: int | None) -> _Head:
    try:
        spec, _, _ = resolve(name=name, overrides={})
    except UnableToLoadRuleSet:
        return _Head(year, None, [_err(_toml_line(text, "ruleset"), "UNKNOWN_RULESET", value=name)])
    errors = [
        _err(_toml_line(text, key), "UNKNOWN_PARAMETER", value=key)
        for key in sorted(overrides, key=lambda k: _toml_line(text, k))
        if key not in spec.parameters
    ]
    if errors:
        return _Head(year, None, errors)
    try:
        resolved = resolve(name=name, overrides=overrides)
    except UnableToParseParameters as exc:
        return _Head(
            year, None, [_err(_toml_line(text, exc.name), "INVALID_PARAMETER", name=exc.name, detail=exc.problem)]
        )
    return _Head(year, resolved, [])


def read_case_toml(*, path: Path) -> tuple[int, RuleSetSpec, dict[str, str], RuleParams] | list[ValidationError]:
    """(delivery year, rule set, parameter values used, typed parameters) of ``case.toml``, or its errors."""
    head = _read_head(path)
    if head.errors or head.resolved is None or head.delivery_year is None:
        return head.errors
    return (head.delivery_year, *head.resolved)


def table_path(*, case_dir: Path, name: str) -> tuple[Path | None, list[ValidationError]]:
    """The file of table ``name`` in the case (``NAME.csv`` or ``NAME.parquet``, not both), or why there is none."""
    csv, parquet = case_dir / f"{name}.csv", case_dir / f"{name}.parquet"
    if csv.exists() and parquet.exists():
        return None, [make_error(file=f"{name}.csv", line=0, column="", code="FILE_BOTH_FORMATS", name=name)]
    for path in (csv, parquet):
        if path.is_file():
            return path, []
        if path.exists():
            return None, [make_error(file=path.name, line=0, column="", code="NOT_A_FILE", name=path.name)]
    if TABLES[name].required_file:
        return None, [make_error(file=f"{name}.csv", line=0, column="", code="FILE_MISSING", name=f"{name}.csv")]
    return None, []


@dataclass
class _Tables:
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    keys: dict[str, RowKeys] = field(default_factory=dict)  # the slot keys the validator made (dense tables)
    present: set[str] = field(default_factory=set)
    files: list[Path] = field(default_factory=list)
    clean: set[str] = field(default_factory=set)  # tables read without an error


def _read_tables(
    case_dir: Path, ctx: ValidationContext, errors: list[ValidationError], *, key_columns: bool = True
) -> _Tables:
    """Step 2: every table, validated in reading order; ``errors`` gets their errors (at most ``MAX_ERRORS``)."""
    tables = _Tables()
    for name in TABLE_ORDER:
        ctx.error_budget = MAX_ERRORS - len(errors)
        if ctx.error_budget <= 0:
            break
        path, errs = table_path(case_dir=case_dir, name=name)
        errors += errs
        if path is None:
            tables.frames[name] = empty_input(name=name)
            continue
        tables.present.add(name)
        tables.files.append(path)
        parsed = parse_table(name=name, source=path, context=ctx, key_columns=key_columns)
        errors += parsed.errors
        tables.frames[name] = parsed.frame
        if parsed.keys is not None:
            tables.keys[name] = parsed.keys
        if not parsed.errors:
            tables.clean.add(name)
        if name in ("providers", "resources"):
            # references are checked against every id given, even of rows with other errors
            ctx.known[name] = parsed.frame.select(f"{name[:-1]}_id")
        if name == "retailers":
            ctx.known[name] = parsed.frame.select("retailer_id", "area")
        if name == "contracts":
            ctx.known[name] = parsed.frame.select("contract_id")
    if "providers" not in tables.present:
        ctx.known.pop("providers", None)
    return tables


def _derived_tight_slots(case_dir: Path, tables: _Tables, head: _Head, errors: list[ValidationError]) -> pl.DataFrame:
    """Step 3: ``tight_slots`` with the slots derived from the published reserve-margin files, if any."""
    tight = tables.frames.get("tight_slots", empty_input(name="tight_slots"))
    margins_dir = case_dir / RESERVE_MARGINS
    if not margins_dir.is_dir() or len(errors) >= MAX_ERRORS or head.resolved is None or head.delivery_year is None:
        return tight
    margins, margin_errors = read_reserve_margin_dir(path=margins_dir)
    for e in margin_errors:
        errors.append(
            make_error(
                file=f"{RESERVE_MARGINS}/{Path(e.file).name}",
                line=e.line,
                column="",
                code="RESERVE_MARGIN_INVALID",
                detail=str(e),
            )
        )
    tables.files += sorted(p for p in margins_dir.iterdir() if p.is_file())
    if margin_errors:
        return tight
    derived = tight_slots_from_margins(
        margins=margins, threshold_pct=head.resolved[2].tight_reserve_margin_pct, delivery_year=head.delivery_year
    )
    derived = derived.select(pl.col(c).cast(t) for c, t in input_schema(name="tight_slots").items())
    return pl.concat([tight, derived]).unique().sort("area", "date", "slot")


def read_case(*, case_dir: Path, key_columns: bool = True) -> CaseInput:
    """Read and validate a case directory; raises ``UnableToReadCase`` with every error (at most 1,000).

    ``key_columns=False`` (for ``engine.run`` only): the dense slot tables keyed while reading (``row_keys``) come
    without ``resource_id``, ``date`` and ``slot``, which their keys stand for; ``engine.run`` makes them again
    only if a step needs them. Every other reader wants the default: every frame with all its columns."""
    head = _read_head(case_dir / CASE_TOML)
    errors = list(head.errors)
    year = head.delivery_year
    ctx = ValidationContext(delivery_year=year or FIRST_YEAR, error_budget=MAX_ERRORS, check_year=year is not None)
    tables = _read_tables(case_dir, ctx, errors, key_columns=key_columns)
    tight = _derived_tight_slots(case_dir, tables, head, errors)
    if "replacements" in tables.clean and year is not None and head.resolved is not None:
        errors += replacement_errors(
            replacements=tables.frames["replacements"],
            contracts=tables.frames["contracts"],
            resources=tables.frames["resources"],
            delivery_year=year,
            coal_rule=head.resolved[2].coal_restraint_enabled,
        )
    errors = errors[:MAX_ERRORS]
    if errors or head.resolved is None or year is None:
        raise UnableToReadCase(errors)
    spec, used, params = head.resolved
    frames = tables.frames
    data = CaseData(
        delivery_year=year,
        providers=frames["providers"],
        resources=frames["resources"],
        contracts=frames["contracts"],
        replacements=frames["replacements"],
        generation=frames["generation"],
        outages=frames["outages"],
        multipliers=frames["multipliers"],
        tight_slots=tight,
        bids=frames["bids"],
        instructions=frames["instructions"],
        dispatch_orders=frames["dispatch_orders"],
        metering=frames["metering"],
        baselines=frames["baselines"],
        receipts=frames["receipts"],
        areas=frames["areas"],
        retailers=frames["retailers"],
        wheeling=frames["wheeling"],
        areas_given="areas" in tables.present,
    )
    input_files = [case_dir / CASE_TOML, *tables.files]
    return CaseInput(
        data=data, ruleset=spec, parameter_values=used, params=params, input_files=input_files, row_keys=tables.keys
    )
