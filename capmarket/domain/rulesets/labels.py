"""What people read about rule-set parameters: a Japanese name for each parameter of rules.md §6 and its value
written as a person expects it (percentages, コマ, か月, あり/なし). Participants see these only; the parameter codes,
sources and confidences (developers' notes such as "unverified" or "[decision]") are for operator staff."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final

#: name → (Japanese name, how the value reads)
PARAMETERS: Final[dict[str, tuple[str, str]]] = {
    "transitional_deduction_rate": ("経過措置による控除率", "percent"),
    "outage_allowance_slots": ("計画停止の許容コマ数（年間）", "slots"),
    "outage_rate": ("計画停止の超過1コマあたりのペナルティ率", "percent"),
    "tight_hours_per_year": ("需給ひっ迫のおそれがあると想定される時間（年間）", "hours"),
    "tight_reserve_margin_pct": ("需給ひっ迫と判定する広域予備率", "pct"),
    "dispatch_netting": ("発動指令の未達量を算定する単位", "netting"),
    "dispatch_penalty_factor": ("発動指令に応じなかった場合のペナルティ係数", "factor"),
    "dispatch_hours_per_order": ("発動指令1回あたりの時間", "hours"),
    "dispatch_orders_per_year": ("発動指令の想定回数（年間）", "times"),
    "coal_restraint_enabled": ("非効率石炭火力の稼働抑制の適用", "flag"),
    "coal_restraint_rate": ("非効率石炭火力の稼働抑制による減額率", "percent"),
    "coal_capacity_factor_limit_pct": ("非効率石炭火力の設備利用率の上限", "pct"),
    "monthly_cap_enabled": ("月間のペナルティ上限の適用", "flag"),
    "monthly_cap_rate": ("月間のペナルティ上限（容量確保契約金額に対する割合）", "percent"),
    "annual_cap_enabled": ("年間のペナルティ上限の適用", "flag"),
    "annual_cap_rate": ("年間のペナルティ上限（容量確保契約金額に対する割合）", "percent"),
    "payment_lag_months": ("容量確保契約金額の支払時期（実需給月から）", "months"),
    "tax_rate": ("消費税率", "percent"),
    "contributions_taxable": ("容量拠出金への消費税の課税", "flag"),
    "contribution_lag_months": ("容量拠出金の請求時期（実需給月から）", "months"),
    "tso_share_rate": ("一般送配電事業者の負担割合", "percent"),
}

_NETTING = {"order": "発動指令ごと（指令の全コマを通算）", "slot": "コマごと"}
_FLAGS = {"true": "あり", "false": "なし"}


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        return None


def _plain(number: Decimal) -> str:
    """A decimal without trailing zeros and with thousands separators (8640 → 8,640; 0.0125 → 0.0125)."""
    text = format(number.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{int(whole):,}" + (f".{fraction}" if fraction else "")


def label_of(*, name: str) -> str:
    return PARAMETERS.get(name, (name, ""))[0]


def shown_value(*, name: str, value: str) -> str:
    """The value as a person reads it; a value that does not fit its kind is shown as stored."""
    kind = PARAMETERS.get(name, ("", ""))[1]
    if kind == "flag":
        return _FLAGS.get(value.strip().lower(), value)
    if kind == "netting":
        return _NETTING.get(value.strip(), value)
    number = _decimal(value)
    if number is None:
        return value
    unit = {"slots": "コマ", "hours": "時間", "times": "回", "months": "か月後", "pct": "%", "factor": "倍"}
    if kind == "percent":
        return f"{_plain(number * 100)}%"
    return f"{_plain(number)}{unit.get(kind, '')}"


_DEVELOPER_NOTES = re.compile(r"\s*[（(][^（）()]*(?:§|rules\.md|seed|\[decision\])[^（）()]*[）)]|\s*\[decision\]")


def public_note(*, note: str) -> str:
    """A version's note without the developers' references (section marks, ``rules.md``, ``[decision]``)."""
    return _DEVELOPER_NOTES.sub("", note).strip()
