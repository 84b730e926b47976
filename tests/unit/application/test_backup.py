"""The content digest a backup records per table: independent of row order, sensitive to every value."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from capmarket.application.backup import _digest_rows

TABLES = {"t": "t"}
ROWS = [(1, "発電所A", 1200, b"\x00\x01"), (2, "発電所B", None, b""), (3, "x\x1fy", 7, b"\xff")]


def _digest(rows: Sequence[Sequence[object]]) -> str:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, amount_yen INTEGER, raw BLOB)")
    db.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    try:
        return _digest_rows(db.cursor(), TABLES)["t"]
    finally:
        db.close()


def test_the_same_rows_in_another_order_give_the_same_digest() -> None:
    # Arrange / act
    forward, backward = _digest(ROWS), _digest(list(reversed(ROWS)))

    # Assert
    assert forward == backward
    assert len(forward) == 64


def test_a_changed_lost_or_added_value_changes_the_digest() -> None:
    # Arrange
    original = _digest(ROWS)
    changed = [ROWS[0], (2, "発電所B", 0, b""), ROWS[2]]  # NULL → 0
    moved = [(1, "発電所A", 1200, b"\x00"), (2, "発電所B", None, b"\x01"), ROWS[2]]  # a byte moved between rows

    # Act / assert
    assert _digest(changed) != original
    assert _digest(moved) != original
    assert _digest(ROWS[:2]) != original
    assert _digest([*ROWS, (4, "", 0, b"")]) != original
