"""電源等差替 for a period: the end date (差替終了日, exclusive) on the application with its checks, and ending a
replacement in force early — an application reviewed with four eyes that records a new, linked ``ReplacementEnd``
(the approved replacement and its notice stay as issued), ends in a 電源等差替終了通知書, is audited and tenant
scoped, and changes what the settlement reads from the date of its decision."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery import queries
from capmarket.domain.predelivery import workflows as wf
from capmarket.domain.predelivery.models import (
    ApplicationKind,
    ApplicationState,
    NoticeDocument,
    NoticeKind,
    Replacement,
    ReplacementEnd,
)
from tests.factories import PASSWORD, make_contract, make_resource

from .conftest import NOW, YEAR

LATER = NOW + dt.timedelta(days=30)


def _review(application: Any, operator: Any, approver: Any, now: dt.datetime = NOW) -> NoticeDocument:
    ops.check_application(actor=operator, now=now, application=application)
    return ops.approve_application(actor=approver, now=now + dt.timedelta(seconds=1), application=application)


def _rows(notice: NoticeDocument) -> dict[str, str]:
    return {row[0]: row[1] for table in notice.content["tables"] for row in table["rows"]}


@pytest.fixture
def people(operator: Any, approver: Any, approver2: Any, user_a: Any, user_b: Any) -> SimpleNamespace:
    return SimpleNamespace(operator=operator, approver=approver, approver2=approver2, user_a=user_a, user_b=user_b)


@pytest.fixture
def contract_a(resource_a: Any) -> Any:
    return make_contract(resource_a, delivery_year=YEAR, contract_kw=100_000)


@pytest.fixture
def spare_a(company_a: Any) -> Any:
    return make_resource(company_a, resource_code="RA000002", name="あさひ火力2号機")


def _submit(
    user: Any,
    contract: Any,
    to: Any,
    *,
    kw: int = 40_000,
    valid_from: dt.date = dt.date(YEAR, 10, 1),
    valid_to: dt.date | None = None,
    listing: Any = None,
) -> Any:
    return wf.submit_replacement(
        actor=user, now=NOW, contract=contract, to_resource_code=to.resource_code, kw=kw, valid_from=valid_from,
        valid_to=valid_to, listing=listing,
    )  # fmt: skip


def test_end_date_checked_stored_and_on_the_notice(
    operator: Any, approver: Any, user_a: Any, contract_a: Any, spare_a: Any
) -> None:
    with pytest.raises(ops.UnableToActOnApplication) as refused:
        _submit(user_a, contract_a, spare_a, valid_to=dt.date(YEAR, 10, 1))
    assert refused.value.messages == [
        "差替終了日: 差替開始日より後の日付を入力してください（差替は差替終了日の前日までです）。"
    ]
    with pytest.raises(ops.UnableToActOnApplication, match=f"差替終了日: {YEAR + 1}年4月1日以前"):
        _submit(user_a, contract_a, spare_a, valid_to=dt.date(YEAR + 1, 4, 2))

    application = _submit(user_a, contract_a, spare_a, valid_to=dt.date(YEAR + 1, 1, 1))
    other = make_contract(make_resource(user_a.participant, resource_code="RA000003"), delivery_year=YEAR)
    rival = _submit(user_a, other, spare_a, valid_from=dt.date(YEAR, 12, 1))  # accepted: nothing approved yet
    notice = _review(application, operator, approver)
    ops.check_application(actor=operator, now=NOW, application=rival)
    with pytest.raises(ops.UnableToActOnApplication, match=r"別の電源等差替（申込番号 .*）の差替先になりました"):
        ops.approve_application(actor=approver, now=NOW, application=rival)

    replacement = Replacement.objects.get(application=application)
    assert replacement.valid_to == dt.date(YEAR + 1, 1, 1)
    assert replacement.ends_on == dt.date(YEAR + 1, 1, 1)
    rows = _rows(notice)
    assert rows["差替終了日"] == f"{YEAR + 1}年1月1日（この日から差替元の電源等で評価）"
    assert rows["差替の期間"] == f"{YEAR}年10月1日から{YEAR}年12月31日まで"

    # the replacing resource is free again from the end date: a second replacement may start then, not before
    with pytest.raises(ops.UnableToActOnApplication, match="別の電源等差替（申込番号"):
        _submit(user_a, other, spare_a, valid_from=dt.date(YEAR, 12, 31))
    assert _submit(user_a, other, spare_a, valid_from=dt.date(YEAR + 1, 1, 1)).state == ApplicationState.SUBMITTED


def test_replacement_from_a_board_listing_stays_inside_its_period(
    operator: Any, user_a: Any, user_b: Any, contract_a: Any, resource_b: Any
) -> None:
    offer = wf.post_listing(
        actor=user_b,
        now=NOW,
        participant=resource_b.participant,
        values=wf.ListingInput(
            kind="offer", delivery_year=YEAR, area="kansai", kw=30_000, available_from=dt.date(YEAR, 7, 1),
            available_to=dt.date(YEAR, 9, 30), contact="差替窓口", resource_code=resource_b.resource_code,
        ),
    )  # fmt: skip
    wf.review_listing(actor=operator, now=NOW, listing=offer, publish=True)
    with pytest.raises(ops.UnableToActOnApplication) as refused:
        _submit(user_a, contract_a, resource_b, valid_from=dt.date(YEAR, 7, 1), listing=offer)
    assert refused.value.messages == [
        f"差替期間: 差替掲示板の掲載の期間（{YEAR}年7月1日〜{YEAR}年9月30日）の中で指定してください"
        "（差替終了日で終わりを指定できます）。",
        "差替容量: 差替掲示板の掲載の容量（30,000 kW）以下で入力してください。",
    ]
    application = _submit(
        user_a, contract_a, resource_b, kw=30_000, valid_from=dt.date(YEAR, 7, 1), valid_to=dt.date(YEAR, 10, 1),
        listing=offer,
    )  # fmt: skip
    assert application.replacement.valid_to == dt.date(YEAR, 10, 1)


def test_ending_early_is_a_reviewed_linked_record_with_its_notice(
    people: SimpleNamespace, contract_a: Any, spare_a: Any
) -> None:
    operator, approver, approver2, user_a, user_b = (
        people.operator, people.approver, people.approver2, people.user_a, people.user_b
    )  # fmt: skip
    application = _submit(user_a, contract_a, spare_a)
    pending = Replacement.objects.get(application=application)
    with pytest.raises(ops.UnableToActOnApplication, match="承認済みの電源等差替"):
        wf.submit_replacement_end(
            actor=user_a, now=NOW, replacement=pending, valid_to=dt.date(YEAR, 12, 1), reason="復旧"
        )
    approved_notice = _review(application, operator, approver)
    replacement = queries.get_replacement_for(user=user_a, pk=pending.pk)

    # another company: not visible, and refused by the operation too
    with pytest.raises(Replacement.DoesNotExist):
        queries.get_replacement_for(user=user_b, pk=replacement.pk)
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        wf.submit_replacement_end(
            actor=user_b, now=LATER, replacement=replacement, valid_to=dt.date(YEAR, 12, 1), reason="復旧"
        )
    # bad input: not after the start, not before the end in force, no reason
    with pytest.raises(ops.UnableToActOnApplication) as refused:
        wf.submit_replacement_end(
            actor=user_a, now=LATER, replacement=replacement, valid_to=dt.date(YEAR, 10, 1), reason=" "
        )
    assert refused.value.messages == [
        f"差替終了日: 差替開始日（{YEAR}年10月1日）より後の日付を入力してください（差替は差替終了日の前日までです）。",
        "終了の理由: 入力してください（例: 差替元の電源等の補修が完了したため）。",
    ]
    with pytest.raises(ops.UnableToActOnApplication, match="現在の差替終了日（なし（実需給年度の末日まで））より前"):
        wf.submit_replacement_end(
            actor=user_a, now=LATER, replacement=replacement, valid_to=dt.date(YEAR + 1, 4, 1), reason="復旧"
        )

    end_application = wf.submit_replacement_end(
        actor=user_a, now=LATER, replacement=replacement, valid_to=dt.date(YEAR, 12, 1), reason="2号機の補修完了"
    )
    assert end_application.kind == ApplicationKind.REPLACEMENT_END
    with pytest.raises(ops.UnableToActOnApplication, match="申込済み"):
        wf.submit_replacement_end(
            actor=user_a, now=LATER, replacement=replacement, valid_to=dt.date(YEAR, 11, 1), reason="復旧"
        )
    ops.check_application(actor=approver, now=LATER, application=end_application)
    with pytest.raises(ops.UnableToActOnApplication, match="一次審査を行った本人"):
        ops.approve_application(actor=approver, now=LATER, application=end_application)
    # not in force until approved: a run decided now still reads the replacement to the end of the year
    assert queries.replacement_with_end(pk=replacement.pk).ends_on is None

    decided = LATER + dt.timedelta(hours=1)
    notice = ops.approve_application(actor=approver2, now=decided, application=end_application)

    assert notice.kind == NoticeKind.REPLACEMENT_END
    assert notice.contract == contract_a
    rows = _rows(notice)
    assert rows["差替の申込番号"] == application.number
    assert rows["電源等差替通知書"] == approved_notice.number
    assert rows["変更前の差替終了日"] == "なし（実需給年度の末日まで）"
    assert rows["差替終了日"] == f"{YEAR}年12月1日（この日から差替元の電源等で評価）"
    assert rows["終了の理由"] == "2号機の補修完了"
    assert f"{YEAR}年10月1日から{YEAR}年11月30日までの差替となります。" in notice.content["paragraphs"][1]
    # the approved replacement and its notice are not rewritten; the end is a new record naming it
    replacement.refresh_from_db()
    assert replacement.valid_to is None
    assert replacement.in_force
    assert NoticeDocument.objects.get(pk=approved_notice.pk).content == approved_notice.content
    end = ReplacementEnd.objects.get(application=end_application)
    assert (end.replacement_id, end.valid_to, end.in_force) == (replacement.pk, dt.date(YEAR, 12, 1), True)
    assert AuditEvent.objects.filter(object_type="replacement", object_id=replacement.pk, actor=approver2).exists()
    # what a settlement run reads: the end counts for runs decided after its approval only
    before = queries.replacements_in_force(delivery_year=YEAR, as_of=LATER).get(pk=replacement.pk)
    after = queries.replacements_in_force(delivery_year=YEAR, as_of=decided).get(pk=replacement.pk)
    assert (before.ends_on, after.ends_on) == (None, dt.date(YEAR, 12, 1))
    assert list(queries.replacement_ends_in_force(delivery_year=YEAR, as_of=decided)) == [end]
    assert not queries.replacement_ends_in_force(delivery_year=YEAR, as_of=LATER).exists()

    # a later end than the one in force is refused; an earlier one is another linked record
    with pytest.raises(ops.UnableToActOnApplication, match=f"現在の差替終了日（{YEAR}年12月1日"):
        wf.submit_replacement_end(
            actor=user_a, now=decided, replacement=replacement, valid_to=dt.date(YEAR, 12, 15), reason="復旧"
        )


def test_end_pages_and_api_are_the_companys_own(people: SimpleNamespace, contract_a: Any, spare_a: Any) -> None:
    operator, approver, user_a, user_b = people.operator, people.approver, people.user_a, people.user_b
    application = _submit(user_a, contract_a, spare_a, valid_to=dt.date(YEAR + 1, 3, 1))
    _review(application, operator, approver)
    replacement = Replacement.objects.get(application=application)
    web_b = Client()
    assert web_b.login(username=user_b.username, password=PASSWORD)
    posted = web_b.post(
        "/predelivery/procedures/replacement_end/",
        {"replacement": replacement.pk, "valid_to": f"{YEAR}-12-01", "reason": "復旧"},
    )
    assert posted.status_code == 404
    api_b = APIClient()
    api_b.force_authenticate(user_b)
    body = {"replacement": replacement.pk, "valid_to": f"{YEAR}-12-01", "reason": "復旧"}
    assert api_b.post("/api/predelivery/procedures/replacement-end/", body, format="json").status_code == 404

    api_a = APIClient()
    api_a.force_authenticate(user_a)
    refused = api_a.post("/api/predelivery/procedures/replacement-end/", body | {"valid_to": f"{YEAR + 1}-03-01"})
    assert refused.status_code == 400
    assert "現在の差替終了日" in refused.json()["non_field_errors"][0]
    created = api_a.post("/api/predelivery/procedures/replacement-end/", body, format="json")
    assert created.status_code == 201, created.content
    got = created.json()
    assert got["kind"] == "replacement_end"
    assert got["replacement_end"]["valid_to"] == f"{YEAR}-12-01"
    assert got["replacement_end"]["replacement_application_number"] == application.number
    shown = api_a.get(f"/api/predelivery/applications/{application.pk}/").json()["replacement"]
    assert (shown["valid_to"], shown["ends_on"]) == (f"{YEAR + 1}-03-01", f"{YEAR + 1}-03-01")
    assert api_b.get(f"/api/predelivery/applications/{got['id']}/").status_code == 404

    web_a = Client()
    assert web_a.login(username=user_a.username, password=PASSWORD)
    page = web_a.get("/predelivery/procedures/").content.decode()
    assert "差替の終了を申し込む" in page
    assert f"{YEAR + 1}/03/01（{YEAR + 1}/02/28まで差替）" in page
    contract_page = web_a.get(f"/contracts/{contract_a.pk}/").content.decode()
    assert 'data-role="contract-replacements"' in contract_page
    assert f"{YEAR}/10/01 〜 {YEAR + 1}/02/28" in contract_page
