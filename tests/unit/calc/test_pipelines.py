"""The slot keys made while reading (``pipelines.RowKeys``) change nothing but the time: the engine gives the same
outputs with them, without them, and when a keyed frame was replaced after reading (then it keys the rows itself).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from capmarket.calc import pipelines
from capmarket.calc.assessment import resource_codes
from capmarket.calc.engine import CalcResult, CaseData, UnableToCalculate, run
from capmarket.calc.io.case import CaseInput, read_case
from capmarket.calc.io.validate import ValidationContext, parse_table
from tests.examples import EXAMPLES_DIR, scenario_names


def _outputs_equal(first: CalcResult, second: CalcResult) -> None:
    assert first.outputs().keys() == second.outputs().keys()
    for name, frame in first.outputs().items():
        assert second.outputs()[name].equals(frame), name


@pytest.fixture(scope="module", params=scenario_names())
def case_input(request: pytest.FixtureRequest, scenarios_dir: Path) -> CaseInput:
    return read_case(case_dir=scenarios_dir / request.param / "case")


def test_results_are_the_same_with_and_without_the_keys_made_while_reading(case_input: CaseInput) -> None:
    case, keys = case_input.data, case_input.row_keys
    assert "metering" in keys

    with_keys = run(case=case, params=case_input.params, row_keys=keys)
    without = run(case=case, params=case_input.params)

    _outputs_equal(with_keys, without)


def test_keys_of_a_replaced_frame_are_not_used(case_input: CaseInput) -> None:
    case, keys = case_input.data, case_input.row_keys
    reversed_rows = replace(case, generation=case.generation.reverse(), metering=case.metering.reverse())
    codes = resource_codes(resource_ids=case.resources["resource_id"])
    for name in keys:
        frame = getattr(reversed_rows, name)
        assert pipelines.keys_of(frame=frame, keys=keys[name], codes=codes) is None
        assert pipelines.keys_of(frame=getattr(case, name), keys=keys[name], codes=codes) is not None

    _outputs_equal(
        run(case=reversed_rows, params=case_input.params, row_keys=keys), run(case=case, params=case_input.params)
    )


def test_keys_made_with_other_resource_codes_are_not_used(case_input: CaseInput) -> None:
    case = case_input.data
    other = resource_codes(resource_ids=pl.concat([case.resources["resource_id"], pl.Series(["ZZZ-extra"])]))
    for name, keys in case_input.row_keys.items():
        assert pipelines.keys_of(frame=getattr(case, name), keys=keys, codes=other) is None


def test_dense_tables_in_key_order_are_read_by_binary_search(case_input: CaseInput) -> None:
    # the golden cases give metering in file order; sorted by key, its keys are ordered and the engine takes its
    # rows (coal resources whole, instructed and dispatched slots) by binary search instead of a filter
    case = case_input.data
    ctx = ValidationContext(delivery_year=case.delivery_year, known={"resources": case.resources.select("resource_id")})
    tables = {}
    for name in ("generation", "metering"):
        frame = getattr(case, name).sort("resource_id", "date", "slot")
        if name == "metering":  # back to kWh, as a float (read exactly to 3 decimals)
            frame = frame.select("resource_id", "date", "slot", metered_kwh=pl.col("metered_wh") / 1000)
        parsed = parse_table(name=name, source=frame, context=ctx)
        assert not parsed.errors
        assert parsed.keys is not None
        assert parsed.keys.ordered or parsed.frame.height == 0
        tables[name] = parsed
    ordered = replace(case, generation=tables["generation"].frame, metering=tables["metering"].frame)
    keys = {name: parsed.keys for name, parsed in tables.items() if parsed.keys is not None}

    _outputs_equal(run(case=ordered, params=case_input.params, row_keys=keys), run(case=case, params=case_input.params))


# ------------------------------------------------------------- dense tables read as their keys and values only


@pytest.fixture(scope="module", params=scenario_names())
def lean_and_full(request: pytest.FixtureRequest, scenarios_dir: Path) -> tuple[CaseInput, CaseInput]:
    case_dir = scenarios_dir / request.param / "case"
    return read_case(case_dir=case_dir, key_columns=False), read_case(case_dir=case_dir)


def test_dense_tables_read_as_keys_and_values_give_the_same_results(
    lean_and_full: tuple[CaseInput, CaseInput],
) -> None:
    lean, full = lean_and_full
    assert "metering" in lean.row_keys
    for name in lean.row_keys:
        frame = getattr(lean.data, name)
        assert not set(pipelines.KEY_COLUMNS) & set(frame.columns), name
        assert pipelines.without_key_columns(frame=frame, keys=lean.row_keys[name])

    _outputs_equal(
        run(case=lean.data, params=lean.params, row_keys=lean.row_keys), run(case=full.data, params=full.params)
    )


def test_key_columns_made_again_from_the_keys_are_the_columns_read(lean_and_full: tuple[CaseInput, CaseInput]) -> None:
    lean, full = lean_and_full
    for name in lean.row_keys:
        made = pipelines.with_key_columns(keys=lean.row_keys[name], year=lean.data.delivery_year)
        assert made.equals(getattr(full.data, name)), name


def test_keys_made_with_other_resource_codes_are_made_whole_again(lean_and_full: tuple[CaseInput, CaseInput]) -> None:
    # one more resource changes every code after it: the keys read no longer hold; the rows are keyed again
    lean, full = lean_and_full

    def more(case: CaseData) -> CaseData:
        extra = case.resources.head(1).with_columns(resource_id=pl.lit("0-extra-first"))
        return replace(case, resources=pl.concat([extra, case.resources]))

    _outputs_equal(
        run(case=more(lean.data), params=lean.params, row_keys=lean.row_keys),
        run(case=more(full.data), params=full.params),
    )


def test_values_of_other_types_are_keyed_again(lean_and_full: tuple[CaseInput, CaseInput]) -> None:
    lean, full = lean_and_full
    metering = lean.data.metering
    keys = lean.row_keys["metering"]
    narrow = metering.cast({"metered_wh": pl.Int32})
    row_keys = {**lean.row_keys, "metering": replace(keys, rows=narrow)}

    _outputs_equal(
        run(case=replace(lean.data, metering=narrow), params=lean.params, row_keys=row_keys),
        run(case=full.data, params=full.params),
    )


def test_a_frame_without_its_key_columns_needs_its_keys(lean_and_full: tuple[CaseInput, CaseInput]) -> None:
    lean, _ = lean_and_full

    with pytest.raises(UnableToCalculate, match=r"(generation|metering): missing columns resource_id, date, slot"):
        run(case=lean.data, params=lean.params)


def test_a_replacement_makes_the_key_columns_again() -> None:
    case_dir = EXAMPLES_DIR / "replacements" / "partial-and-full-fy2025" / "case"
    lean, full = read_case(case_dir=case_dir, key_columns=False), read_case(case_dir=case_dir)
    assert not lean.data.replacements.is_empty()
    assert set(lean.row_keys) == set(pipelines.DENSE_TABLES)

    _outputs_equal(
        run(case=lean.data, params=lean.params, row_keys=lean.row_keys), run(case=full.data, params=full.params)
    )
