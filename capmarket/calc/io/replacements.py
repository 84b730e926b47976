"""The checks of ``replacements`` (電源等差替, ``docs/replacements.md``) across tables: what one row cannot show.

The table's own checks (types, references, keys, ``valid_to`` after ``valid_from``) are the catalogue's
(``calc.tables``) and run in ``validate.parse_table`` like every table's. These run after every table was read,
only when ``replacements`` itself had no error (so a parsed row's line is its index + 2), and refuse what the
engine cannot assess without guessing:

- ``REPLACEMENT_OWN_RESOURCE``: the replacing resource is the contract's own resource;
- ``REPLACEMENT_RESOURCE_CONTRACTED``: the replacing resource holds a contract itself — its capacity would have to
  be allocated between its own obligation and the replacement (差替配分供給力, screen B20), which a case does not
  carry;
- ``REPLACEMENT_TYPE_MISMATCH``: the replacing resource is of another type than the contract's resource (the
  requirements stay the contract's);
- ``REPLACEMENT_COAL``: either resource is inefficient coal while the coal rule is on (seed 003 p.6 ※9: the coal
  restraint after a replacement follows a manual that is not public);
- ``REPLACEMENT_OVERLAP``: one replacing resource carries two replacements on one day;
- ``REPLACEMENT_KW_EXCEEDED``: on some day the replaced kW of a contract sum to more than its assessment kW.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from capmarket.calc.io.messages import ValidationError, make_error

FILE = "replacements.csv"


def _error(line: int, column: str, code: str, **params: object) -> ValidationError:
    return make_error(file=FILE, line=line, column=column, code=code, **params)


def _periods(frame: pl.DataFrame, year_end: dt.date) -> list[tuple[int, dict[str, object]]]:
    """(line, row) of every row, ``valid_to`` filled with the end of the year (exclusive)."""
    rows = frame.with_columns(pl.col("valid_to").fill_null(year_end)).iter_rows(named=True)
    return [(index + 2, row) for index, row in enumerate(rows)]


def _overlaps(rows: list[tuple[int, dict[str, object]]]) -> list[ValidationError]:
    out = []
    by_resource: dict[object, list[tuple[int, dict[str, object]]]] = {}
    for line, row in rows:
        by_resource.setdefault(row["resource_id"], []).append((line, row))
    for items in by_resource.values():
        for i, (line, row) in enumerate(items):
            earlier = items[:i]
            if any(o["valid_from"] < row["valid_to"] and row["valid_from"] < o["valid_to"] for _, o in earlier):  # type: ignore[operator]
                out.append(_error(line, "valid_from", "REPLACEMENT_OVERLAP", value=f"{row['resource_id']}"))
    return out


def _kw_exceeded(rows: list[tuple[int, dict[str, object]]], assessment: dict[str, int]) -> list[ValidationError]:
    """On every start date of a contract's replacement, the kW of the replacements in force that day."""
    out = []
    by_contract: dict[str, list[tuple[int, dict[str, object]]]] = {}
    for line, row in rows:
        by_contract.setdefault(str(row["contract_id"]), []).append((line, row))
    for contract, items in by_contract.items():
        limit = assessment.get(contract)
        if limit is None:
            continue
        for line, row in items:
            day = row["valid_from"]
            total = sum(
                int(o["kw"])  # type: ignore[call-overload]
                for _, o in items
                if o["valid_from"] <= day < o["valid_to"]  # type: ignore[operator]
            )
            if total > limit:
                out.append(
                    _error(line, "kw", "REPLACEMENT_KW_EXCEEDED", limit=limit, value=f"{contract} {day} {total}")
                )
    return out


def replacement_errors(
    *,
    replacements: pl.DataFrame,
    contracts: pl.DataFrame,
    resources: pl.DataFrame,
    delivery_year: int,
    coal_rule: bool,
) -> list[ValidationError]:
    """The errors of the parsed ``replacements`` against ``contracts`` and ``resources`` (module docstring), in
    line order; rows naming an unknown contract or resource were already refused by their references."""
    if replacements.is_empty():
        return []
    res = {str(r["resource_id"]): r for r in resources.iter_rows(named=True)}
    ctr = {str(c["contract_id"]): c for c in contracts.iter_rows(named=True)}
    contracted = {str(c["resource_id"]) for c in ctr.values()}
    assessment = {
        cid: int(c["assessment_kw"] if c["assessment_kw"] is not None else c["contract_kw"]) for cid, c in ctr.items()
    }
    rows = _periods(replacements, dt.date(delivery_year + 1, 4, 1))
    errors: list[ValidationError] = []
    for line, row in rows:
        contract = ctr.get(str(row["contract_id"]))
        to = res.get(str(row["resource_id"]))
        if contract is None or to is None:
            continue
        own = res.get(str(contract["resource_id"]))
        value = f"{row['contract_id']} {row['resource_id']}"
        if row["resource_id"] == contract["resource_id"]:
            errors.append(_error(line, "resource_id", "REPLACEMENT_OWN_RESOURCE", value=value))
        elif str(row["resource_id"]) in contracted:
            errors.append(_error(line, "resource_id", "REPLACEMENT_RESOURCE_CONTRACTED", value=value))
        elif own is not None and own["resource_type"] != to["resource_type"]:
            errors.append(_error(line, "resource_id", "REPLACEMENT_TYPE_MISMATCH", value=value))
        elif coal_rule and (to["inefficient_coal"] or (own is not None and own["inefficient_coal"])):
            errors.append(_error(line, "resource_id", "REPLACEMENT_COAL", value=value))
    errors += _overlaps(rows)
    errors += _kw_exceeded(rows, assessment)
    return sorted(errors, key=lambda e: e.line)
