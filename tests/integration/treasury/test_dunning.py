"""Dunning on a fixed clock: reminders at 1, 10 and 20 business days through the outbox to a real SMTP server,
督促状 PDFs from the second step, nothing twice; the non-payer list reviewed and published by two people; phone
calls recorded."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest

from capmarket.application.treasury.dunning import run_dunning
from capmarket.application.treasury.use_cases import import_bank_statement
from capmarket.domain.calendar import queries as calendar_queries
from capmarket.domain.documents import storage
from capmarket.domain.notices.models import Notice
from capmarket.domain.notifications import delivery
from capmarket.domain.treasury import operations as treasury
from capmarket.domain.treasury.models import DunningNotice, ListingState, NonPayerListing
from tests.integration.treasury.conftest import credit, zengin_statement
from tests.mailserver import MailServer

pytestmark = pytest.mark.django_db
T = dt.datetime(2026, 1, 5, 0, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(milliseconds=1)
        return self.now


def test_reminders_letters_and_the_non_payer_list(
    issued: dict[str, Any], staff: dict[str, Any], mail_server: MailServer, document_storage: Path, tmp_path: Path
) -> None:
    documents = issued["documents"]
    # everybody pays but 青葉でんき: its contribution bill EC001 stays open
    paid = [
        credit(f"{500 + i:08d}", documents[r.participant_code].total_yen, r.name_kana)
        for i, r in enumerate(issued["retailers"])
    ]
    paid.append(credit("00000599", documents["PB001"].total_yen, "ﾋﾞﾜﾃﾞﾝﾘﾖｸ(ｶ"))
    import_bank_statement(data=zengin_statement(paid), filename="paid.txt", actor=staff["accountant"], now=T)
    calendar = calendar_queries.load_calendar()
    due = documents["EC001"].due_date
    day = {n: calendar.add_business_days(start=due, days=n) for n in (1, 10, 20)}

    first = run_dunning(as_of=day[1], now=T)
    again = run_dunning(as_of=day[1], now=T)
    delivery.deliver_due(clock=Clock(T))

    assert (first["overdue"], first["reminders"], first["letters"]) == (1, 1, 0)
    assert again["reminders"] == 0
    got = mail_server.received()
    assert [m.rcpt_tos for m in got] == [["keiri@aoba.example.jp"]]
    assert "お支払いのお願い" in got[0].subject
    assert documents["EC001"].number in got[0].text()

    tenth = run_dunning(as_of=day[10], now=T)
    assert (tenth["reminders"], tenth["letters"], tenth["proposed"]) == (1, 1, 0)
    letter = DunningNotice.objects.get(document=documents["EC001"], step_days=10)
    pdf = storage.read_verified(name=letter.letter_name, sha256=letter.letter_sha256)
    (tmp_path / "letter.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "letter.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "督促状" in text
    assert f"{documents['EC001'].total_yen:,}" in text

    twentieth = run_dunning(as_of=day[20], now=T)
    assert (twentieth["reminders"], twentieth["proposed"]) == (1, 1)
    delivery.deliver_due(clock=Clock(T))
    assert len(mail_server.received()) == 3

    listing = NonPayerListing.objects.get(participant=issued["companies"]["retailer"])
    with pytest.raises(treasury.UnableToDun, match="確認済"):
        treasury.publish_non_payer(listing=listing, actor=staff["approver"], now=T)
    treasury.review_non_payer(listing=listing, actor=staff["accountant"], now=T)
    with pytest.raises(treasury.UnableToDun, match="権限"):
        treasury.publish_non_payer(listing=listing, actor=staff["accountant"], now=T)
    published = treasury.publish_non_payer(listing=listing, actor=staff["approver"], now=T)
    assert published.state == ListingState.PUBLISHED
    assert published.notice_id is not None
    notice = Notice.objects.get(pk=published.notice_id)
    assert "青葉でんき株式会社" in notice.title
    assert documents["EC001"].number in notice.body


def test_phone_calls_are_recorded_with_their_outcome(issued: dict[str, Any], staff: dict[str, Any]) -> None:
    retailer = issued["companies"]["retailer"]
    with pytest.raises(treasury.UnableToDun) as refused:
        treasury.record_phone_call(
            participant=retailer,
            document=issued["documents"]["EC001"],
            called_at=T,
            contact_name="経理部 佐藤様",
            outcome="promised",
            promised_date=None,
            note="",
            actor=staff["accountant"],
            now=T,
        )
    assert "promised_date" in refused.value.message_dict
    call = treasury.record_phone_call(
        participant=retailer,
        document=issued["documents"]["EC001"],
        called_at=T,
        contact_name="経理部 佐藤様",
        outcome="promised",
        promised_date=dt.date(2026, 1, 9),
        note="月末の資金繰りで遅延。9日に振込むとのこと。",
        actor=staff["accountant"],
        now=T,
    )
    assert call.called_by == staff["accountant"]
