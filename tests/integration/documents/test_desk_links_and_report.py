"""Documents seen from the inquiry desk and the operation reports: the 帳票の発行 section counts a day's documents,
corrections, PDFs, e-mails and downloads exactly (also in the report's PDF and workbook); an inquiry links to a
document of its own company only — through the desk's picker, the domain and the API — and the participant follows
the link to its own document page, while another company sees neither."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from capmarket.application import operation_reports
from capmarket.application.documents.correction import correct_document
from capmarket.application.documents.issuing import issue_month
from capmarket.domain.accounts.models import Role
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.documents.models import Document
from capmarket.domain.helpdesk import operations as desk_ops
from capmarket.domain.helpdesk.models import Category, InquiryLink, LinkKind
from capmarket.domain.notifications.models import EmailState, OutboundEmail
from capmarket.domain.reporting import rendering
from capmarket.domain.reporting.models import ReportKind
from tests.factories import make_user
from tests.integration.documents.conftest import NOW, month_2025_04

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 10, 1)  # NOW is 2025-10-01 10:00 JST


def _table(data: dict[str, Any], title: str) -> dict[str, list[Any]]:
    section = next(s for s in data["sections"] if s["key"] == "documents")
    table = next(t for t in section["tables"] if t["title"] == title)
    return {row[0]: row[1:] for row in table["rows"]}


def test_the_documents_section_counts_the_day(
    companies: Any, operator: Any, accountant: Any, document_storage: Path, tmp_path: Path
) -> None:
    issue_month(figures=month_2025_04(), actor=operator, now=NOW, render=False, send_mail=True)
    invoice = Document.objects.get(document_type="invoice")
    correct_document(document=invoice, actor=accountant, reason="ペナルティの誤り", replace=True,
                     now=NOW + dt.timedelta(hours=2))  # fmt: skip  # 赤伝 + 黒伝, both rendered and mailed
    mailed = OutboundEmail.objects.filter(kind="document_available").order_by("id")
    assert mailed.count() == 6  # the four originals and the two corrections
    sent, failed = mailed[0], mailed[1]
    OutboundEmail.objects.filter(pk=sent.pk).update(state=EmailState.SENT, sent_at=NOW + dt.timedelta(minutes=5))
    OutboundEmail.objects.filter(pk=failed.pk).update(state=EmailState.FAILED, failed_at=NOW + dt.timedelta(hours=1))
    for when, object_id in ((NOW + dt.timedelta(hours=3), ""), (NOW + dt.timedelta(hours=4), invoice.pk)):
        audit.record(now=when, action=AuditAction.DOWNLOADED, actor=accountant, object_type="document",
                     object_id=object_id, summary="ダウンロード")  # fmt: skip
    audit.record(now=NOW - dt.timedelta(days=1), action=AuditAction.DOWNLOADED, actor=accountant,
                 object_type="document", summary="前日のZIP")  # fmt: skip

    period = operation_reports.period_of(kind=ReportKind.DAILY, day=DAY)
    data = operation_reports.build_report_data(period=period, now=NOW + dt.timedelta(hours=9))

    by_type = _table(data, "帳票種別の発行件数")
    assert by_type["支払通知書"] == [1, 880_000]
    assert by_type["請求書"] == [2, 440_000]  # the original and its 黒伝
    assert by_type["容量拠出金請求書"] == [1, 1_358_023]
    assert by_type["経済的ペナルティ算定額通知書"] == [1, 300_000]  # capped (上限による調整)
    assert by_type["赤伝（取消）"] == [1, -220_000]
    assert by_type["合計"] == [6, None]
    work = _table(data, "訂正・PDF・お知らせメール")
    assert {k: v[0] for k, v in work.items()} == {
        "赤伝（取消）": 1, "黒伝（訂正後の再発行）": 1, "PDF作成": 2, "PDF未作成（期末）": 4,
        "お知らせメール 送信依頼": 6, "うち再送": 0, "送信済": 1, "送信失敗": 1, "送信待ち": 4,
        "PDFダウンロード": 1, "ZIP一括ダウンロード": 1,
    }  # fmt: skip
    summary = {s["label"]: s["value"] for s in data["summary"]}
    assert summary["帳票 発行件数"] == 6
    assert summary["帳票 赤伝／黒伝"] == "1 / 1"
    assert "documents" not in {s["key"] for s in data["sections"] if not s["available"]}

    next_day = operation_reports.build_report_data(
        period=operation_reports.period_of(kind=ReportKind.DAILY, day=DAY + dt.timedelta(days=1)), now=NOW
    )
    assert _table(next_day, "帳票種別の発行件数")["合計"] == [0, None]
    assert _table(next_day, "訂正・PDF・お知らせメール")["PDF未作成（期末）"] == [4]  # still missing

    workbook = openpyxl.load_workbook(io.BytesIO(rendering.to_xlsx(data=data)))
    cells = {str(c.value) for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    assert {"帳票の発行", "黒伝（訂正後の再発行）", "ZIP一括ダウンロード", "1358023"} <= cells
    if shutil.which("pdftotext"):
        pdf = tmp_path / "report.pdf"
        pdf.write_bytes(operation_reports.render_pdf(data))
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout
        assert "帳票の発行" in text.decode()
        assert "黒伝（訂正後の再発行）" in text.decode()


def test_an_inquiry_links_only_its_company_documents(
    companies: Any, operator: Any, document_storage: Path, settings: Any, tmp_path: Path
) -> None:
    media = {"location": str(tmp_path / "media")}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": media},
    }
    issue_month(figures=month_2025_04(), actor=operator, now=NOW, render=False, send_mail=False)
    own = Document.objects.get(document_type="payment_notice")  # あさひ発電 (PA001)
    other = Document.objects.get(document_type="invoice")  # びわ電力 (PB001)
    asker = make_user(Role.PARTICIPANT_USER, companies["paid"], username="asahi-keiri")
    stranger = make_user(Role.PARTICIPANT_USER, companies["owes"], username="biwa-keiri")
    inquiry = desk_ops.submit_portal_inquiry(actor=asker, category=Category.CONTRACT_AMOUNT, subject="支払通知書の金額",
                                             body="内訳を教えてください。", files=[], now=NOW)  # fmt: skip
    staff, participant, outsider = Client(), Client(), Client()
    staff.force_login(operator)
    participant.force_login(asker)
    outsider.force_login(stranger)

    # the desk's picker offers the company's documents only; another company's number is refused everywhere
    page = staff.get(reverse("web:desk_detail", args=[inquiry.pk])).content.decode()
    assert own.number in page
    assert other.number not in page
    staff.post(reverse("web:desk_update", args=[inquiry.pk, "document"]), {"number": other.number})
    with pytest.raises(ValidationError):
        desk_ops.link_record(actor=operator, inquiry=inquiry, kind=LinkKind.DOCUMENT, code=other.number, now=NOW)
    api_refused = staff.post(f"/api/inquiries/{inquiry.pk}/links/", {"kind": "document", "code": other.number})
    assert api_refused.status_code == 400
    assert not InquiryLink.objects.exists()

    response = staff.post(reverse("web:desk_update", args=[inquiry.pk, "document"]), {"number": own.number})
    assert response.status_code == 302
    link = InquiryLink.objects.get()
    assert (link.kind, link.target_id) == (LinkKind.DOCUMENT, str(own.pk))
    assert link.label == f"{own.number} 支払通知書（2025-04分）"

    # the participant follows the link to its own document page; the other company sees neither
    document_url = reverse("web:document_detail", args=[own.pk])
    assert (
        f'href="{document_url}"' in participant.get(reverse("web:inquiry_detail", args=[inquiry.pk])).content.decode()
    )
    assert participant.get(document_url).status_code == 200
    assert outsider.get(document_url).status_code == 404
    assert outsider.get(reverse("web:inquiry_detail", args=[inquiry.pk])).status_code == 404
    detail = participant.get(f"/api/inquiries/{inquiry.pk}/").json()
    assert [(x["kind"], x["label"]) for x in detail["links"]] == [("document", link.label)]
    assert detail["links"][0]["url"].endswith(f"/api/documents/{own.pk}/")
    assert participant.get(detail["links"][0]["url"]).status_code == 200
    assert outsider.get(detail["links"][0]["url"]).status_code == 404
