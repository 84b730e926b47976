"""Published reserve-margin files (広域予備率, ``reserve-margin-csv.md``) built for tests: UTF-8 with BOM, CRLF,
the publication line, the header, ten areas per slot (Okinawa included, as published)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

AREAS_JA = ("北海道", "東北", "東京", "中部", "北陸", "関西", "中国", "四国", "九州", "沖縄")
AREA_ID = {
    "北海道": "hokkaido",
    "東北": "tohoku",
    "東京": "tokyo",
    "中部": "chubu",
    "北陸": "hokuriku",
    "関西": "kansai",
    "中国": "chugoku",
    "四国": "shikoku",
    "九州": "kyushu",
}
HEADER = (
    '"対象年月日","時刻","ブロックNo","エリア名","広域ブロック需要(MW)","広域ブロック供給力(MW)",'
    '"広域ブロック予備力(MW)","広域予備率(%)","広域使用率(%)","エリア需要(MW)","エリア供給力(MW)","エリア予備力(MW)"'
)


def margin_file(
    *,
    published_at: dt.datetime,
    days: list[dt.date],
    margins: Mapping[tuple[str, dt.date, int], str] | None = None,
    default: str = "15.00",
) -> bytes:
    """A file for ``days``; ``margins[(area, date, slot)]`` overrides the default margin (e.g. ``"6.50"`` or
    ``"***"``)."""
    margins = margins or {}
    lines = [f'"{published_at:%Y/%m/%d %H:%M} UPDATE"', HEADER]
    for day in days:
        for slot in range(1, 49):
            minutes = slot * 30
            time_text = f"{minutes // 60:02d}:{minutes % 60:02d}"
            for i, area_ja in enumerate(AREAS_JA):
                margin = margins.get((AREA_ID.get(area_ja, "okinawa"), day, slot), default)
                fields = [
                    f"{day:%Y/%m/%d}", time_text, str(i + 1), area_ja,
                    "50000.000", "57500.000", "7500.000", margin, "86.96", "5000.000", "5750.000", "750.000",
                ]  # fmt: skip
                lines.append(",".join(f'"{f}"' for f in fields))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
