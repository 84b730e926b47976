"""Expected capacity (期待容量): applications, their review with four eyes, the rules' checks, the notice."""

from __future__ import annotations

from typing import Any

import pytest

from capmarket.application import predelivery_notices
from capmarket.domain.predelivery import documents, queries
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery.models import ApplicationState, ExpectedCapacity, NoticeKind
from tests.factories import make_resource

from .conftest import NOW, YEAR


def _line(resource: Any, kw: int | None, action: str = "register", line: int = 1) -> ops.ExpectedCapacityInput:
    return ops.ExpectedCapacityInput(
        line=line, action=action, resource_code=resource.resource_code, expected_capacity_kw=kw
    )


def test_submitted_checked_and_approved_by_another_person_registers_and_issues_the_notice(
    user_a: Any, operator: Any, approver: Any, resource_a: Any
) -> None:
    application = ops.submit_expected_capacity(
        actor=user_a, now=NOW, participant=resource_a.participant, delivery_year=YEAR, lines=[_line(resource_a, 95_000)]
    )
    assert application.state == ApplicationState.SUBMITTED

    ops.check_application(actor=operator, now=NOW, application=application)
    notice = ops.approve_application(actor=approver, now=NOW, application=application)

    application.refresh_from_db()
    assert application.state == ApplicationState.APPROVED
    ec = ExpectedCapacity.objects.get(resource=resource_a, delivery_year=YEAR)
    assert (ec.expected_capacity_kw, ec.state) == (95_000, "active")
    resource_a.refresh_from_db()
    assert resource_a.expected_capacity_kw == 95_000
    assert notice.kind == NoticeKind.EXPECTED_CAPACITY
    assert notice.content["number"] == notice.number  # recorded with its content; the PDF comes after the commit
    pdf = predelivery_notices.notice_pdf(notice=notice, now=NOW)
    assert pdf.startswith(b"%PDF")
    html = documents.render_html(
        content=documents.NoticeContent(
            title="t", number=notice.number, issued_on=NOW.date(), addressee="a", addressee_code="c"
        )
    )
    assert notice.number in html


def test_the_checker_cannot_approve_and_staff_without_the_right_cannot_check(
    user_a: Any, operator: Any, approver: Any, resource_a: Any
) -> None:
    application = ops.submit_expected_capacity(
        actor=user_a, now=NOW, participant=resource_a.participant, delivery_year=YEAR, lines=[_line(resource_a, 90_000)]
    )
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        ops.check_application(actor=user_a, now=NOW, application=application)
    ops.check_application(actor=approver, now=NOW, application=application)

    with pytest.raises(ops.UnableToActOnApplication, match="本人は承認できません"):
        ops.approve_application(actor=approver, now=NOW, application=application)
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        ops.approve_application(actor=operator, now=NOW, application=application)
    assert not ExpectedCapacity.objects.exists()


def test_a_company_cannot_apply_for_or_touch_another_companys_resource(
    user_a: Any, user_b: Any, resource_a: Any, resource_b: Any
) -> None:
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        ops.submit_expected_capacity(
            actor=user_b, now=NOW, participant=resource_a.participant, delivery_year=YEAR, lines=[_line(resource_a, 1)]
        )
    with pytest.raises(ops.UnableToActOnApplication, match="貴社の電源等にありません"):
        ops.submit_expected_capacity(
            actor=user_a,
            now=NOW,
            participant=resource_a.participant,
            delivery_year=YEAR,
            lines=[_line(resource_b, 50_000)],
        )
    application = ops.submit_expected_capacity(
        actor=user_a, now=NOW, participant=resource_a.participant, delivery_year=YEAR, lines=[_line(resource_a, 50_000)]
    )
    with pytest.raises(ops.UnableToActOnApplication, match="権限"):
        ops.withdraw_application(actor=user_b, now=NOW, application=application)
    assert queries.applications_visible_to(user=user_b).count() == 0
    assert list(queries.applications_visible_to(user=user_a)) == [application]


def test_every_bad_line_is_reported_and_nothing_is_written(user_a: Any, resource_a: Any) -> None:
    solar = make_resource(resource_a.participant, resource_type="variable_single", installed_capacity_kw=10_000)
    other = make_resource(resource_a.participant)
    lines = [
        _line(resource_a, 500, line=2),  # below the 1,000 kW minimum
        _line(resource_a, 200_000, line=3),  # repeated resource
        _line(solar, 8_000, line=4),  # above 10,000 × 0.7
        ops.ExpectedCapacityInput(line=5, action="change", resource_code=other.resource_code, expected_capacity_kw=1),
        ops.ExpectedCapacityInput(line=6, action="register", resource_code="NOPE", expected_capacity_kw=1),
    ]

    with pytest.raises(ops.UnableToActOnApplication) as refused:
        ops.submit_expected_capacity(
            actor=user_a, now=NOW, participant=resource_a.participant, delivery_year=YEAR, lines=lines
        )

    assert refused.value.messages == [
        "2行目: 期待容量: 期待容量が最低容量（1,000 kW）未満です。",
        "3行目: 電源等識別番号: 同じ電源等が申込の中で重複しています（RA000001）。",
        "4行目: 期待容量: 変動電源の期待容量が設備容量×調整係数（7,000 kW）を超えています。",
        f"5行目: 区分: {YEAR}年度の期待容量が登録されていないため変更・取消できません。",
        "6行目: 電源等識別番号: 貴社の電源等にありません（NOPE）。",
    ]
    assert not queries.applications_visible_to(user=user_a).exists()


def test_return_and_resubmit(user_a: Any, operator: Any, approver: Any, resource_a: Any) -> None:
    application = ops.submit_expected_capacity(
        actor=user_a,
        now=NOW,
        participant=resource_a.participant,
        delivery_year=YEAR,
        lines=[_line(resource_a, 110_000)],
    )
    with pytest.raises(ops.UnableToActOnApplication, match="差戻し理由"):
        ops.return_application(actor=operator, now=NOW, application=application, comment=" ")
    ops.return_application(actor=operator, now=NOW, application=application, comment="設備容量の根拠資料と合いません")
    with pytest.raises(ops.UnableToActOnApplication, match="一次審査できません"):
        ops.check_application(actor=operator, now=NOW, application=application)

    ops.resubmit_expected_capacity(actor=user_a, now=NOW, application=application, lines=[_line(resource_a, 100_500)])
    ops.check_application(actor=operator, now=NOW, application=application)
    ops.approve_application(actor=approver, now=NOW, application=application)

    assert ExpectedCapacity.objects.get(resource=resource_a).expected_capacity_kw == 100_500
    change = ops.submit_expected_capacity(
        actor=user_a,
        now=NOW,
        participant=resource_a.participant,
        delivery_year=YEAR,
        lines=[_line(resource_a, 99_000, action="change")],
    )
    ops.check_application(actor=operator, now=NOW, application=change)
    ops.approve_application(actor=approver, now=NOW, application=change)
    cancel = ops.submit_expected_capacity(
        actor=user_a,
        now=NOW,
        participant=resource_a.participant,
        delivery_year=YEAR,
        lines=[_line(resource_a, None, action="cancel")],
    )
    ops.check_application(actor=operator, now=NOW, application=cancel)
    ops.approve_application(actor=approver, now=NOW, application=cancel)

    ec = ExpectedCapacity.objects.get(resource=resource_a)
    assert (ec.expected_capacity_kw, ec.state) == (99_000, "cancelled")
    assert ec.history.count() == 3


def test_rejection_issues_a_notice_with_the_reason_and_withdrawal_is_final(
    user_a: Any, operator: Any, approver: Any, resource_a: Any
) -> None:
    application = ops.submit_expected_capacity(
        actor=user_a,
        now=NOW,
        participant=resource_a.participant,
        delivery_year=YEAR,
        lines=[_line(resource_a, 110_000)],
    )
    notice = ops.reject_application(actor=approver, now=NOW, application=application, comment="発電所の廃止計画あり")
    assert notice.kind == NoticeKind.REJECTION
    assert list(queries.notices_visible_to(user=user_a)) == [notice]

    second = ops.submit_expected_capacity(
        actor=user_a,
        now=NOW,
        participant=resource_a.participant,
        delivery_year=YEAR,
        lines=[_line(resource_a, 110_000)],
    )
    ops.withdraw_application(actor=user_a, now=NOW, application=second)
    with pytest.raises(ops.UnableToActOnApplication, match="取下げ"):
        ops.check_application(actor=operator, now=NOW, application=second)
