"""The side navigation: every page it may link to, shown to a user by the rules that open the page.

A link is shown when the page's own rule (``rights.page_rule`` of the view its URL resolves to) allows the user and,
for a contractor acting for a company, when the path belongs to a delegated function
(``capmarket.interfaces.access.path_allowed``) — the same two checks that answer 403 otherwise. So no user is shown
a link that refuses it, and a page opened to a new role (or a newly delegated function) appears without touching
this file. A linked view without a declared rule is a programming error (``NavigationError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.urls import resolve, reverse

from capmarket.interfaces import access
from capmarket.interfaces.web.rights import PageRule, page_rule


class NavigationError(RuntimeError):
    """A page of the navigation declares no rule of who may open it."""


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    #: shown only when that link is not (two ways to the same work: the desk replaces a company's 問合せ list)
    unless: str = ""


@dataclass(frozen=True)
class Group:
    title: str
    links: tuple[Link, ...]


MENU: tuple[Group, ...] = (
    Group("", (Link("ポータルトップ", "web:portal"),)),
    Group(
        "参加登録",
        (
            Link("事業者情報", "web:participant_list"),
            Link("電源等情報", "web:resource_list"),
            Link("容量確保契約", "web:contract_list"),
            Link("契約変更の承認", "web:change_request_list"),
            Link("一括登録", "web:intake_index"),
        ),
    ),
    Group(
        "実需給期間",
        (
            Link("精算処理", "web:settlement_runs"),
            Link("算定結果", "web:results_index"),
            Link("異議申し立て", "web:objection_list"),
        ),
    ),
    Group(
        "実需給期間前",
        (
            Link("期待容量", "web:expected_capacity"),
            Link("容量オークション", "web:auction_list"),
            Link("申込・審査", "web:application_list"),
            Link("契約書の確認", "web:confirmation_list"),
            Link("差替・退出・承継", "web:contract_procedures"),
            Link("差替掲示板", "web:replacement_board"),
            Link("実効性テスト", "web:effectiveness_tests"),
            Link("容量停止計画の調整", "web:outage_adjustment"),
            Link("容量停止計画", "web:outage_plans"),
            Link("通知書", "web:predelivery_notice_list"),
        ),
    ),
    Group(
        "広域予備率",
        (
            Link("広域予備率ボード", "web:alerts_board"),
            Link("供給力提供通知コマ", "web:alerts_notified"),
            Link("事業者への連絡", "web:alerts_messages"),
        ),
    ),
    Group(
        "問合せ",
        (
            Link("問合せ対応", "web:desk_list"),
            Link("回答期限超過", "web:desk_overdue"),
            Link("回答案の確認", "web:desk_review"),
            Link("トークスクリプト", "web:talk_script_list"),
            Link("問合せ", "web:inquiry_list", unless="web:desk_list"),
            Link("よくある質問（FAQ）", "web:faq_list"),
            Link("業務報告", "web:report_list"),
            Link("チェックリスト", "web:checklist"),
        ),
    ),
    Group(
        "帳票・会計",
        (
            Link("帳票（支払通知書・請求書）", "web:document_list"),
            Link("試算表・仕訳", "web:ledger_trial_balance"),
            Link("取引先元帳", "web:ledger_company"),
            Link("月次・年次締め", "web:ledger_closes"),
            Link("営業日カレンダー", "web:business_calendar"),
            Link("発行者情報", "web:operator_profile"),
        ),
    ),
    Group(
        "入出金",
        (
            Link("入出金結果", "web:treasury_balances"),
            Link("入出金明細の取込", "web:treasury_statements"),
            Link("入金消込（手動）", "web:treasury_queue"),
            Link("総合振込", "web:treasury_transfers"),
            Link("督促・未払事業者", "web:treasury_dunning"),
            Link("年次精算", "web:treasury_annual_list"),
        ),
    ),
    Group(
        "管理",
        (
            Link("ユーザ情報管理", "web:user_list"),
            Link("算定ルールセット", "web:ruleset_list"),
            Link("お知らせ", "web:notice_list"),
            Link("メール送信履歴", "web:email_list"),
            Link("連絡先メールアドレス", "web:contacts"),
            Link("処理一覧", "web:job_list"),
            Link("監査ログ", "web:audit_list"),
        ),
    ),
    Group(
        "システム利用",
        (
            Link("システム利用管理", "web:access_overview"),
            Link("クライアント証明書", "web:access_certificates"),
            Link("受託者", "web:access_contractors"),
            Link("受託者として操作", "web:access_acting"),
            Link("利用契約の終了", "web:access_termination"),
        ),
    ),
)


@dataclass(frozen=True)
class Item:
    label: str
    url: str
    url_name: str


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[Item, ...]


@cache
def target(url_name: str) -> tuple[str, PageRule]:
    """The path of a named page and the rule its view declares."""
    path = reverse(url_name)
    rule = page_rule(resolve(path).func)
    if rule is None:
        raise NavigationError(f"{url_name} ({path}) declares no page rule: decorate its view with guarded/requires")
    return path, rule


def may_open(*, user: Any, url_name: str) -> bool:
    """Whether the page answers ``user`` (its rule, and a contractor's delegated functions) rather than 403."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    path, rule = target(url_name)
    functions = getattr(user, "acting_functions", None)
    if functions is not None and not access.path_allowed(path, functions):
        return False
    return rule(user)


def menu_for(*, user: Any) -> list[Section]:
    """The sections of the navigation with the links ``user`` may open (empty sections left out)."""
    shown: set[str] = set()
    sections = []
    for group in MENU:
        items = []
        for link in group.links:
            if link.unless in shown or not may_open(user=user, url_name=link.url_name):
                continue
            shown.add(link.url_name)
            items.append(Item(link.label, target(link.url_name)[0], link.url_name))
        if items:
            sections.append(Section(group.title, tuple(items)))
    return sections


#: The portal top's shortcuts: pages of the menu, shown by the same rules.
PORTAL_SHORTCUTS: tuple[str, ...] = (
    "web:participant_list",
    "web:resource_list",
    "web:contract_list",
    "web:settlement_runs",
    "web:results_index",
    "web:user_list",
    "web:ruleset_list",
    "web:audit_list",
)


def shortcuts_for(*, menu: list[Section]) -> list[Item]:
    """The portal's shortcuts among the links of ``menu`` (``menu_for``), in the order of ``PORTAL_SHORTCUTS``."""
    shown = {item.url_name: item for section in menu for item in section.items}
    return [shown[name] for name in PORTAL_SHORTCUTS if name in shown]
