"""Bulk upload (一括登録): a catalogue of bad files, rights, versions, corrections, formats and downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from capmarket.application import intake
from capmarket.domain.accounts.models import Role
from capmarket.domain.jobs.models import Job
from capmarket.domain.outages.models import OutagePlan, OutageState
from capmarket.domain.timeseries import queries as ts_queries
from capmarket.domain.timeseries.models import DatasetVersion
from tests.factories import make_participant, make_resource, make_user

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
HEADER = "resource_id,date,slot,upper_kw,plan_kw\n"


@pytest.fixture
def market() -> dict[str, Any]:
    own = make_participant(participant_code="PA")
    other = make_participant(participant_code="PB")
    tso = make_participant(participant_code="TK", is_provider=False, is_tso=True, tso_area="tokyo")
    retailer = make_participant(participant_code="EA", is_provider=False, is_retailer=True)
    return {
        "r1": make_resource(own, resource_code="R1", area="tokyo"),
        "r2": make_resource(own, resource_code="R2", area="kansai"),
        "rx": make_resource(other, resource_code="RX", area="tokyo"),
        "provider": make_user(Role.PARTICIPANT_USER, participant=own),
        "other": make_user(Role.PARTICIPANT_USER, participant=other),
        "tso": make_user(Role.PARTICIPANT_USER, participant=tso),
        "retailer": make_user(Role.PARTICIPANT_USER, participant=retailer),
        "staff": make_user(Role.APPROVER),
    }


def up(user: Any, data: bytes, *, dataset: str = "generation", name: str = "generation.csv", **kw: Any) -> Any:
    return intake.upload(
        dataset=dataset,
        file=io.BytesIO(data),
        size=len(data),
        filename=name,
        user=user,
        delivery_year=2025,
        now=kw.pop("now", NOW),
        **kw,
    )


def codes(outcome: Any) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.code) for e in outcome.errors]


GOOD = (HEADER + "R1,2025-04-01,1,100,90\nR1,2025-04-01,2,100,80\nR2,2025-04-01,1,50,50\n").encode()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"\x82\xa0\xff\xfe\x00\x81", [(0, "", "FILE_ENCODING")], id="wrong-encoding"),
        pytest.param(
            b"resource_id,date,slot,upper_kw\nR1,2025-04-01,1,100\n",
            [(0, "plan_kw", "COLUMN_MISSING")],
            id="missing-column",
        ),
        pytest.param(
            b"resource_id,date,slot,uper_kw,plan_kw\nR1,2025-04-01,1,100,90\n",
            [(0, "upper_kw", "COLUMN_MISSING")],
            id="misspelled-column",
        ),
        pytest.param((HEADER + "R1,2025-04-01,1,abc,90\n").encode(), [(2, "upper_kw", "NOT_INTEGER")], id="wrong-type"),
        pytest.param(
            (HEADER + "R1,2025-04-01,0,1,1\nR1,2025-04-01,49,1,1\n").encode(),
            [(2, "slot", "SLOT_OUT_OF_RANGE"), (3, "slot", "SLOT_OUT_OF_RANGE")],
            id="slot-0-and-49",
        ),
        pytest.param((HEADER + "R1,2026-02-31,1,1,1\n").encode(), [(2, "date", "NOT_DATE")], id="31-february"),
        pytest.param(
            (HEADER + "R1,2025-04-01,1,1,1\nR1,2025-04-01,1,2,2\n").encode(),
            [(3, "resource_id", "DUPLICATE_KEY")],
            id="duplicate-key",
        ),
        pytest.param(HEADER.encode(), [(0, "", "FILE_EMPTY")], id="empty-file"),
        pytest.param(b"", [(0, "", "FILE_EMPTY")], id="zero-bytes"),
        pytest.param(
            (HEADER + "R1,2025-04-01,1,=1+2,1\n").encode(), [(2, "upper_kw", "NOT_INTEGER")], id="formula-number"
        ),
        pytest.param(
            (HEADER + "=HYPERLINK(1),2025-04-01,1,1,1\n").encode(),
            [(2, "resource_id", "FORMULA_LIKE_VALUE")],
            id="formula-id",
        ),
    ],
)
def test_bad_file_is_rejected_with_its_message_and_nothing_stored(
    market: dict[str, Any], content: bytes, expected: list[Any]
) -> None:
    outcome = up(market["provider"], content)

    assert not outcome.accepted
    assert [(line, column, code) for line, column, code in codes(outcome) if code != "UNKNOWN_RESOURCE"] == expected
    assert all(e.message_ja for e in outcome.errors)
    assert DatasetVersion.objects.count() == 0


def test_another_companys_resource_gets_the_same_answer_as_a_missing_one(market: dict[str, Any]) -> None:
    """Issue 7 §5: the answer must not tell a participant that another company's resource exists."""
    theirs = up(market["provider"], (HEADER + "R1,2025-04-01,1,1,1\nRX,2025-04-01,1,1,1\n").encode())
    missing = up(market["provider"], (HEADER + "R1,2025-04-01,1,1,1\nRZ,2025-04-01,1,1,1\n").encode())

    assert codes(theirs) == codes(missing) == [(3, "resource_id", "UNKNOWN_RESOURCE")]
    assert theirs.errors[0].message_ja.replace("RX", "RZ") == missing.errors[0].message_ja
    assert DatasetVersion.objects.count() == 0


def test_every_error_of_a_file_is_listed_with_line_column_and_japanese_message(market: dict[str, Any]) -> None:
    content = (HEADER + "R1,2025-04-01,0,1,1\nR1,2025-04-01,1,-5,1\nR9,2025-04-01,1,1,1\n").encode()

    outcome = up(market["provider"], content)

    assert codes(outcome) == [
        (2, "slot", "SLOT_OUT_OF_RANGE"),
        (3, "upper_kw", "NEGATIVE"),
        (4, "resource_id", "UNKNOWN_RESOURCE"),
    ]
    assert outcome.errors[0].message_ja == "コマは 1〜48 です: 0"


def test_oversized_file_and_too_many_rows_are_refused(market: dict[str, Any], settings: Any) -> None:
    settings.CAPMARKET_INTAKE_MAX_BYTES = 50
    assert codes(up(market["provider"], GOOD)) == [(0, "", "FILE_TOO_LARGE")]
    settings.CAPMARKET_INTAKE_MAX_BYTES = 10_000
    settings.CAPMARKET_INTAKE_MAX_ROWS = 2
    assert codes(up(market["provider"], GOOD)) == [(0, "", "TOO_MANY_ROWS")]
    assert DatasetVersion.objects.count() == 0


def test_unknown_columns_are_ignored(market: dict[str, Any]) -> None:
    content = b"note,resource_id,date,slot,upper_kw,plan_kw\nx,R1,2025-04-01,1,100,90\n"
    outcome = up(market["provider"], content)
    assert outcome.accepted
    assert DatasetVersion.objects.get().columns == [
        ["resource_id", "String"],
        ["date", "Date"],
        ["slot", "Int64"],
        ["plan_kw", "Int64"],
        ["upper_kw", "Int64"],
    ]


def test_same_file_twice_leaves_one_version(market: dict[str, Any]) -> None:
    first = up(market["provider"], GOOD)
    second = up(market["provider"], GOOD, now=NOW + dt.timedelta(hours=1))

    assert first.stored.new_version
    assert not second.stored.new_version
    assert DatasetVersion.objects.filter(dataset="generation").count() == 1
    assert second.stored.version_id == first.stored.version_id


def test_correction_supersedes_only_its_keys(market: dict[str, Any]) -> None:
    up(market["provider"], GOOD)
    correction = (HEADER + "R1,2025-04-01,2,100,10\n").encode()

    outcome = up(market["provider"], correction, now=NOW + dt.timedelta(hours=1))

    assert (outcome.stored.added, outcome.stored.changed) == (0, 1)
    now = ts_queries.read_as_of(dataset="generation", as_of=NOW + dt.timedelta(hours=2), sort=True).collect()
    assert now.select("resource_id", "slot", "plan_kw").rows() == [("R1", 1, 90), ("R1", 2, 10), ("R2", 1, 50)]
    before = ts_queries.read_as_of(dataset="generation", as_of=NOW, sort=True).collect()
    assert before["plan_kw"].to_list() == [90, 80, 50]


def test_cp932_bom_excel_and_parquet_give_the_same_version(market: dict[str, Any], tmp_path: Path) -> None:
    text = GOOD.decode()
    up(market["provider"], text.encode("utf-8-sig"))
    assert DatasetVersion.objects.count() == 1
    for data, name in (
        (text.encode("cp932"), "g.csv"),
        (_xlsx(text), "g.xlsx"),
        (_parquet(text), "g.parquet"),
    ):
        outcome = up(market["provider"], data, name=name)
        assert outcome.accepted, outcome.errors
        assert not outcome.stored.new_version, name
    assert DatasetVersion.objects.count() == 1


def _xlsx(text: str) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for i, line in enumerate(text.strip().splitlines()):
        cells: list[Any] = line.split(",")
        if i:
            cells = [cells[0], dt.datetime.fromisoformat(cells[1]), *(int(c) for c in cells[2:])]
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _parquet(text: str) -> bytes:
    frame = pl.read_csv(io.StringIO(text)).with_columns(pl.col("date").str.to_date())
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def test_tso_uploads_instructions_only_in_its_area(market: dict[str, Any]) -> None:
    header = "resource_id,date,slot,instructed_kw\n"
    ok = up(market["tso"], (header + "R1,2025-04-01,1,10\nRX,2025-04-01,1,10\n").encode(), dataset="instructions")
    assert ok.accepted
    refused = up(market["tso"], (header + "R2,2025-04-01,1,10\n").encode(), dataset="instructions")
    assert codes(refused) == [(2, "resource_id", "UNKNOWN_RESOURCE")]  # outside its area: as if it did not exist
    assert codes(up(market["tso"], GOOD)) == [(0, "", "DATASET_NOT_ALLOWED")]


def test_retailer_uploads_nothing_and_staff_anything(market: dict[str, Any]) -> None:
    assert intake.allowed_datasets(user=market["retailer"]) == []
    assert codes(up(market["retailer"], GOOD)) == [(0, "", "DATASET_NOT_ALLOWED")]
    assert up(market["staff"], (HEADER + "RX,2025-04-01,1,1,1\nR1,2025-04-01,1,1,1\n").encode()).accepted


def test_large_file_goes_through_a_job_with_the_same_outcome(
    market: dict[str, Any], dispatched: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        outcome = up(market["provider"], GOOD, background=True)
    assert outcome.queued
    assert dispatched == [outcome.job.pk]
    job = Job.objects.get(pk=outcome.job.pk)

    result = intake.run_upload_job(job=job, progress=lambda done, total, message="": None, now=NOW)

    assert result["accepted"]
    assert result["stored"]["rows"] == 3
    assert DatasetVersion.objects.get().uploaded_by == market["provider"]
    bad = up(market["provider"], (HEADER + "R1,2025-04-01,0,1,1\n").encode(), background=True)
    result = intake.run_upload_job(job=Job.objects.get(pk=bad.job.pk), progress=lambda *a, **k: None, now=NOW)
    assert [e["code"] for e in result["errors"]] == ["SLOT_OUT_OF_RANGE"]


def test_outage_plans_are_registered_changed_and_kept_with_history(market: dict[str, Any]) -> None:
    header = "outage_id,resource_id,start,end,available_kw\n"
    up(market["provider"], (header + "O1,R1,2025-05-01 00:00,2025-05-02 00:00,0\n").encode(), dataset="outages")
    up(
        market["provider"],
        (header + "O1,R1,2025-05-01 00:00,2025-05-03 00:00,10\n").encode(),
        dataset="outages",
        now=NOW + dt.timedelta(hours=1),
    )
    plan = OutagePlan.objects.get(outage_code="O1")
    assert (plan.available_kw, plan.state) == (10, OutageState.REGISTERED)
    assert plan.history.count() == 2


def test_csv_download_neutralises_formulas_and_offers_cp932(market: dict[str, Any]) -> None:
    areas = "area,h3_kw,price_yen_per_kw,tso_id,tso_share_rate\ntokyo,100,5,東京送配電,\n"
    assert codes(up(market["staff"], areas.replace("東京送配電", "=cmd|x").encode(), dataset="areas")) == [
        (2, "tso_id", "FORMULA_LIKE_VALUE")
    ]
    assert up(market["staff"], areas.encode(), dataset="areas", name="areas.csv").accepted

    body = intake.download(user=market["staff"], dataset="areas", as_of=NOW, encoding="cp932").decode("cp932")
    utf8 = intake.download(user=market["staff"], dataset="areas", as_of=NOW)

    assert "東京送配電" in body
    assert utf8.startswith(b"\xef\xbb\xbf")
    assert "東京送配電" in utf8.decode("utf-8-sig")
    frame = pl.DataFrame({"v": ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok"], "n": [1, 2, 3, 4, 5, 6, -7]})
    text = intake.csv_bytes(frame, encoding="utf-8-sig").decode("utf-8-sig")
    cells = [row[0] for row in csv.reader(io.StringIO(text, newline=""))][1:]
    assert cells == ["'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "ok"]
    assert text.endswith("ok,-7\r\n")


def test_rejected_registry_file_changes_nothing(market: dict[str, Any]) -> None:
    content = b"provider_id,name\nPN,New\nPN,Dup\n"
    outcome = up(market["staff"], content, dataset="providers", name="providers.csv")
    assert codes(outcome) == [(3, "provider_id", "DUPLICATE_KEY")]
    from capmarket.domain.registry.models import Participant

    assert not Participant.objects.filter(participant_code="PN").exists()


def test_registry_refusals_name_the_line_and_column(market: dict[str, Any]) -> None:
    header = "contract_id,provider_id,resource_id,price_yen_per_kw,contract_kw,assessment_kw,transitional,amount_yen\n"
    content = header + "K1,PA,R1,3495,1000,,false,\nK2,PA,R2,3495,999999999,,false,\n"

    outcome = up(market["staff"], content.encode(), dataset="contracts", name="contracts.csv")

    assert codes(outcome) == [(3, "contract_kw", "REGISTRY_REFUSED")]
    assert "期待容量" in outcome.errors[0].message_ja
    from capmarket.domain.contracts.models import CapacityContract

    assert not CapacityContract.objects.exists()
