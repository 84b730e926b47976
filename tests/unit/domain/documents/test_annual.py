"""The annual settlement's documents: the amount line, the basis lines that explain it (bills, pool, floor, the
largest-remainder yen), the business-day due date, the postings — and refusals of shares that do not add up."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.calc.splits import largest_remainder
from capmarket.domain.calendar.business_days import BusinessCalendar
from capmarket.domain.documents.annual import REBILLING, REFUND, AnnualShare, BasisBill, annual_draft
from capmarket.domain.documents.composition import DocumentDraft, Recipient, Terms, UnableToComposeDocument
from capmarket.domain.ledger import chart

CAL = BusinessCalendar()
PAYER = Recipient(participant_id=7, code="EC101", name="ミナトでんき株式会社", bank_code="0001", branch_code="001")
BILLS = (
    BasisBill(11, "CB-2025-000011", "2025-04", "東京エリア", 1_100_000),
    BasisBill(12, "CB-2025-000012", "2025-05", "東京エリア", 1_210_000),
)


def _share(kind: str = REFUND, share_yen: int = 770, pool: int = 1_000) -> AnnualShare:
    # 1,000 × 2,310,000 ÷ 3,000,000 = 770 exactly
    return AnnualShare(2025, kind, pool, 3_000_000, 2_310_000, share_yen, BILLS)


def _draft(share: AnnualShare, issue: dt.date = dt.date(2026, 5, 1)) -> DocumentDraft:
    return annual_draft(share=share, recipient=PAYER, issue_date=issue, calendar=CAL, terms=Terms())


def test_a_refund_notice_explains_its_amount_and_posts_the_refund() -> None:
    draft = _draft(_share())

    assert (draft.document_type, draft.total_yen, draft.tax_yen, draft.direction) == (REFUND, 770, 0, "operator_pays")
    assert draft.source_key == "annual:2025:refund:EC101"
    amount, *basis = draft.lines
    assert (amount.category, amount.amount_yen) == ("annual_refund", 770)
    assert [x.refers_to_id for x in basis[:2]] == [11, 12]
    assert [x.amount_yen for x in basis[2:]] == [2_310_000, 3_000_000, 1_000, 770, 0]
    assert "1,000 × 2,310,000 ÷ 3,000,000" in basis[-2].source_ref
    assert draft.due_date == dt.date(2026, 6, 30)  # end of the next month, a business day
    assert [(x.account, x.debit_yen, x.credit_yen) for x in draft.postings] == [
        (chart.REFUND_EXPENSE, 770, 0),
        (chart.PAYABLE_REFUNDS, 0, 770),
    ]
    assert not draft.tax_lines


def test_a_rebilling_invoice_is_owed_to_the_operator_by_a_business_day() -> None:
    draft = _draft(_share(REBILLING, share_yen=771, pool=1_001), issue=dt.date(2026, 4, 1))

    assert (draft.document_type, draft.direction, draft.bank_role) == (REBILLING, "recipient_pays", "operator")
    assert draft.lines[-1].amount_yen == 1  # the largest remainder gave it one yen above the floor of 770.77
    assert draft.due_date == dt.date(2026, 5, 29)  # May 31 2026 is a Sunday: the business day before
    assert [x.account for x in draft.postings] == [chart.RECEIVABLE_ADDITIONAL, chart.ADDITIONAL_COLLECTION_REVENUE]


@pytest.mark.parametrize(
    ("share", "problem"),
    [
        (_share(share_yen=772), "最大剰余法"),
        (_share(share_yen=0), "最大剰余法"),
        (AnnualShare(2025, REFUND, 1_000, 3_000_000, 2_000_000, 667, BILLS), "一致しません"),
        (AnnualShare(2025, "other", 1_000, 3_000_000, 2_310_000, 770, BILLS), "帳票種別"),
    ],
)
def test_a_share_that_does_not_follow_from_its_figures_is_refused(share: AnnualShare, problem: str) -> None:
    with pytest.raises(UnableToComposeDocument, match=problem):
        _draft(share)


@settings(max_examples=40, deadline=None)
@given(
    pool=st.integers(min_value=1, max_value=10**9),
    weights=st.lists(st.integers(min_value=1, max_value=10**8), min_size=1, max_size=6),
)
def test_every_largest_remainder_share_composes_and_the_documents_sum_to_the_pool(
    pool: int, weights: list[int]
) -> None:
    shares = largest_remainder(total=pool, weights={f"P{i}": w for i, w in enumerate(weights)})
    total = sum(weights)
    issued = 0
    for i, w in enumerate(weights):
        if shares[f"P{i}"] == 0:
            continue
        bill = BasisBill(i, f"CB-2025-{i:06d}", "2025-04", "東京エリア", w)
        draft = _draft(AnnualShare(2025, REFUND, pool, total, w, shares[f"P{i}"], (bill,)))
        issued += draft.total_yen
    assert issued == pool
