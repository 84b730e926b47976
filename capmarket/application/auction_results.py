"""Publishing an auction's results (seed 004 120, 130): one use case across auctions, contracts, notices.

``publish_results`` — in one transaction: the clearing is published (a 責任者 other than the one who ran it), a
capacity contract is made for every accepted bid (約定価格 = the price of its market; 経過措置 for resources
completed in FY2010 or earlier), each bidder gets a portal notice (お知らせ) and everyone the public summary; then a
background job issues the documents: each bidder's 容量オークション結果通知書 and each contract's 容量確保契約書
(本紙・別紙), which the provider confirms or asks to correct in the portal. The job is idempotent (documents are
issued once per run and company, and once per contract).

``export_auction_case`` writes what a clearing read as an auction case, so ``capmarket clear-auction`` reproduces it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.db import transaction

from capmarket.calc.io.auction_outputs import case_tables
from capmarket.calc.market import AREA_NAMES_JA
from capmarket.domain.accounts.models import User
from capmarket.domain.auctions import operations as auction_ops
from capmarket.domain.auctions import queries as auction_queries
from capmarket.domain.auctions.models import Award, ClearingRun, RunState
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress
from capmarket.domain.notices.models import Audience
from capmarket.domain.notices.operations import post_notice
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery import notices as predelivery_notices
from capmarket.domain.predelivery import operations as predelivery_ops
from capmarket.domain.predelivery.models import ContractConfirmation, NoticeDocument, NoticeKind
from capmarket.domain.registry.models import Participant

JOB_KIND = "predelivery.issue_award_documents"
TRANSITIONAL_LAST_FISCAL_YEAR = 2010  # rules.md §1: resources completed in FY2010 or earlier


def _price(value: int | None) -> str:
    return "—" if value is None else f"{value:,} 円/kW"


def publish_results(*, actor: Any, now: dt.datetime, run: ClearingRun) -> tuple[ClearingRun, Job]:
    """Publish a proposed clearing, make the contracts, tell the bidders; queue the documents job."""
    with transaction.atomic():
        published = auction_ops.publish_clearing(actor=actor, now=now, run=run)
        auction = published.auction
        awards = list(
            Award.objects.select_related("bid__resource", "participant").filter(run=published).order_by("rank", "pk")
        )
        for award in awards:
            if not award.accepted or award.contract_id is not None:
                continue
            resource = award.bid.resource
            assert award.price_yen_per_kw is not None
            contract = contract_ops.create_contract(
                actor=actor,
                now=now,
                resource=resource,
                delivery_year=auction.delivery_year,
                price_yen_per_kw=award.price_yen_per_kw,
                contract_kw=award.accepted_kw,
                auction=auction.kind,
                transitional=bool(
                    resource.completion_fiscal_year and resource.completion_fiscal_year <= TRANSITIONAL_LAST_FISCAL_YEAR
                ),
            )
            award.contract = contract
            award.save(update_fields=["contract"])
        prices = auction_queries.area_prices(run=published)
        split = "、".join(AREA_NAMES_JA[p.area] for p in prices if p.split) or "なし"
        post_notice(
            actor=actor,
            title=f"{auction.name}の約定結果を公表しました",
            body=(
                f"約定価格（市場分断のないエリア）: {_price(published.national_price_yen_per_kw)}\n"
                f"約定容量: {published.accepted_kw:,} kW"
                f"（オークション外の供給力 {published.out_of_auction_kw:,} kW を除く）\n"
                f"市場分断: {split}\n"
                + "\n".join(f"{AREA_NAMES_JA[p.area]}: {_price(p.price_yen_per_kw)}" for p in prices)
            ),
            audience=Audience.ALL,
            participant=None,
            important=True,
            published_at=now,
            now=now,
        )
        bidders = sorted({a.participant_id for a in awards})
        for participant in Participant.objects.filter(pk__in=bidders).order_by("participant_code"):
            mine = [a for a in awards if a.participant_id == participant.pk]
            won = [a for a in mine if a.accepted]
            post_notice(
                actor=actor,
                title=f"{auction.name}: 貴社の応札の結果",
                body=(
                    f"応札 {len(mine)}件のうち落札 {len(won)}件（{sum(a.accepted_kw for a in won):,} kW）。"
                    "結果通知書と容量確保契約書は「オークション結果」「容量確保契約書の確認」から確認してください。"
                ),
                audience=Audience.PARTICIPANT,
                participant=participant,
                important=False,
                published_at=now,
                now=now,
            )
        job, _ = job_ops.enqueue(
            kind=JOB_KIND,
            owner=actor,
            participant=None,
            inputs={"run_id": published.pk, "actor_id": actor.pk},
            idempotency_key=f"{JOB_KIND}:{published.pk}",
            now=now,
        )
    return published, job


def _award_content(
    *, number: str, now: dt.datetime, run: ClearingRun, participant: Participant
) -> documents.NoticeContent:
    auction = run.auction
    mine = auction_queries.awards_of_participant(participant_id=participant.pk, run=run)
    results = {"accepted": "落札", "rejected_price": "非落札", "rejected_dispatch_cap": "非落札（発動指令電源の上限）"}
    rows = [
        (
            a.bid.resource.resource_code,
            a.bid.resource.name,
            f"{a.bid_kw:,}",
            f"{a.bid_price_yen_per_kw:,}",
            results.get(a.result, a.result),
            f"{a.accepted_kw:,}" if a.accepted else "",
            f"{a.price_yen_per_kw:,}" if a.price_yen_per_kw is not None else "",
        )
        for a in mine
    ]
    prices = [
        (AREA_NAMES_JA[p.area], "分断" if p.split else "", _price(p.price_yen_per_kw))
        for p in auction_queries.area_prices(run=run)
    ]
    jst = now.astimezone(dt.timezone(dt.timedelta(hours=9)))
    return documents.NoticeContent(
        title="容量オークション結果通知書",
        number=number,
        issued_on=jst.date(),
        addressee=participant.name,
        addressee_code=participant.participant_code,
        paragraphs=(
            f"{auction.name}（オークションID {auction.code}、実需給年度 {auction.delivery_year}年度）の約定処理の結果、"
            "貴社の応札の結果は下記のとおりとなりましたので通知します。落札した電源等については、別途送付する"
            "容量確保契約書の内容を確認してください。",
        ),
        tables=(
            documents.Table(
                heading="貴社の応札の結果",
                columns=(
                    "電源等識別番号",
                    "名称",
                    "応札容量（kW）",
                    "応札価格（円/kW）",
                    "結果",
                    "落札容量（kW）",
                    "約定価格（円/kW）",
                ),
                rows=rows,
            ),
            documents.Table(heading="エリアプライス", columns=("エリア", "市場分断", "約定価格"), rows=prices),
        ),
    )


def issue_award_documents(*, run: ClearingRun, actor: Any, now: dt.datetime, progress: Progress) -> dict[str, int]:
    """The documents of a published run: a result notice per bidder, contract documents per new contract.
    Idempotent: what was issued already is not issued again."""
    if run.state != RunState.PUBLISHED:
        raise ValueError("only a published clearing has documents")
    awards = list(Award.objects.select_related("participant", "contract").filter(run=run).order_by("rank", "pk"))
    companies = sorted({a.participant_id for a in awards})
    contracts = [a.contract for a in awards if a.contract is not None]
    total = len(companies) + len(contracts)
    done = notices = confirmations = 0
    reference = f"clearing-run:{run.pk}"
    for participant in Participant.objects.filter(pk__in=companies).order_by("participant_code"):
        with transaction.atomic():
            if not NoticeDocument.objects.filter(
                kind=NoticeKind.AWARD, participant=participant, reference=reference
            ).exists():

                def build(number: str, p: Participant = participant) -> documents.NoticeContent:
                    return _award_content(number=number, now=now, run=run, participant=p)

                predelivery_notices.issue_notice(
                    actor=actor,
                    now=now,
                    kind=NoticeKind.AWARD,
                    participant=participant,
                    delivery_year=run.auction.delivery_year,
                    build=build,
                    reference=reference,
                )
                notices += 1
        done += 1
        progress(done, total, f"結果通知書 {participant.participant_code}")
    for contract in contracts:
        if not ContractConfirmation.objects.filter(contract=contract, kind=NoticeKind.CONTRACT).exists():
            predelivery_ops.issue_contract_documents(actor=actor, now=now, contract=contract)
            confirmations += 1
        done += 1
        progress(done, total, f"容量確保契約書 {contract.contract_code}")
    return {"result_notices": notices, "contract_documents": confirmations}


def issue_award_documents_job(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    """Job handler of ``predelivery.issue_award_documents``."""
    run = ClearingRun.objects.select_related("auction").get(pk=int(job.inputs["run_id"]))
    actor = User.objects.filter(pk=job.inputs.get("actor_id")).first()
    return issue_award_documents(run=run, actor=actor, now=now, progress=progress)


def export_auction_case(*, run: ClearingRun, directory: Path) -> list[Path]:
    """Write the auction case a run cleared (its data and bids as they are now stored: the same as the run read
    while the auction's bids stay closed) to ``directory``; returns the files."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in sorted(case_tables(case=auction_queries.auction_case(auction=run.auction)).items()):
        path = directory / name
        path.write_bytes(data)
        written.append(path)
    return written
