"""電源等差替の取消: an approved replacement that has not started (by the business date, JST) is withdrawn by an
application reviewed with four eyes; approval records an end dated at the start (``ReplacementEnd``: the replacement
covers no day; the approved replacement and its notice stay as issued), issues a 電源等差替取消通知書, is audited and
tenant scoped, and changes what the settlement reads from the moment of its decision. One already started is refused
(the early end is the way), as is one withdrawn already."""

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
from .test_replacement_ends import _review, _rows, _submit

START = dt.date(YEAR, 10, 1)
LAST_EVENING = dt.datetime(YEAR, 9, 30, 14, 59, tzinfo=dt.UTC)  # 23:59 JST on the day before the start
START_MORNING = dt.datetime(YEAR, 9, 30, 15, 0, tzinfo=dt.UTC)  # 00:00 JST on the start: it has started


@pytest.fixture
def people(operator: Any, approver: Any, approver2: Any, user_a: Any, user_b: Any) -> SimpleNamespace:
    return SimpleNamespace(operator=operator, approver=approver, approver2=approver2, user_a=user_a, user_b=user_b)


@pytest.fixture
def contract_a(resource_a: Any) -> Any:
    return make_contract(resource_a, delivery_year=YEAR, contract_kw=100_000)


@pytest.fixture
def spare_a(company_a: Any) -> Any:
    return make_resource(company_a, resource_code="RA000002", name="あさひ火力2号機")


def _withdraw(
    user: Any, replacement: Any, *, now: dt.datetime = NOW, reason: str = "差替先の電源等を売却したため"
) -> Any:
    return wf.submit_replacement_withdrawal(actor=user, now=now, replacement=replacement, reason=reason)


def test_withdrawal_before_the_start_is_a_reviewed_linked_record_with_its_notice(
    people: SimpleNamespace, contract_a: Any, spare_a: Any
) -> None:
    operator, approver, approver2, user_a, user_b = (
        people.operator, people.approver, people.approver2, people.user_a, people.user_b
    )  # fmt: skip
    application = _submit(user_a, contract_a, spare_a, valid_to=dt.date(YEAR + 1, 1, 1))
    with pytest.raises(ops.UnableToActOnApplication, match="取消できるのは、有効な契約の承認済みの電源等差替です"):
        _withdraw(user_a, Replacement.objects.get(application=application))
    approved_notice = _review(application, operator, approver)
    replacement = queries.get_replacement_for(user=user_a, pk=application.replacement.pk)

    # another company: not visible, and refused by the operation too
    with pytest.raises(Replacement.DoesNotExist):
        queries.get_replacement_for(user=user_b, pk=replacement.pk)
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        _withdraw(user_b, replacement)
    # no reason; started already (the business date is the start, JST): the early end is the way
    with pytest.raises(ops.UnableToActOnApplication) as refused:
        _withdraw(user_a, replacement, now=START_MORNING, reason=" ")
    assert refused.value.messages == [
        f"差替開始日（{YEAR}年10月1日）を過ぎているため取消できません。"
        "差替を途中で終えるには「電源等差替の終了」を申し込んでください。",
        "取消の理由: 入力してください（例: 差替先の電源等を売却したため）。",
    ]

    withdrawal = _withdraw(user_a, replacement, now=LAST_EVENING - dt.timedelta(days=30))
    assert withdrawal.kind == ApplicationKind.REPLACEMENT_WITHDRAWAL
    assert withdrawal.get_kind_display() == "電源等差替の取消"
    # one end or withdrawal under review at a time
    with pytest.raises(ops.UnableToActOnApplication, match=f"取消は申込済みです（申込番号 {withdrawal.number}"):
        _withdraw(user_a, replacement)
    with pytest.raises(ops.UnableToActOnApplication, match="この電源等差替の取消は申込済みです"):
        wf.submit_replacement_end(
            actor=user_a, now=NOW, replacement=replacement, valid_to=dt.date(YEAR, 12, 1), reason="復旧"
        )
    ops.check_application(actor=approver, now=NOW, application=withdrawal)
    with pytest.raises(ops.UnableToActOnApplication, match="一次審査を行った本人"):
        ops.approve_application(actor=approver, now=NOW, application=withdrawal)
    assert queries.replacement_with_end(pk=replacement.pk).withdrawal is None  # not in force until approved

    decided = LAST_EVENING
    notice = ops.approve_application(actor=approver2, now=decided, application=withdrawal)

    assert (notice.kind, notice.contract, notice.participant) == (
        NoticeKind.REPLACEMENT_WITHDRAWAL, contract_a, contract_a.participant
    )  # fmt: skip
    assert notice.content["title"] == "電源等差替取消通知書"
    rows = _rows(notice)
    assert rows["差替の申込番号"] == application.number
    assert rows["電源等差替通知書"] == approved_notice.number
    assert rows["差替開始日"] == f"{YEAR}年10月1日"
    assert rows["差替終了日"] == f"{YEAR + 1}年1月1日（この日から差替元の電源等で評価）"
    assert rows["取消日"] == f"{YEAR}年9月30日"
    assert rows["取消の理由"] == "差替先の電源等を売却したため"
    assert (
        f"電源等差替通知書（{approved_notice.number}）で通知した差替は行いません。" in notice.content["paragraphs"][1]
    )
    # the approved replacement and its notice are not rewritten; the withdrawal is an end dated at the start
    replacement.refresh_from_db()
    assert (replacement.valid_from, replacement.valid_to, replacement.in_force) == (
        START,
        dt.date(YEAR + 1, 1, 1),
        True,
    )
    assert NoticeDocument.objects.get(pk=approved_notice.pk).content == approved_notice.content
    end = ReplacementEnd.objects.get(application=withdrawal)
    assert (end.replacement_id, end.valid_to, end.in_force, end.is_withdrawal) == (replacement.pk, START, True, True)
    assert queries.replacement_with_end(pk=replacement.pk).withdrawal == end
    assert AuditEvent.objects.filter(
        object_type="replacement", object_id=replacement.pk, actor=approver2, summary__contains="取消しました"
    ).exists()
    # a second approval of the same application changes nothing
    notices = NoticeDocument.objects.count()
    with pytest.raises(ops.UnableToActOnApplication, match="のため承認できません"):
        ops.approve_application(actor=approver2, now=decided, application=withdrawal)
    assert NoticeDocument.objects.count() == notices

    # what a settlement run reads: from the decision on, the replacement covers no day
    before = queries.replacements_in_force(delivery_year=YEAR, as_of=decided - dt.timedelta(seconds=1))
    after = queries.replacements_in_force(delivery_year=YEAR, as_of=decided)
    assert (before.get(pk=replacement.pk).ends_on, after.get(pk=replacement.pk).ends_on) == (
        dt.date(YEAR + 1, 1, 1), START
    )  # fmt: skip
    assert list(queries.replacement_ends_in_force(delivery_year=YEAR, as_of=decided)) == [end]

    # withdrawn: neither withdrawn again nor ended; its replacing resource is free on those days again
    with pytest.raises(ops.UnableToActOnApplication, match=f"取消済みです（申込番号 {withdrawal.number}）"):
        _withdraw(user_a, replacement)
    with pytest.raises(ops.UnableToActOnApplication, match="取消済みです"):
        wf.submit_replacement_end(
            actor=user_a, now=NOW, replacement=replacement, valid_to=dt.date(YEAR, 12, 1), reason="復旧"
        )
    other = make_contract(make_resource(user_a.participant, resource_code="RA000003"), delivery_year=YEAR)
    assert _submit(user_a, other, spare_a, valid_from=START).state == ApplicationState.SUBMITTED


def test_a_withdrawal_is_refused_at_approval_once_the_start_has_come(
    people: SimpleNamespace, contract_a: Any, spare_a: Any
) -> None:
    application = _submit(people.user_a, contract_a, spare_a)
    _review(application, people.operator, people.approver)
    withdrawal = _withdraw(people.user_a, application.replacement, now=LAST_EVENING)
    ops.check_application(actor=people.operator, now=LAST_EVENING, application=withdrawal)
    with pytest.raises(ops.UnableToActOnApplication) as refused:
        ops.approve_application(actor=people.approver, now=START_MORNING, application=withdrawal)
    assert refused.value.messages[0].startswith(f"差替開始日（{YEAR}年10月1日）を過ぎているため取消できません。")
    assert refused.value.messages[-1] == "この取消は承認できません。差し戻すか却下してください。"
    withdrawal.refresh_from_db()
    assert withdrawal.state == ApplicationState.CHECKED  # nothing half-written: it may be returned or rejected
    assert not ReplacementEnd.objects.filter(in_force=True).exists()
    assert not NoticeDocument.objects.filter(kind=NoticeKind.REPLACEMENT_WITHDRAWAL).exists()


def test_withdrawal_pages_and_api_are_the_companys_own(people: SimpleNamespace, contract_a: Any, spare_a: Any) -> None:
    operator, approver, approver2, user_a, user_b = (
        people.operator, people.approver, people.approver2, people.user_a, people.user_b
    )  # fmt: skip
    application = _submit(user_a, contract_a, spare_a)
    _review(application, operator, approver)
    replacement = Replacement.objects.get(application=application)
    body = {"replacement": replacement.pk, "reason": "差替元の電源等が開始前に復旧したため"}
    web_b = Client()
    assert web_b.login(username=user_b.username, password=PASSWORD)
    assert web_b.post("/predelivery/procedures/replacement_withdrawal/", body).status_code == 404
    api_b = APIClient()
    api_b.force_authenticate(user_b)
    assert api_b.post("/api/predelivery/procedures/replacement-withdrawal/", body, format="json").status_code == 404

    web_a = Client()
    assert web_a.login(username=user_a.username, password=PASSWORD)
    page = web_a.get("/predelivery/procedures/").content.decode()
    assert 'action="/predelivery/procedures/replacement_withdrawal/"' in page
    assert f"{application.number} {contract_a.contract_code}" in page
    api_a = APIClient()
    api_a.force_authenticate(user_a)
    missing = api_a.post("/api/predelivery/procedures/replacement-withdrawal/", {"replacement": replacement.pk})
    assert missing.status_code == 400
    assert "reason" in missing.json()
    created = api_a.post("/api/predelivery/procedures/replacement-withdrawal/", body, format="json")
    assert created.status_code == 201, created.content
    got = created.json()
    assert got["kind"] == "replacement_withdrawal"
    assert got["replacement_end"]["valid_to"] == f"{YEAR}-10-01"
    assert got["replacement_end"]["replacement_application_number"] == application.number
    assert api_b.get(f"/api/predelivery/applications/{got['id']}/").status_code == 404
    # the applications list shows the new kind, and filters by it
    listed = web_a.get("/predelivery/applications/", {"kind": "replacement_withdrawal"}).content.decode()
    assert "電源等差替の取消" in listed
    assert got["number"] in listed

    withdrawal = replacement.ends.get().application
    ops.check_application(actor=operator, now=NOW, application=withdrawal)
    ops.approve_application(actor=approver2, now=NOW, application=withdrawal)
    shown = api_a.get(f"/api/predelivery/applications/{application.pk}/").json()["replacement"]
    assert (shown["valid_from"], shown["ends_on"], shown["withdrawn"]) == (f"{YEAR}-10-01", f"{YEAR}-10-01", True)
    contract_page = web_a.get(f"/contracts/{contract_a.pk}/").content.decode()
    assert 'data-role="withdrawn"' in contract_page
    assert f"{withdrawal.number}</a>により2025/06/02に取消（差替は行いません）。理由: {body['reason']}" in contract_page
    detail = web_a.get(f"/predelivery/applications/{application.pk}/").content.decode()
    assert "差替の取消" in detail
    assert "取消済み" in detail
    page = web_a.get("/predelivery/procedures/").content.decode()
    assert 'data-role="no-withdrawable"' in page  # withdrawn: no longer offered, to withdraw or to end
    assert f'<option value="{replacement.pk}">{application.number} ' not in page
    assert "2025/06/02取消" in page
    schema = api_a.get("/api/schema/").content.decode()
    assert "/api/predelivery/procedures/replacement-withdrawal/" in schema
