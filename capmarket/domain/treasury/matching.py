"""Matching bank credits to open documents (消込), as a pure function.

:func:`match_credits` takes the credits of a statement, the documents still open (invoices and contribution
bills with what is outstanding on each) and the payers with their registered names and payer codes, and says for
each credit which documents it pays — or that staff must decide. It never guesses: when two readings are
possible the credit goes to the manual queue with the candidates, and the reason says why.

The rules, in the order they are tried (the first that decides wins):

1. **Virtual account / payer code.** A 振込依頼人コード that is a document's virtual account pays that document;
   one that is registered to one payer identifies the payer.
2. **Document number.** A document number written in the EDI field, the 摘要 or in front of the payer name
   pays that document (or those documents, when their sum is the amount).
3. **Payer by name.** The payer name is normalised (:mod:`~capmarket.domain.treasury.names`) and compared with
   every payer's registered names: the same key identifies the payer; a truncated name only when no payer has
   the same key. Names shared by several payers identify a payer only together with an exact amount that only
   one of their documents has.
4. **Exact amount.** One open document of the payer for exactly the amount. Two or more such documents: queue.
5. **One credit, several documents.** A unique set of the payer's open documents whose outstanding amounts add
   up to the credit (searched within ``max_subset_size`` documents and ``search_budget`` steps).
6. **Several credits, one document.** A unique set of the payer's still unmatched credits in this statement
   that adds up to one document, where those credits fit no other document.
7. **Partial payment** (the payer has one open document and the credit is less) and **overpayment** (the credit
   is more than everything the payer owes: all of it is paid and the excess stays unapplied, flagged).

Everything else is queued: unknown payer, ambiguous payer, nothing open, ambiguous documents, search limit.

The result does not depend on the order of the inputs: credits are taken by (booking date, key) and documents
by (due date, key). No credit is allocated beyond its amount, no document beyond what is outstanding.
"""

# long module: one pure algorithm (exact, one-to-many, many-to-one, partial, overpayment, queue) whose
# passes share the candidate index; split, each pass would lose sight of what the earlier ones took

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from capmarket.domain.treasury.bookings import Booking, Direction
from capmarket.domain.treasury.names import NameAgreement, PayerName, compare_names, normalise_payer_name

MIN_DOCUMENT_NUMBER_LENGTH: Final = 6
MAX_CANDIDATES: Final = 10


@dataclass(frozen=True)
class Credit:
    key: str  # the booking's key (account + bank reference)
    amount_yen: int
    payer_name: str
    booking_date: dt.date
    payer_code: str = ""  # 振込依頼人コード or virtual-account number
    remittance_text: str = ""  # EDI information and 摘要, where a payer may write a document number


def credit_from_booking(*, booking: Booking, account_key: str) -> Credit:
    """The matching input of a statement credit; its key is ``account_key:reference`` (unique per account).

    Debits and 訂正 bookings are not matched automatically: a ValueError says so.
    """
    if booking.direction is not Direction.CREDIT or booking.is_correction:
        raise ValueError(f"booking {booking.reference} is not a credit that can be matched")
    remittance = " ".join(part for part in (booking.edi_info, booking.description) if part)
    return Credit(
        key=f"{account_key}:{booking.reference}",
        amount_yen=booking.amount_yen,
        payer_name=booking.payer_name,
        booking_date=booking.booking_date,
        payer_code=booking.payer_code,
        remittance_text=remittance,
    )


@dataclass(frozen=True)
class OpenItem:
    key: str  # the document's key
    payer_id: str
    outstanding_yen: int
    due_date: dt.date
    document_number: str = ""
    virtual_account: str = ""


@dataclass(frozen=True)
class Payer:
    payer_id: str
    names: tuple[str, ...]  # registered payer names: company kana, account holder, names staff added
    payer_codes: tuple[str, ...] = ()


class Outcome(StrEnum):
    MATCHED = "matched"
    PARTIAL = "partial"
    OVERPAID = "overpaid"
    QUEUED = "queued"


class Evidence(StrEnum):
    """How the payer (or the document) was recognised."""

    VIRTUAL_ACCOUNT = "virtual_account"
    PAYER_CODE = "payer_code"
    DOCUMENT_NUMBER = "document_number"
    NAME = "name"
    TRUNCATED_NAME = "truncated_name"
    NAME_AND_AMOUNT = "name_and_amount"
    NONE = "none"


class Rule(StrEnum):
    """What decided the allocation, or why the credit is queued."""

    EXACT_AMOUNT = "exact_amount"
    DOCUMENT = "document"
    SEVERAL_DOCUMENTS = "several_documents"
    SEVERAL_CREDITS = "several_credits"
    PARTIAL = "partial"
    OVERPAYMENT = "overpayment"
    UNKNOWN_PAYER = "unknown_payer"
    AMBIGUOUS_PAYER = "ambiguous_payer"
    NO_OPEN_ITEMS = "no_open_items"
    AMBIGUOUS_DOCUMENTS = "ambiguous_documents"
    SEARCH_LIMIT = "search_limit"


EVIDENCE_LABELS: Final = {
    Evidence.VIRTUAL_ACCOUNT: "入金口座（バーチャル口座）が書類と一致",
    Evidence.PAYER_CODE: "振込依頼人コードが一致",
    Evidence.DOCUMENT_NUMBER: "書類番号の記載あり",
    Evidence.NAME: "振込依頼人名が登録名と一致",
    Evidence.TRUNCATED_NAME: "振込依頼人名が登録名の前方と一致（銀行による省略）",
    Evidence.NAME_AND_AMOUNT: "同名の事業者が複数あり金額で特定",
    Evidence.NONE: "振込依頼人を特定できません",
}
RULE_LABELS: Final = {
    Rule.EXACT_AMOUNT: "金額が書類1件の未入金額と一致",
    Rule.DOCUMENT: "記載の書類に充当",
    Rule.SEVERAL_DOCUMENTS: "複数の書類の未入金額の合計と一致",
    Rule.SEVERAL_CREDITS: "複数の入金の合計が書類1件の未入金額と一致",
    Rule.PARTIAL: "一部入金",
    Rule.OVERPAYMENT: "過入金（超過分は未充当）",
    Rule.UNKNOWN_PAYER: "登録された振込依頼人名・コードに該当がありません",
    Rule.AMBIGUOUS_PAYER: "該当する事業者が複数あり特定できません",
    Rule.NO_OPEN_ITEMS: "この事業者に未入金の書類がありません",
    Rule.AMBIGUOUS_DOCUMENTS: "充当先の書類を一つに特定できません",
    Rule.SEARCH_LIMIT: "組合せが多すぎるため自動では特定できません",
}
_EVIDENCE_CONFIDENCE: Final = {
    Evidence.VIRTUAL_ACCOUNT: 100,
    Evidence.PAYER_CODE: 100,
    Evidence.DOCUMENT_NUMBER: 95,
    Evidence.NAME: 95,
    Evidence.TRUNCATED_NAME: 85,
    Evidence.NAME_AND_AMOUNT: 75,
    Evidence.NONE: 0,
}
_RULE_FACTOR_PERCENT: Final = {
    Rule.EXACT_AMOUNT: 100,
    Rule.DOCUMENT: 100,
    Rule.SEVERAL_DOCUMENTS: 90,
    Rule.SEVERAL_CREDITS: 90,
    Rule.PARTIAL: 80,
    Rule.OVERPAYMENT: 80,
}


@dataclass(frozen=True)
class Allocation:
    credit_key: str
    item_key: str
    amount_yen: int


@dataclass(frozen=True)
class CreditMatch:
    credit_key: str
    outcome: Outcome
    rule: Rule
    evidence: Evidence
    confidence: int  # 0–100; 0 for a queued credit
    payer_id: str | None
    allocations: tuple[Allocation, ...]
    unapplied_yen: int  # what of the credit no document took (the whole credit when queued)
    candidates: tuple[str, ...] = ()  # item keys staff may want to look at

    @property
    def reason(self) -> str:
        """Why, in Japanese, for the screen and the audit log."""
        return f"{EVIDENCE_LABELS[self.evidence]}・{RULE_LABELS[self.rule]}"


@dataclass(frozen=True)
class MatchingResult:
    matches: tuple[CreditMatch, ...]  # one per credit, in credit-key order

    @property
    def allocations(self) -> tuple[Allocation, ...]:
        return tuple(a for match in self.matches for a in match.allocations)

    @property
    def queued(self) -> tuple[CreditMatch, ...]:
        return tuple(match for match in self.matches if match.outcome is Outcome.QUEUED)

    def for_credit(self, key: str) -> CreditMatch:
        return next(match for match in self.matches if match.credit_key == key)


class UnableToMatchCredits(ValueError):
    """The inputs contradict themselves (duplicate keys, amounts that are not positive yen)."""


def _code(value: str) -> str:
    """A payer code or virtual account compared without leading zeros."""
    return value.strip().lstrip("0")


def _document_token(value: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", value.upper())


@dataclass
class _State:
    items: dict[str, OpenItem]
    outstanding: dict[str, int]
    matches: dict[str, CreditMatch] = field(default_factory=dict)
    by_payer: dict[str, list[OpenItem]] = field(default_factory=dict)  # filled on first use, by (due date, key)

    def open_items_of(self, payer_id: str) -> list[OpenItem]:
        if not self.by_payer and self.items:
            grouped: dict[str, list[OpenItem]] = defaultdict(list)
            for item in sorted(self.items.values(), key=lambda i: (i.due_date, i.key)):
                grouped[item.payer_id].append(item)
            self.by_payer.update(grouped)
        return [i for i in self.by_payer.get(payer_id, ()) if self.outstanding[i.key] > 0]

    def settle(
        self,
        credit: Credit,
        items: Sequence[OpenItem],
        *,
        rule: Rule,
        evidence: Evidence,
        payer_id: str | None,
    ) -> None:
        """Allocate ``credit`` to ``items`` in their order, each up to its outstanding amount."""
        remaining = credit.amount_yen
        allocations: list[Allocation] = []
        for item in items:
            take = min(remaining, self.outstanding[item.key])
            if take <= 0:
                continue
            self.outstanding[item.key] -= take
            remaining -= take
            allocations.append(Allocation(credit.key, item.key, take))
        if remaining > 0:
            outcome, rule = Outcome.OVERPAID, Rule.OVERPAYMENT
        elif rule is Rule.PARTIAL:
            outcome = Outcome.PARTIAL
        else:
            outcome = Outcome.MATCHED
        confidence = _EVIDENCE_CONFIDENCE[evidence] * _RULE_FACTOR_PERCENT[rule] // 100
        self.matches[credit.key] = CreditMatch(
            credit_key=credit.key,
            outcome=outcome,
            rule=rule,
            evidence=evidence,
            confidence=confidence,
            payer_id=payer_id,
            allocations=tuple(allocations),
            unapplied_yen=remaining,
        )

    def queue(
        self,
        credit: Credit,
        *,
        rule: Rule,
        evidence: Evidence,
        payer_id: str | None = None,
        candidates: Iterable[OpenItem] = (),
    ) -> None:
        keys = tuple(item.key for item in candidates)[:MAX_CANDIDATES]
        self.matches[credit.key] = CreditMatch(
            credit_key=credit.key,
            outcome=Outcome.QUEUED,
            rule=rule,
            evidence=evidence,
            confidence=0,
            payer_id=payer_id,
            allocations=(),
            unapplied_yen=credit.amount_yen,
            candidates=keys,
        )


def find_subsets(
    *, values: Sequence[tuple[str, int]], target: int, max_size: int, budget: int, limit: int = 2
) -> tuple[list[tuple[str, ...]], bool]:
    """Up to ``limit`` sets of two or more keys whose values add up to ``target``, and whether ``budget`` ran out.

    A depth-first search over the values sorted from largest, pruned by the sum still reachable; ``budget`` bounds
    the number of steps, so the answer is either complete (``False``) or unknown beyond what was found (``True``).
    """
    ordered = sorted((v for v in values if 0 < v[1] <= target), key=lambda kv: (-kv[1], kv[0]))
    suffix = [0] * (len(ordered) + 1)
    for index in range(len(ordered) - 1, -1, -1):
        suffix[index] = suffix[index + 1] + ordered[index][1]
    found: list[tuple[str, ...]] = []
    steps = 0
    exhausted = False
    chosen: list[str] = []

    def walk(start: int, remaining: int) -> None:
        nonlocal steps, exhausted
        if len(found) >= limit or exhausted:
            return
        if remaining == 0:
            if len(chosen) >= 2:
                found.append(tuple(sorted(chosen)))
            return
        if len(chosen) >= max_size or suffix[start] < remaining:
            return
        for index in range(start, len(ordered)):
            steps += 1
            if steps > budget:
                exhausted = True
                return
            key, value = ordered[index]
            if value > remaining:
                continue
            if suffix[index] < remaining:
                return
            chosen.append(key)
            walk(index + 1, remaining - value)
            chosen.pop()
            if len(found) >= limit or exhausted:
                return

    walk(0, target)
    return found, exhausted


class _Matcher:
    def __init__(
        self,
        *,
        credits: Sequence[Credit],
        open_items: Sequence[OpenItem],
        payers: Sequence[Payer],
        max_subset_size: int,
        search_budget: int,
    ) -> None:
        self.credits = sorted(credits, key=lambda credit: (credit.booking_date, credit.key))
        self.state = _State(
            items={item.key: item for item in open_items},
            outstanding={item.key: max(item.outstanding_yen, 0) for item in open_items},
        )
        self.max_subset_size = max_subset_size
        self.search_budget = search_budget
        self.payer_names: dict[str, list[PayerName]] = {
            payer.payer_id: [normalise_payer_name(name=name) for name in payer.names if name.strip()]
            for payer in payers
        }
        # exact keys → payers, so that a credit compares its name only with payers of the same key first
        self.payers_by_key: dict[str, set[str]] = defaultdict(set)
        for payer_id, registered in self.payer_names.items():
            for registered_name in registered:
                self.payers_by_key[registered_name.key].add(payer_id)
        self.payers_by_code: dict[str, set[str]] = defaultdict(set)
        for payer in payers:
            for code in payer.payer_codes:
                if _code(code):
                    self.payers_by_code[_code(code)].add(payer.payer_id)
        self.items_by_virtual_account: dict[str, list[OpenItem]] = defaultdict(list)
        self.items_by_document: dict[str, list[OpenItem]] = defaultdict(list)
        for item in sorted(open_items, key=lambda i: (i.due_date, i.key)):
            if _code(item.virtual_account):
                self.items_by_virtual_account[_code(item.virtual_account)].append(item)
            token = _document_token(item.document_number)
            if len(token) >= MIN_DOCUMENT_NUMBER_LENGTH:
                self.items_by_document[token].append(item)

    # -- recognising payers and documents

    def referenced_items(self, credit: Credit, name: PayerName) -> list[OpenItem]:
        text = _document_token(credit.remittance_text + " " + name.reference)
        if len(text) < MIN_DOCUMENT_NUMBER_LENGTH:
            return []
        found = [items[0] for token, items in self.items_by_document.items() if len(items) == 1 and token in text]
        return sorted(found, key=lambda item: (item.due_date, item.key))

    def payers_named(self, name: PayerName) -> tuple[set[str], Evidence]:
        exact = {
            payer_id
            for payer_id in self.payers_by_key.get(name.key, ())
            if name.key
            if any(
                compare_names(paid_as=name, registered=other) is NameAgreement.EXACT
                for other in self.payer_names[payer_id]
            )
        }
        if exact:
            return exact, Evidence.NAME
        truncated: set[str] = set()
        for payer_id, registered in self.payer_names.items():
            agreements = {compare_names(paid_as=name, registered=other) for other in registered}
            if NameAgreement.EXACT in agreements:
                exact.add(payer_id)
            elif NameAgreement.TRUNCATED in agreements:
                truncated.add(payer_id)
        if exact:
            return exact, Evidence.NAME
        if truncated:
            return truncated, Evidence.TRUNCATED_NAME
        return set(), Evidence.NONE

    # -- the passes

    def run(self) -> MatchingResult:
        pending: dict[str, list[tuple[Credit, Evidence]]] = defaultdict(list)
        for credit in self.credits:
            self.single_credit(credit, pending)
        self.several_credits(pending)
        for payer_id in sorted(pending):
            for credit, evidence in pending[payer_id]:
                if credit.key not in self.state.matches:
                    self.remainder(credit, payer_id, evidence)
        matches = sorted(self.state.matches.values(), key=lambda match: match.credit_key)
        return MatchingResult(matches=tuple(matches))

    def single_credit(self, credit: Credit, pending: dict[str, list[tuple[Credit, Evidence]]]) -> None:
        state = self.state
        code = _code(credit.payer_code)
        by_account = self.items_by_virtual_account.get(code, []) if code else []
        if len(by_account) == 1:
            item = by_account[0]
            rule = Rule.EXACT_AMOUNT if credit.amount_yen >= state.outstanding[item.key] else Rule.PARTIAL
            if state.outstanding[item.key] == 0:
                state.queue(credit, rule=Rule.NO_OPEN_ITEMS, evidence=Evidence.VIRTUAL_ACCOUNT, payer_id=item.payer_id)
                return
            state.settle(credit, [item], rule=rule, evidence=Evidence.VIRTUAL_ACCOUNT, payer_id=item.payer_id)
            return
        name = normalise_payer_name(name=credit.payer_name)
        referenced = [i for i in self.referenced_items(credit, name) if state.outstanding[i.key] > 0]
        if referenced and len({i.payer_id for i in referenced}) == 1:
            total = sum(state.outstanding[i.key] for i in referenced)
            payer_id = referenced[0].payer_id
            if len(referenced) == 1 or total == credit.amount_yen:
                rule = Rule.DOCUMENT if credit.amount_yen >= total else Rule.PARTIAL
                state.settle(credit, referenced, rule=rule, evidence=Evidence.DOCUMENT_NUMBER, payer_id=payer_id)
                return
            # several documents named but the amount is not their sum: the payer's rules decide
        payer_ids: set[str] = set()
        evidence = Evidence.NONE
        for candidate_code in (code, _code(name.reference)):
            if candidate_code and self.payers_by_code.get(candidate_code):
                payer_ids, evidence = set(self.payers_by_code[candidate_code]), Evidence.PAYER_CODE
                break
        if not payer_ids:
            payer_ids, evidence = self.payers_named(name)
        if not payer_ids:
            same_amount = [i for i in state.items.values() if state.outstanding[i.key] == credit.amount_yen]
            state.queue(credit, rule=Rule.UNKNOWN_PAYER, evidence=Evidence.NONE, candidates=_by_due(same_amount))
            return
        if len(payer_ids) > 1:
            same_amount = [
                item
                for payer_id in payer_ids
                for item in state.open_items_of(payer_id)
                if state.outstanding[item.key] == credit.amount_yen
            ]
            if len(same_amount) == 1:
                item = same_amount[0]
                state.settle(
                    credit, [item], rule=Rule.EXACT_AMOUNT, evidence=Evidence.NAME_AND_AMOUNT, payer_id=item.payer_id
                )
            else:
                state.queue(credit, rule=Rule.AMBIGUOUS_PAYER, evidence=evidence, candidates=_by_due(same_amount))
            return
        (payer_id,) = payer_ids
        items = state.open_items_of(payer_id)
        exact = [item for item in items if state.outstanding[item.key] == credit.amount_yen]
        if len(exact) == 1:
            state.settle(credit, exact, rule=Rule.EXACT_AMOUNT, evidence=evidence, payer_id=payer_id)
            return
        if len(exact) > 1:
            state.queue(credit, rule=Rule.AMBIGUOUS_DOCUMENTS, evidence=evidence, payer_id=payer_id, candidates=exact)
            return
        values = [(item.key, state.outstanding[item.key]) for item in items]
        subsets, exhausted = find_subsets(
            values=values, target=credit.amount_yen, max_size=self.max_subset_size, budget=self.search_budget
        )
        if len(subsets) == 1 and not exhausted:
            chosen = [state.items[key] for key in subsets[0]]
            state.settle(credit, _by_due(chosen), rule=Rule.SEVERAL_DOCUMENTS, evidence=evidence, payer_id=payer_id)
            return
        if subsets or exhausted:
            rule = Rule.SEARCH_LIMIT if exhausted and len(subsets) < 2 else Rule.AMBIGUOUS_DOCUMENTS
            involved = {key for subset in subsets for key in subset}
            state.queue(
                credit,
                rule=rule,
                evidence=evidence,
                payer_id=payer_id,
                candidates=[item for item in items if item.key in involved],
            )
            return
        pending[payer_id].append((credit, evidence))

    def several_credits(self, pending: dict[str, list[tuple[Credit, Evidence]]]) -> None:
        """Rule 6: sets of a payer's unmatched credits that add up to one of its documents, unambiguously."""
        state = self.state
        for payer_id in sorted(pending):
            credits = {credit.key: credit for credit, _ in pending[payer_id]}
            if len(credits) < 2:
                continue
            evidence_of = {credit.key: evidence for credit, evidence in pending[payer_id]}
            values = [(key, credit.amount_yen) for key, credit in credits.items()]
            solutions: dict[str, list[tuple[str, ...]]] = {}
            undecided: set[str] = set()
            for item in state.open_items_of(payer_id):
                found, exhausted = find_subsets(
                    values=values,
                    target=state.outstanding[item.key],
                    max_size=self.max_subset_size,
                    budget=self.search_budget,
                )
                if exhausted:
                    undecided.add(item.key)
                if found:
                    solutions[item.key] = found
            for item_key, found in solutions.items():
                if len(found) != 1 or item_key in undecided:
                    continue
                subset = set(found[0])
                clash = any(
                    subset & set(other)
                    for other_key, others in solutions.items()
                    if other_key != item_key
                    for other in others
                )
                if clash:
                    continue
                item = state.items[item_key]
                weakest = min((evidence_of[k] for k in subset), key=lambda e: _EVIDENCE_CONFIDENCE[e])
                for key in sorted(subset, key=lambda k: (credits[k].booking_date, k)):
                    state.settle(credits[key], [item], rule=Rule.SEVERAL_CREDITS, evidence=weakest, payer_id=payer_id)

    def remainder(self, credit: Credit, payer_id: str, evidence: Evidence) -> None:
        """Rule 7 and the queue: what is left of a payer's credits after the exact rules."""
        state = self.state
        items = state.open_items_of(payer_id)
        if not items:
            state.queue(credit, rule=Rule.NO_OPEN_ITEMS, evidence=evidence, payer_id=payer_id)
            return
        total = sum(state.outstanding[item.key] for item in items)
        exact = [item for item in items if state.outstanding[item.key] == credit.amount_yen]
        if len(exact) == 1:
            state.settle(credit, exact, rule=Rule.EXACT_AMOUNT, evidence=evidence, payer_id=payer_id)
        elif len(exact) > 1:
            state.queue(credit, rule=Rule.AMBIGUOUS_DOCUMENTS, evidence=evidence, payer_id=payer_id, candidates=exact)
        elif len(items) == 1 and credit.amount_yen < total:
            state.settle(credit, items, rule=Rule.PARTIAL, evidence=evidence, payer_id=payer_id)
        elif credit.amount_yen >= total:
            rule = Rule.SEVERAL_DOCUMENTS if len(items) > 1 else Rule.EXACT_AMOUNT
            state.settle(credit, items, rule=rule, evidence=evidence, payer_id=payer_id)
        else:
            state.queue(credit, rule=Rule.AMBIGUOUS_DOCUMENTS, evidence=evidence, payer_id=payer_id, candidates=items)


def _by_due(items: Iterable[OpenItem]) -> list[OpenItem]:
    return sorted(items, key=lambda item: (item.due_date, item.key))


def match_credits(
    *,
    credits: Sequence[Credit],
    open_items: Sequence[OpenItem],
    payers: Sequence[Payer],
    max_subset_size: int = 8,
    search_budget: int = 50_000,
) -> MatchingResult:
    """Match every credit to open documents or queue it (see the module text for the rules and their order)."""
    _check_inputs(credits, open_items, payers)
    return _Matcher(
        credits=credits,
        open_items=open_items,
        payers=payers,
        max_subset_size=max_subset_size,
        search_budget=search_budget,
    ).run()


def _check_inputs(credits: Sequence[Credit], open_items: Sequence[OpenItem], payers: Sequence[Payer]) -> None:
    for label, keys in (
        ("credit", [c.key for c in credits]),
        ("open item", [i.key for i in open_items]),
        ("payer", [p.payer_id for p in payers]),
    ):
        duplicates = sorted(key for key, count in Counter(keys).items() if count > 1)
        if duplicates:
            raise UnableToMatchCredits(f"duplicate {label} keys: {', '.join(duplicates[:5])}")
    for credit in credits:
        if isinstance(credit.amount_yen, bool) or not isinstance(credit.amount_yen, int) or credit.amount_yen <= 0:
            raise UnableToMatchCredits(f"credit {credit.key}: amount must be a positive int (yen)")
    known = {payer.payer_id for payer in payers}
    for item in open_items:
        if isinstance(item.outstanding_yen, bool) or not isinstance(item.outstanding_yen, int):
            raise UnableToMatchCredits(f"open item {item.key}: outstanding must be an int (yen)")
        if item.payer_id not in known:
            raise UnableToMatchCredits(f"open item {item.key}: unknown payer {item.payer_id}")
