"""Japanese texts of the alerts: how slots, margins and dates read in e-mails, pages and CSV files, and the
pre-set patterns (予め設定したパターン) with their placeholders."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from capmarket.calc.market import AREA_NAMES_JA, AREAS

WEEKDAYS_JA: Final = ("月", "火", "水", "木", "金", "土", "日")

PLACEHOLDERS: Final[dict[str, str]] = {
    "事業者名": "宛先の事業者名（送信時に宛先ごとに置き換わります）",
    "公表日時": "広域予備率の公表日時",
    "公表区分": "翌日・当日・翌々日・週間",
    "基準": "判定基準の広域予備率（例: 8%）",
    "エリア": "対象エリアの一覧",
    "対象日": "対象日の一覧",
    "対象コマ": "対象コマの一覧（エリア・日付・時間帯・予備率）",
}

_PLACEHOLDER: Final = re.compile(r"\{([^{}\s]{1,20})\}")


def render(*, template: str, values: Mapping[str, str]) -> str:
    """Replace ``{名前}`` placeholders with their values; unknown names are left as written (no format-string
    evaluation: a template can only insert the values it is given)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def unknown_placeholders(*, template: str) -> list[str]:
    return sorted({m.group(1) for m in _PLACEHOLDER.finditer(template)} - set(PLACEHOLDERS))


def margin_text(*, milli_pct: int | None, blackout: bool = False) -> str:
    """Thousandths of a percent as the published figure: 6500 → ``6.50%``, 6125 → ``6.125%``; blackout ``***``."""
    if blackout or milli_pct is None:
        return "***"
    sign = "-" if milli_pct < 0 else ""
    whole, frac = divmod(abs(milli_pct), 1000)
    decimals = f"{frac:03d}"
    if decimals.endswith("0"):
        decimals = decimals[:2]
    return f"{sign}{whole}.{decimals}%"


def threshold_text(*, numerator: int, denominator: int) -> str:
    if numerator % denominator == 0:
        return f"{numerator // denominator}%"
    whole, rest = divmod(numerator * 1000 // denominator, 1000)
    return f"{whole}.{rest:03d}".rstrip("0") + "%"


def slot_start(*, slot: int) -> str:
    minutes = (slot - 1) * 30
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def slot_end(*, slot: int) -> str:
    minutes = slot * 30
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def slot_span(*, slot_from: int, slot_to: int) -> str:
    """``17:00〜18:30（コマ35〜37）``."""
    slots = f"コマ{slot_from}" if slot_from == slot_to else f"コマ{slot_from}〜{slot_to}"
    return f"{slot_start(slot=slot_from)}〜{slot_end(slot=slot_to)}（{slots}）"


def date_text(*, day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS_JA[day.weekday()]}）"


def area_name(*, area: str) -> str:
    return AREA_NAMES_JA.get(area, area)


def areas_text(*, areas: Iterable[str]) -> str:
    order = {a: i for i, a in enumerate(AREAS)}
    return "、".join(area_name(area=a) for a in sorted(set(areas), key=lambda a: order.get(a, 99)))


SlotRow = tuple[str, dt.date, int, int | None, bool]  # area, date, slot, margin (milli %), blackout


def slot_listing(*, rows: Sequence[SlotRow], with_margin: bool = True) -> str:
    """The slots grouped by area and date, consecutive slots as one span with their lowest margin."""
    order = {a: i for i, a in enumerate(AREAS)}
    lines: list[str] = []
    by_area: dict[str, list[SlotRow]] = {}
    for row in rows:
        by_area.setdefault(row[0], []).append(row)
    for area in sorted(by_area, key=lambda a: order.get(a, 99)):
        lines.append(f"■{area_name(area=area)}エリア")
        area_rows = sorted(by_area[area], key=lambda r: (r[1], r[2]))
        spans: list[list[SlotRow]] = []
        for row in area_rows:
            if spans and spans[-1][-1][1] == row[1] and spans[-1][-1][2] + 1 == row[2]:
                spans[-1].append(row)
            else:
                spans.append([row])
        for span in spans:
            text = f"  {date_text(day=span[0][1])} {slot_span(slot_from=span[0][2], slot_to=span[-1][2])}"
            if with_margin:
                if any(r[4] for r in span):
                    lowest = "***（ブラックアウト）"
                else:
                    lowest = margin_text(milli_pct=min(r[3] for r in span if r[3] is not None))
                text += f" 広域予備率 {lowest}" if len(span) == 1 else f" 最低 {lowest}"
            lines.append(text)
    return "\n".join(lines)


SIGNATURE: Final = (
    "\n\n――――――――――――――――――――\n"
    "電力広域的運営推進機関 容量市場システム\n"
    "本メールは送信専用アドレスから送信しています。ご返信いただいてもお答えできません。"
)

DEFAULT_PATTERNS: Final[dict[str, tuple[str, str]]] = {
    "auto_below": (
        "【容量市場】広域予備率低下のお知らせ（{公表日時}公表）",
        "{事業者名} 御中\n\n"
        "広域予備率Web公表システムで{公表日時}に公表された広域予備率（{公表区分}）が、"
        "貴社の電源等が所在するエリアで{基準}を下回りました。\n"
        "対象コマは次のとおりです。供給力の提供（市場への応札）についてご確認をお願いいたします。\n\n"
        "{対象コマ}\n\n"
        "対象コマの一覧は容量市場システムの「広域予備率低下に伴う供給力提供通知管理」画面でもご確認いただけます。"
        + SIGNATURE,
    ),
    "auto_recovered": (
        "【容量市場】広域予備率回復のお知らせ（{公表日時}公表）",
        "{事業者名} 御中\n\n"
        "先にお知らせした広域予備率の低下について、{公表日時}の公表（{公表区分}）で次のコマの広域予備率が"
        "{基準}以上に回復しました。\n\n"
        "{対象コマ}\n" + SIGNATURE,
    ),
    "correction": (
        "【容量市場】広域予備率の誤算定に関するお詫びと訂正（{公表日時}公表分）",
        "{事業者名} 御中\n\n"
        "{公表日時}に公表した広域予備率に誤りがありました。お詫びして訂正いたします。\n"
        "訂正により判定が変わったコマは次のとおりです。\n\n"
        "{対象コマ}\n\n"
        "訂正後の数値で改めてご確認をお願いいたします。" + SIGNATURE,
    ),
    "system_trouble": (
        "【容量市場】システムトラブル発生のお知らせ",
        "{事業者名} 御中\n\n"
        "広域予備率Web公表システムにおいてシステムトラブルが発生しています。\n"
        "対象エリア: {エリア}\n\n"
        "（発生日時・影響・復旧見込みを記載してください）\n\n"
        "復旧次第、改めてお知らせいたします。" + SIGNATURE,
    ),
    "caution": (
        "【容量市場】需給状況に関する注意喚起",
        "{事業者名} 御中\n\n"
        "{エリア}エリアの需給状況が厳しくなる見込みです。\n\n"
        "{対象コマ}\n\n"
        "電源等の計画外停止の回避と、供給力の提供（市場への応札）についてご協力をお願いいたします。" + SIGNATURE,
    ),
    "free": ("【容量市場】お知らせ", "{事業者名} 御中\n\n（本文を記載してください）" + SIGNATURE),
}
