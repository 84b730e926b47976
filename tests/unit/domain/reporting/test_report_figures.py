"""Report cells: whole numbers get thousands separators; hours, dates, text and booleans stay as they are."""

from __future__ import annotations

from capmarket.domain.reporting.templatetags.report_figures import figure


def test_whole_numbers_are_grouped_and_the_rest_is_left_alone() -> None:
    assert figure(1_358_023) == "1,358,023"
    assert figure(-220_000) == "-220,000"
    assert figure(12) == "12"
    assert figure(12.75) == 12.75
    assert figure("2025-10-01") == "2025-10-01"
    assert figure("1 / 1") == "1 / 1"
    assert figure(True) is True
