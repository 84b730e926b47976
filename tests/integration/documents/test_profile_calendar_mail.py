"""The operator profile is versioned, the calendar is changed by staff (audited), and each document is announced
once by e-mail through the outbox (a resend is a new e-mail)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from capmarket.application.documents import mail
from capmarket.application.documents.issuing import issue_month
from capmarket.domain.accounts.models import Role
from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.calendar import operations as calendar_ops
from capmarket.domain.calendar import queries as calendar_queries
from capmarket.domain.calendar.operations import UnableToChangeCalendar
from capmarket.domain.documents import operations as document_ops
from capmarket.domain.documents.models import Document, OperatorProfile
from capmarket.domain.notifications.models import OutboundEmail
from tests.factories import make_participant, make_user
from tests.integration.documents.conftest import NOW, month_2025_04


def test_a_profile_change_is_a_new_version_and_documents_keep_theirs(
    companies: Any, operator: Any, accountant: Any, document_storage: Path
) -> None:
    issue_month(figures=month_2025_04(), actor=operator, now=NOW, render=False, send_mail=False)
    values = {f: getattr(OperatorProfile.objects.get(version=1), f) for f in document_ops.PROFILE_FIELDS}
    with pytest.raises(document_ops.UnableToChangeOperatorProfile) as refused:
        document_ops.change_operator_profile(
            actor=accountant, values={**values, "invoice_registration_no": "T1234567890123"}, note="x", now=NOW
        )
    assert "invoice_registration_no" in refused.value.message_dict
    with pytest.raises(document_ops.UnableToChangeOperatorProfile):
        document_ops.change_operator_profile(actor=operator, values=values, note="x", now=NOW)  # not 経理

    v2 = document_ops.change_operator_profile(
        actor=accountant, values={**values, "phone": "03-1111-2222"}, note="電話番号の変更", now=NOW
    )

    assert v2.version == 2
    assert set(Document.objects.values_list("operator_profile__version", flat=True)) == {1}
    assert AuditEvent.objects.filter(object_type="operator_profile").count() == 1


def test_staff_make_a_day_a_holiday_and_withdraw_it(operator: Any, db: Any) -> None:
    day = dt.date(2025, 11, 28)  # a Friday
    assert calendar_queries.is_business_day(day=day)
    change = calendar_ops.add_override(actor=operator, day=day, kind="holiday", note="システム停止", now=NOW)
    assert not calendar_queries.is_business_day(day=day)
    assert calendar_queries.previous_business_day(on_or_before=dt.date(2025, 11, 30)) == dt.date(2025, 11, 27)
    with pytest.raises(UnableToChangeCalendar):
        calendar_ops.add_override(actor=operator, day=day, kind="holiday", note="again", now=NOW)
    with pytest.raises(UnableToChangeCalendar):
        calendar_ops.add_override(
            actor=make_user(Role.PARTICIPANT_ADMIN, make_participant()),
            day=day,
            kind="holiday",
            note="x",
            now=NOW,
        )
    calendar_ops.withdraw_override(actor=operator, override_id=change.pk, now=NOW)
    assert calendar_queries.is_business_day(day=day)
    assert AuditEvent.objects.filter(object_type="calendar_override").count() == 2


def make_participant_for_test() -> Any:
    from tests.factories import make_participant

    return make_participant()


def test_each_document_is_announced_once_and_a_resend_is_a_new_email(
    companies: Any, operator: Any, document_storage: Path
) -> None:
    first = issue_month(figures=month_2025_04(), actor=operator, now=NOW, render=False)
    again = issue_month(figures=month_2025_04(), actor=operator, now=NOW, render=False)

    assert first.mailed == 4
    assert again.mailed == 0
    assert OutboundEmail.objects.filter(key__startswith="document-available:").count() == 4
    bill = Document.objects.get(document_type="contribution_invoice")
    email = OutboundEmail.objects.get(key=f"document-available:{bill.number}")
    assert email.participant_id == companies["retailer"].pk
    assert "容量拠出金請求書" in email.subject
    assert mail.queue_document_available(document=bill, actor=operator, now=NOW, resend=True)
    assert OutboundEmail.objects.filter(key__startswith=f"document-available:{bill.number}").count() == 2
