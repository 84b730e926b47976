"""Demo data of the reserve-margin alerts: a summer day of tight supply replayed as it happened (the next-day file,
same-day republications that recover and drop again, a corrected file proposing the 誤算定 pattern), the e-mails
to the providers concerned marked as handed over, the providers' alert contact addresses, and publications for
today and tomorrow so that the live board has something to show."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from django.core.mail import get_connection

from capmarket.application import reserve_margins
from capmarket.calc.market import AREA_NAMES_JA, AREAS
from capmarket.domain.alerts.models import PublicationSource
from capmarket.domain.notifications import delivery
from capmarket.domain.notifications import operations as mail_ops
from capmarket.domain.notifications.models import ContactPurpose
from capmarket.domain.registry.models import Participant

JST = ZoneInfo("Asia/Tokyo")
HEADER = (
    '"対象年月日","時刻","ブロックNo","エリア名","広域ブロック需要(MW)","広域ブロック供給力(MW)",'
    '"広域ブロック予備力(MW)","広域予備率(%)","広域使用率(%)","エリア需要(MW)","エリア供給力(MW)","エリア予備力(MW)"'
)


def _file(published_at: dt.datetime, days: list[dt.date], tight: dict[tuple[str, dt.date, int], str]) -> bytes:
    """A file in OCCTO's layout: margins follow a daily curve (lowest in the evening peak), with ``tight``
    overrides; two blocks (east: 北海道・東北・東京, west: the rest), Okinawa its own."""
    lines = [f'"{published_at:%Y/%m/%d %H:%M} UPDATE"', HEADER]
    for day in days:
        for slot in range(1, 49):
            end = slot * 30
            base = 20_000 + abs(slot - 36) * 400 - (6_000 if 30 <= slot <= 40 else 0) + (slot % 7) * 350
            for _i, area in enumerate([*AREAS, "okinawa"]):
                block = 1 if area in ("hokkaido", "tohoku", "tokyo") else (3 if area == "okinawa" else 2)
                margin = tight.get((area, day, slot)) or f"{(base + block * 900) / 1000:.2f}"
                name = AREA_NAMES_JA.get(area, "沖縄")
                fields = [f"{day:%Y/%m/%d}", f"{end // 60:02d}:{end % 60:02d}", str(block), name, "60000.000",
                          "66000.000", "6000.000", margin, "90.91", "5000.000", "5500.000", "500.000"]  # fmt: skip
                lines.append(",".join(f'"{f}"' for f in fields))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _span(areas: list[str], day: dt.date, slots: range, value: str) -> dict[tuple[str, dt.date, int], str]:
    return {(a, day, s): value for a, s in itertools.product(areas, slots)}


def load_demo_alerts(*, now: dt.datetime) -> int:
    """Returns the number of publications taken in."""
    contacts = [
        (p, ContactPurpose.ALERTS, p.email or f"alerts@{p.participant_code.lower()}.example.jp")
        for p in Participant.objects.filter(is_provider=True).order_by("participant_code")
    ]
    mail_ops.load_contact_addresses(rows=contacts, now=now)

    event = dt.date(2025, 8, 1)
    eve = dt.datetime(2025, 7, 31, 17, 0, tzinfo=JST)
    files = [
        (
            eve,
            [event],
            {
                **_span(["tokyo", "tohoku"], event, range(34, 39), "6.20"),
                **_span(["kansai"], event, range(36, 37), "7.40"),
            },
            False,
        ),
        (eve + dt.timedelta(hours=16), [event], {**_span(["tokyo", "tohoku"], event, range(35, 38), "7.10")}, False),
        (
            eve + dt.timedelta(hours=20, minutes=30),
            [event],
            {**_span(["tokyo", "tohoku"], event, range(35, 39), "5.80"), ("kyushu", event, 37): "***"},
            False,
        ),
        (eve, [event], {**_span(["tokyo", "tohoku"], event, range(34, 39), "6.20")}, True),  # corrected re-issue
    ]
    today = now.astimezone(JST).date()
    tomorrow = today + dt.timedelta(days=1)
    files.append(
        (
            dt.datetime.combine(today, dt.time(8, 0), tzinfo=JST),
            [today, tomorrow],
            {**_span(["chubu", "hokuriku"], tomorrow, range(35, 38), "7.20"), ("kansai", today, 37): "7.90"},
            False,
        )
    )
    count = 0
    backend = "django.core.mail.backends.locmem.EmailBackend"  # the demo's e-mails are recorded, not sent
    for published_at, days, tight, correction in files:
        received = min(published_at + dt.timedelta(minutes=2), now)
        outcome = reserve_margins.import_file(
            data=_file(published_at, days, tight),
            filename=f"demo_{published_at:%Y%m%d_%H%M}{'_fix' if correction else ''}.csv",
            source=PublicationSource.DEMO,
            user=None,
            now=received,
            correction=correction,
        )
        count += int(outcome.new)
        tick = [received]

        def clock(tick: list[dt.datetime] = tick) -> dt.datetime:
            tick[0] += dt.timedelta(milliseconds=40)
            return tick[0]

        delivery.deliver_due(clock=clock, connection_factory=lambda: get_connection(backend))
    return count
