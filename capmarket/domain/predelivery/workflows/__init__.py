"""Writes of the workflows after the contract (seed 004 140, 160, 180, 824, G50): outage-plan adjustment, the
replacement board and replacements, succession and merger, market exit with its penalty, effectiveness tests.

Applications (replacement, succession, exit, test results) follow the review of ``operations`` (four eyes) and
register their effects there. The operator's own acts (adjustment rounds, test orders) are checked by one person and
confirmed by another where they decide an obligation (an adjustment's result).

The writes are in parts, one module each: ``outage_adjustment``, ``replacements`` (the board and replacement
applications), ``replacement_ends`` (ending one early, or withdrawing one before its start), ``succession``,
``market_exit`` and ``effectiveness``, on top of ``common``; importing this package registers the kinds' effects.
Callers use it: ``workflows.submit_replacement(…)``.
"""

from __future__ import annotations

from capmarket.domain.predelivery.workflows.common import (
    JST,
)
from capmarket.domain.predelivery.workflows.effectiveness import (
    MeterInput,
    order_effectiveness_test,
    submit_effectiveness_result,
)
from capmarket.domain.predelivery.workflows.market_exit import (
    submit_market_exit,
)
from capmarket.domain.predelivery.workflows.outage_adjustment import (
    cancel_outage_plan,
    finalize_outage_adjustment,
    resubmit_outage_plan,
    run_outage_adjustment,
    set_outage_limits,
)
from capmarket.domain.predelivery.workflows.replacement_ends import (
    submit_replacement_end,
    submit_replacement_withdrawal,
)
from capmarket.domain.predelivery.workflows.replacements import (
    ListingInput,
    close_listing,
    post_listing,
    review_listing,
    submit_replacement,
)
from capmarket.domain.predelivery.workflows.succession import (
    submit_succession,
)

__all__ = [
    "JST",
    "ListingInput",
    "MeterInput",
    "cancel_outage_plan",
    "close_listing",
    "finalize_outage_adjustment",
    "order_effectiveness_test",
    "post_listing",
    "resubmit_outage_plan",
    "review_listing",
    "run_outage_adjustment",
    "set_outage_limits",
    "submit_effectiveness_result",
    "submit_market_exit",
    "submit_replacement",
    "submit_replacement_end",
    "submit_replacement_withdrawal",
    "submit_succession",
]
