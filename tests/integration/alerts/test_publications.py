"""Publications are judged against the previous publication of the same slots and e-mail exactly the providers
concerned, once, through a real SMTP server (aiosmtpd); the latest publication of a slot is what the settlement
run reads."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from capmarket.application import reserve_margins as app
from capmarket.calc.tight_slots import tight_slots_from_margins
from capmarket.domain.accounts.models import Role
from capmarket.domain.alerts import report_queries
from capmarket.domain.alerts.models import (
    Judgement,
    JudgementState,
    MessageState,
    OperatorMessage,
    PatternKind,
    ProviderAlert,
    Publication,
    PublicationKind,
)
from capmarket.domain.alerts.operations import UnableToImportPublication, change_pattern
from capmarket.domain.notifications import delivery
from capmarket.domain.notifications.models import OutboundEmail
from capmarket.domain.timeseries import queries as ts_queries
from capmarket.domain.timeseries.models import DatasetVersion
from tests.factories import make_contract, make_participant, make_resource, make_user
from tests.mailserver import MailServer
from tests.reserve_margin_files import margin_file

pytestmark = pytest.mark.django_db

JST = ZoneInfo("Asia/Tokyo")
DAY = dt.date(2025, 8, 2)


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=JST)


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(milliseconds=5)
        return self.now


@pytest.fixture
def market() -> dict[str, Any]:
    def provider(code: str, areas: list[str], *, contracted: bool = True) -> Any:
        p = make_participant(participant_code=code, name=f"{code}電力", email=f"{code.lower()}@example.jp")
        for area in areas:
            r = make_resource(p, area=area)
            if contracted:
                make_contract(r, delivery_year=2025)
        return p

    return {
        "tokyo": provider("PTK", ["tokyo"]),
        "kansai": provider("PKS", ["kansai"]),
        "both": provider("PBO", ["tokyo", "kansai"]),
        "north": provider("PHK", ["hokkaido"]),
        "uncontracted": provider("PNC", ["tokyo"], contracted=False),
        "operator": make_user(Role.OPERATOR, None, username="desk"),
    }


def tight_file(published_at: dt.datetime, **margins: str) -> bytes:
    """``tokyo_35="6.50"`` style overrides for DAY."""
    overrides = {}
    for key, value in margins.items():
        area, slot = key.rsplit("_", 1)
        overrides[(area, DAY, int(slot))] = value
    return margin_file(published_at=published_at, days=[DAY], margins=overrides)


def take_in(data: bytes, now: dt.datetime, name: str = "rm.csv", **kw: Any) -> app.ImportOutcome:
    return app.import_file(data=data, filename=name, source="cli", user=None, now=now, **kw)


def deliver(mail_server: MailServer, now: dt.datetime) -> list[Any]:
    before = len(mail_server.received())
    delivery.deliver_due(clock=Clock(now))
    return mail_server.received()[before:]


def test_two_areas_below_e_mail_exactly_the_providers_there_once(
    market: dict[str, Any], mail_server: MailServer
) -> None:
    data = tight_file(at(DAY - dt.timedelta(days=1), 17), tokyo_35="6.50", tokyo_36="7.999", kansai_36="***")
    now = at(DAY - dt.timedelta(days=1), 17, 3)

    outcome = take_in(data, now, name="next_day.csv")
    sent = deliver(mail_server, now)

    assert outcome.as_dict() == {
        "publication": outcome.publication.pk,
        "new": True,
        "slots_below": 3,
        "emails_queued": 3,
    }
    assert outcome.publication.kind == PublicationKind.NEXT_DAY
    assert sorted(r for m in sent for r in m.rcpt_tos) == ["pbo@example.jp", "pks@example.jp", "ptk@example.jp"]
    both = next(m for m in sent if m.rcpt_tos == ["pbo@example.jp"]).text()
    assert "PBO電力 御中" in both
    assert "■東京エリア" in both
    assert "■関西エリア" in both
    assert "17:00〜18:00（コマ35〜36） 最低 6.50%" in both
    assert "17:30〜18:00（コマ36） 広域予備率 ***（ブラックアウト）" in both
    tokyo_only = next(m for m in sent if m.rcpt_tos == ["ptk@example.jp"]).text()
    assert "関西" not in tokyo_only
    assert (
        "広域予備率低下のお知らせ（2025/08/01 17:00公表）"
        in next(m for m in sent if m.rcpt_tos == ["ptk@example.jp"]).subject
    )
    assert {(j.area, j.slot, j.state) for j in Judgement.objects.all()} == {
        ("tokyo", 35, JudgementState.NEWLY_BELOW),
        ("tokyo", 36, JudgementState.NEWLY_BELOW),
        ("kansai", 36, JudgementState.NEWLY_BELOW),
    }

    again = take_in(data, now + dt.timedelta(minutes=5), name="copy.csv")
    assert again.as_dict() == {
        "publication": outcome.publication.pk,
        "new": False,
        "slots_below": 3,
        "emails_queued": 0,
    }
    assert deliver(mail_server, now + dt.timedelta(minutes=6)) == []
    assert Publication.objects.count() == 1
    assert DatasetVersion.objects.filter(dataset="reserve_margins").count() == 1
    assert OutboundEmail.objects.count() == 3


def test_recovery_and_a_new_drop_follow_the_rules(market: dict[str, Any], mail_server: MailServer) -> None:
    eve = DAY - dt.timedelta(days=1)
    take_in(tight_file(at(eve, 17), tokyo_35="6.50", tokyo_36="7.00", kansai_36="***"), at(eve, 17, 2))
    deliver(mail_server, at(eve, 17, 3))

    recovered = take_in(tight_file(at(DAY, 9), tokyo_35="9.00", tokyo_36="8.00", kansai_36="***"), at(DAY, 9, 1))
    recovery_mails = deliver(mail_server, at(DAY, 9, 2))
    dropped = take_in(tight_file(at(DAY, 9, 30), tokyo_36="7.50", kansai_36="***"), at(DAY, 9, 31))
    drop_mails = deliver(mail_server, at(DAY, 9, 32))

    assert recovered.publication.kind == PublicationKind.SAME_DAY
    assert {(j.area, j.slot): j.state for j in recovered.publication.judgements.all()} == {
        ("tokyo", 35): JudgementState.RECOVERED,
        ("tokyo", 36): JudgementState.RECOVERED,  # exactly 8 % is not below
        ("kansai", 36): JudgementState.STILL_BELOW,
    }
    assert sorted(r for m in recovery_mails for r in m.rcpt_tos) == ["pbo@example.jp", "ptk@example.jp"]
    assert all("回復" in m.subject for m in recovery_mails)
    assert {(j.area, j.slot): j.state for j in dropped.publication.judgements.all()} == {
        ("tokyo", 36): JudgementState.NEWLY_BELOW,
        ("kansai", 36): JudgementState.STILL_BELOW,
    }
    assert sorted(r for m in drop_mails for r in m.rcpt_tos) == ["pbo@example.jp", "ptk@example.jp"]
    assert all("低下" in m.subject and "コマ36" in m.text() and "コマ35" not in m.text() for m in drop_mails)

    # the settlement run reads the latest publication of every slot
    stored = ts_queries.read_as_of(dataset="reserve_margins", as_of=at(DAY, 10)).collect()
    tight = tight_slots_from_margins(
        margins=stored.with_columns(pl.lit("").alias("file"), pl.lit(0).alias("line")),
        threshold_pct=Fraction(8),
        delivery_year=2025,
    )
    assert tight.rows() == [("kansai", DAY, 36), ("tokyo", DAY, 36)]


def test_recovery_e_mails_can_be_switched_off_by_rule(market: dict[str, Any], mail_server: MailServer) -> None:
    eve = DAY - dt.timedelta(days=1)
    change_pattern(
        actor=market["operator"],
        kind=PatternKind.AUTO_RECOVERED,
        subject_template="【容量市場】広域予備率回復（{公表日時}）",
        body_template="{事業者名} 御中\n{対象コマ}",
        enabled=False,
        now=at(eve, 12),
    )
    take_in(tight_file(at(eve, 17), tokyo_35="6.50"), at(eve, 17, 2))
    outcome = take_in(tight_file(at(DAY, 9)), at(DAY, 9, 1))
    assert outcome.judgements["recovered"] == 1
    assert outcome.emails_queued == 0
    assert not ProviderAlert.objects.filter(kind="recovered").exists()


def test_an_older_publication_arriving_late_does_not_override_the_latest(market: dict[str, Any]) -> None:
    take_in(tight_file(at(DAY, 9, 30), tokyo_35="7.00"), at(DAY, 9, 31))
    late = take_in(tight_file(at(DAY, 9), tokyo_35="20.00", tokyo_36="5.00"), at(DAY, 9, 40))

    assert late.new
    assert late.publication.latest_slots == 0
    assert not late.publication.judgements.exists()
    assert late.emails_queued == 0
    stored = ts_queries.read_as_of(dataset="reserve_margins", as_of=at(DAY, 10)).collect()
    row = stored.filter((pl.col("area") == "tokyo") & (pl.col("slot") == 35))
    assert row["margin_milli_pct"].to_list() == [7000]


def test_slots_already_over_are_judged_but_not_e_mailed(market: dict[str, Any]) -> None:
    outcome = take_in(tight_file(at(DAY, 20), tokyo_10="5.00", tokyo_44="5.00"), at(DAY, 20, 1))
    judgements = {j.slot: j.alertable for j in outcome.publication.judgements.all()}
    assert judgements == {10: False, 44: True}
    alert = ProviderAlert.objects.get(participant=market["tokyo"])
    assert [s[2] for s in alert.slots] == [44]


def test_a_corrected_file_proposes_the_correction_pattern_instead_of_alerting(
    market: dict[str, Any], mail_server: MailServer
) -> None:
    eve = DAY - dt.timedelta(days=1)
    take_in(tight_file(at(eve, 17), tokyo_35="6.50", tokyo_36="6.50"), at(eve, 17, 2))
    deliver(mail_server, at(eve, 17, 3))
    corrected = take_in(tight_file(at(eve, 17), tokyo_35="12.00", tokyo_36="6.50"), at(eve, 17, 40), name="fix.csv")

    assert corrected.publication.correction
    assert corrected.emails_queued == 0
    assert deliver(mail_server, at(eve, 17, 41)) == []
    proposal = OperatorMessage.objects.get()
    assert proposal.state == MessageState.PROPOSED
    assert proposal.pattern.kind == PatternKind.CORRECTION
    assert "誤算定" in proposal.subject
    assert "誤って基準未満とお知らせしたコマ" in proposal.body
    assert "コマ35" in proposal.body
    assert proposal.slots == [["tokyo", "2025-08-02", 35]]


def test_a_malformed_file_is_refused_with_line_and_reason_and_changes_nothing(market: dict[str, Any]) -> None:
    data = tight_file(at(DAY, 9)).replace(
        '"2025/08/02","00:30","3","東京"'.encode(), '"2025/08/02","00:45","3","東京"'.encode()
    )

    with pytest.raises(UnableToImportPublication) as refused:
        take_in(data, at(DAY, 9, 1), name="broken.csv")

    assert refused.value.first_line_ja().startswith("broken.csv:5（時刻）: 時刻は 00:30〜24:00")
    assert not Publication.objects.exists()
    assert not DatasetVersion.objects.exists()


def test_the_report_rows_count_judgements_and_e_mails_per_day(market: dict[str, Any], mail_server: MailServer) -> None:
    eve = DAY - dt.timedelta(days=1)
    take_in(tight_file(at(eve, 17), tokyo_35="6.50"), at(eve, 17, 2))
    delivery.deliver_due(clock=Clock(at(eve, 17, 4)))

    rows = report_queries.daily_report(date_from=eve, date_to=DAY + dt.timedelta(days=1))

    assert next(r.as_dict() for r in rows) == {
        "date": "2025-08-01",
        "publications": 1,
        "newly_below": 1,
        "still_below": 0,
        "recovered": 0,
        "providers_alerted": 2,
        "emails_total": 2,
        "emails_sent": 2,
        "emails_failed": 0,
        "emails_waiting": 0,
        "max_minutes_publication_to_last_email": "4.0",
        "max_minutes_receipt_to_last_email": "2.0",
        "operator_messages_sent": 0,
    }
    assert rows[1].publications == 0
