"""Issue 7, intake findings: nothing big is parsed inside a request, compressed files cannot blow up, reading stops
at the row limit, file types are checked by extension and content, UTF-16 gets an encoding error, Japanese headers
are accepted, outage plans outside the chosen year are refused, and ``export-case`` fails cleanly."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command

from capmarket.application import intake
from capmarket.application.intake import parsing
from capmarket.application.intake.messages import UploadRefused
from capmarket.domain.accounts.models import Role
from capmarket.domain.outages.models import OutagePlan
from capmarket.domain.timeseries.models import DatasetVersion
from tests.factories import make_participant, make_resource, make_user

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
HEADER = "resource_id,date,slot,upper_kw,plan_kw\n"
ROWS = "R1,2025-04-01,1,100,90\nR1,2025-04-01,2,100,80\n"


@pytest.fixture
def provider() -> Any:
    company = make_participant(participant_code="PA")
    make_resource(company, resource_code="R1")
    return make_user(Role.PARTICIPANT_USER, participant=company)


def up(user: Any, data: bytes, name: str, *, dataset: str = "generation", **kw: Any) -> Any:
    return intake.upload(
        dataset=dataset,
        file=io.BytesIO(data),
        size=len(data),
        filename=name,
        user=user,
        delivery_year=kw.pop("year", 2025),
        now=NOW,
        **kw,
    )


def codes(outcome: Any) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.code) for e in outcome.errors]


def _xlsx(rows: int, *, declared: int | None = None, damaged: bool = False) -> bytes:
    """A workbook as Excel writes it (with its <dimension>), optionally declaring another row count, optionally cut
    off in the middle of its sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["resource_id", "date", "slot", "upper_kw", "plan_kw"])
    for i in range(rows):
        sheet.append(["R1", "2025-04-01", i % 48 + 1, 100, 90])
    buffer = io.BytesIO()
    book.save(buffer)
    if declared is None and not damaged:
        return buffer.getvalue()
    changed = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(changed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                if declared is not None:
                    content = content.replace(f'ref="A1:E{rows + 1}"'.encode(), f'ref="A1:E{declared + 1}"'.encode())
                if damaged:
                    content = content[: len(content) // 2]
            target.writestr(info, content)
    return changed.getvalue()


# ----------------------------------------------------------------------------------------------- §3 big .xlsx


def test_a_small_xlsx_holding_many_rows_is_not_parsed_in_the_request(provider: Any, settings: Any) -> None:
    settings.CAPMARKET_INTAKE_INLINE_MAX_BYTES = 300_000
    data = _xlsx(5_000)
    assert len(data) < settings.CAPMARKET_INTAKE_INLINE_MAX_BYTES  # small on the wire, large once expanded

    outcome = up(provider, data, "generation.xlsx")

    assert outcome.queued
    assert DatasetVersion.objects.count() == 0


def test_a_zip_bomb_is_refused_unread(provider: Any, settings: Any) -> None:
    settings.CAPMARKET_INTAKE_MAX_EXPANDED_BYTES = 1_000_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * 5_000_000 + b">")
    data = buffer.getvalue()
    assert len(data) < 20_000

    outcome = up(provider, data, "generation.xlsx", background=False)

    assert codes(outcome) == [(0, "", "FILE_EXPANDS_TOO_LARGE")]
    assert "展開すると大きすぎます" in outcome.errors[0].message_ja


@pytest.mark.parametrize(
    "declared",
    [pytest.param(None, id="refused-by-its-dimension"), pytest.param(50, id="dimension-understated")],
)
def test_reading_an_xlsx_stops_at_the_row_limit(settings: Any, declared: int | None) -> None:
    """Rows after the limit are never read: a workbook whose later part is damaged is refused for its rows."""
    settings.CAPMARKET_INTAKE_MAX_ROWS = 100
    data = _xlsx(3_000, declared=declared, damaged=True)

    with pytest.raises(UploadRefused) as refused:
        parsing.read_excel(data, file="generation.xlsx")

    assert refused.value.error.code == "TOO_MANY_ROWS"
    assert "上限 100 行" in refused.value.error.message_ja


def test_a_csv_over_the_row_limit_is_refused(provider: Any, settings: Any) -> None:
    settings.CAPMARKET_INTAKE_MAX_ROWS = 1
    assert codes(up(provider, (HEADER + ROWS).encode(), "generation.csv")) == [(0, "", "TOO_MANY_ROWS")]


# ----------------------------------------------------------------------------------------------- §6 types, UTF-16


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        pytest.param(b"%PDF-1.7\n...", "generation.pdf", "UNSUPPORTED_FILE_TYPE", id="pdf"),
        pytest.param((HEADER + ROWS).encode(), "generation", "UNSUPPORTED_FILE_TYPE", id="no-extension"),
        pytest.param(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1....", "generation.xls", "UNSUPPORTED_FILE_TYPE", id="old-excel"
        ),
        pytest.param((HEADER + ROWS).encode(), "generation.xlsx", "FILE_TYPE_MISMATCH", id="csv-named-xlsx"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 40, "generation.csv", "FILE_TYPE_MISMATCH", id="zip-named-csv"),
        pytest.param((HEADER + ROWS).encode(), "generation.parquet", "FILE_TYPE_MISMATCH", id="csv-named-parquet"),
        pytest.param((HEADER + ROWS).encode("utf-16"), "generation.csv", "FILE_ENCODING_UTF16", id="utf-16-bom"),
        pytest.param((HEADER + ROWS).encode("utf-16-le"), "generation.csv", "FILE_ENCODING_UTF16", id="utf-16-no-bom"),
    ],
)
def test_file_type_is_checked_by_extension_and_content(provider: Any, data: bytes, name: str, code: str) -> None:
    outcome = up(provider, data, name, background=False)

    assert codes(outcome) == [(0, "", code)]
    assert outcome.errors[0].message_ja
    assert DatasetVersion.objects.count() == 0


# ----------------------------------------------------------------------------------------------- §13 Japanese


def test_japanese_headers_are_accepted_and_name_the_columns_in_errors(provider: Any) -> None:
    labels = [f.header for f in intake.field_list(dataset="generation")]
    assert labels == ["電源等ID", "対象日", "コマ", "発電上限（kW）", "発電計画（kW）"]
    japanese = ",".join(labels) + "\n" + ROWS
    english = HEADER + ROWS

    first = up(provider, japanese.encode("cp932"), "generation.csv")
    again = up(provider, english.encode(), "generation.csv")
    bad = up(provider, (",".join(labels) + "\nR1,2025-04-01,49,100,90\n").encode(), "generation.csv")
    halfwidth = up(provider, japanese.replace("（kW）", "(kW)").encode(), "generation.csv")

    assert first.accepted, first.errors
    assert again.accepted
    assert not again.stored.new_version  # the same data, whichever headers
    assert codes(bad) == [(2, "コマ", "SLOT_OUT_OF_RANGE")]
    assert halfwidth.accepted, halfwidth.errors


def test_the_same_column_twice_is_refused(provider: Any) -> None:
    content = "電源等ID,resource_id,date,slot,upper_kw,plan_kw\nR1,R1,2025-04-01,1,1,1\n"
    assert codes(up(provider, content.encode(), "generation.csv")) == [(1, "resource_id", "DUPLICATE_HEADER")]


def test_templates_and_field_lists_use_japanese_headers() -> None:
    template = intake.template_csv(dataset="metering").decode("utf-8-sig")
    assert template == "電源等ID,対象日,コマ,計量値（kWh）\r\n" or template.startswith("電源等ID,対象日,コマ,")
    fields = intake.field_list(dataset="contracts")
    assert [(f.header, f.name) for f in fields][:2] == [("契約ID", "contract_id"), ("容量提供事業者ID", "provider_id")]


def test_an_outage_plan_outside_the_chosen_year_is_refused(provider: Any) -> None:
    header = "outage_id,resource_id,start,end,available_kw\n"
    inside = "O1,R1,2025-05-01 00:00,2025-05-02 00:00,0\n"
    across = "O2,R1,2026-03-31 00:00,2026-04-02 00:00,0\n"  # overlaps the year: accepted
    outside = "O3,R1,2026-05-01 00:00,2026-05-02 00:00,0\n"

    refused = up(provider, (header + inside + across + outside).encode(), "outages.csv", dataset="outages")
    accepted = up(provider, (header + inside + across).encode(), "outages.csv", dataset="outages")

    assert codes(refused) == [(4, "start", "OUTAGE_OUTSIDE_YEAR")]
    assert "実需給年度 2025" in refused.errors[0].message_ja
    assert "O3" in refused.errors[0].message_ja
    assert accepted.accepted
    assert sorted(OutagePlan.objects.values_list("outage_code", flat=True)) == ["O1", "O2"]


# ----------------------------------------------------------------------------------------------- §8 export-case


def test_export_case_for_a_year_without_a_rule_set_fails_cleanly(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "case"

    with pytest.raises(SystemExit) as exit_info:
        call_command("export_case", str(out), year=2026)

    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == "2026年度の算定ルールセット（jp-2026）がありません"
    assert not out.exists()
