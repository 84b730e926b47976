"""経済的ペナルティ算定額通知書: every raw penalty by contract and requirement, the caps and the coal penalty;
a notice moves no money and posts nothing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from capmarket.domain.documents.composition.common import (
    REQUIREMENT_NAMES,
    DocumentDraft,
    DraftLine,
    Recipient,
    UnableToComposeDocument,
    _ja_month,
    _month_period,
)
from capmarket.domain.documents.inputs import ContractMonth, MonthFigures, PenaltyLine, Statement


def _penalty_lines_of(*, code: str, c: ContractMonth | None, raws: Sequence[PenaltyLine]) -> list[DraftLine]:
    """Step: a contract's raw penalty by requirement, the adjustment to its cap, and its coal penalty."""
    lines: list[DraftLine] = []
    name = c.resource_name if c else (raws[0].resource_name if raws else "")
    resource = c.resource_code if c else (raws[0].resource_code if raws else "")
    raw_total = 0
    for p in raws:
        if not p.penalty_yen:
            continue
        raw_total += p.penalty_yen
        requirement_name = REQUIREMENT_NAMES.get(p.requirement, p.requirement)
        lines.append(
            DraftLine(
                "penalty_requirement",
                requirement_name,
                p.penalty_yen,
                "",
                code,
                resource,
                name,
                p.requirement,
                p.source_ref,
            )
        )
    capped = c.capped_penalty_yen if c else raw_total
    if capped != raw_total:
        lines.append(
            DraftLine(
                "cap_adjustment",
                "上限額による調整（月間・年間）",
                capped - raw_total,
                "",
                code,
                resource,
                name,
                "",
                c.source_ref if c else "",
            )
        )
    if c and c.coal_penalty_yen:
        lines.append(
            DraftLine(
                "coal_penalty",
                "稼働抑制",
                c.coal_penalty_yen,
                "",
                code,
                resource,
                name,
                "coal_restraint",
                c.source_ref,
            )
        )
    return lines


def penalty_notice_draft(
    *,
    figures: MonthFigures,
    statement: Statement,
    penalty_lines: Sequence[PenaltyLine],
    recipient: Recipient,
    issue_date: dt.date,
) -> DocumentDraft | None:
    """経済的ペナルティ算定額通知書: every raw penalty by contract and requirement, the caps, the coal penalty.

    None when the provider has no penalty in the month. A notice moves no money (the penalty is netted on the
    statement), so it posts nothing.
    """
    s = statement
    raw_by_contract: dict[str, list[PenaltyLine]] = defaultdict(list)
    for p in penalty_lines:
        raw_by_contract[p.contract_code].append(p)
    if s.penalties_yen == 0 and not any(p.penalty_yen for p in penalty_lines):
        return None
    lines: list[DraftLine] = []
    contracts = {c.contract_code: c for c in s.contracts}
    for code in sorted(set(contracts) | set(raw_by_contract)):
        raws = sorted(raw_by_contract.get(code, []), key=lambda p: p.requirement)
        lines.extend(_penalty_lines_of(code=code, c=contracts.get(code), raws=raws))
    total = sum(x.amount_yen for x in lines)
    if total != s.penalties_yen:
        raise UnableToComposeDocument(
            f"{s.provider_code} {s.delivery_month}: リクワイアメント別の算定額の合計 {total:,}円 が"
            f"経済的ペナルティ額 {s.penalties_yen:,}円 と一致しません。"
        )
    start, end = _month_period(s.delivery_month)
    return DocumentDraft(
        document_type="penalty_notice",
        source_key=f"run:{figures.run_ref}:{s.delivery_month}:penalty_notice:{s.provider_code}",
        recipient=recipient,
        run_ref=figures.run_ref,
        delivery_year=figures.delivery_year,
        delivery_month=s.delivery_month,
        period_start=start,
        period_end=end,
        issue_date=issue_date,
        due_date=None,
        direction="notice",
        amount_excl_tax_yen=total,
        tax_yen=0,
        carried_in_yen=0,
        total_yen=total,
        lines=tuple(lines),
        tax_lines=(),
        note=(
            f"{_ja_month(s.delivery_month)}分の経済的ペナルティの算定額をお知らせします。"
            "この額は同月分の容量確保契約金額と相殺し、支払通知書または請求書に記載しています（本通知による入出金はありません）。"
        ),
    )
