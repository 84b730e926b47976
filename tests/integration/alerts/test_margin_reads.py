"""The margins in force are read from the versions of the publications covering the dates asked for only (not one
file per publication ever received), and they are exactly what reading every version gives; the publication list
counts each publication's judgements."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from capmarket.application import reserve_margins as app
from capmarket.domain.alerts import queries
from capmarket.domain.alerts.models import Judgement, Publication
from capmarket.domain.timeseries import queries as ts_queries
from capmarket.domain.timeseries import storage
from capmarket.domain.timeseries.models import DatasetVersion
from tests.reserve_margin_files import margin_file

pytestmark = pytest.mark.django_db

JST = ZoneInfo("Asia/Tokyo")
D0 = dt.date(2025, 8, 1)
KEYS = ["area", "date", "slot"]


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def at(n: int, hh: int) -> dt.datetime:
    d = day(n)
    return dt.datetime(d.year, d.month, d.day, hh, tzinfo=JST)


def take_in(published_at: dt.datetime, days: list[dt.date], received_at: dt.datetime, **margins: str) -> None:
    tight = {(key.rsplit("_", 2)[0], days[-1], int(key.rsplit("_", 1)[1])): value for key, value in margins.items()}
    app.import_file(
        data=margin_file(published_at=published_at, days=days, margins=tight),
        filename=f"rm_{published_at:%m%d%H}.csv",
        source="cli",
        user=None,
        now=received_at,
    )


@pytest.fixture
def publications() -> dict[str, Any]:
    """Next-day files for six days (each covering its day and the next), a same-day update, and an older file
    that arrives after a newer one."""
    for n in range(6):
        take_in(at(n, 17), [day(n), day(n + 1)], at(n, 17), tokyo_35=f"{6 + n}.50", kansai_36="7.10")
    take_in(at(3, 8), [day(3)], at(3, 8), tokyo_35="9.90")  # same-day update of day 3 (published after day 2's)
    take_in(at(2, 16), [day(2), day(3)], at(3, 9), tokyo_35="5.00")  # older than day 2's file, arriving late
    return {"end": at(7, 0), "middle": at(2, 18)}


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(KEYS) if frame.height else frame


def test_the_margins_in_force_are_those_of_every_version(publications: dict[str, Any]) -> None:
    for when in ("end", "middle"):
        for dates in ([3], [1, 2, 3], [6], [9]):
            wanted = [day(n) for n in dates]
            as_of = publications[when]

            read = queries.stored_margins(dates=wanted, as_of=as_of)
            full = ts_queries.read_as_of(dataset="reserve_margins", as_of=as_of, where={"date": wanted}).collect()

            assert read.height == full.height, (when, dates)
            if full.height:
                assert _sorted(read).equals(_sorted(full.select(read.columns))), (when, dates)
    assert queries.stored_margins(dates=[day(3)], as_of=publications["end"]).height == 9 * 48


def test_the_board_reads_only_the_versions_covering_its_days(
    publications: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    scanned: list[int] = []
    real_scan = storage.scan_version

    def counting_scan(*, version: DatasetVersion, months: Any = None) -> Any:
        scanned.append(version.sequence)
        return real_scan(version=version, months=months)

    monkeypatch.setattr("capmarket.domain.timeseries.queries.scan_version", counting_scan)
    covering = queries.margin_versions(dates=[day(3)])

    board = queries.board(days=[day(3)], as_of=publications["end"])

    assert set(scanned) == set(covering)
    assert len(covering) == 3  # day 2's and day 3's next-day files, the same-day update (the late older file is
    # the latest publication of no slot: it has no version)
    assert DatasetVersion.objects.filter(dataset="reserve_margins").count() == 7
    tokyo = board[0].margins["tokyo"]
    assert tokyo[34] == 9_900  # the same-day update (08:00 on day 3) is the latest publication of slot 35
    assert tokyo[0] == 15_000


def test_the_publication_list_counts_each_publications_judgements(publications: dict[str, Any]) -> None:
    counted = Counter(Judgement.objects.values_list("publication_id", "state"))

    listed = [
        (p.pk, *(vars(p)[k] for k in ("newly_below", "still_below", "recovered"))) for p in queries.publications()
    ]

    assert len(listed) == Publication.objects.count() == 8
    assert sum(counted.values()) > 0
    for pk, newly, still, recovered in listed:
        assert (newly, still, recovered) == (
            counted[(pk, "newly_below")],
            counted[(pk, "still_below")],
            counted[(pk, "recovered")],
        )
