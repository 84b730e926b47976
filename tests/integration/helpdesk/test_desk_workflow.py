"""Work on inquiries: the portal form, the SLA clock in business hours, the status flow, four eyes on answers
(also in the database), phone calls, links checked against the company, knowledge versions and search."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.helpdesk import operations, queries
from capmarket.domain.helpdesk.models import (
    AnswerDraft,
    ArticleKind,
    CallDirection,
    CallOutcome,
    Category,
    DraftState,
    Inquiry,
    LinkKind,
    Priority,
    Status,
)
from capmarket.domain.notifications.models import OutboundEmail
from tests.factories import make_resource
from tests.integration.helpdesk.conftest import NOW
from tests.integration.helpdesk.mails import EXE, PDF

pytestmark = pytest.mark.django_db
JST = dt.timezone(dt.timedelta(hours=9))


def _ask(user: Any, **overrides: Any) -> Inquiry:
    values: dict[str, Any] = {
        "category": Category.CONTRIBUTION,
        "subject": "容量拠出金の請求額",
        "body": "6月分の請求額の内訳を教えてください。",
        "files": [],
        "now": NOW,
    }
    values.update(overrides)
    return operations.submit_portal_inquiry(actor=user, **values)


def test_a_portal_inquiry_gets_a_ticket_and_a_due_time_in_business_hours(user_a: Any, company_a: Any) -> None:
    inquiry = _ask(user_a, files=[("内訳.pdf", PDF), ("tool.exe", EXE)])

    assert inquiry.participant == company_a
    assert inquiry.ticket_no == "Q2025-00001"
    assert inquiry.status == Status.NEW
    # received Wednesday 10:00 JST, priority 中 = 27 working hours → Monday 10:00 JST
    assert inquiry.due_at.astimezone(JST) == dt.datetime(2025, 6, 9, 10, 0, tzinfo=JST)
    (message,) = queries.messages_for(user=user_a, inquiry=inquiry)
    assert {(a.filename, a.accepted) for a in message.attachments.all()} == {("内訳.pdf", True), ("tool.exe", False)}
    assert AuditEvent.objects.filter(object_type="inquiry", object_id=str(inquiry.pk)).exists()


def test_empty_input_is_refused_naming_the_field(user_a: Any) -> None:
    with pytest.raises(operations.UnableToReceiveInquiry) as refused:
        _ask(user_a, body="   ")
    assert refused.value.message_dict == {"body": ["問合せ内容を入力してください。"]}
    assert Inquiry.objects.count() == 0


def test_answers_need_a_second_person_and_go_out_through_the_outbox(user_a: Any, operator: Any, operator2: Any) -> None:
    inquiry = _ask(user_a)
    draft = operations.save_draft(
        actor=operator, inquiry=inquiry, subject="Re: 請求額", body="内訳は次のとおりです。", now=NOW
    )
    assert draft.subject.startswith(f"[{inquiry.ticket_no}]")
    with pytest.raises(operations.UnableToReviewAnswer, match="確認を依頼できるのは"):
        operations.submit_draft(actor=operator2, draft=draft, now=NOW)
    operations.submit_draft(actor=operator, draft=draft, now=NOW)
    inquiry.refresh_from_db()
    assert inquiry.status == Status.WAITING_INTERNAL

    with pytest.raises(operations.UnableToReviewAnswer, match="自分が作成した回答案"):
        operations.approve_and_send(actor=operator, draft=draft, now=NOW)
    with pytest.raises(operations.UnableToReviewAnswer, match="差戻しの理由"):
        operations.return_draft(actor=operator2, draft=draft, comment=" ", now=NOW)
    operations.return_draft(actor=operator2, draft=draft, comment="金額の根拠を添えてください。", now=NOW)
    operations.save_draft(
        actor=operator, inquiry=inquiry, subject=draft.subject, body="内訳と根拠は次のとおりです。", now=NOW
    )
    operations.submit_draft(actor=operator, draft=draft, now=NOW)
    answer_at = NOW + dt.timedelta(hours=2)
    message = operations.approve_and_send(actor=operator2, draft=draft, now=answer_at)

    inquiry.refresh_from_db()
    draft.refresh_from_db()
    assert (inquiry.status, inquiry.first_answered_at) == (Status.ANSWERED, answer_at)
    assert (draft.state, draft.reviewer) == (DraftState.SENT, operator2)
    email = OutboundEmail.objects.get()
    assert email.to == ["tanaka@asahi.example"]
    assert "内訳と根拠は次のとおりです。" in email.body
    assert inquiry.ticket_no in email.subject
    assert message.message_id == email.message_id  # a reply to the e-mail threads onto the inquiry
    assert queries.inquiry_of_message_ids(message_ids=[email.message_id]) == inquiry


def test_the_database_refuses_a_reviewer_who_wrote_the_draft(user_a: Any, operator: Any) -> None:
    inquiry = _ask(user_a)
    draft = operations.save_draft(actor=operator, inquiry=inquiry, subject="件名", body="本文", now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnswerDraft.objects.filter(pk=draft.pk).update(reviewer=operator)


def test_the_status_flow(user_a: Any, operator: Any) -> None:
    inquiry = _ask(user_a)
    operations.assign(actor=operator, inquiry=inquiry, assignee=operator, now=NOW)
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.assigned_to) == (Status.IN_PROGRESS, operator)
    with pytest.raises(operations.UnableToChangeInquiry, match="回答を送信"):
        operations.change_status(actor=operator, inquiry=inquiry, status=Status.ANSWERED, comment="", now=NOW)
    with pytest.raises(operations.UnableToChangeInquiry, match="理由"):
        operations.change_status(actor=operator, inquiry=inquiry, status=Status.CLOSED, comment="", now=NOW)
    operations.change_status(actor=operator, inquiry=inquiry, status=Status.CLOSED, comment="重複のため", now=NOW)
    inquiry.refresh_from_db()
    assert inquiry.closed_at == NOW
    with pytest.raises(operations.UnableToChangeInquiry):
        operations.change_status(actor=operator, inquiry=inquiry, status=Status.WAITING_INTERNAL, comment="", now=NOW)
    assert [e.to_value for e in queries.events_of(user=operator, inquiry=inquiry) if e.kind == "status"] == [
        Status.IN_PROGRESS,
        Status.CLOSED,
    ]


def test_a_participant_cannot_work_on_inquiries(user_a: Any) -> None:
    inquiry = _ask(user_a)
    with pytest.raises(operations.UnableToChangeInquiry):
        operations.add_note(actor=user_a, inquiry=inquiry, body="メモ", now=NOW)
    with pytest.raises(operations.UnableToChangeInquiry):
        operations.save_draft(actor=user_a, inquiry=inquiry, subject="x", body="y", now=NOW)


def test_a_higher_priority_moves_the_due_time_and_the_overdue_view_lists_it(user_a: Any, operator: Any) -> None:
    inquiry = _ask(user_a)
    operations.change_attributes(actor=operator, inquiry=inquiry, category=Category.PAYMENT, priority=Priority.HIGH,
                                 participant=inquiry.participant, now=NOW)  # fmt: skip
    inquiry.refresh_from_db()
    assert inquiry.due_at.astimezone(JST) == dt.datetime(2025, 6, 5, 10, 0, tzinfo=JST)  # 9 working hours
    overdue = queries.InquiryFilter(status="open", overdue_at=dt.datetime(2025, 6, 5, 10, 30, tzinfo=JST))
    assert list(queries.inquiries_visible_to(user=operator, filters=overdue)) == [inquiry]
    left = queries.working_seconds_left(inquiry=inquiry, now=dt.datetime(2025, 6, 5, 11, 0, tzinfo=JST))
    assert left == -3600


def test_a_phone_call_answered_on_the_phone(company_a: Any, operator: Any) -> None:
    started = dt.datetime(2025, 6, 4, 14, 0, tzinfo=JST)
    call = operations.log_phone_call(
        actor=operator, inquiry=None, direction=CallDirection.INCOMING, participant=company_a,
        caller_name="田中 一郎", caller_phone="03-1234-5678", category=Category.PAYMENT, topic="入金の確認",
        summary="6月分の入金が反映されているか", answer="6月10日に入金を確認済みとお伝えした。",
        started_at=started, duration_seconds=420, outcome=CallOutcome.ANSWERED, now=started + dt.timedelta(minutes=10),
    )  # fmt: skip
    inquiry = call.inquiry
    assert (inquiry.channel, inquiry.status, inquiry.participant) == ("phone", Status.ANSWERED, company_a)
    assert inquiry.first_answered_at == started + dt.timedelta(seconds=420)
    with pytest.raises(operations.UnableToChangeInquiry) as refused:
        operations.log_phone_call(
            actor=operator, inquiry=inquiry, direction=CallDirection.OUTGOING, participant=None, caller_name="",
            caller_phone="", category=Category.PAYMENT, topic="", summary="", answer="", started_at=started,
            duration_seconds=60, outcome=CallOutcome.ANSWERED, now=started,
        )  # fmt: skip
    assert set(refused.value.message_dict) == {"caller_name", "topic", "summary", "answer"}


def test_links_are_checked_against_the_inquiry_company(
    user_a: Any, company_a: Any, company_b: Any, operator: Any
) -> None:
    own = make_resource(company_a, resource_code="RH000001")
    make_resource(company_b, resource_code="RH000002")
    inquiry = _ask(user_a)
    link = operations.link_record(actor=operator, inquiry=inquiry, kind=LinkKind.RESOURCE, code="RH000001", now=NOW)
    assert link.target_id == str(own.pk)
    with pytest.raises(operations.UnableToChangeInquiry, match="ありません"):
        operations.link_record(actor=operator, inquiry=inquiry, kind=LinkKind.RESOURCE, code="RH000002", now=NOW)
    with pytest.raises(operations.UnableToChangeInquiry, match="異議申し立てに「OB-404」はありません"):
        operations.link_record(actor=operator, inquiry=inquiry, kind=LinkKind.OBJECTION, code="OB-404", now=NOW)
    with pytest.raises(operations.UnableToChangeInquiry, match="算定結果"):
        operations.link_record(actor=operator, inquiry=inquiry, kind=LinkKind.RESULT, code="K2025 2025-06", now=NOW)


def test_faq_versions_and_japanese_search(operator: Any, user_a: Any) -> None:
    faq, _ = operations.save_article(
        actor=operator, article=None, kind=ArticleKind.FAQ, category=Category.CONTRIBUTION,
        title="容量拠出金の請求書はいつ届きますか", body="毎月の請求書はポータルで公開します。",
        keywords="セイキュウショ 請求", published=True, change_note="新規", now=NOW,
    )  # fmt: skip
    operations.save_article(
        actor=operator, article=None, kind=ArticleKind.FAQ, category=Category.SYSTEM,
        title="パスワードを忘れました", body="管理者IDの方にリセットを依頼してください。", keywords="",
        published=False, change_note="", now=NOW,
    )  # fmt: skip
    _, changed = operations.save_article(
        actor=operator, article=faq, kind=ArticleKind.FAQ, category=Category.CONTRIBUTION, title=faq.title,
        body=faq.body, keywords=faq.keywords, published=True, change_note="", now=NOW,
    )  # fmt: skip
    assert not changed  # an unchanged form makes no version
    faq, changed = operations.save_article(
        actor=operator, article=faq, kind=ArticleKind.FAQ, category=Category.CONTRIBUTION, title=faq.title,
        body="毎月10日までにポータルで公開し、メールでお知らせします。", keywords=faq.keywords, published=True,
        change_note="公開日を追記", now=NOW + dt.timedelta(days=1),
    )  # fmt: skip
    assert (changed, faq.version) == (True, 2)
    assert [(v.version, v.changed_by) for v in queries.versions_of(article=faq)] == [(2, operator), (1, operator)]

    def titles(user: Any, query: str) -> list[str]:
        return [a.title for a in queries.search_articles(user=user, kind=ArticleKind.FAQ, query=query)]

    assert titles(user_a, "せいきゅうしょ") == [faq.title]  # hiragana finds the katakana keyword
    assert titles(user_a, "ｾｲｷｭｳｼｮ") == [faq.title]  # half-width katakana too
    assert titles(user_a, "容量拠出金　１０日") == [faq.title]  # full-width digits and space
    assert titles(user_a, "パスワード") == []  # not published: participants do not see it
    assert titles(operator, "ぱすわーど") == ["パスワードを忘れました"]
    hits = queries.suggest_articles(user=user_a, kind=ArticleKind.FAQ, typed="容量拠出金の請求書が届かないのですが")
    assert [h.article for h in hits] == [faq]
    assert queries.search_articles(user=user_a, kind=ArticleKind.TALK_SCRIPT) == []  # talk scripts are staff only
