"""The engine's output frames of a month (statements, contract_months, penalties, coal, contributions — the
layouts of ``case-format.md``) as the explicit input of issuing (``domain.documents.inputs.MonthFigures``).

Settlement runs keep exactly these frames for every confirmed month, so the same function serves them and the
shared scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import polars as pl

from capmarket.domain.documents.inputs import ContractMonth, ContributionBill, MonthFigures, PenaltyLine, Statement

MARCH = "-03"


def month_figures(
    *,
    run_ref: str,
    delivery_year: int,
    delivery_month: str,
    outputs: Mapping[str, pl.DataFrame],
    contracts: pl.DataFrame,
    tax_rate: Fraction,
    contributions_taxable: bool,
    resource_names: Mapping[str, str] | None = None,
    source: str = "",
) -> MonthFigures:
    """``contracts`` maps ``contract_id`` → ``provider_id``, ``resource_id`` (the case's contracts table or the
    registry's). ``source`` prefixes every source reference, e.g. ``"算定実行 12"``."""
    names = resource_names or {}
    prefix = f"{source} " if source else ""
    owner = {r["contract_id"]: (r["provider_id"], r["resource_id"]) for r in contracts.iter_rows(named=True)}
    by_provider = _contract_months(
        outputs=outputs, delivery_month=delivery_month, owner=owner, names=names, prefix=prefix
    )
    statements = tuple(
        Statement(
            provider_code=r["provider_id"],
            delivery_month=r["delivery_month"],
            payment_month=r["payment_month"],
            instalments_yen=int(r["instalments_yen"]),
            penalties_yen=int(r["penalties_yen"]),
            net_excl_tax_yen=int(r["net_excl_tax_yen"]),
            tax_yen=int(r["tax_yen"]),
            carried_in_yen=int(r["carried_in_yen"]),
            total_yen=int(r["total_yen"]),
            document=r["document"],
            amount_yen=int(r["amount_yen"]),
            contracts=tuple(by_provider.get(r["provider_id"], [])),
            source_ref=f"{prefix}statements {r['provider_id']} {delivery_month}",
        )
        for r in outputs["statements"].filter(pl.col("delivery_month") == delivery_month).iter_rows(named=True)
    )
    penalty_lines = tuple(
        PenaltyLine(
            provider_code=owner[r["contract_id"]][0],
            contract_code=r["contract_id"],
            requirement=r["requirement"],
            penalty_yen=int(r["penalty_yen"]),
            resource_code=owner[r["contract_id"]][1],
            resource_name=names.get(owner[r["contract_id"]][1], ""),
            source_ref=f"{prefix}penalties {r['contract_id']} {delivery_month} {r['requirement']}",
        )
        for r in outputs["penalties"].filter(pl.col("month") == delivery_month).iter_rows(named=True)
        if int(r["penalty_yen"]) != 0
    )
    return MonthFigures(
        run_ref=run_ref,
        delivery_year=delivery_year,
        delivery_month=delivery_month,
        tax_rate=tax_rate,
        contributions_taxable=contributions_taxable,
        statements=statements,
        contribution_bills=_contribution_bills(outputs=outputs, delivery_month=delivery_month, prefix=prefix),
        penalty_lines=penalty_lines,
    )


def _contract_months(
    *,
    outputs: Mapping[str, pl.DataFrame],
    delivery_month: str,
    owner: Mapping[str, tuple[str, str]],
    names: Mapping[str, str],
    prefix: str,
) -> dict[str, list[ContractMonth]]:
    """Each provider's contract-months of ``delivery_month`` (with the coal penalty in March)."""
    coal: dict[str, int] = {}
    if delivery_month.endswith(MARCH) and "coal" in outputs:
        coal = {r["contract_id"]: int(r["penalty_yen"]) for r in outputs["coal"].iter_rows(named=True)}
    by_provider: dict[str, list[ContractMonth]] = {}
    for r in outputs["contract_months"].filter(pl.col("month") == delivery_month).iter_rows(named=True):
        provider, resource = owner[r["contract_id"]]
        by_provider.setdefault(provider, []).append(
            ContractMonth(
                contract_code=r["contract_id"],
                instalment_yen=int(r["instalment_yen"]),
                capped_penalty_yen=int(r["capped_penalty_yen"]),
                coal_penalty_yen=coal.get(r["contract_id"], 0),
                resource_code=resource,
                resource_name=names.get(resource, ""),
                source_ref=f"{prefix}contract_months {r['contract_id']} {delivery_month}",
            )
        )
    return by_provider


def _contribution_bills(
    *, outputs: Mapping[str, pl.DataFrame], delivery_month: str, prefix: str
) -> tuple[ContributionBill, ...]:
    bills: tuple[ContributionBill, ...] = ()
    contributions = outputs.get("contributions")
    if contributions is not None:
        bills = tuple(
            ContributionBill(
                payer_code=r["payer_id"],
                payer_kind=r["payer_kind"],
                area=r["area"],
                delivery_month=r["delivery_month"],
                billing_month=r["billing_month"],
                amount_yen=int(r["amount_yen"]),
                tax_yen=int(r["tax_yen"]),
                total_yen=int(r["total_yen"]),
                source_ref=f"{prefix}contributions {r['payer_id']} {r['area']} {delivery_month}",
            )
            for r in contributions.filter(pl.col("delivery_month") == delivery_month).iter_rows(named=True)
        )
    return bills
