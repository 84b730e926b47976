"""Issue 14 in a real browser: a provider applies for an expected capacity, a 担当者 checks it, another person (a
責任者) approves it, and the provider reads the 電源等登録通知書 PDF in the portal; and a market exit from the
provider's declaration to the penalty's invoice (市場退出ペナルティ請求書) and its PDF; a replacement ended early, and
one withdrawn before its start, each to its notice PDF. Screenshots of each step are
written to ``CAPMARKET_SCREENSHOT_DIR`` when it is set."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from capmarket.domain.accounts.models import Role
from capmarket.domain.documents.models import Document, DocumentType
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.predelivery.models import Application, ExpectedCapacity, NoticeDocument, ReplacementEnd
from tests.books import empty_books
from tests.factories import PASSWORD, make_contract, make_participant, make_resource, make_user
from tests.functional.conftest import login


@pytest.fixture
def books_emptied_after() -> Iterator[None]:
    """After a live-server test that posted to the ledger: SQLite's flush deletes rows, which the books' guards
    refuse, so the guarded tables are emptied first (as ``tests/functional/documents/conftest.py`` does)."""
    yield
    if connection.vendor == "sqlite":
        empty_books()


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("CAPMARKET_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"predelivery-{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_expected_capacity_from_application_to_notice_pdf(page: Any, settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    company = make_participant(name="東日本発電株式会社", participant_code="PE001")
    resource = make_resource(company, resource_code="RE000001", name="東日本火力1号機", installed_capacity_kw=120_000)
    make_user(Role.PARTICIPANT_USER, company, username="pe")
    make_user(Role.OPERATOR, None, username="op")
    make_user(Role.APPROVER, None, username="ap")

    # the provider applies (a value over the installed capacity first: refused with the reason, nothing saved)
    login(page, "pe", PASSWORD)
    page.goto(f"{page.base_url}/predelivery/expected-capacity/")
    page.fill("input[name=one-delivery_year]", "2029")
    page.select_option("select[name=one-resource_code]", resource.resource_code)
    page.fill("input[name=one-expected_capacity_kw]", "130000")
    page.click("main button:text-is('申し込む')")
    page.wait_for_load_state("networkidle")
    assert "設備容量（120,000 kW）を超えています" in page.inner_text("main")
    _shot(page, "1-refused")
    page.fill("input[name=one-expected_capacity_kw]", "100000")
    page.click("main button:text-is('申し込む')")
    page.wait_for_load_state("networkidle")
    assert "審査待ち" in page.inner_text("main")
    _shot(page, "2-submitted")
    page.context.clear_cookies()

    # a 担当者 checks it
    login(page, "op", PASSWORD)
    page.goto(f"{page.base_url}/predelivery/applications/")
    page.click("table.list a >> nth=0")
    page.click("text=一次審査を完了する")
    page.wait_for_load_state("networkidle")
    assert "承認待ち" in page.inner_text("main")
    assert "承認して通知書を発行する" not in page.content()  # a 担当者 may not approve
    page.context.clear_cookies()

    # a 責任者 approves: the notice is issued
    login(page, "ap", PASSWORD)
    page.goto(f"{page.base_url}/predelivery/applications/")
    page.click("table.list a >> nth=0")
    _shot(page, "3-awaiting-approval")
    page.click("text=承認して通知書を発行する")
    page.wait_for_load_state("networkidle")
    assert "電源等登録通知書（期待容量）" in page.inner_text("main")
    page.context.clear_cookies()

    # the provider finds the notice and opens the PDF
    login(page, "pe", PASSWORD)
    page.goto(f"{page.base_url}/predelivery/notices/")
    _shot(page, "4-notices")
    notice = NoticeDocument.objects.get()
    response = page.request.get(f"{page.base_url}/predelivery/notices/{notice.pk}.pdf")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    page.goto(f"{page.base_url}/predelivery/notices/{notice.pk}.pdf")
    page.wait_for_timeout(1500)
    _shot(page, "5-pdf")
    assert ExpectedCapacity.objects.get(resource=resource).expected_capacity_kw == 100_000


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_market_exit_from_application_to_the_penalty_invoice_pdf(
    page: Any, settings: Any, tmp_path: Path, books_emptied_after: None
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    company = make_participant(name="西日本発電株式会社", participant_code="PW001")
    resource = make_resource(company, resource_code="RW000001", name="西日本火力2号機")
    contract = make_contract(resource, delivery_year=2029, price_yen_per_kw=5_000, contract_kw=100_000)
    make_user(Role.PARTICIPANT_USER, company, username="pw")
    make_user(Role.OPERATOR, None, username="op")
    make_user(Role.APPROVER, None, username="ap")

    # the provider declares the exit of its contract
    login(page, "pw", PASSWORD)
    page.goto(f"{page.base_url}/predelivery/procedures/")
    page.select_option("select#e_contract", str(contract.pk))
    page.fill("textarea#e_reason", "燃料調達契約の終了に伴い廃止します。")
    page.click("main button:text-is('市場退出を申し込む')")
    page.wait_for_load_state("networkidle")
    assert "25,000,000 円" in page.inner_text("main")  # the penalty: 5 % of 500,000,000 yen
    page.context.clear_cookies()

    # a 担当者 checks it, another person (a 責任者) approves it: the contract is cancelled and the penalty billed
    for user, button in (("op", "一次審査を完了する"), ("ap", "承認して通知書を発行する")):
        login(page, user, PASSWORD)
        page.goto(f"{page.base_url}/predelivery/applications/")
        page.click("table.list a >> nth=0")
        page.click(f"text={button}")
        page.wait_for_load_state("networkidle")
        page.context.clear_cookies()

    # the provider finds the invoice on its application and opens its PDF
    login(page, "pw", PASSWORD)
    page.goto(f"{page.base_url}/predelivery/applications/")
    page.click("table.list a >> nth=0")
    main = page.inner_text("main")
    assert "市場退出ペナルティ請求書（XP-" in main
    _shot(page, "6-exit-approved")
    invoice = Document.objects.get(document_type=DocumentType.EXIT_PENALTY_INVOICE)
    page.click(f"text={invoice.number}")
    page.wait_for_load_state("networkidle")
    assert "25,000,000" in page.inner_text("main")
    _shot(page, "7-exit-invoice")
    response = page.request.get(f"{page.base_url}/documents/{invoice.pk}/pdf/")
    assert response.status == 200
    assert response.body().startswith(b"%PDF")
    page.goto(f"{page.base_url}/documents/{invoice.pk}/pdf/")
    page.wait_for_timeout(1500)
    _shot(page, "8-exit-invoice-pdf")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_replacement_for_a_period_then_ended_early_to_the_notice_pdf(page: Any, settings: Any, tmp_path: Path) -> None:
    """電源等差替 with a 差替終了日 from the form (a date before the start refused first); approved; then the provider
    ends it early from the same page, a 担当者 checks and a 責任者 approves, and the 電源等差替終了通知書 opens."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    company = make_participant(name="北国電力株式会社", participant_code="PN001")
    resource = make_resource(company, resource_code="RN000001", name="北国火力1号機")
    make_resource(company, resource_code="RN000002", name="北国火力2号機")
    contract = make_contract(resource, delivery_year=2029, contract_kw=100_000)
    make_user(Role.PARTICIPANT_USER, company, username="pn")
    op = make_user(Role.OPERATOR, None, username="op")
    ap = make_user(Role.APPROVER, None, username="ap")

    login(page, "pn", PASSWORD)
    page.goto(f"{page.base_url}/predelivery/procedures/")
    page.select_option("select#r_contract", str(contract.pk))
    page.select_option("select#r_to", "RN000002")
    page.fill("input#r_kw", "30000")
    page.fill("input#r_from", "2029-10-01")
    page.fill("input#r_to_date", "2029-09-01")
    page.click("main button:text-is('差替を申し込む')")
    page.wait_for_load_state("networkidle")
    assert "差替終了日: 差替開始日より後の日付を入力してください" in page.inner_text("main")
    assert "差替終了日は、差替元の電源等（契約の電源等）に戻る日です" in page.inner_text("main")
    page.select_option("select#r_contract", str(contract.pk))
    page.select_option("select#r_to", "RN000002")
    page.fill("input#r_kw", "30000")
    page.fill("input#r_from", "2029-10-01")
    page.fill("input#r_to_date", "2030-02-01")
    _shot(page, "9-replacement-form")
    page.click("main button:text-is('差替を申し込む')")
    page.wait_for_load_state("networkidle")
    assert "2030/02/01（この日から差替元の電源等で評価。差替は前日まで）" in page.inner_text("main")
    applied = Application.objects.get()
    ops.check_application(actor=op, now=timezone.now(), application=applied)
    ops.approve_application(actor=ap, now=timezone.now(), application=applied)

    # the provider's own resource is back: end the replacement on 1 December
    page.goto(f"{page.base_url}/predelivery/procedures/")
    assert "2030/02/01（2030/01/31まで差替）" in page.inner_text("main")
    page.fill("input#x_to", "2029-12-01")
    page.fill("textarea#x_reason", "1号機の補修が予定より早く完了したため。")
    page.click("main button:text-is('差替の終了を申し込む')")
    page.wait_for_load_state("networkidle")
    assert "審査待ち" in page.inner_text("main")
    page.context.clear_cookies()

    for user, button in (("op", "一次審査を完了する"), ("ap", "承認して通知書を発行する")):
        login(page, user, PASSWORD)
        page.goto(f"{page.base_url}/predelivery/applications/")
        page.click("table.list a >> nth=0")
        if user == "ap":
            _shot(page, "10-replacement-end-review")
        page.click(f"text={button}")
        page.wait_for_load_state("networkidle")
        page.context.clear_cookies()
    assert ReplacementEnd.objects.get().in_force

    login(page, "pn", PASSWORD)
    page.goto(f"{page.base_url}/contracts/{contract.pk}/")
    assert "2029/10/01 〜 2029/11/30" in page.inner_text("main")
    _shot(page, "11-contract-replacements")
    notice = NoticeDocument.objects.get(kind="replacement_end")
    response = page.request.get(f"{page.base_url}/predelivery/notices/{notice.pk}.pdf")
    assert response.status == 200
    assert response.body().startswith(b"%PDF")
    page.goto(f"{page.base_url}/predelivery/notices/{notice.pk}.pdf")
    page.wait_for_timeout(1500)
    _shot(page, "12-replacement-end-pdf")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_replacement_withdrawn_before_its_start_to_the_notice_pdf(page: Any, settings: Any, tmp_path: Path) -> None:
    """An approved 電源等差替 not started yet is withdrawn from the procedures page (no reason refused first); a
    担当者 checks and a 責任者 approves; the contract's 電源等差替 card shows 取消 with the date and the reason, and the
    電源等差替取消通知書 opens."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    company = make_participant(name="北国電力株式会社", participant_code="PN001")
    contract = make_contract(
        make_resource(company, resource_code="RN000001", name="北国火力1号機"), delivery_year=2029, contract_kw=100_000
    )
    make_resource(company, resource_code="RN000002", name="北国火力2号機")
    member = make_user(Role.PARTICIPANT_USER, company, username="pn")
    op = make_user(Role.OPERATOR, None, username="op")
    ap = make_user(Role.APPROVER, None, username="ap")
    replacement = wf.submit_replacement(
        actor=member, now=timezone.now(), contract=contract, to_resource_code="RN000002", kw=30_000,
        valid_from=dt.date(2029, 10, 1),
    )  # fmt: skip
    ops.check_application(actor=op, now=timezone.now(), application=replacement)
    ops.approve_application(actor=ap, now=timezone.now(), application=replacement)

    login(page, "pn", PASSWORD)
    page.goto(f"{page.base_url}/predelivery/procedures/")
    page.select_option("select#w_replacement", str(replacement.replacement.pk))
    page.click("main button:text-is('差替の取消を申し込む')")
    page.wait_for_load_state("networkidle")
    assert "取消の理由: 入力してください" in page.inner_text("main")
    page.fill("textarea#w_reason", "差替先の2号機を他社へ売却するため、差替開始前に取り消します。")
    _shot(page, "13-replacement-withdrawal-form")
    page.click("main button:text-is('差替の取消を申し込む')")
    page.wait_for_load_state("networkidle")
    assert "電源等差替の取消を申し込みました" in page.inner_text("main")
    page.context.clear_cookies()

    for user, button in (("op", "一次審査を完了する"), ("ap", "承認して通知書を発行する")):
        login(page, user, PASSWORD)
        page.goto(f"{page.base_url}/predelivery/applications/?kind=replacement_withdrawal")
        page.click("table.list a >> nth=0")
        if user == "ap":
            assert "差替の取消の内容" in page.inner_text("main")
            _shot(page, "14-replacement-withdrawal-review")
        page.click(f"text={button}")
        page.wait_for_load_state("networkidle")
        page.context.clear_cookies()
    withdrawal = ReplacementEnd.objects.get()
    assert (withdrawal.in_force, withdrawal.valid_to) == (True, dt.date(2029, 10, 1))

    login(page, "pn", PASSWORD)
    page.goto(f"{page.base_url}/contracts/{contract.pk}/")
    card = page.inner_text("[data-role=contract-replacements]")
    assert f"{withdrawal.application.number}により{timezone.localdate():%Y/%m/%d}に取消" in card
    assert "差替先の2号機を他社へ売却するため" in card
    _shot(page, "15-contract-replacement-withdrawn")
    notice = NoticeDocument.objects.get(kind="replacement_withdrawal")
    response = page.request.get(f"{page.base_url}/predelivery/notices/{notice.pk}.pdf")
    assert response.status == 200
    assert response.body().startswith(b"%PDF")
    page.goto(f"{page.base_url}/predelivery/notices/{notice.pk}.pdf")
    page.wait_for_timeout(1500)
    _shot(page, "16-replacement-withdrawal-pdf")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_issue_the_missing_exit_invoice_from_the_filtered_list(
    page: Any, settings: Any, tmp_path: Path, books_emptied_after: None
) -> None:
    """An exit approved before exit billing existed (the domain's approval alone): a 責任者 filters the list by
    「請求書未発行」, opens the exit, presses 「退出ペナルティ請求書を発行」 and reads the invoice's PDF; the badge is
    gone; a second press from a tab opened before the first gives the same invoice."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    company = make_participant(name="南海電源株式会社", participant_code="PS001")
    member = make_user(Role.PARTICIPANT_USER, company, username="ps")
    op = make_user(Role.OPERATOR, None, username="op")
    ap = make_user(Role.APPROVER, None, username="ap")
    exits = []
    for code, name, price in (("RS000001", "南海火力3号機", 5_000), ("RS000002", "南海太陽光", 0)):
        contract = make_contract(
            make_resource(company, resource_code=code, name=name),
            delivery_year=2029, price_yen_per_kw=price, contract_kw=100_000,
        )  # fmt: skip
        application = wf.submit_market_exit(
            actor=member, now=timezone.now(), contract=contract, reason="老朽化により廃止"
        )
        ops.check_application(actor=op, now=timezone.now(), application=application)
        ops.approve_application(actor=ap, now=timezone.now(), application=application)  # no invoice (before billing)
        exits.append(application)
    old, free = exits  # free: approved without a penalty, so nothing to bill

    login(page, "ap", PASSWORD)
    page.goto(f"{page.base_url}/predelivery/applications/")
    assert {old.number, free.number} <= set(page.locator("table.list:last-of-type td a").all_inner_texts())
    page.check("text=請求書未発行の市場退出だけ")
    page.click("main form[role=search] button:text-is('検索')")
    page.wait_for_load_state("networkidle")
    assert "invoice=missing" in page.url
    rows = page.locator("table.list:last-of-type tbody tr")
    assert rows.count() == 1
    assert old.number in rows.inner_text()
    assert "請求書未発行" in rows.inner_text()
    _shot(page, "17-invoice-missing-list")

    page.click(f"text={old.number}")
    page.wait_for_load_state("networkidle")
    assert "請求書はまだ発行されていません" in page.inner_text("main")
    stale = page.context.new_page()  # the same exit opened in a second tab before the button is pressed
    stale.goto(page.url)
    page.click("#issue-exit-invoice")
    page.wait_for_load_state("networkidle")
    invoice = Document.objects.get(document_type=DocumentType.EXIT_PENALTY_INVOICE)
    assert invoice.run_ref == old.number
    assert invoice.total_yen == 25_000_000
    main = page.inner_text("main")
    assert f"退出ペナルティ請求書（{invoice.number}）を発行しました。" in main
    assert f"市場退出ペナルティ請求書（{invoice.number}） 25,000,000 円" in main
    assert page.locator("#issue-exit-invoice").count() == 0
    _shot(page, "18-exit-invoice-issued")

    pdf = page.request.get(f"{page.base_url}/documents/{invoice.pk}/pdf/")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.body(), capture_output=True, check=True)
    words = " ".join(text.stdout.decode().split())
    for expected in (
        "請求書（市場退出時の経済的ペナルティ）",
        invoice.number,
        "南海電源株式会社 御中",
        "25,000,000",
        old.number,
    ):
        assert expected in words, expected

    page.goto(f"{page.base_url}/predelivery/applications/?invoice=missing")
    assert "申込はありません。" in page.inner_text("main")
    page.goto(f"{page.base_url}/predelivery/applications/")
    assert "請求書未発行" not in page.locator("table.list:last-of-type").inner_text()

    stale.click("#issue-exit-invoice")  # a second press: the same invoice, nothing new
    stale.wait_for_load_state("networkidle")
    assert f"既に発行されています（{invoice.number}）" in stale.inner_text("main")
    _shot(stale, "19-exit-invoice-second-press")
    stale.close()
    assert Document.objects.filter(document_type=DocumentType.EXIT_PENALTY_INVOICE).count() == 1
    assert free.number not in {d.run_ref for d in Document.objects.all()}
