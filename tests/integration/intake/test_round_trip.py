"""Round trip: import every scenario case, export it as of a moment, run ``capmarket calc``: the scenario's
expected outputs, byte for byte (``data_issues.csv`` without its free ``problem`` column)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from capmarket.calc.cli import main as calc_main
from capmarket.domain.accounts.models import Role
from capmarket.domain.registry.models import Participant
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SCENARIOS = ["seed-examples-fy2024", "seed-examples-fy2025", "random-fy2025-a", "random-fy2024-b"]


def _issues(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["file"], row["key"]) for row in csv.DictReader(handle)]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_import_export_calc_reproduces_expected_outputs(scenario: str, shared_dir: Path, tmp_path: Path) -> None:
    root = shared_dir / "spec" / "scenarios" / scenario
    make_user(Role.APPROVER, username="approver")
    call_command("import_case", str(root / "case"), user="approver")
    as_of = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    year = int((root / "case" / "case.toml").read_text().split("delivery_year = ")[1].split()[0])
    exported = tmp_path / "case"

    call_command("export_case", str(exported), year=year, as_of=as_of.isoformat())
    status = calc_main([str(exported), "--out", str(tmp_path / "out")])

    assert status == 0
    for expected in sorted((root / "expected").glob("*.csv")):
        produced = tmp_path / "out" / expected.name
        if expected.name == "data_issues.csv":
            assert _issues(produced) == _issues(expected)
        else:
            assert produced.read_bytes() == expected.read_bytes(), expected.name


def test_export_as_of_before_a_correction_gives_the_earlier_data(shared_dir: Path, tmp_path: Path) -> None:
    case = shared_dir / "spec" / "scenarios" / "seed-examples-fy2024" / "case"
    make_user(Role.APPROVER, username="approver")
    call_command("import_case", str(case), user="approver")
    before = dt.datetime.now(dt.UTC) + dt.timedelta(milliseconds=1)
    assert set(Participant.objects.values_list("participant_code", flat=True)) >= {"P1", "P2"}
    metering = tmp_path / "metering.csv"
    lines = (case / "metering.csv").read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    first[-1] = "0"
    metering.write_text("\n".join([lines[0], ",".join(first)]) + "\n", encoding="utf-8")
    import time

    time.sleep(0.01)
    call_command("import", "metering", str(metering), user="approver", year=2024)

    call_command("export_case", str(tmp_path / "old"), year=2024, as_of=before.isoformat())
    call_command("export_case", str(tmp_path / "new"), year=2024)

    old = (tmp_path / "old" / "metering.csv").read_text().splitlines()
    new = (tmp_path / "new" / "metering.csv").read_text().splitlines()
    assert len(old) == len(new) == len(lines)
    assert sum(a != b for a, b in zip(old, new, strict=True)) == 1


def test_invalid_case_stores_nothing(tmp_path: Path, shared_dir: Path, capsys: Any) -> None:
    case = tmp_path / "bad"
    case.mkdir()
    src = shared_dir / "spec" / "scenarios" / "seed-examples-fy2024" / "case"
    for f in src.iterdir():
        (case / f.name).write_bytes(f.read_bytes())
    (case / "metering.csv").write_text("resource_id,date,slot,metered_kwh\nR1,2024-02-31,1,1\n", encoding="utf-8")
    make_user(Role.APPROVER, username="approver")

    with pytest.raises(SystemExit) as exit_info:
        call_command("import_case", str(case), user="approver")

    assert exit_info.value.code == 2
    assert "metering.csv:2: date" in capsys.readouterr().err
    assert not Participant.objects.filter(participant_code="P1").exists()
