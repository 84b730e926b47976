"""The public example cases shipped in the repository (``examples/``), for the tests that use them as golden files."""

from __future__ import annotations

from pathlib import Path
from typing import Final

EXAMPLES_DIR: Final[Path] = Path(__file__).resolve().parents[1] / "examples"
SCENARIOS_DIR: Final[Path] = EXAMPLES_DIR / "scenarios"
RESERVE_MARGIN_SAMPLES_DIR: Final[Path] = EXAMPLES_DIR / "reserve-margins"


def scenario_names() -> list[str]:
    """Names of the example scenarios (folders with a ``case/``), sorted; for ``pytest.mark.parametrize``."""
    if not SCENARIOS_DIR.is_dir():
        return []
    return sorted(p.name for p in SCENARIOS_DIR.iterdir() if (p / "case").is_dir())
