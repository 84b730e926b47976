"""Reading inbound mail: Japanese encodings, thread headers, ticket numbers, attachments, HTML-only bodies."""

from __future__ import annotations

from email.message import EmailMessage

from capmarket.domain.helpdesk.mail import html_to_text, parse_mail


def _raw(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "=?ISO-2022-JP?B?GyRCRURDZhsoQg==?= <Tanaka@Asahi.Example>"
    message["To"] = "desk@occto.example"
    message["Subject"] = "【Q2025-00042】 ペナルティ について"
    message["Message-ID"] = "<abc@asahi.example>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


def test_headers_body_and_ticket() -> None:
    message = _raw(In_Reply_To="<ours@occto.example>", References="<first@occto.example> <ours@occto.example>")
    message.set_content("本文です。\r\nよろしくお願いします。", charset="iso-2022-jp")
    parsed = parse_mail(raw=message.as_bytes())
    assert parsed.from_address == "tanaka@asahi.example"
    assert parsed.from_name == "田中"
    assert parsed.subject == "【Q2025-00042】 ペナルティ について"
    assert parsed.tickets == ("Q2025-00042",)
    assert parsed.body == "本文です。\nよろしくお願いします。"
    assert parsed.thread_ids == ("<ours@occto.example>", "<first@occto.example>")
    assert parsed.source_key == "mid:<abc@asahi.example>"
    assert not parsed.auto_submitted


def test_no_message_id_means_the_hash_is_the_key() -> None:
    message = _raw()
    del message["Message-ID"]
    message.set_content("x")
    assert parse_mail(raw=message.as_bytes()).source_key.startswith("sha256:")


def test_attachments_and_auto_replies() -> None:
    message = _raw(Auto_Submitted="auto-replied")
    message.set_content("不在です")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="資料.pdf")
    parsed = parse_mail(raw=message.as_bytes())
    assert parsed.auto_submitted
    assert [(a.filename, a.data) for a in parsed.attachments] == [("資料.pdf", b"%PDF-1.4")]


def test_html_only_mail_becomes_text() -> None:
    message = _raw()
    message.set_content("<html><head><style>p{}</style></head><body><p>こんにちは<br>世界</p><script>x()</script></body></html>",
                        subtype="html")  # fmt: skip
    assert parse_mail(raw=message.as_bytes()).body == "こんにちは\n世界"
    assert html_to_text(html="<b>a</b> &amp; b") == "a & b"
