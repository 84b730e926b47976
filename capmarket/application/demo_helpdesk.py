"""Demo data of the inquiry desk and the operation reports: FAQ entries and talk scripts (with a second version),
inquiries of the last two weeks in every state and from every channel (mail, portal, phone) — one answered after a
returned draft, some overdue, one waiting for review — the daily checklist ticked on past business days, and the
reports of the last business day and the last week.

Everything goes through the domains' operations with times in the past, as if the desk had been working.
"""

from __future__ import annotations

import datetime as dt
import random
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from capmarket.application import operation_reports
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.helpdesk import clock
from capmarket.domain.helpdesk import operations as desk_ops
from capmarket.domain.helpdesk import queries as desk_queries
from capmarket.domain.helpdesk.models import (
    ArticleKind,
    CallDirection,
    CallOutcome,
    Category,
    LinkKind,
    Priority,
    Status,
)
from capmarket.domain.reporting import operations as report_ops
from capmarket.domain.reporting import queries as report_queries
from capmarket.domain.reporting.models import ReportKind

JST: Final = ZoneInfo("Asia/Tokyo")

FAQS: Final[tuple[tuple[str, str, str, str], ...]] = (
    (Category.CONTRIBUTION, "容量拠出金の請求書はいつ、どこで受け取れますか",
     "毎月10日までに本システムの「帳票」に掲載し、登録された連絡先メールアドレスにお知らせします。郵送はしていません。",
     "請求書 セイキュウショ 掲載 再発行"),
    (Category.CONTRIBUTION, "容量拠出金の算定方法を教えてください",
     "小売電気事業者の容量拠出金は、エリアごとの拠出総額をH3需要の比率とシェア変動を反映した配分比率で按分して算定します。詳細は容量拠出金説明会資料をご覧ください。",
     "H3需要 配分比率 シェア変動 算定"),
    (Category.PAYMENT, "請求書の支払期日が休日のときはどうなりますか",
     "支払期日が銀行休業日にあたる場合は、前営業日までにお振込みください。振込手数料はご負担ください。",
     "期日 休日 振込 支払"),
    (Category.PAYMENT, "入金が反映されていません",
     "入金の消込は着金の翌営業日に行います。2営業日を過ぎても反映されない場合は、振込日・金額・振込名義をお知らせください。",
     "入金 消込 反映 振込名義"),
    (Category.PENALTY, "経済的ペナルティの算定根拠はどこで確認できますか",
     "「算定結果」画面のリクワイアメント別未達成コマと倍率の明細で確認できます。CSVでダウンロードもできます。",
     "ペナルティ 未達成コマ 倍率 明細"),
    (Category.ASSESSMENT, "発動指令電源の実効性テストの結果はいつ通知されますか",
     "実効性テストの結果は、テスト実施月の翌月末までに本システムでお知らせします。",
     "実効性テスト 発動指令 結果"),
    (Category.CONTRACT_AMOUNT, "容量確保契約金額の経過措置控除とは何ですか",
     "2010年度以前に建設された電源等について、約定価格から一定率を控除する措置です。控除率は実需給年度のルールセットで確認できます。",
     "経過措置 控除 契約金額"),
    (Category.RESERVE_MARGIN, "広域予備率低下のメールが届きません",
     "連絡先メールアドレス（用途: 広域予備率低下等の連絡）の登録をご確認ください。"
     "迷惑メールフォルダに振り分けられていないかもご確認ください。",
     "予備率 メール 届かない 連絡先"),
    (Category.SYSTEM, "パスワードを忘れました",
     "事業者の管理者IDをお持ちの方にパスワードの再設定を依頼してください。管理者IDのパスワードは広域機関で再設定します。",
     "パスワード ログイン ロック 再設定"),
    (Category.SYSTEM, "一括登録でエラーになります",
     "エラー一覧に行・項目・内容が表示されます。"
     "テンプレートの項目名と文字コード（UTF-8 または Shift_JIS）をご確認ください。",
     "一括登録 アップロード エラー CSV"),
)  # fmt: skip

TALK_SCRIPTS: Final[tuple[tuple[str, str, str], ...]] = (
    (Category.OTHER, "電話の受け方（共通）",
     "「お電話ありがとうございます。電力広域的運営推進機関 容量市場 問合せ窓口の〇〇です。」\n"
     "1. 事業者名・ご担当者名・折り返し先の電話番号をうかがう\n2. ご用件を復唱して確認する\n"
     "3. その場で回答できない場合は「確認のうえ、本日中（または〇営業日以内）に折り返します」と伝え、"
     "問合せ番号をお伝えする"),
    (Category.PAYMENT, "入金遅延の架電",
     "「容量拠出金のお支払いについてご連絡しました。〇月分（請求書番号〇〇）のご入金が本日時点で確認できておりません。」\n"
     "・お振込み予定日をうかがう\n・既にお振込み済みの場合は振込日と振込名義をうかがう\n・督促状の送付予定日をお伝えする"),
    (Category.RESERVE_MARGIN, "予備率の誤算定時の連絡",
     "「本日〇時公表の広域予備率に誤りがあり、訂正しました。先ほどのメールは訂正後の値でご確認ください。」\n"
     "・訂正後の値は広域予備率Web公表システムでご確認いただくよう案内する"),
    (Category.PENALTY, "算定結果への異議の受付",
     "「算定結果への異議は、本システムの算定結果画面の該当行から申し立てできます。」\n"
     "・対象の電源等・月・リクワイアメントをうかがい、画面の場所を案内する\n・申立て期限をお伝えする"),
)  # fmt: skip

INQUIRIES: Final[tuple[tuple[str, str, str, str], ...]] = (
    # channel, category, subject, body
    (
        "portal",
        Category.CONTRIBUTION,
        "6月分の容量拠出金の請求額について",
        "前月より大きく増えています。内訳を教えてください。",
    ),
    ("email", Category.PAYMENT, "振込名義の相違について", "親会社名義で振り込みました。消込をお願いします。"),
    ("portal", Category.PENALTY, "ペナルティの算定根拠", "5月のペナルティの対象コマを教えてください。"),
    ("email", Category.SYSTEM, "ログインできません", "パスワードを5回間違えてロックされました。"),
    ("phone", Category.PAYMENT, "入金予定の連絡", "今月分は月末に振り込むとの連絡。"),
    ("portal", Category.ASSESSMENT, "実効性テストの日程変更", "設備の点検のため、テスト日を変更したいです。"),
    (
        "email",
        Category.RESERVE_MARGIN,
        "予備率低下メールの宛先追加",
        "当社の運転監視部門のアドレスも宛先に追加したい。",
    ),
    ("portal", Category.CONTRACT_AMOUNT, "経過措置の適用について", "当社の〇〇発電所は経過措置の対象でしょうか。"),
    ("phone", Category.OTHER, "説明会資料の所在", "説明会資料の掲載場所を知りたいとの問合せ。"),
    (
        "email",
        Category.CONTRIBUTION,
        "請求書の再発行",
        "担当者が変わったため、請求書の宛名を変更して再発行してください。",
    ),
    ("portal", Category.SYSTEM, "一括登録のエラー", "発電計画のアップロードで文字コードのエラーが出ます。"),
    ("email", Category.OTHER, "容量市場の制度について", "来年度の制度変更の予定を教えてください。"),
)
#: what happens to each inquiry above: answered, closed, in review, returned then answered, open, overdue …
FATES: Final = (
    "answered", "closed", "answered", "answered", "phone", "review", "in_progress", "returned_then_answered",
    "phone_info", "new", "waiting", "new_high",
)  # fmt: skip


def _business_days_before(now: dt.datetime, count: int) -> list[dt.date]:
    is_business_day = clock.business_day_predicate()
    days: list[dt.date] = []
    day = now.astimezone(JST).date() - dt.timedelta(days=1)
    while len(days) < count:
        if is_business_day(day):
            days.append(day)
        day -= dt.timedelta(days=1)
    return sorted(days)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=JST)


def load_demo_helpdesk(*, now: dt.datetime, generate_reports: bool = True) -> dict[str, int]:
    """Load the desk's demo data (expects the demo market's users)."""
    rng = random.Random(13)  # noqa: S311 — reproducible synthetic data
    staff = list(User.objects.filter(username__in=["demo-operator", "demo-approver"]).order_by("username"))
    askers = list(User.objects.filter(role=Role.PARTICIPANT_USER, participant__isnull=False).order_by("username"))
    if len(staff) < 2 or not askers:
        return {}
    approver, operator = staff  # "demo-approver" < "demo-operator"
    days = _business_days_before(now, 10)
    start = _at(days[0], 9) - dt.timedelta(days=1)
    for category, title, body, keywords in FAQS:
        desk_ops.save_article(actor=operator, article=None, kind=ArticleKind.FAQ, category=category, title=title,
                              body=body, keywords=keywords, published=True, change_note="初版", now=start)  # fmt: skip
    faq = desk_ops.save_article(
        actor=approver, article=None, kind=ArticleKind.FAQ, category=Category.SYSTEM,
        title="クライアント証明書の有効期限が切れました", body="管理者IDの方が証明書の再発行を申請してください。",
        keywords="証明書 期限", published=False, change_note="下書き", now=start,
    )[0]  # fmt: skip
    desk_ops.save_article(
        actor=approver, article=faq, kind=ArticleKind.FAQ, category=Category.SYSTEM, title=faq.title,
        body=faq.body + "再発行まで3営業日ほどかかります。", keywords=faq.keywords, published=True,
        change_note="所要日数を追記して公開", now=start + dt.timedelta(hours=2),
    )  # fmt: skip
    for category, title, body in TALK_SCRIPTS:
        desk_ops.save_article(
            actor=approver, article=None, kind=ArticleKind.TALK_SCRIPT, category=category, title=title, body=body,
            keywords="", published=True, change_note="初版", now=start,
        )  # fmt: skip

    made: list[Any] = []
    for index, ((channel, category, subject, body), fate) in enumerate(zip(INQUIRIES, FATES, strict=True)):
        day = days[min(len(days) - 1, index * len(days) // len(INQUIRIES))]
        received = _at(day, rng.choice([9, 10, 11, 13, 14, 16]), rng.choice([0, 10, 25, 40, 55]))
        asker = askers[index % len(askers)]
        inquiry = _demo_inquiry(channel=channel, category=category, subject=subject, body=body, asker=asker,
                                operator=operator, at=received, index=index)  # fmt: skip
        if inquiry is None:
            continue
        made.append(inquiry)
        _play(fate, inquiry=inquiry, operator=operator, approver=approver, received=received, now=now)
    linked = _link_a_document(inquiries=made, operator=operator, now=now)

    ticks = 0
    for day in days[:-1]:
        for line in report_queries.checklist_for(day=day):
            if rng.random() < 0.9:
                report_ops.tick(actor=rng.choice(staff), item=line.item, day=day, note="",
                                now=_at(day, 9 + line.item.sort_order // 30, line.item.sort_order % 60))  # fmt: skip
                ticks += 1
    reports = 0
    if generate_reports:
        operation_reports.generate_report(kind=ReportKind.DAILY, day=days[-1], actor=None, now=_at(days[-1], 18, 30))
        last_week = now.astimezone(JST).date() - dt.timedelta(days=7)
        operation_reports.generate_report(kind=ReportKind.WEEKLY, day=last_week, actor=None, now=now)
        # this month so far: the documents the demo has just issued appear in its 帳票の発行 section
        operation_reports.generate_report(kind=ReportKind.MONTHLY, day=now.astimezone(JST).date(), actor=None, now=now)
        reports = 3
    return {"faqs": len(FAQS) + 1, "talk_scripts": len(TALK_SCRIPTS), "inquiries": len(made), "ticks": ticks,
            "reports": reports, "document_links": linked}  # fmt: skip


def _link_a_document(*, inquiries: list[Any], operator: User, now: dt.datetime) -> int:
    """One inquiry about money names one of its company's documents (帳票), preferring one with its PDF."""
    about_money = {Category.CONTRACT_AMOUNT, Category.CONTRIBUTION, Category.PAYMENT, Category.PENALTY}
    for inquiry in sorted(inquiries, key=lambda i: (i.category not in about_money, i.pk)):
        documents = desk_queries.linkable_documents(user=operator, inquiry=inquiry)
        if documents:
            chosen = next((d for d in documents if getattr(d, "has_pdf", False)), documents[0])
            desk_ops.link_record(actor=operator, inquiry=inquiry, kind=LinkKind.DOCUMENT, code=chosen.number, now=now)
            return 1
    return 0


def _demo_inquiry(
    *, channel: str, category: str, subject: str, body: str, asker: User, operator: User, at: dt.datetime, index: int
) -> Any:
    if channel == "portal":
        return desk_ops.submit_portal_inquiry(actor=asker, category=category, subject=subject, body=body, files=[],
                                              now=at)  # fmt: skip
    if channel == "phone":
        call = desk_ops.log_phone_call(
            actor=operator, inquiry=None, direction=CallDirection.INCOMING, participant=asker.participant,
            caller_name=asker.full_name or asker.username, caller_phone="03-0000-0000", category=category,
            topic=subject, summary=body, answer="", started_at=at, duration_seconds=300 + 60 * index,
            outcome=CallOutcome.ESCALATED, now=at + dt.timedelta(minutes=15),
        )  # fmt: skip
        return call.inquiry
    message = EmailMessage()
    message["From"] = Address(asker.full_name or asker.username, addr_spec=asker.email or "demo@example.jp")
    message["To"] = "youryou-toiawase@occto.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = f"<demo-{index}@{(asker.email or 'demo@example.jp').rpartition('@')[2]}>"
    message.set_content(body)
    raw = message.as_bytes()
    return desk_ops.receive_email(raw=raw, mailbox="demo", arrived_at=at, now=at).inquiry


def _answer(inquiry: Any, author: User, reviewer: User, at: dt.datetime, body: str) -> Any:
    draft = desk_ops.save_draft(actor=author, inquiry=inquiry, subject=desk_ops.default_answer_subject(inquiry=inquiry),
                                body=body, now=at)  # fmt: skip
    desk_ops.submit_draft(actor=author, draft=draft, now=at + dt.timedelta(minutes=5))
    return draft


def _play(fate: str, *, inquiry: Any, operator: User, approver: User, received: dt.datetime, now: dt.datetime) -> None:
    later = received + dt.timedelta(hours=3)
    if fate in {"new", "phone_info"}:
        return
    desk_ops.assign(actor=approver, inquiry=inquiry, assignee=operator, now=received + dt.timedelta(minutes=30))
    if fate == "new_high":
        desk_ops.change_attributes(
            actor=approver, inquiry=inquiry, category=inquiry.category, priority=Priority.HIGH,
            participant=inquiry.participant, now=received + dt.timedelta(minutes=31),
        )  # fmt: skip
        return
    if fate == "in_progress":
        desk_ops.add_note(actor=operator, inquiry=inquiry, body="運用部門に確認中。回答は明日の予定。", now=later)
        return
    if fate == "waiting":
        desk_ops.change_status(actor=operator, inquiry=inquiry, status=Status.WAITING_INTERNAL,
                               comment="経理に確認中", now=later)  # fmt: skip
        return
    body = (
        f"お問合せありがとうございます。「{inquiry.subject}」について回答いたします。詳細は添付の手順をご確認ください。"
    )
    draft = _answer(inquiry, operator, approver, later, body)
    if fate == "review":
        return
    if fate == "returned_then_answered":
        desk_ops.return_draft(actor=approver, draft=draft, comment="根拠となる資料名を添えてください。",
                              now=later + dt.timedelta(minutes=30))  # fmt: skip
        desk_ops.save_draft(
            actor=operator, inquiry=inquiry, subject=draft.subject,
            body=body + "（根拠: 容量市場 業務マニュアル 第3章）", now=later + dt.timedelta(hours=1),
        )  # fmt: skip
        desk_ops.submit_draft(actor=operator, draft=draft, now=later + dt.timedelta(hours=1, minutes=5))
    desk_ops.approve_and_send(actor=approver, draft=draft, now=min(now, later + dt.timedelta(hours=2)))
    if fate == "closed":
        desk_ops.change_status(actor=operator, inquiry=inquiry, status=Status.CLOSED, comment="",
                               now=min(now, later + dt.timedelta(days=1)))  # fmt: skip
