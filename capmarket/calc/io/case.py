"""Reading a case directory (case-format.md): ``case.toml`` and the tables, validated, as ``CaseData``."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from capmarket.calc.engine import CaseData
from capmarket.calc.io.validate import (
    TABLE_ORDER,
    TABLES,
    ValidationContext,
    ValidationError,
    empty_frame,
    make_error,
    parse_table,
)
from capmarket.calc.reserve_margins import read_reserve_margin_dir, tight_slots_from_margins
from capmarket.calc.rules import InvalidParameter, RuleParams, RuleSetSpec, UnknownRuleSet, resolve

CASE_TOML = "case.toml"
RESERVE_MARGINS = "reserve_margins"
MAX_ERRORS = 1000


@dataclass
class CaseInput:
    """A validated case: its data, rule set and parameters, and the input files read (for the manifest)."""

    data: CaseData
    ruleset: RuleSetSpec
    parameter_values: dict[str, str]
    params: RuleParams
    input_files: list[Path] = field(default_factory=list)


class InvalidCase(Exception):
    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__(f"{len(errors)} validation errors")
        self.errors = errors


def _toml_line(text: str, key: str) -> int:
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 0


def read_case_toml(path: Path) -> tuple[int, RuleSetSpec, dict[str, str], RuleParams] | list[ValidationError]:
    def err(line: int, code: str, **params: object) -> list[ValidationError]:
        return [make_error(file=CASE_TOML, line=line, column="", code=code, **params)]

    if not path.is_file():
        return err(0, "FILE_MISSING", name=CASE_TOML)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        match = re.search(r"line (\d+)", str(exc))
        return err(int(match.group(1)) if match else 0, "CASE_TOML_INVALID", detail=str(exc))
    errors: list[ValidationError] = []
    year = data.get("delivery_year")
    if year is None:
        errors += err(0, "CASE_KEY_MISSING", key="delivery_year")
    elif not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2999:
        errors += err(_toml_line(text, "delivery_year"), "CASE_KEY_INVALID", key="delivery_year", value=year)
    name = data.get("ruleset")
    if name is None:
        errors += err(0, "CASE_KEY_MISSING", key="ruleset")
    overrides_raw = data.get("parameters", {})
    if not isinstance(overrides_raw, dict):
        errors += err(_toml_line(text, "parameters"), "CASE_KEY_INVALID", key="parameters", value=overrides_raw)
        overrides_raw = {}
    overrides = {
        str(k): (v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v))
        for k, v in overrides_raw.items()
    }
    if errors or name is None:
        return errors
    try:
        spec, used, _ = resolve(str(name), {})
    except UnknownRuleSet:
        return err(_toml_line(text, "ruleset"), "UNKNOWN_RULESET", value=name)
    for key in sorted(overrides, key=lambda k: _toml_line(text, k)):
        if key not in spec.parameters:
            errors += err(_toml_line(text, key), "UNKNOWN_PARAMETER", value=key)
    if errors:
        return errors
    try:
        spec, used, params = resolve(str(name), overrides)
    except InvalidParameter as exc:
        return err(_toml_line(text, exc.name), "INVALID_PARAMETER", name=exc.name, detail=exc.problem)
    assert isinstance(year, int)
    return year, spec, used, params


def table_path(case_dir: Path, name: str) -> tuple[Path | None, list[ValidationError]]:
    csv, parquet = case_dir / f"{name}.csv", case_dir / f"{name}.parquet"
    if csv.is_file() and parquet.is_file():
        return None, [make_error(file=f"{name}.csv", line=0, column="", code="FILE_BOTH_FORMATS", name=name)]
    if csv.is_file():
        return csv, []
    if parquet.is_file():
        return parquet, []
    if TABLES[name].required_file:
        return None, [make_error(file=f"{name}.csv", line=0, column="", code="FILE_MISSING", name=f"{name}.csv")]
    return None, []


def read_case(case_dir: Path) -> CaseInput:
    """Read and validate a case directory; raises ``InvalidCase`` with every error (at most 1,000)."""
    errors: list[ValidationError] = []
    head = read_case_toml(case_dir / CASE_TOML)
    if isinstance(head, list):
        errors += head
        year = 2000  # validate the tables anyway, against a year, so that their own errors are reported
    else:
        year = head[0]
    ctx = ValidationContext(delivery_year=year, error_budget=MAX_ERRORS)
    frames: dict[str, pl.DataFrame] = {}
    input_files: list[Path] = [case_dir / CASE_TOML]
    present: set[str] = set()
    for name in TABLE_ORDER:
        ctx.error_budget = MAX_ERRORS - len(errors)
        if ctx.error_budget <= 0:
            break
        path, errs = table_path(case_dir, name)
        errors += errs
        if path is None:
            frames[name] = empty_frame(name)
            continue
        present.add(name)
        input_files.append(path)
        parsed = parse_table(name, path, context=ctx)
        errors += parsed.errors
        frames[name] = parsed.frame
        if name in ("providers", "resources"):
            # references are checked against every id given, even of rows with other errors
            ctx.known[name] = parsed.frame.select(f"{name[:-1]}_id")
        if name == "retailers":
            ctx.known[name] = parsed.frame.select("retailer_id", "area")
    if "providers" not in present:
        ctx.known.pop("providers", None)

    tight = frames["tight_slots"]
    margins_dir = case_dir / RESERVE_MARGINS
    if margins_dir.is_dir() and len(errors) < MAX_ERRORS and not isinstance(head, list):
        margins, margin_errors = read_reserve_margin_dir(margins_dir)
        for e in margin_errors:
            file = getattr(e, "file", RESERVE_MARGINS)
            errors.append(
                make_error(
                    file=f"{RESERVE_MARGINS}/{Path(str(file)).name}",
                    line=int(getattr(e, "line", 0)),
                    column="",
                    code="RESERVE_MARGIN_INVALID",
                    detail=str(getattr(e, "message", e)),
                )
            )
        input_files += sorted(p for p in margins_dir.iterdir() if p.is_file())
        if not margin_errors:
            derived = tight_slots_from_margins(
                margins, threshold_pct=head[3].tight_reserve_margin_pct, delivery_year=year
            )
            derived = derived.select(
                pl.col("area").cast(pl.String), pl.col("date").cast(pl.Date), pl.col("slot").cast(pl.Int64)
            )
            tight = pl.concat([tight, derived]).unique().sort("area", "date", "slot")

    errors = errors[:MAX_ERRORS]
    if errors or isinstance(head, list):
        raise InvalidCase(errors)
    _, spec, used, params = head
    data = CaseData(
        delivery_year=year,
        providers=frames["providers"],
        resources=frames["resources"],
        contracts=frames["contracts"],
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
        areas_given="areas" in present,
    )
    return CaseInput(data=data, ruleset=spec, parameter_values=used, params=params, input_files=input_files)
