"""Matching credits to open documents (消込): each rule, the queue, and the invariants that always hold."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capmarket.domain.treasury.bank_statement import read_bank_statement
from capmarket.domain.treasury.bookings import Direction, StatementAccount
from capmarket.domain.treasury.kana import to_zengin_kana
from capmarket.domain.treasury.matching import (
    Credit,
    Evidence,
    MatchingResult,
    OpenItem,
    Outcome,
    Payer,
    Rule,
    UnableToMatchCredits,
    credit_from_booking,
    find_subsets,
    match_credits,
)
from capmarket.domain.treasury.zengin_statement import StatementAccountPart, StatementLine, write_zengin_statement

DAY = dt.date(2025, 10, 31)
DUE = dt.date(2025, 10, 31)


def credit(key: str, amount: int, name: str, booking_date: dt.date = DAY, **extra: str) -> Credit:
    return Credit(key=key, amount_yen=amount, payer_name=name, booking_date=booking_date, **extra)


def item(key: str, payer: str, amount: int, days: int = 0, **extra: object) -> OpenItem:
    return OpenItem(key=key, payer_id=payer, outstanding_yen=amount, due_date=DUE + dt.timedelta(days=days), **extra)  # type: ignore[arg-type]


YAMADA = Payer("P1", ("ヤマダショウジ",), ("12345",))
SAKURA = Payer("P2", ("サクラデンキ", "ﾕ)ｻｸﾗﾃﾞﾝｷ"))


def match(credits: list[Credit], items: list[OpenItem], payers: list[Payer] | None = None) -> MatchingResult:
    return match_credits(credits=credits, open_items=items, payers=payers or [YAMADA, SAKURA])


def test_exact_amount_and_name_in_any_spelling() -> None:
    result = match([credit("c1", 1_100_000, "ﾔﾏﾀﾞｼｮｳｼﾞ(ｶ")], [item("d1", "P1", 1_100_000), item("d2", "P1", 5)])
    (found,) = result.matches
    assert (found.outcome, found.rule, found.evidence, found.payer_id) == (
        Outcome.MATCHED,
        Rule.EXACT_AMOUNT,
        Evidence.NAME,
        "P1",
    )
    assert [(a.item_key, a.amount_yen) for a in found.allocations] == [("d1", 1_100_000)]
    assert found.confidence == 95
    assert found.reason == "振込依頼人名が登録名と一致・金額が書類1件の未入金額と一致"


def test_payer_code_identifies_the_payer_whatever_the_name() -> None:
    result = match([credit("c1", 700, "ﾅﾆｶﾍﾞﾂﾉﾒｲｷﾞ", payer_code="0000012345")], [item("d1", "P1", 700)])
    assert (result.matches[0].evidence, result.matches[0].confidence) == (Evidence.PAYER_CODE, 100)


def test_virtual_account_pays_its_document() -> None:
    items = [item("d1", "P1", 700, virtual_account="9001"), item("d2", "P1", 700, virtual_account="9002")]
    found = match([credit("c1", 700, "ｱ", payer_code="9002")], items).matches[0]
    assert (found.evidence, [a.item_key for a in found.allocations]) == (Evidence.VIRTUAL_ACCOUNT, ["d2"])


def test_document_number_in_the_edi_field_decides_between_equal_amounts() -> None:
    items = [
        item("d1", "P1", 700, document_number="PN-2025-0001"),
        item("d2", "P1", 700, document_number="PN-2025-0002"),
    ]
    found = match([credit("c1", 700, "ﾔﾏﾀﾞｼﾖｳｼﾞ", remittance_text="PN20250002")], items).matches[0]
    assert (found.evidence, found.rule, [a.item_key for a in found.allocations]) == (
        Evidence.DOCUMENT_NUMBER,
        Rule.DOCUMENT,
        ["d2"],
    )


def test_two_documents_of_the_same_amount_go_to_the_queue() -> None:
    found = match([credit("c1", 700, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ")], [item("d1", "P1", 700), item("d2", "P1", 700, 1)]).matches[0]
    assert (found.outcome, found.rule, found.candidates) == (Outcome.QUEUED, Rule.AMBIGUOUS_DOCUMENTS, ("d1", "d2"))
    assert found.allocations == ()
    assert found.unapplied_yen == 700


def test_one_credit_pays_several_documents() -> None:
    items = [item("d1", "P1", 300), item("d2", "P1", 500, 1), item("d3", "P1", 900, 2)]
    found = match([credit("c1", 1_200, "ﾔﾏﾀﾞｼﾖｳｼﾞ")], items).matches[0]
    assert (found.outcome, found.rule) == (Outcome.MATCHED, Rule.SEVERAL_DOCUMENTS)
    assert sorted(a.item_key for a in found.allocations) == ["d1", "d3"]


def test_two_combinations_of_documents_go_to_the_queue() -> None:
    items = [item("d1", "P1", 300), item("d2", "P1", 500), item("d3", "P1", 200), item("d4", "P1", 600)]
    found = match([credit("c1", 800, "ﾔﾏﾀﾞｼﾖｳｼﾞ")], items).matches[0]  # 300+500 or 200+600
    assert (found.outcome, found.rule) == (Outcome.QUEUED, Rule.AMBIGUOUS_DOCUMENTS)


def test_several_credits_pay_one_document() -> None:
    credits = [credit("c1", 400, "ﾔﾏﾀﾞｼﾖｳｼﾞ"), credit("c2", 600, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ")]
    result = match(credits, [item("d1", "P1", 1_000), item("d2", "P1", 7_000)])
    assert [(m.outcome, m.rule) for m in result.matches] == [(Outcome.MATCHED, Rule.SEVERAL_CREDITS)] * 2
    assert {a.item_key for a in result.allocations} == {"d1"}


def test_partial_payment_of_the_only_open_document() -> None:
    found = match([credit("c1", 400, "ﾔﾏﾀﾞｼﾖｳｼﾞ")], [item("d1", "P1", 1_000)]).matches[0]
    assert (found.outcome, found.rule, found.allocations[0].amount_yen, found.unapplied_yen) == (
        Outcome.PARTIAL,
        Rule.PARTIAL,
        400,
        0,
    )


def test_overpayment_pays_everything_and_flags_the_excess() -> None:
    found = match([credit("c1", 1_500, "ﾔﾏﾀﾞｼﾖｳｼﾞ")], [item("d1", "P1", 1_000), item("d2", "P1", 300)]).matches[0]
    assert (found.outcome, found.rule, found.unapplied_yen) == (Outcome.OVERPAID, Rule.OVERPAYMENT, 200)
    assert sum(a.amount_yen for a in found.allocations) == 1_300


def test_partial_payment_across_several_documents_is_not_guessed() -> None:
    found = match([credit("c1", 400, "ﾔﾏﾀﾞｼﾖｳｼﾞ")], [item("d1", "P1", 1_000), item("d2", "P1", 900)]).matches[0]
    assert (found.outcome, found.rule) == (Outcome.QUEUED, Rule.AMBIGUOUS_DOCUMENTS)


def test_unknown_payer_is_queued_with_documents_of_the_same_amount_as_hints() -> None:
    found = match([credit("c1", 700, "ｶ)ｼﾗﾅｲｶｲｼﾔ")], [item("d1", "P1", 700), item("d2", "P2", 8)]).matches[0]
    assert (found.outcome, found.rule, found.candidates) == (Outcome.QUEUED, Rule.UNKNOWN_PAYER, ("d1",))


def test_a_duplicate_payment_goes_to_the_queue() -> None:
    credits = [credit("c1", 700, "ﾔﾏﾀﾞｼﾖｳｼﾞ"), Credit("c2", 700, "ﾔﾏﾀﾞｼﾖｳｼﾞ", DAY + dt.timedelta(days=1))]
    result = match(credits, [item("d1", "P1", 700)])
    assert [m.outcome for m in result.matches] == [Outcome.MATCHED, Outcome.QUEUED]
    assert result.matches[1].rule is Rule.NO_OPEN_ITEMS


def test_a_name_shared_by_two_payers_needs_a_unique_amount() -> None:
    payers = [Payer("A", ("ミドリデンリョク",)), Payer("B", ("ミドリデンリョク",))]
    items = [item("a1", "A", 500), item("b1", "B", 900)]
    result = match([credit("c1", 900, "ﾐﾄﾞﾘﾃﾞﾝﾘﾖｸ"), credit("c2", 100, "ﾐﾄﾞﾘﾃﾞﾝﾘﾖｸ")], items, payers)
    assert (result.matches[0].evidence, result.matches[0].payer_id) == (Evidence.NAME_AND_AMOUNT, "B")
    assert result.matches[1].rule is Rule.AMBIGUOUS_PAYER


def test_inputs_that_contradict_themselves_are_refused() -> None:
    with pytest.raises(UnableToMatchCredits, match="duplicate credit"):
        match([credit("c1", 1, "ｱ"), credit("c1", 2, "ｲ")], [])
    with pytest.raises(UnableToMatchCredits, match="positive"):
        match([credit("c1", 0, "ｱ")], [])
    with pytest.raises(UnableToMatchCredits, match="unknown payer"):
        match([], [item("d1", "nobody", 5)])


def test_subset_search_reports_when_its_budget_runs_out() -> None:
    values = [(f"k{i}", 2) for i in range(40)]
    found, exhausted = find_subsets(values=values, target=39, max_size=20, budget=100)  # odd: no set of twos adds up
    assert exhausted
    found, exhausted = find_subsets(values=[("a", 3), ("b", 4), ("c", 5)], target=8, max_size=3, budget=1_000)
    assert (found, exhausted) == ([("a", "c")], False)


# ---------------------------------------------------------------- the 50-credit statement of issue 11

PLACES = [
    "ホッカイドウ",
    "アオモリ",
    "センダイ",
    "ニイガタ",
    "トヤマ",
    "カナザワ",
    "ナゴヤ",
    "キョウト",
    "オオサカ",
    "コウベ",
]
TRADES = ["デンリョク", "エナジー", "パワー", "ガスショウジ"]
FORMS = ["株式会社", "有限会社", "合同会社"]


def _spellings(kana: str, form: str) -> list[str]:
    """How banks and payers write one company: bank form, small kana, suffix, spaces, full width, spelled out."""
    bank = to_zengin_kana(text=form + kana)
    suffix = to_zengin_kana(text=kana + form)
    small = bank.replace("ﾖ", "ｮ").replace("ﾔ", "ｬ").replace("ﾂ", "ｯ")
    return [
        bank,
        small,
        suffix,
        bank.replace(")", ") "),
        (form + kana)[:20],
        to_zengin_kana(text=kana, abbreviate_legal_forms=False),
    ]


def _market() -> tuple[list[Payer], list[OpenItem], list[tuple[str, int, str, str, str]], dict[str, object]]:
    """40 payers, their open documents, and 50 credits with what each should become."""
    rng = random.Random(11)
    companies = [(p + t, FORMS[i % 3]) for i, (p, t) in enumerate((p, t) for t in TRADES for p in PLACES)]
    payers = [Payer(f"P{n:02d}", (kana,), (f"{7000 + n}",)) for n, (kana, _) in enumerate(companies)]
    items: list[OpenItem] = []
    credits: list[tuple[str, int, str, str, str]] = []  # key, amount, name, payer code, remittance text
    expected: dict[str, object] = {}
    amounts = iter(rng.sample(range(100_000, 90_000_000), 400))

    def doc(payer: str, **extra: object) -> OpenItem:
        new = item(f"D{len(items):03d}", payer, next(amounts), len(items) % 5, **extra)
        items.append(new)
        return new

    def add(amount: int, name: str, outcome: object, code: str = "", text: str = "") -> None:
        key = f"{len(credits) + 1:08d}"
        credits.append((key, amount, name, code, text))
        expected[key] = outcome

    # 30 credits: one right document each, names in every spelling
    for n in range(30):
        kana, form = companies[n]
        target = doc(f"P{n:02d}")
        doc(f"P{n:02d}")  # a second open document of another amount
        add(target.outstanding_yen, _spellings(kana, form)[n % 6], ("matched", [target.key]))
    # 3 credits each paying two documents of one payer
    for n in range(30, 33):
        kana, form = companies[n]
        first, second = doc(f"P{n:02d}"), doc(f"P{n:02d}")
        doc(f"P{n:02d}")
        add(
            first.outstanding_yen + second.outstanding_yen,
            _spellings(kana, form)[0],
            ("matched", [first.key, second.key]),
        )
    # 2 pairs of credits paying one document each
    for n in range(33, 35):
        kana, form = companies[n]
        target = doc(f"P{n:02d}")
        part = target.outstanding_yen // 3
        add(part, _spellings(kana, form)[2], ("matched", [target.key]))
        add(target.outstanding_yen - part, _spellings(kana, form)[0], ("matched", [target.key]))
    # payer code, virtual account, document number in the EDI field
    target = doc("P35")
    add(target.outstanding_yen, "ﾍﾞﾂﾒｲｷﾞ", ("matched", [target.key]), code=f"{7035:010d}")
    target = doc("P36", virtual_account="3000036")
    add(target.outstanding_yen, "ｿｳｷﾝﾀﾞｲｺｳ", ("matched", [target.key]), code="3000036")
    target, twin = doc("P37", document_number="CB2025100037"), doc("P37")
    items[-1] = OpenItem(twin.key, "P37", target.outstanding_yen, twin.due_date)  # same amount: only the number tells
    add(target.outstanding_yen, _spellings(*companies[37])[0], ("matched", [target.key]), text="CB2025100037")
    # partial payment and overpayment
    target = doc("P38")
    add(target.outstanding_yen - 1_000, _spellings(*companies[38])[1], ("partial", [target.key]))
    target = doc("P39")
    add(target.outstanding_yen + 5_000, _spellings(*companies[39])[2], ("overpaid", [target.key]))
    # the rest goes to the queue: unknown payers, equal amounts, an ambiguous name, a payer with nothing open
    add(123_456, "ｶ)ｼﾗﾅｲｼﾖｳｼﾞ", "queued")
    add(items[0].outstanding_yen, "ﾕ)ﾀﾞﾚﾃﾞｽｶ", "queued")  # an amount that exists, but no such payer
    twin_a = doc("P00")
    items.append(OpenItem("D-TWIN", "P00", twin_a.outstanding_yen, twin_a.due_date))
    add(twin_a.outstanding_yen, _spellings(*companies[0])[0], "queued")
    payers.append(Payer("PX", (companies[1][0],)))  # a second company registered under P01's name
    items.append(OpenItem("D-PX", "PX", 555_555, DUE))
    items.append(OpenItem("D-P01", "P01", 555_555, DUE))
    add(555_555, to_zengin_kana(text=companies[1][0], abbreviate_legal_forms=False), "queued")
    payers.append(Payer("PZ", ("ナンモナイデンリョク",)))
    add(77_777, "ﾅﾝﾓﾅｲﾃﾞﾝﾘﾖｸ", "queued")
    # 3 more exact matches by name, to make 50
    for n in range(40, 43):
        kana, form = companies[n - 40 + 10]
        target = doc(f"P{n - 30:02d}")
        add(target.outstanding_yen, _spellings(kana, form)[(n + 3) % 6], ("matched", [target.key]))
    return payers, items, credits, expected


def _statement(credits: list[tuple[str, int, str, str, str]]) -> bytes:
    account = StatementAccount("0001", "ﾐｽﾞﾎ", "001", "ﾄｳｷﾖｳ", "1", "0001234567", "ｼﾔ)ﾃﾞﾝﾘﾖｸｺｳｲｷﾃｷｳﾝｴｲｽｲｼﾝｷｶﾝ")
    lines = tuple(
        StatementLine(key, DAY, Direction.CREDIT, amount, name, payer_code=code, edi_info=text)
        for key, amount, name, code, text in credits
    )
    part = StatementAccountPart(account, dt.date(2025, 10, 1), DAY, 0, lines)
    return write_zengin_statement(created=dt.date(2025, 11, 1), parts=[part])


def test_a_statement_of_50_credits_matches_every_credit_with_one_right_document_and_queues_the_rest() -> None:
    payers, items, credits, expected = _market()
    assert len(credits) == 50
    statement = read_bank_statement(data=_statement(credits))
    account = statement.accounts[0].account.key
    result = match_credits(
        credits=[credit_from_booking(booking=b, account_key=account) for b in statement.credits],
        open_items=items,
        payers=payers,
    )
    assert len(result.matches) == 50
    for found in result.matches:
        want = expected[found.credit_key.removeprefix(account + ":")]
        if want == "queued":
            assert found.outcome is Outcome.QUEUED, (found.credit_key, found.reason)
            continue
        assert isinstance(want, tuple)
        outcome, documents = want
        assert found.outcome.value == outcome, (found.credit_key, found.reason)
        assert sorted(a.item_key for a in found.allocations) == sorted(documents), found.credit_key
    assert len(result.queued) == 5


# ---------------------------------------------------------------- invariants

NAMES = ["ﾔﾏﾀﾞｼﾖｳｼﾞ", "ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ", "ﾕ)ｻｸﾗﾃﾞﾝｷ", "ｻｸﾗﾃﾞﾝｷ", "ﾐﾄﾞﾘ", "ﾀﾞﾚ"]
PAYERS = [YAMADA, SAKURA, Payer("P3", ("ミドリ",)), Payer("P4", ("ミドリ",))]

credits_strategy = st.lists(
    st.tuples(st.integers(1, 2_000), st.sampled_from(NAMES), st.integers(0, 3)), max_size=12
).map(
    lambda rows: [
        credit(f"c{i}", amount, name, booking_date=DAY + dt.timedelta(days=d))
        for i, (amount, name, d) in enumerate(rows)
    ]
)
items_strategy = st.lists(
    st.tuples(st.sampled_from(["P1", "P2", "P3", "P4"]), st.integers(1, 2_000), st.integers(0, 3)), max_size=12
).map(lambda rows: [item(f"d{i}", payer, amount, days) for i, (payer, amount, days) in enumerate(rows)])


@settings(max_examples=150, deadline=None)
@given(credits=credits_strategy, items=items_strategy, seed=st.integers(0, 1_000))
def test_allocations_never_exceed_credits_or_documents_and_do_not_depend_on_input_order(
    credits: list[Credit], items: list[OpenItem], seed: int
) -> None:
    result = match_credits(credits=credits, open_items=items, payers=PAYERS)
    assert sorted(m.credit_key for m in result.matches) == sorted(c.key for c in credits)
    amount = {c.key: c.amount_yen for c in credits}
    outstanding = {i.key: i.outstanding_yen for i in items}
    taken: dict[str, int] = {}
    for found in result.matches:
        allocated = sum(a.amount_yen for a in found.allocations)
        assert all(a.amount_yen > 0 for a in found.allocations)
        assert allocated + found.unapplied_yen == amount[found.credit_key]  # no credit used beyond its amount
        if found.outcome is Outcome.QUEUED:
            assert found.allocations == ()
        elif found.outcome is Outcome.OVERPAID:
            assert found.unapplied_yen > 0
        else:
            assert found.unapplied_yen == 0
        for allocation in found.allocations:
            taken[allocation.item_key] = taken.get(allocation.item_key, 0) + allocation.amount_yen
    for key, total in taken.items():
        assert total <= outstanding[key]  # no document paid beyond what it owes (excess stays unapplied, flagged)
    shuffled = random.Random(seed)
    credits_again, items_again, payers_again = list(credits), list(items), list(PAYERS)
    shuffled.shuffle(credits_again)
    shuffled.shuffle(items_again)
    shuffled.shuffle(payers_again)
    assert match_credits(credits=credits_again, open_items=items_again, payers=payers_again) == result
