"""Benchmark of the inquiry desk at the scale of a busy year: 12,000 inquiries (about 50 a business day) with
messages, answers and history, 300 FAQ entries; then a monthly and a yearly report (figures, PDF, workbook), the
overdue view, the FAQ search and the suggestions while typing.

    .venv/bin/python -m tests.bench.helpdesk_bench [--inquiries 12000] [--faqs 300] [--database-url postgres://…]

Runs on a throw-away database (SQLite unless ``--database-url``) and media folder; prints wall time and peak
resident memory per step. It reports figures; it asserts no times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _step(label: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    value = fn()
    print(f"{label:<64} {time.perf_counter() - start:8.2f} s   peak RSS {_peak_mib():8.0f} MiB", flush=True)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inquiries", type=int, default=12_000)
    parser.add_argument("--faqs", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="capmarket-helpdesk-bench-") as tmp:
        os.environ["CAPMARKET_VAR_DIR"] = tmp
        os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capmarket.config.settings")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        _run(args)
    return 0


def _run(args: argparse.Namespace) -> None:
    from django.db import transaction

    from capmarket.application import operation_reports
    from capmarket.domain.accounts.models import Role, User
    from capmarket.domain.helpdesk import clock, queries
    from capmarket.domain.helpdesk import operations as ops
    from capmarket.domain.helpdesk.models import (
        ArticleKind,
        Category,
        Channel,
        Direction,
        Inquiry,
        InquiryEvent,
        InquiryMessage,
        Priority,
        Status,
    )
    from capmarket.domain.registry.models import Participant
    from capmarket.domain.reporting.models import ReportKind

    rng = random.Random(13)
    start = dt.datetime(2025, 4, 1, 0, 0, tzinfo=dt.UTC)
    companies = [
        Participant(
            participant_code=f"B{i:04d}",
            name=f"ベンチ電力{i}株式会社",
            name_kana=f"ベンチデンリョク{i}",
            is_provider=True,
            created_at=start,
            updated_at=start,
        )
        for i in range(300)
    ]
    Participant.objects.bulk_create(companies)
    companies = list(Participant.objects.order_by("id"))
    staff = User.objects.create(username="bench-operator", role=Role.OPERATOR, full_name="ベンチ 担当")
    provider = User.objects.create(
        username="bench-provider", role=Role.PARTICIPANT_USER, participant=companies[0], full_name="ベンチ 事業者"
    )
    is_business_day = clock.business_day_predicate()
    hours = clock.desk_hours()

    def build() -> int:
        inquiries: list[Inquiry] = []
        day = start
        n = 0
        while n < args.inquiries:
            day += dt.timedelta(days=1)
            if not is_business_day(day.astimezone(hours.tz).date()):
                continue
            for _ in range(min(50, args.inquiries - n)):
                n += 1
                received = day + dt.timedelta(minutes=rng.randrange(0, 9 * 60))
                answered = received + dt.timedelta(hours=rng.choice([1, 3, 6, 20, 30, 60]))
                done = rng.random() < 0.93
                inquiries.append(
                    Inquiry(
                        ticket_no=f"Q2025-{n:05d}",
                        participant=rng.choice(companies),
                        channel=rng.choice(Channel.values),
                        category=rng.choice(Category.values),
                        status=Status.ANSWERED if done else Status.IN_PROGRESS,
                        priority=Priority.NORMAL,
                        subject=f"ベンチの問合せ {n}",
                        received_at=received,
                        clock_started_at=received,
                        due_at=clock.due_at(start=received, priority=Priority.NORMAL, is_business_day=is_business_day),
                        first_answered_at=answered if done else None,
                        last_answered_at=answered if done else None,
                        updated_at=received,
                    )
                )
        with transaction.atomic():
            Inquiry.objects.bulk_create(inquiries, batch_size=2000)
            saved = list(Inquiry.objects.order_by("id"))
            InquiryMessage.objects.bulk_create(
                [
                    InquiryMessage(
                        inquiry=i,
                        direction=Direction.INBOUND,
                        channel=i.channel,
                        subject=i.subject,
                        body="容量拠出金の請求書について教えてください。" * 5,
                        created_at=i.received_at,
                    )
                    for i in saved
                ],
                batch_size=2000,
            )
            InquiryEvent.objects.bulk_create(
                [InquiryEvent(inquiry=i, kind="created", to_value=i.channel, occurred_at=i.received_at) for i in saved],
                batch_size=2000,
            )
        return len(saved)

    count = _step(f"load {args.inquiries:,} inquiries with messages and history", build)
    words = [
        "請求書",
        "容量拠出金",
        "ペナルティ",
        "アセスメント",
        "予備率",
        "入金",
        "督促",
        "ログイン",
        "パスワード",
        "経過措置",
    ]

    def faqs() -> None:
        for i in range(args.faqs):
            a, b = rng.sample(words, 2)
            ops.save_article(
                actor=staff,
                article=None,
                kind=ArticleKind.FAQ,
                category=rng.choice(Category.values),
                title=f"{a}と{b}について（{i}）",
                body=f"{a}は{b}の手続きの後に確認できます。" * 3,
                keywords=f"{a} {b}",
                published=True,
                change_note="",
                now=start,
            )

    _step(f"save {args.faqs} FAQ entries (versions, normalised text)", faqs)
    _step(
        "FAQ search 'せいきゅうしょ' (participant view) ×100",
        lambda: [
            queries.search_articles(user=provider, kind=ArticleKind.FAQ, query="せいきゅうしょ") for _ in range(100)
        ],
    )
    _step(
        "FAQ suggestions while typing ×100",
        lambda: [
            queries.suggest_articles(user=provider, kind=ArticleKind.FAQ, typed="容量拠出金の請求書が届きません")
            for _ in range(100)
        ],
    )
    now = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)
    overdue = queries.InquiryFilter(status="open", overdue_at=now)
    _step(
        "overdue view: first page of 50 with working hours left",
        lambda: [
            queries.working_seconds_left(inquiry=i, now=now)
            for i in queries.inquiries_visible_to(user=staff, filters=overdue)[:50]
        ],
    )
    _step(
        "monthly report figures (June)",
        lambda: operation_reports.build_report_data(
            period=operation_reports.period_of(kind=ReportKind.MONTHLY, day=dt.date(2025, 6, 1)), now=now
        ),
    )
    _step(
        "monthly report with PDF and workbook",
        lambda: operation_reports.generate_report(
            kind=ReportKind.MONTHLY, day=dt.date(2025, 6, 1), actor=None, now=now
        ),
    )
    _step(
        f"業務総括報告書 (fiscal year, {count:,} inquiries) with PDF and workbook",
        lambda: operation_reports.generate_report(
            kind=ReportKind.SUMMARY, day=dt.date(2025, 6, 1), actor=None, now=now
        ),
    )


if __name__ == "__main__":
    raise SystemExit(main())
