"""The example cases shipped in ``examples/`` are the project's shared public examples, byte for byte."""

from __future__ import annotations

from pathlib import Path

from tests.examples import RESERVE_MARGIN_SAMPLES_DIR, SCENARIOS_DIR


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_scenarios_equal_the_shared_ones(shared_dir_if_present: Path) -> None:
    shared = shared_dir_if_present / "spec" / "scenarios"
    wanted = {
        name: data
        for name, data in _files(shared).items()
        if name == "README.md" or name.split("/")[1] in ("case", "expected")
    }

    assert _files(SCENARIOS_DIR) == wanted


def test_reserve_margin_samples_equal_the_shared_ones(shared_dir_if_present: Path) -> None:
    assert _files(RESERVE_MARGIN_SAMPLES_DIR) == _files(shared_dir_if_present / "spec" / "samples")
