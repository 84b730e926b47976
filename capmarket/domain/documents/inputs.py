"""What issuing needs from a confirmed settlement month: a small, explicit input, independent of how the
settlement runs store their figures.

Every row carries ``source_ref``, a human-readable pointer to the figure it came from (e.g.
``run 12 statements.csv P0001 2025-04``), which the documents print as their 算定根拠 and keep.
Amounts are integer yen as the engine computed them (engine signs: a penalty is positive, ``net_excl_tax_yen``
is instalments − penalties, ``total_yen`` < 0 means the provider owes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class ContractMonth:
    """One contract's part of a provider's statement: its instalment and its capped penalty of the month."""

    contract_code: str
    instalment_yen: int
    capped_penalty_yen: int
    coal_penalty_yen: int = 0
    resource_code: str = ""
    resource_name: str = ""
    source_ref: str = ""


@dataclass(frozen=True)
class Adjustment:
    """A correction of an earlier, confirmed month carried into this statement (issue 9 §4): the difference of a
    recomputation, per contract. ``amount_yen`` > 0 raises what the operator pays (more instalment, or less
    penalty); ``kind`` is ``instalment`` or ``penalty``."""

    contract_code: str
    kind: str
    source_month: str  # YYYY-MM, the month whose figure is corrected
    amount_yen: int
    source_ref: str = ""


@dataclass(frozen=True)
class Statement:
    """A provider's statement of one delivery month (rules.md §3): a payment notice or an invoice."""

    provider_code: str
    delivery_month: str  # YYYY-MM
    payment_month: str  # YYYY-MM
    instalments_yen: int
    penalties_yen: int
    net_excl_tax_yen: int
    tax_yen: int
    carried_in_yen: int
    total_yen: int
    document: str  # "payment_notice" | "invoice"
    amount_yen: int
    contracts: tuple[ContractMonth, ...] = ()
    source_ref: str = ""
    #: corrections of earlier months (``net_excl_tax_yen`` = instalments − penalties + Σ adjustments)
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True)
class ContributionBill:
    """One bill of rules.md §4: a payer (retailer or TSO) × area × delivery month."""

    payer_code: str
    payer_kind: str  # "retailer" | "tso"
    area: str
    delivery_month: str
    billing_month: str
    amount_yen: int
    tax_yen: int
    total_yen: int  # amount + adjustment + tax
    source_ref: str = ""
    adjustment_yen: int = 0  # correction of earlier months' bills of this payer and area
    adjustment_ref: str = ""


@dataclass(frozen=True)
class PenaltyLine:
    """A raw penalty of one contract and requirement in the month (before the caps of rules.md §2.6)."""

    provider_code: str
    contract_code: str
    requirement: str
    penalty_yen: int
    resource_code: str = ""
    resource_name: str = ""
    source_ref: str = ""


@dataclass(frozen=True)
class MonthFigures:
    """The confirmed figures of one delivery month of one settlement run."""

    run_ref: str  # how the run is named on documents and in natural keys, e.g. "12"
    delivery_year: int
    delivery_month: str  # YYYY-MM
    tax_rate: Fraction
    contributions_taxable: bool = True
    statements: tuple[Statement, ...] = ()
    contribution_bills: tuple[ContributionBill, ...] = ()
    penalty_lines: tuple[PenaltyLine, ...] = field(default_factory=tuple)
