"""The daily dunning (督促) of overdue invoices and contribution bills.

On each business day (the operator's calendar) the job looks at every open document past its due date, counts the
business days late and, at the configured steps (``CAPMARKET_DUNNING_STEPS``, default 1, 10 and 20 business days),
e-mails a reminder to the company's billing contacts through the outbox; from the second step on it also issues a
督促状 PDF (rendered like the documents, stored once); at the last step the company is proposed for the non-payer
list, which staff review and another person approves before it is published in the お知らせ. Everything is keyed
by document and step: a rerun on the same day (or a killed worker) sends nothing twice. The clock is passed in.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from capmarket.application.documents.issuing import font_dir
from capmarket.application.documents.mail import billing_recipients
from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.calendar import queries as calendar_queries
from capmarket.domain.documents.models import Document, DocumentType
from capmarket.domain.documents.pdf import html_to_pdf
from capmarket.domain.documents.rendering import TITLES, ja_date, yen
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress, ignore_progress
from capmarket.domain.treasury import operations as treasury
from capmarket.domain.treasury import queries
from capmarket.domain.treasury.dunning import DEFAULT_STEPS, business_days_late, reminder_step_due

JOB_KIND = "treasury.dunning"
#: the job runs from this local hour on (the scheduler's tick asks every minute; one job per day)
RUN_FROM_HOUR = 9


def steps() -> tuple[int, ...]:
    return tuple(getattr(settings, "CAPMARKET_DUNNING_STEPS", DEFAULT_STEPS))


def _email(
    document: Document, *, step: int, late: int, outstanding: int, to: list[str]
) -> tuple[str, str, str, list[str]]:
    title = TITLES[document.document_type]
    subject = f"【容量市場システム】お支払いのお願い（{title} {document.number}）"
    body = (
        f"{document.recipient_name} ご担当者様\n\n"
        f"{title}（文書番号 {document.number}）のお支払いを、支払期日 {ja_date(day=document.due_date)} から"
        f"{late}営業日を経過した現在、確認できておりません。\n\n"
        f"未入金額: {outstanding:,}円\n\n"
        "至急お支払いくださいますようお願いいたします。本メールと行き違いでお支払い済みの場合はご容赦ください。\n"
        "入金状況はポータルの「入出金結果」画面でご確認いただけます。\n\n電力広域的運営推進機関 容量市場システム"
    )
    return f"dunning:{document.number}:{step}", subject, body, to


def _letter(
    document: Document, *, step: int, late: int, outstanding: int, as_of: dt.date, last: bool
) -> tuple[str, bytes]:
    profile = document.operator_profile
    year, month = document.delivery_month.split("-")
    html = render_to_string(
        "treasury/dunning_letter.html",
        {
            "d": document,
            "profile": profile,
            "title": "督促状",
            "document_title": TITLES[document.document_type],
            "issue_date": ja_date(day=as_of),
            "due_date": ja_date(day=document.due_date),
            "days_late": late,
            "step_days": step,
            "outstanding": yen(amount=outstanding),
            "total": yen(amount=document.total_yen),
            "received": yen(amount=document.total_yen - outstanding),
            "period_label": "対象" if document.document_type == DocumentType.EXIT_PENALTY_INVOICE else "対象月",
            "delivery_month": (
                f"実需給年度 {document.delivery_year}年度（市場退出）"
                if document.document_type == DocumentType.EXIT_PENALTY_INVOICE
                else f"{int(year)}年{int(month)}月分"
            ),
            "profile_bank": (
                f"金融機関 {profile.bank_code} 支店 {profile.branch_code} "
                f"口座番号 {profile.account_number} {profile.account_holder_kana}"
            ),
            "last_step": last,
        },
    )
    return f"dunning/{document.fiscal_year}/{document.number}-{step}.pdf", html_to_pdf(html=html, font_dir=font_dir())


def run_dunning(*, as_of: dt.date, now: dt.datetime, progress: Progress = ignore_progress) -> dict[str, Any]:
    calendar = calendar_queries.load_calendar()
    configured: Sequence[int] = steps()
    overdue = [x for x in queries.open_documents(due_before=as_of) if x.document.due_date is not None]
    progress(0, len(overdue), f"期日を過ぎた未入金の帳票 {len(overdue)}件")
    recipients = billing_recipients([x.document for x in overdue])
    sent_steps = queries.dunning_steps_sent(document_ids=[x.document.pk for x in overdue])
    reminders = letters = 0
    at_last_step: dict[int, list[Any]] = defaultdict(list)
    for done, x in enumerate(overdue, start=1):
        d = x.document
        assert d.due_date is not None
        late = business_days_late(due_date=d.due_date, as_of=as_of, is_business_day=calendar.is_business_day)
        if late >= configured[-1]:
            at_last_step[d.participant_id].append(x)
        step = reminder_step_due(
            due_date=d.due_date,
            as_of=as_of,
            steps=configured,
            already_sent=sent_steps.get(d.pk, ()),
            is_business_day=calendar.is_business_day,
        )
        if step is not None:
            index = configured.index(step)
            letter = (
                _letter(
                    d, step=step, late=late, outstanding=x.outstanding_yen, as_of=as_of, last=step == configured[-1]
                )
                if index >= 1
                else None
            )
            _, created = treasury.record_dunning_step(
                document=d,
                as_of=as_of,
                step_days=step,
                business_days_late=late,
                outstanding_yen=x.outstanding_yen,
                email=_email(
                    d, step=step, late=late, outstanding=x.outstanding_yen, to=recipients.get(d.participant_id, [])
                ),
                letter=letter,
                now=now,
            )
            reminders += created
            letters += int(created and letter is not None)
        progress(done, len(overdue), f"{d.number}")
    proposed = 0
    for items in at_last_step.values():
        participant = items[0].document.participant
        _, created = treasury.propose_non_payer(
            participant=participant,
            as_of=as_of,
            overdue_yen=sum(x.outstanding_yen for x in items),
            document_numbers=sorted(x.document.number for x in items),
            now=now,
        )
        proposed += created
    return {
        "as_of": as_of.isoformat(),
        "overdue": len(overdue),
        "reminders": reminders,
        "letters": letters,
        "proposed": proposed,
    }


def run_job(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    return run_dunning(as_of=dt.date.fromisoformat(str(job.inputs["as_of"])), now=now, progress=progress)


def request_daily_run(*, now: dt.datetime) -> int | None:
    """Periodic duty: from ``RUN_FROM_HOUR`` local time on a business day, queue the day's dunning (once a day)."""
    local = timezone.localtime(now)
    if local.hour < RUN_FROM_HOUR or not calendar_queries.is_business_day(day=local.date()):
        return None
    return start_run(as_of=local.date(), actor=None, now=now)[0].pk


def start_run(*, as_of: dt.date, actor: Any, now: dt.datetime) -> tuple[Job, bool]:
    """Queue the dunning of ``as_of`` (one job per day; staff asking again get the same job)."""
    owner = actor if actor is not None else account_ops.system_account(now=now)
    return job_ops.enqueue(
        kind=JOB_KIND,
        owner=owner,
        participant=None,
        inputs={"as_of": as_of.isoformat()},
        idempotency_key=f"{JOB_KIND}:{as_of.isoformat()}",
        now=now,
    )
