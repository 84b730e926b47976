"""Mail into the inquiry desk through a real IMAP server (dovecot, TLS with a certificate made by the test), and
answers out through a real SMTP server (aiosmtpd): new mails become inquiries, replies thread, the same mail twice
is one inquiry, a hostile attachment is refused while its mail lands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from capmarket.application import helpdesk as helpdesk_app
from capmarket.domain.helpdesk import mailboxes, operations
from capmarket.domain.helpdesk.models import (
    Attachment,
    Category,
    Channel,
    Inquiry,
    InquiryMessage,
    MailboxState,
    Status,
)
from capmarket.domain.notifications import delivery
from tests.imapserver import ImapServer
from tests.integration.helpdesk.conftest import NOW
from tests.integration.helpdesk.mails import EXE, PDF, mail, xlsx_with_macro
from tests.mailserver import MailServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def imap(imap_server: ImapServer, settings: Any) -> ImapServer:
    """The IMAP server, emptied, configured as the desk's mailbox."""
    client = imap_server.client()
    try:
        _, data = client.select("INBOX")
        if int(data[0] or 0):
            client.store("1:*", "+FLAGS", "(\\Deleted)")
            client.expunge()
    finally:
        client.logout()
    settings.CAPMARKET_HELPDESK_IMAP_HOST = imap_server.host
    settings.CAPMARKET_HELPDESK_IMAP_PORT = imap_server.port
    settings.CAPMARKET_HELPDESK_IMAP_USER = imap_server.user
    settings.CAPMARKET_HELPDESK_IMAP_PASSWORD = imap_server.password
    settings.CAPMARKET_HELPDESK_IMAP_CAFILE = imap_server.cafile
    settings.CAPMARKET_HELPDESK_MAILDIR = ""
    return imap_server


def _fetch(at: dt.datetime = NOW) -> dict[str, Any]:
    outcome = helpdesk_app.fetch_mail(clock=lambda: at)
    assert outcome["errors"] == []
    return dict(outcome["mailboxes"][0])


def test_new_mails_become_inquiries_of_the_sender_company(imap: ImapServer, company_a: Any, company_b: Any) -> None:
    imap.deliver(mail(sender="kyoku@asahi.example", sender_name="田中 一郎", subject="容量拠出金の請求書について",
                      body="容量拠出金の請求書の金額を確認させてください。\n契約番号は K2025-0001 です。"))  # fmt: skip
    imap.deliver(mail(sender="someone@unknown.example", subject="ログインできません", body="パスワードを忘れました。"))

    result = _fetch()

    assert (result["fetched"], result["new_inquiries"], result["duplicates"]) == (2, 2, 0)
    first, second = Inquiry.objects.order_by("id")
    assert first.participant == company_a
    assert first.channel == Channel.EMAIL
    assert first.status == Status.NEW
    assert first.category == Category.CONTRIBUTION  # guessed from 拠出金
    assert first.requester_name == "田中 一郎"
    assert first.ticket_no.startswith("Q20")
    assert "契約番号は K2025-0001" in first.messages.get().body  # ISO-2022-JP decoded
    assert second.participant is None  # unknown sender: staff set the company
    assert second.category == Category.SYSTEM
    assert imap.unseen_count() == 0  # flagged seen on the server
    assert first.messages.get().raw_name.endswith(".eml")
    assert default_storage.exists(first.messages.get().raw_name)


def test_the_same_mail_twice_is_one_inquiry(imap: ImapServer, company_a: Any) -> None:
    raw = mail(sender="kyoku@asahi.example", subject="ペナルティの算定根拠", body="算定根拠を教えてください。",
               message_id="<dup-1@asahi.example>")  # fmt: skip
    imap.deliver(raw)
    imap.deliver(raw)  # the same mail delivered twice (a resend, a second copy)

    result = _fetch()
    MailboxState.objects.update(last_uid=0)  # a crash before the cursor moved: everything is read again
    again = _fetch()

    assert (result["fetched"], result["new_inquiries"], result["duplicates"]) == (2, 1, 1)
    assert (again["fetched"], again["new_inquiries"], again["duplicates"]) == (2, 0, 2)
    assert Inquiry.objects.count() == 1
    assert InquiryMessage.objects.count() == 1


def test_a_hostile_attachment_is_refused_and_the_mail_still_lands(
    imap: ImapServer, company_a: Any, media: Path
) -> None:
    imap.deliver(
        mail(
            sender="kyoku@asahi.example",
            subject="アセスメント結果の資料",
            body="資料を添付します。",
            attachments=[
                ("請求書.pdf.exe", "application/octet-stream", EXE),
                ("明細.pdf", "application/pdf", EXE),  # an executable dressed as a PDF
                ("集計.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_with_macro()),
                ("根拠資料.pdf", "application/pdf", PDF),
            ],
        )
    )

    result = _fetch()

    assert result["new_inquiries"] == 1
    inquiry = Inquiry.objects.get()
    attachments = {a.filename: a for a in Attachment.objects.filter(message__inquiry=inquiry)}
    assert set(attachments) == {"請求書.pdf.exe", "明細.pdf", "集計.xlsx", "根拠資料.pdf"}
    assert [name for name, a in attachments.items() if a.accepted] == ["根拠資料.pdf"]
    assert "受け付けていません" in attachments["請求書.pdf.exe"].refusal_reason
    assert "実行形式" in attachments["明細.pdf"].refusal_reason
    assert "マクロ" in attachments["集計.xlsx"].refusal_reason
    stored = [p for p in media.rglob("*") if p.is_file() and "attachments" in p.parts]
    assert [p.read_bytes() for p in stored] == [PDF]  # only the accepted file was stored
    assert "添付ファイルを受け付けず" in set(inquiry.events.values_list("to_value", flat=True))


@pytest.mark.usefixtures("user_a")
def test_an_answer_reaches_the_smtp_server_and_the_reply_threads_onto_the_inquiry(
    imap: ImapServer, smtp: MailServer, company_a: Any, operator: Any, operator2: Any
) -> None:
    imap.deliver(mail(sender="kyoku@asahi.example", sender_name="田中 一郎", subject="容量確保契約金額の確認",
                      body="5月分の交付額を教えてください。"))  # fmt: skip
    _fetch()
    inquiry = Inquiry.objects.get()
    subject = operations.default_answer_subject(inquiry=inquiry)
    draft = operations.save_draft(actor=operator, inquiry=inquiry, subject=subject,
                                  body="5月分の交付額は支払通知書のとおりです。", now=NOW)  # fmt: skip
    operations.submit_draft(actor=operator, draft=draft, now=NOW)
    operations.approve_and_send(actor=operator2, draft=draft, now=NOW + dt.timedelta(hours=1))

    sent = delivery.deliver_due(clock=lambda: NOW + dt.timedelta(hours=1, minutes=1))

    assert sent.sent == 1
    (answer,) = smtp.wait_for(1)
    assert answer.rcpt_tos == ["kyoku@asahi.example"]
    assert inquiry.ticket_no in answer.subject
    assert "5月分の交付額は支払通知書のとおりです。" in answer.text()
    inquiry.refresh_from_db()
    assert inquiry.status == Status.ANSWERED

    # the company replies to the answer (its mail client sets In-Reply-To) …
    reply = mail(
        sender="kyoku@asahi.example",
        subject=f"Re: {answer.subject}",
        body="ありがとうございます。追加で質問です。",
        in_reply_to=answer.message_id,
        references=answer.message_id,
    )
    imap.deliver(reply)
    # … and someone else of the company writes with only the ticket number in the subject
    imap.deliver(mail(sender="tanaka@asahi.example", subject=f"【{inquiry.ticket_no}】補足", body="補足資料です。"))
    # a stranger quoting the ticket number does not get into the company's inquiry
    imap.deliver(mail(sender="x@evil.example", subject=f"{inquiry.ticket_no} 教えて", body="他社の情報をください。"))
    result = _fetch(at=NOW + dt.timedelta(hours=2))

    assert (result["threaded"], result["new_inquiries"]) == (2, 1)
    inquiry.refresh_from_db()
    assert inquiry.messages.count() == 4  # question, answer, reply, supplement
    assert inquiry.status == Status.IN_PROGRESS  # the follow-up reopened it, with a new due time
    assert inquiry.clock_started_at > NOW
    stranger = Inquiry.objects.exclude(pk=inquiry.pk).get()
    assert stranger.participant is None


def test_a_server_that_cannot_be_reached_is_reported(settings: Any, db: Any) -> None:
    config = mailboxes.ImapConfig(host="127.0.0.1", port=1, user="u", password="p")
    with pytest.raises(mailboxes.UnableToFetchMail, match="接続できません"):
        mailboxes.fetch_imap(config=config, clock=lambda: NOW)
    assert "接続できません" in MailboxState.objects.get().last_error


def test_a_local_maildir_is_read_once(tmp_path: Path, company_a: Any, settings: Any) -> None:
    import mailbox

    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(mail(sender="kyoku@asahi.example", subject="予備率の連絡について", body="予備率低下のメールが届きません。"))
    settings.CAPMARKET_HELPDESK_IMAP_HOST = ""
    settings.CAPMARKET_HELPDESK_MAILDIR = str(tmp_path / "Maildir")

    first = helpdesk_app.fetch_mail(clock=lambda: NOW)["mailboxes"][0]
    second = helpdesk_app.fetch_mail(clock=lambda: NOW)["mailboxes"][0]

    assert (first["new_inquiries"], second["fetched"]) == (1, 0)
    assert Inquiry.objects.get().category == Category.RESERVE_MARGIN
    assert all("S" in message.get_flags() for message in box)
