"""電源等差替 in the engine (``calc.replacements``, ``docs/replacements.md``): the golden scenario written from the
rule text, the parts of an obligation, and properties over the random example year."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capmarket.calc.cli import main
from capmarket.calc.contract_months import ContractTerms
from capmarket.calc.engine import CaseData, run
from capmarket.calc.io.case import read_case
from capmarket.calc.replacements import obligation_parts
from capmarket.calc.rules import resolve
from capmarket.calc.schemas import input_schema
from tests.examples import EXAMPLES_DIR

PARAMS = resolve(name="jp-2025")[2]
GOLDEN = EXAMPLES_DIR / "replacements" / "partial-and-full-fy2025"


def test_golden_scenario_matches_the_hand_worked_figures(tmp_path: Path) -> None:
    out = tmp_path / "out"

    status = main([str(GOLDEN / "case"), "--out", str(out)])

    assert status == 0
    expected = {p.name for p in (GOLDEN / "expected").iterdir()}
    assert {p.name for p in out.iterdir()} - {"manifest.json"} == expected
    for name in sorted(expected):
        assert (out / name).read_bytes() == (GOLDEN / "expected" / name).read_bytes(), name


def _terms(contract_id: str = "C1", kw: int = 1000) -> ContractTerms:
    return ContractTerms(contract_id, "P1", "R1", "tokyo", "stable", False, kw, kw, 0)


def _replacements(rows: list[tuple[str, str, int, dt.date, dt.date | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=input_schema(name="replacements"), orient="row")


def test_parts_of_a_partial_replacement_that_ends_and_a_second_one() -> None:
    rows = [
        ("C1", "R2", 400, dt.date(2025, 10, 1), dt.date(2026, 1, 1)),
        ("C1", "R5", 600, dt.date(2025, 12, 1), None),
    ]

    parts = obligation_parts(contracts=[_terms()], replacements=_replacements(rows), delivery_year=2025)

    assert [(p.resource_id, p.kw, p.start.isoformat(), p.end.isoformat()) for p in parts] == [
        ("R1", 1000, "2025-04-01", "2025-10-01"),
        ("R1", 600, "2025-10-01", "2025-12-01"),
        ("R2", 400, "2025-10-01", "2025-12-01"),
        ("R2", 400, "2025-12-01", "2026-01-01"),  # the own resource keeps nothing: no part
        ("R5", 600, "2025-12-01", "2026-01-01"),
        ("R1", 400, "2026-01-01", "2026-04-01"),
        ("R5", 600, "2026-01-01", "2026-04-01"),
    ]


_DAY = st.integers(min_value=0, max_value=364).map(lambda n: dt.date(2025, 4, 1) + dt.timedelta(days=n))


@settings(max_examples=40, deadline=None)
@given(
    spans=st.lists(
        st.tuples(st.integers(min_value=1, max_value=333), _DAY, st.integers(min_value=1, max_value=400)),
        min_size=1,
        max_size=3,
    ),
    day=_DAY,
)
def test_kw_of_the_parts_sum_to_the_assessment_kw_every_day(
    spans: list[tuple[int, dt.date, int]], day: dt.date
) -> None:
    year_end = dt.date(2026, 4, 1)
    rows: list[tuple[str, str, int, dt.date, dt.date | None]] = [
        ("C1", f"R{10 + i}", kw, start, min(start + dt.timedelta(days=length), year_end))
        for i, (kw, start, length) in enumerate(spans)
    ]

    parts = obligation_parts(contracts=[_terms()], replacements=_replacements(rows), delivery_year=2025)

    on_day = [p for p in parts if p.start <= day < p.end]
    assert sum(p.kw for p in on_day) == 1000
    assert all(p.kw > 0 for p in parts)
    replaced = sum(kw for _, _, kw, s, e in rows if e is not None and s <= day < e)
    assert sum(p.kw for p in on_day if p.replacing) == replaced


@pytest.fixture(scope="module")
def random_case(scenarios_dir: Path) -> CaseData:
    return read_case(case_dir=scenarios_dir / "random-fy2025-a" / "case").data


@pytest.fixture(scope="module")
def random_result(random_case: CaseData) -> dict[str, pl.DataFrame]:
    return run(case=random_case, params=PARAMS).outputs()


def _with_clone(case: CaseData, contract_id: str, start: dt.date) -> tuple[CaseData, str, str]:
    """The case with a resource ``X…`` whose data are those of the contract's resource, replacing all of its kW
    from ``start``; the instructions and orders of the original from then on are given to the clone instead."""
    contract = case.contracts.filter(pl.col("contract_id") == contract_id).row(0, named=True)
    own = contract["resource_id"]
    clone = f"X{own}"
    kw = contract["assessment_kw"] if contract["assessment_kw"] is not None else contract["contract_kw"]

    def cloned(frame: pl.DataFrame) -> pl.DataFrame:
        return pl.concat([frame, frame.filter(pl.col("resource_id") == own).with_columns(resource_id=pl.lit(clone))])

    def moved(frame: pl.DataFrame, day: pl.Expr) -> pl.DataFrame:
        later = (pl.col("resource_id") == own) & (day >= start)
        return frame.with_columns(resource_id=pl.when(later).then(pl.lit(clone)).otherwise(pl.col("resource_id")))

    changed = CaseData(
        delivery_year=case.delivery_year,
        areas_given=case.areas_given,
        **{
            name: getattr(case, name)
            for name in ("providers", "contracts", "multipliers", "tight_slots", "receipts", "areas", "retailers")
        },
        resources=cloned(case.resources),
        generation=cloned(case.generation),
        bids=cloned(case.bids),
        metering=cloned(case.metering),
        baselines=cloned(case.baselines),
        outages=pl.concat(
            [
                case.outages,
                case.outages.filter(pl.col("resource_id") == own).with_columns(
                    resource_id=pl.lit(clone), outage_id=pl.lit("X") + pl.col("outage_id")
                ),
            ]
        ),
        instructions=moved(case.instructions, pl.col("date")),
        dispatch_orders=moved(case.dispatch_orders, pl.col("start").dt.date()),
        wheeling=case.wheeling,
        replacements=_replacements([(contract_id, clone, kw, start, None)]),
    )
    return changed, own, clone


def _eligible(case: CaseData) -> list[str]:
    joined = case.contracts.join(case.resources, on="resource_id")
    return sorted(joined.filter(~pl.col("inefficient_coal"))["contract_id"].to_list())


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_replacement_by_a_resource_with_identical_data_changes_nothing(
    random_case: CaseData, random_result: dict[str, pl.DataFrame], data: st.DataObject
) -> None:
    contract_id = data.draw(st.sampled_from(_eligible(random_case)))
    start = data.draw(_DAY)
    changed, own, clone = _with_clone(random_case, contract_id, start)

    result = run(case=changed, params=PARAMS).outputs()

    for name, before in random_result.items():
        got, want = result[name], before
        if name == "data_issues":
            got = got.with_columns(pl.col("key").str.replace(f"^{clone} ", f"{own} ")).sort("file", "key", "problem")
            want = before.sort("file", "key", "problem")
        assert got.equals(want), name


def test_without_replacements_the_engine_takes_the_old_path(random_case: CaseData) -> None:
    assert random_case.replacements.is_empty()
    # the golden outputs of every shared scenario stay byte-identical: test_cli.test_scenario_matches_expected_outputs


REPL = "contract_id,resource_id,kw,valid_from,valid_to\n"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("C1,R1,100,2025-10-01,\n", ["replacements.csv:2: resource_id: REPLACEMENT_OWN_RESOURCE"]),
        ("C1,R3,100,2025-10-01,\n", ["replacements.csv:2: resource_id: REPLACEMENT_RESOURCE_CONTRACTED"]),
        ("C1,R4,100,2025-10-01,\n", ["replacements.csv:2: resource_id: REPLACEMENT_TYPE_MISMATCH"]),
        (
            "C1,R2,600,2025-10-01,2026-01-01\nC1,R5,500,2025-12-01,\n",
            ["replacements.csv:3: kw: REPLACEMENT_KW_EXCEEDED"],
        ),
        (
            "C1,R2,100,2025-10-01,2026-01-01\nC3,R2,100,2025-12-01,\n",
            [
                "replacements.csv:3: resource_id: REPLACEMENT_TYPE_MISMATCH",
                "replacements.csv:3: valid_from: REPLACEMENT_OVERLAP",
            ],
        ),
        ("C9,R2,100,2025-10-01,\n", ["replacements.csv:2: contract_id: UNKNOWN_CONTRACT"]),
        ("C1,R2,100,2025-10-01,2025-10-01\n", ["replacements.csv:2: valid_to: VALID_TO_NOT_AFTER_FROM"]),
        ("C1,R2,0,2025-10-01,\n", ["replacements.csv:2: kw: BELOW_MINIMUM"]),
        ("C1,R6,100,2025-10-01,\n", ["replacements.csv:2: resource_id: REPLACEMENT_COAL"]),  # coal rule on (FY2025)
    ],
)
def test_replacements_the_engine_cannot_assess_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: str, expected: list[str]
) -> None:
    case = tmp_path / "case"
    shutil.copytree(GOLDEN / "case", case)
    with (case / "resources.csv").open("a", encoding="utf-8") as f:
        f.write("R5,P2,kansai,stable,false\nR6,P2,tokyo,stable,true\n")
    (case / "replacements.csv").write_text(REPL + rows, encoding="utf-8")

    status = main([str(case), "--out", str(tmp_path / "out"), "--lang", "en"])

    errors = capsys.readouterr().err.splitlines()
    assert status == 2
    assert not (tmp_path / "out").exists()
    got = [f"{e.split(': ')[0]}: {e.split(': ')[1]}: {e.rsplit('[', 1)[1].rstrip(']')}" for e in errors]
    assert got == expected, errors
