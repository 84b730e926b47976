"""A participant never sees another company's inquiry, note or attachment — in pages, downloads and the API — and
never sees internal notes, drafts or history of its own. Staff pages render for the desk."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from capmarket.domain.helpdesk import operations
from capmarket.domain.helpdesk.models import Attachment, Category, Inquiry
from tests.integration.helpdesk.conftest import NOW
from tests.integration.helpdesk.mails import PDF

pytestmark = pytest.mark.django_db
SECRET_NOTE = "社内メモ：この会社は支払が遅れがち"
DRAFT_TEXT = "まだ確認中の回答案です"


@pytest.fixture
def inquiry_a(user_a: Any, operator: Any) -> Inquiry:
    inquiry = operations.submit_portal_inquiry(
        actor=user_a, category=Category.PAYMENT, subject="入金の確認", body="6月分の入金を確認してください。",
        files=[("振込控え.pdf", PDF)], now=NOW,
    )  # fmt: skip
    operations.add_note(actor=operator, inquiry=inquiry, body=SECRET_NOTE, now=NOW)
    operations.save_draft(actor=operator, inquiry=inquiry, subject="回答", body=DRAFT_TEXT, now=NOW)
    return inquiry


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_another_company_gets_404_for_the_inquiry_and_its_attachment(inquiry_a: Inquiry, user_b: Any) -> None:
    client = _client(user_b)
    attachment = Attachment.objects.get(message__inquiry=inquiry_a)

    assert client.get(f"/inquiries/{inquiry_a.pk}/").status_code == 404
    assert client.get(f"/inquiries/attachments/{attachment.pk}/").status_code == 404
    assert client.post(f"/inquiries/{inquiry_a.pk}/", {"body": "割り込み"}).status_code == 404
    listing = client.get("/inquiries/").content.decode()
    assert inquiry_a.ticket_no not in listing
    assert client.get(f"/desk/{inquiry_a.pk}/").status_code == 403  # desk pages are for staff


def test_the_company_sees_its_inquiry_but_no_note_draft_or_history(inquiry_a: Inquiry, user_a: Any) -> None:
    client = _client(user_a)
    attachment = Attachment.objects.get(message__inquiry=inquiry_a)

    page = client.get(f"/inquiries/{inquiry_a.pk}/").content.decode()
    download = client.get(f"/inquiries/attachments/{attachment.pk}/")

    assert "6月分の入金を確認してください。" in page
    assert SECRET_NOTE not in page
    assert DRAFT_TEXT not in page
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert download["X-Content-Type-Options"] == "nosniff"


def test_the_api_is_scoped_the_same_way(inquiry_a: Inquiry, user_a: Any, user_b: Any, operator: Any) -> None:
    own, other, staff = APIClient(), APIClient(), APIClient()
    own.force_authenticate(user_a)
    other.force_authenticate(user_b)
    staff.force_authenticate(operator)

    mine = own.get(f"/api/inquiries/{inquiry_a.pk}/")
    assert mine.status_code == 200
    assert SECRET_NOTE not in mine.content.decode()
    assert DRAFT_TEXT not in mine.content.decode()
    assert [m["body"] for m in mine.json()["messages"]] == ["6月分の入金を確認してください。"]
    assert other.get(f"/api/inquiries/{inquiry_a.pk}/").status_code == 404
    assert other.post(f"/api/inquiries/{inquiry_a.pk}/replies/", {"body": "x"}).status_code == 404
    assert other.get("/api/inquiries/").json()["results"] == []
    assert staff.get("/api/inquiries/").json()["count"] == 1
    assert own.get("/api/operation-reports/").status_code == 403


def test_a_participant_asks_through_the_api_and_bad_input_names_the_field(user_b: Any) -> None:
    client = APIClient()
    client.force_authenticate(user_b)

    refused = client.post("/api/inquiries/", {"category": "payment", "subject": "", "body": "本文"}, format="json")
    created = client.post(
        "/api/inquiries/", {"category": "system", "subject": "ログイン", "body": "ログインできません"}, format="json"
    )

    assert refused.status_code == 400
    assert "subject" in refused.json()
    assert created.status_code == 201
    assert created.json()["participant_code"] == "HB001"


def test_desk_pages_render_for_staff(inquiry_a: Inquiry, operator: Any, operator2: Any) -> None:
    client = _client(operator)
    for url in ["/desk/", "/desk/overdue/", "/desk/review/", "/desk/phone/", f"/desk/{inquiry_a.pk}/",
                "/faq/", "/talk-scripts/", "/knowledge/faq/new/"]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
    detail = client.get(f"/desk/{inquiry_a.pk}/").content.decode()
    assert SECRET_NOTE in detail
    assert DRAFT_TEXT in detail
    assert client.get("/desk/phone/?inquiry=abc").status_code == 404  # a bad id is not a crash
    assert client.post(f"/desk/{inquiry_a.pk}/note/", {"body": "追加メモ"}).status_code == 302
    assert inquiry_a.notes.count() == 2


def test_the_desk_works_through_the_api_with_four_eyes(inquiry_a: Inquiry, user_a: Any, operator: Any,
                                                       operator2: Any) -> None:  # fmt: skip
    writer, reviewer, company = APIClient(), APIClient(), APIClient()
    writer.force_authenticate(operator)
    reviewer.force_authenticate(operator2)
    company.force_authenticate(user_a)
    url = f"/api/inquiries/{inquiry_a.pk}"

    assert company.get(f"{url}/notes/").status_code == 403
    assert company.post(f"{url}/status/", {"status": "closed"}).status_code == 403
    assert writer.post(f"{url}/assign/", {"assignee": "nobody"}).status_code == 400
    assert writer.post(f"{url}/assign/", {"assignee": operator.username}).json()["status"] == "in_progress"
    assert [n["body"] for n in writer.get(f"{url}/notes/").json()] == [SECRET_NOTE]
    draft = writer.post(f"{url}/draft/", {"subject": "回答", "body": "入金を確認しました。"}).json()
    assert writer.post(f"/api/answer-drafts/{draft['id']}/submit/").json()["state"] == "in_review"
    own = writer.post(f"/api/answer-drafts/{draft['id']}/review/", {"decision": "approve"})
    assert own.status_code == 400  # the author cannot approve its own answer
    sent = reviewer.post(f"/api/answer-drafts/{draft['id']}/review/", {"decision": "approve"})

    assert sent.json()["state"] == "sent"
    answer = company.get(f"{url}/").json()
    assert answer["status"] == "answered"
    assert answer["messages"][-1]["body"] == "入金を確認しました。"


def test_the_inquiry_history_downloads_as_csv_without_formulas(user_a: Any, operator: Any) -> None:
    operations.submit_portal_inquiry(actor=user_a, category=Category.OTHER, subject='=HYPERLINK("http://x")',
                                     body="本文", files=[], now=NOW)  # fmt: skip
    client = _client(operator)

    response = client.get("/desk/inquiries.csv?status=&encoding=cp932")

    text = response.content.decode("cp932")
    assert response["Content-Type"].startswith("text/csv")
    assert text.splitlines()[0].startswith("問合せ番号,受付日時,受付経路")
    assert "'=HYPERLINK" in text
    assert _client(user_a).get("/desk/inquiries.csv").status_code == 403
