"""Contract documents (契約書・附属書): issue them from a contract, the provider's confirmation or request
for a correction, and their reissue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from capmarket.calc.market import RESOURCE_TYPE_NAMES_JA
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery.models import (
    ConfirmationState,
    ContractConfirmation,
    NoticeKind,
)
from capmarket.domain.predelivery.notices import issue_notice, jst_date
from capmarket.domain.predelivery.operations.applications import (
    require_member_of,
)
from capmarket.domain.predelivery.operations.common import (
    _refuse,
)


def _contract_terms(contract: Any) -> tuple[tuple[str, str], ...]:
    resource = contract.resource
    year = contract.delivery_year
    return (
        ("契約番号", contract.contract_code),
        ("実需給年度", f"{year}年度（{year}年4月1日〜{year + 1}年3月31日）"),
        ("オークション", contract.get_auction_display()),
        ("電源等識別番号", resource.resource_code),
        ("電源等の名称", resource.name),
        ("電源等の区分", RESOURCE_TYPE_NAMES_JA.get(resource.resource_type, resource.resource_type)),
        ("エリア", resource.get_area_display()),
        ("約定価格", f"{contract.price_yen_per_kw:,} 円/kW"),
        ("契約容量", documents.kw(value=contract.contract_kw)),
        ("アセスメント対象容量", documents.kw(value=contract.assessment_kw)),
        ("契約金額（控除前）", documents.yen(value=contract.gross_amount_yen)),
        ("経過措置控除額", documents.yen(value=contract.transitional_deduction_yen)),
        ("容量確保契約金額", documents.yen(value=contract.amount_yen)),
    )


def _annex_content(*, contract: Any, base: dict[str, Any]) -> documents.NoticeContent:
    """別紙: the resource and the monthly payment schedule (12 instalments, the remainder in the last)."""
    resource = contract.resource
    amount = contract.amount_yen
    monthly = amount // 12
    months = []
    for i in range(12):
        year, month = (contract.delivery_year, 4 + i) if i < 9 else (contract.delivery_year + 1, i - 8)
        pay_year, pay_month = (year, month + 5) if month + 5 <= 12 else (year + 1, month - 7)
        value = monthly if i < 11 else amount - 11 * monthly
        months.append((f"{year}年{month}月", f"{pay_year}年{pay_month}月", f"{value:,}"))
    completion = f"{resource.completion_fiscal_year}年度" if resource.completion_fiscal_year else ""
    return documents.NoticeContent(
        title="容量確保契約書（別紙）",
        paragraphs=(
            f"契約番号 {contract.contract_code} の電源等の情報と、容量確保契約金額の月別の交付予定額"
            "（経済的ペナルティ等による減額前）を示す。",
        ),
        tables=(
            documents.Table(
                heading="電源等の情報",
                rows=(
                    ("電源等識別番号", resource.resource_code),
                    ("電源等の名称", resource.name),
                    ("電源等の区分", RESOURCE_TYPE_NAMES_JA.get(resource.resource_type, resource.resource_type)),
                    ("エリア", resource.get_area_display()),
                    ("設備容量", documents.kw(value=resource.installed_capacity_kw)),
                    ("期待容量", documents.kw(value=resource.expected_capacity_kw)),
                    ("竣工年度", completion),
                    ("経過措置", "対象" if contract.transitional else "対象外"),
                ),
            ),
            documents.Table(
                heading="月別の交付予定額",
                columns=("対象月", "交付月", "交付予定額（円）"),
                rows=months,
                note="交付額は実需給期間のアセスメントに基づく経済的ペナルティと相殺されます。",
            ),
        ),
        closing=("以上",),
        **base,
    )


def _change_rows(*, contract: Any, previous: Any) -> list[tuple[str, str]]:
    rows = [("契約番号（変更後）", contract.contract_code)]
    if previous is not None:
        rows.append(("契約番号（変更前）", previous.contract_code))
        for label, before, after in (
            ("約定価格（円/kW）", previous.price_yen_per_kw, contract.price_yen_per_kw),
            ("契約容量（kW）", previous.contract_kw, contract.contract_kw),
            ("アセスメント対象容量（kW）", previous.assessment_kw, contract.assessment_kw),
            ("容量確保契約金額（円）", previous.amount_yen, contract.amount_yen),
        ):
            rows.append((label, f"{before:,} → {after:,}" if before != after else f"{after:,}（変更なし）"))
    return rows


def _contract_content(
    *, number: str, now: dt.datetime, contract: Any, kind: str, previous: Any = None
) -> documents.NoticeContent:
    """本紙 / 別紙 of a 容量確保契約書, a 変更契約書 or a 解約合意書 for one contract."""
    participant = contract.participant
    terms = _contract_terms(contract)
    signatures = (
        f"甲　{documents.ISSUER}　{documents.ISSUER_TITLE}",
        f"乙　{participant.name}（事業者コード {participant.participant_code}）　代表者",
    )
    base: dict[str, Any] = {
        "number": number,
        "issued_on": jst_date(moment=now),
        "addressee": participant.name,
        "addressee_code": participant.participant_code,
    }
    if kind == NoticeKind.CONTRACT:
        return documents.NoticeContent(
            title="容量確保契約書",
            paragraphs=(
                f"{documents.ISSUER}（以下「甲」という。）と{participant.name}（以下「乙」という。）は、"
                f"{contract.get_auction_display()}の約定結果に基づき、容量確保契約約款に従って、"
                "次のとおり容量確保契約を締結する。",
                "乙は、本書の内容を容量市場システムで確認し、確認した旨を回答するものとする。"
                "内容に誤りがある場合は、容量市場システムから修正を依頼するものとする。",
            ),
            tables=(documents.Table(heading="契約の内容", rows=terms),),
            signature_lines=signatures,
            **base,
        )
    if kind == NoticeKind.CONTRACT_ANNEX:
        return _annex_content(contract=contract, base=base)
    if kind == NoticeKind.CHANGE_CONTRACT:
        return documents.NoticeContent(
            title="変更契約書",
            paragraphs=(
                f"甲と乙は、{contract.delivery_year}年度の容量確保契約の内容を次のとおり変更する。"
                "変更しない事項は従前のとおりとする。",
            ),
            tables=(documents.Table(heading="変更の内容", rows=_change_rows(contract=contract, previous=previous)),),
            signature_lines=signatures,
            **base,
        )
    return documents.NoticeContent(
        title="解約合意書",
        paragraphs=("甲と乙は、次の容量確保契約を合意により解約する。",),
        tables=(documents.Table(heading="解約する契約", rows=terms[:9]),),
        signature_lines=signatures,
        **base,
    )


def issue_contract_documents(
    *,
    actor: Any,
    now: dt.datetime,
    contract: Any,
    kind: str = NoticeKind.CONTRACT,
    previous: Any = None,
    replaces: ContractConfirmation | None = None,
) -> ContractConfirmation:
    """Issue the contract's documents (容量確保契約書 本紙 + 別紙, or a 変更契約書 / 解約合意書) and ask the
    provider to confirm them. Idempotent per contract and kind: a second call returns the open confirmation."""
    if kind not in (NoticeKind.CONTRACT, NoticeKind.CHANGE_CONTRACT, NoticeKind.CANCELLATION):
        raise ValueError(kind)
    with transaction.atomic():
        existing = (
            ContractConfirmation.objects.select_for_update()
            .filter(contract=contract, kind=kind)
            .exclude(state=ConfirmationState.SUPERSEDED)
            .first()
        )
        if existing is not None and replaces is None:
            return existing
        main = issue_notice(
            actor=actor,
            now=now,
            kind=kind,
            participant=contract.participant,
            delivery_year=contract.delivery_year,
            build=lambda number: _contract_content(
                number=number, now=now, contract=contract, kind=kind, previous=previous
            ),
            contract=contract,
            replaces=replaces.document if replaces is not None else None,
        )
        annex = None
        if kind == NoticeKind.CONTRACT:
            annex = issue_notice(
                actor=actor,
                now=now,
                kind=NoticeKind.CONTRACT_ANNEX,
                participant=contract.participant,
                delivery_year=contract.delivery_year,
                build=lambda number: _contract_content(
                    number=number, now=now, contract=contract, kind=NoticeKind.CONTRACT_ANNEX
                ),
                contract=contract,
                replaces=replaces.annex if replaces is not None else None,
            )
        if replaces is not None:
            replaces.state = ConfirmationState.SUPERSEDED
            replaces.save(update_fields=["state"])
        confirmation = ContractConfirmation.objects.create(
            contract=contract,
            kind=kind,
            document=main,
            annex=annex,
            state=ConfirmationState.AWAITING,
            created_at=now,
        )
    return confirmation


def confirm_contract(*, actor: Any, now: dt.datetime, confirmation: ContractConfirmation) -> ContractConfirmation:
    """The provider confirms its contract documents (確認)."""
    with transaction.atomic():
        current = (
            ContractConfirmation.objects.select_for_update()
            .select_related("contract__participant")
            .get(pk=confirmation.pk)
        )
        require_member_of(actor=actor, participant=current.contract.participant)
        if current.state != ConfirmationState.AWAITING:
            raise _refuse(f"この契約書は「{current.get_state_display()}」のため確認できません。")
        current.state = ConfirmationState.CONFIRMED
        current.answered_by = actor
        current.answered_at = now
        current.save()
        audit.record(
            now=now,
            action=AuditAction.CONFIRMED,
            actor=actor,
            object_type="contract_confirmation",
            object_id=current.pk,
            object_repr=str(current),
            summary=f"{current.get_kind_display()}（{current.document.number}）の内容を確認しました。",
        )
    return current


def request_contract_correction(
    *, actor: Any, now: dt.datetime, confirmation: ContractConfirmation, note: str
) -> ContractConfirmation:
    """The provider asks for a correction of its contract documents, saying what is wrong."""
    if not note.strip():
        raise _refuse("修正を依頼する内容を入力してください。")
    with transaction.atomic():
        current = (
            ContractConfirmation.objects.select_for_update()
            .select_related("contract__participant")
            .get(pk=confirmation.pk)
        )
        require_member_of(actor=actor, participant=current.contract.participant)
        if current.state != ConfirmationState.AWAITING:
            raise _refuse(f"この契約書は「{current.get_state_display()}」のため修正を依頼できません。")
        current.state = ConfirmationState.CORRECTION_REQUESTED
        current.answered_by = actor
        current.answered_at = now
        current.correction_note = note.strip()
        current.save()
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="contract_confirmation",
            object_id=current.pk,
            object_repr=str(current),
            summary=f"契約書の修正を依頼しました: {note.strip()}",
        )
    return current


def reissue_contract_documents(
    *, actor: Any, now: dt.datetime, confirmation: ContractConfirmation
) -> ContractConfirmation:
    """Staff answer a correction request with new documents (from the contract as it now stands); the old ones are
    kept and named by the new ones."""
    if not can(user=actor, action=Action.REVIEW_PREDELIVERY):
        raise _refuse("契約書を再発行する権限がありません。")
    with transaction.atomic():
        current = ContractConfirmation.objects.select_for_update().select_related("contract").get(pk=confirmation.pk)
        if current.state != ConfirmationState.CORRECTION_REQUESTED:
            raise _refuse("修正依頼のない契約書は再発行できません。")
        contract = current.contract
        previous = getattr(contract, "supersedes", None)
        return issue_contract_documents(
            actor=actor, now=now, contract=contract, kind=current.kind, previous=previous, replaces=current
        )
