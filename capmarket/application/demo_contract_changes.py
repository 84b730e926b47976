"""Demo data of the four eyes on contract changes: one change request by the demo 担当者, waiting for the demo
責任者 in the approval queue (契約変更の承認), so that ``make demo`` shows the queue and its difference."""

from __future__ import annotations

import datetime as dt

from capmarket.domain.accounts.models import User
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts.models import CapacityContract, ContractState


def load_pending_change_request(*, user_prefix: str, now: dt.datetime) -> int:
    """One pending request: the demo operator asks to lower the first active contract's kW by 5 % (1 request)."""
    operator = User.objects.get(username=f"{user_prefix}operator")
    contract = (
        CapacityContract.objects.filter(state=ContractState.ACTIVE, contract_kw__gte=1_000)
        .select_related("resource")
        .order_by("contract_code", "pk")
        .first()
    )
    if contract is None:
        return 0
    lowered_kw = contract.contract_kw - contract.contract_kw // 20
    contract_ops.request_contract_change(
        actor=operator,
        now=now,
        contract=contract,
        price_yen_per_kw=contract.price_yen_per_kw,
        contract_kw=lowered_kw,
        assessment_kw=min(contract.assessment_kw, lowered_kw),
        transitional=contract.transitional,
        reason="定期検査計画の見直しに伴う契約容量の減少（事業者からの申出書受領済）",
    )
    return 1
