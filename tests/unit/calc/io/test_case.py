"""Reading ``case.toml`` and finding a case's files (case-format.md)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from capmarket.calc.io.case import UnableToReadCase, read_case, read_case_toml, table_path


def _toml(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "case.toml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_parameters_hold_the_type_their_rule_needs(tmp_path: Path) -> None:
    head = read_case_toml(
        _toml(
            tmp_path,
            'delivery_year = 2024\nruleset = "jp-2024"\n[parameters]\n'
            'tight_hours_per_year = 12.5\nmonthly_cap_enabled = false\ndispatch_orders_per_year = "10"\n',
        )
    )

    assert not isinstance(head, list)
    year, spec, used, params = head
    assert (year, spec.name) == (2024, "jp-2024")
    assert used["tight_hours_per_year"] == "12.5"
    assert params.tight_hours_per_year == Fraction(25, 2)
    assert params.monthly_cap_enabled is False
    assert params.dispatch_orders_per_year == 10


@pytest.mark.parametrize(
    ("text", "line", "code"),
    [
        (b"\xff\xfe", 0, "CASE_TOML_INVALID"),
        (
            'delivery_year = 2024\nruleset = "jp-2024"\n[parameters]\ntight_hours_per_year = 1e-9\n',
            4,
            "INVALID_PARAMETER",
        ),
        ('delivery_year = 2024\nruleset = "jp-2024"\n[parameters]\ntax_rate = "."\n', 4, "INVALID_PARAMETER"),
        ('delivery_year = 2024\nruleset = "jp-2024"\n[parameters]\ntax_rate = "-"\n', 4, "INVALID_PARAMETER"),
        ('delivery_year = 2024\nruleset = "jp-2024"\n[parameters]\npayment_lag_months = "²"\n', 4, "INVALID_PARAMETER"),
        (
            'delivery_year = 2024\nruleset = "jp-2024"\n[parameters]\npayment_lag_months = "' + "9" * 5000 + '"\n',
            4,
            "INVALID_PARAMETER",
        ),
        ('delivery_year = true\nruleset = "jp-2024"\n', 1, "CASE_KEY_INVALID"),
        ("delivery_year = 2024\nruleset = { name = 'jp-2024' }\n", 2, "UNKNOWN_RULESET"),
    ],
)
def test_odd_case_toml_values_are_clean_errors(tmp_path: Path, text: str | bytes, line: int, code: str) -> None:
    head = read_case_toml(_toml(tmp_path, text))

    assert isinstance(head, list)
    assert [(e.file, e.line, e.code) for e in head] == [("case.toml", line, code)]


def test_a_directory_named_like_a_table_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "metering.csv").mkdir()

    path, errors = table_path(tmp_path, "metering")

    assert path is None
    assert [(e.file, e.line, e.code) for e in errors] == [("metering.csv", 0, "NOT_A_FILE")]


def test_an_empty_directory_is_an_invalid_case(tmp_path: Path) -> None:
    with pytest.raises(UnableToReadCase) as invalid:
        read_case(tmp_path)

    assert [(e.file, e.code) for e in invalid.value.errors] == [
        ("case.toml", "FILE_MISSING"),
        ("resources.csv", "FILE_MISSING"),
        ("contracts.csv", "FILE_MISSING"),
    ]
