"""A month's drafts: every provider's statement and penalty notice, and every contribution bill."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.documents.composition.common import (
    CarriedDocument,
    DocumentDraft,
    Recipient,
    Terms,
    UnableToComposeDocument,
)
from capmarket.domain.documents.composition.contributions import (
    contribution_draft,
)
from capmarket.domain.documents.composition.penalty_notices import (
    penalty_notice_draft,
)
from capmarket.domain.documents.composition.statements import (
    statement_draft,
)
from capmarket.domain.documents.inputs import MonthFigures, PenaltyLine


@dataclass(frozen=True)
class MonthDrafts:
    drafts: list[DocumentDraft]
    missing_companies: list[str]


def month_drafts(
    *,
    figures: MonthFigures,
    recipients: Mapping[str, Recipient],
    issue_date: dt.date,
    calendar: BusinessCalendar,
    terms: Terms,
    carried_from: Mapping[str, CarriedDocument],
    area_names: Mapping[str, str],
) -> MonthDrafts:
    """Every document of the month, in a fixed order (statements, penalty notices, contribution bills; each by
    company code), or the company codes the registry does not know."""
    codes = (
        {s.provider_code for s in figures.statements}
        | {b.payer_code for b in figures.contribution_bills}
        | {p.provider_code for p in figures.penalty_lines}
    )
    missing = sorted(codes - recipients.keys())
    if missing:
        return MonthDrafts([], missing)
    for s in figures.statements:
        if s.delivery_month != figures.delivery_month:
            raise UnableToComposeDocument(
                f"{s.provider_code}: 対象月 {s.delivery_month} が {figures.delivery_month} ではありません。"
            )
    for b in figures.contribution_bills:
        if b.delivery_month != figures.delivery_month:
            raise UnableToComposeDocument(
                f"{b.payer_code}: 対象月 {b.delivery_month} が {figures.delivery_month} ではありません。"
            )
    penalties: dict[str, list[PenaltyLine]] = defaultdict(list)
    for p in figures.penalty_lines:
        penalties[p.provider_code].append(p)
    statements = sorted(figures.statements, key=lambda s: s.provider_code)
    drafts: list[DocumentDraft] = [
        statement_draft(
            figures=figures,
            statement=s,
            recipient=recipients[s.provider_code],
            issue_date=issue_date,
            calendar=calendar,
            terms=terms,
            carried_from=carried_from.get(s.provider_code) if s.carried_in_yen else None,
        )
        for s in statements
    ]
    for s in statements:
        notice = penalty_notice_draft(
            figures=figures,
            statement=s,
            penalty_lines=penalties.get(s.provider_code, []),
            recipient=recipients[s.provider_code],
            issue_date=issue_date,
        )
        if notice is not None:
            drafts.append(notice)
    for b in sorted(figures.contribution_bills, key=lambda b: (b.payer_code, b.area)):
        drafts.append(
            contribution_draft(
                figures=figures,
                bill=b,
                recipient=recipients[b.payer_code],
                issue_date=issue_date,
                calendar=calendar,
                terms=terms,
                area_name=area_names.get(b.area, b.area),
            )
        )
    return MonthDrafts(drafts, [])
