"""Helpers that turn a shared scenario into issued documents: run the engine on the case, register its companies,
issue its months in order, and post the receipts of the case between them (as the treasury will)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from capmarket.application.documents import figures as figures_mod
from capmarket.application.documents.issuing import IssueOutcome, issue_month
from capmarket.calc import engine
from capmarket.calc.io.case import read_case
from capmarket.calc.slots import month_labels
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import operations as ledger
from capmarket.domain.registry.models import Participant

T0 = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)


@dataclass
class Scenario:
    name: str
    delivery_year: int
    outputs: dict[str, pl.DataFrame]
    contracts: pl.DataFrame
    params: Any


def load(case_dir: Path) -> Scenario:
    case = read_case(case_dir=case_dir)
    result = engine.run(case=case.data, params=case.params)
    return Scenario(
        name=case_dir.parent.name,
        delivery_year=case.data.delivery_year,
        outputs=result.outputs(),
        contracts=case.data.contracts,
        params=case.params,
    )


def register_companies(s: Scenario) -> dict[str, Participant]:
    roles: dict[str, dict[str, Any]] = {}
    for code in s.outputs["statements"]["provider_id"].unique().to_list():
        roles.setdefault(code, {})["is_provider"] = True
    if "contributions" in s.outputs:
        for r in s.outputs["contributions"].select("payer_id", "payer_kind", "area").unique().iter_rows(named=True):
            if r["payer_kind"] == "tso":
                roles.setdefault(r["payer_id"], {}).update(is_tso=True, tso_area=r["area"])
            else:
                roles.setdefault(r["payer_id"], {})["is_retailer"] = True
    Participant.objects.bulk_create(
        [
            Participant(
                participant_code=code,
                name=f"{code} 株式会社",
                name_kana="テスト",
                email=f"{code.lower()}@example.jp",
                created_at=T0,
                updated_at=T0,
                **flags,
            )
            for code, flags in sorted(roles.items())
        ]
    )
    return {p.participant_code: p for p in Participant.objects.filter(participant_code__in=roles)}


def months(s: Scenario) -> list[str]:
    return month_labels(delivery_year=s.delivery_year)


def issue_all(s: Scenario, *, actor: Any, now: dt.datetime = T0, render: bool = False) -> list[IssueOutcome]:
    """Issue every month in order; after each, post the receipts the engine counted for that month's invoice."""
    companies = {p.participant_code: p for p in Participant.objects.all()}
    outcomes = []
    statements = s.outputs["statements"]
    for month in months(s):
        figures = figures_mod.month_figures(
            run_ref=f"scenario-{s.name}",
            delivery_year=s.delivery_year,
            delivery_month=month,
            outputs=s.outputs,
            contracts=s.contracts,
            tax_rate=s.params.tax_rate,
            contributions_taxable=s.params.contributions_taxable,
        )
        outcomes.append(issue_month(figures=figures, actor=actor, now=now, render=render, send_mail=False))
        for r in statements.filter((pl.col("delivery_month") == month) & (pl.col("received_yen") > 0)).iter_rows(
            named=True
        ):
            company = companies[r["provider_id"]]
            ledger.post(
                posted_on=now.date(),
                kind="receipt",
                description=f"入金 {r['provider_id']} {month}分請求書",
                lines=[
                    ledger.debit(account=chart.BANK, amount_yen=r["received_yen"]),
                    ledger.credit(
                        account=chart.RECEIVABLE_PROVIDERS, amount_yen=r["received_yen"], participant_id=company.pk
                    ),
                ],
                source_key=f"test-receipt:{s.name}:{r['provider_id']}:{month}",
                now=now,
            )
    return outcomes
