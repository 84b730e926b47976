"""A document as its Japanese business document: the HTML of ``templates/documents/document.html``, made into a
PDF by ``pdf.py``. Everything printed comes from the issued document and its operator-profile version."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.template.loader import render_to_string

from capmarket.calc.market import AREA_NAMES_JA
from capmarket.domain.documents.composition import PAYER_KIND_NAMES
from capmarket.domain.documents.models import Document, DocumentType, LineCategory
from capmarket.domain.registry.models import AccountType

TITLES: Final[dict[str, str]] = {
    DocumentType.PAYMENT_NOTICE: "支払通知書",
    DocumentType.INVOICE: "請求書",
    DocumentType.CONTRIBUTION_INVOICE: "容量拠出金請求書",
    DocumentType.PENALTY_NOTICE: "経済的ペナルティ算定額通知書",
    DocumentType.EXIT_PENALTY_INVOICE: "請求書（市場退出時の経済的ペナルティ）",
    DocumentType.CREDIT_NOTE: "取消通知書（赤伝）",
    DocumentType.ANNUAL_REFUND_NOTICE: "年次精算（還元）通知書",
    DocumentType.ANNUAL_REBILLING_INVOICE: "年次精算請求書",
}
LEADS: Final[dict[str, str]] = {
    DocumentType.PAYMENT_NOTICE: "容量確保契約に基づき、下記のとおり容量確保契約金額を交付いたします。",
    DocumentType.INVOICE: (
        "容量確保契約に基づき、経済的ペナルティが容量確保契約金額を上回りましたので、下記のとおりご請求申し上げます。"
        "お支払期限までに下記口座へお振り込みください。"
    ),
    DocumentType.CONTRIBUTION_INVOICE: (
        "容量市場の容量拠出金を下記のとおりご請求申し上げます。お支払期限までに下記口座へお振り込みください。"
    ),
    DocumentType.PENALTY_NOTICE: "下記のとおり経済的ペナルティの算定額を通知いたします。",
    DocumentType.EXIT_PENALTY_INVOICE: (
        "容量確保契約約款に基づき、市場退出に伴う経済的ペナルティを下記のとおりご請求申し上げます。"
        "お支払期限までに下記口座へお振り込みください。"
    ),
    DocumentType.CREDIT_NOTE: "下記の帳票を取り消します（金額はすべて取消額です）。",
    DocumentType.ANNUAL_REFUND_NOTICE: (
        "容量市場の年次精算により、経済的ペナルティ収益の還元金を下記のとおりお支払いいたします。"
    ),
    DocumentType.ANNUAL_REBILLING_INVOICE: (
        "容量市場の年次精算により、容量拠出金の未回収分の追加徴収を下記のとおりご請求申し上げます。"
        "お支払期限までに下記口座へお振り込みください。"
    ),
}
AMOUNT_LABELS: Final[dict[str, str]] = {
    DocumentType.PAYMENT_NOTICE: "お支払金額",
    DocumentType.INVOICE: "ご請求金額",
    DocumentType.CONTRIBUTION_INVOICE: "ご請求金額",
    DocumentType.PENALTY_NOTICE: "経済的ペナルティ算定額",
    DocumentType.EXIT_PENALTY_INVOICE: "ご請求金額",
    DocumentType.CREDIT_NOTE: "取消金額",
    DocumentType.ANNUAL_REFUND_NOTICE: "還元金額",
    DocumentType.ANNUAL_REBILLING_INVOICE: "ご請求金額",
}
#: document types that cover a delivery year rather than a month
ANNUAL_TYPES: Final = (DocumentType.ANNUAL_REFUND_NOTICE, DocumentType.ANNUAL_REBILLING_INVOICE)


def yen(*, amount: int) -> str:
    return f"{amount:,}"


def ja_date(*, day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def context(*, document: Document) -> dict[str, Any]:
    d = document
    profile = d.operator_profile
    rows = [
        {
            "line_no": x.line_no,
            "category": x.category,
            "description": x.description,
            "contract_code": x.contract_code,
            "resource_code": x.resource_code,
            "resource_name": x.resource_name,
            "tax_rate": x.tax_rate,
            "amount": yen(amount=x.amount_yen),
            "source_ref": x.source_ref,
        }
        for x in sorted(d.lines.all(), key=lambda x: x.line_no)
    ]
    lines = [x for x in rows if x["category"] != LineCategory.ANNUAL_BASIS]
    basis_lines = [x for x in rows if x["category"] == LineCategory.ANNUAL_BASIS]
    tax_lines = [
        {"rate": t.rate, "amount": yen(amount=t.amount_excl_tax_yen), "tax": yen(amount=t.tax_yen)}
        for t in sorted(d.tax_lines.all(), key=lambda t: t.rate)
    ]
    year, month = d.delivery_month.split("-")
    last_day = d.period_end - dt.timedelta(days=1)
    due_label = "お支払予定日" if d.direction == "operator_pays" else "お支払期限"
    return {
        "d": d,
        "profile": profile,
        "title": TITLES[d.document_type],
        "lead": LEADS[d.document_type],
        "amount_label": AMOUNT_LABELS[d.document_type],
        "total_label": "合計" if d.document_type != DocumentType.PENALTY_NOTICE else "算定額合計",
        "show_tax_included": bool(tax_lines),
        "is_credit_note": d.document_type == DocumentType.CREDIT_NOTE,
        # a market exit's invoice is of a delivery year and a day (the exit), not of a delivery month and a run
        "is_exit": d.document_type == DocumentType.EXIT_PENALTY_INVOICE
        or (d.corrects is not None and d.corrects.document_type == DocumentType.EXIT_PENALTY_INVOICE),
        "issue_date": ja_date(day=d.issue_date),
        "due_date": ja_date(day=d.due_date),
        "due_label": due_label,
        "delivery_month": f"{int(year)}年{int(month)}月",
        "period": f"{ja_date(day=d.period_start)}～{ja_date(day=last_day)}",
        "exit_day": ja_date(day=d.period_start),
        "area_name": AREA_NAMES_JA.get(d.area, d.area),
        "payer_kind_name": PAYER_KIND_NAMES.get(d.payer_kind, d.payer_kind),
        "lines": lines,
        "basis_lines": basis_lines,
        "is_annual": d.document_type in ANNUAL_TYPES,
        "show_contract": any(x["contract_code"] for x in lines),
        "tax_lines": tax_lines,
        "has_carried": d.carried_in_yen != 0,
        "carried": yen(amount=d.carried_in_yen),
        "total": yen(amount=d.total_yen),
        "bank_label": "振込先口座（貴社ご登録口座）" if d.bank_role == "payee" else "お振込先",
        "account_type": dict(AccountType.choices).get(d.account_type, d.account_type),
        "corrects": d.corrects,
        "credit_note": d.credit_note,
    }


def render_html(*, document: Document) -> str:
    return render_to_string("documents/document.html", context(document=document))
