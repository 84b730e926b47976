"""Transfers (総合振込): draft, check, approve and release transfer batches (four different people), write their
bank file, record the bank's results (a failed transfer reverses its posting)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.db import transaction

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.documents.models import Document, DocumentType, OperatorProfile
from capmarket.domain.ledger import chart
from capmarket.domain.ledger import operations as ledger
from capmarket.domain.ledger import queries as ledger_queries
from capmarket.domain.ledger.models import TransactionKind
from capmarket.domain.treasury import queries
from capmarket.domain.treasury.models import (
    ApprovalStep,
    BatchState,
    LineState,
    TransferBatch,
    TransferLine,
)
from capmarket.domain.treasury.operations.common import (
    PAYABLE_ACCOUNT,
    ZENGIN_ACCOUNT_TYPES,
    UnableToChangeTransferBatch,
    _posting_date,
    _require,
)
from capmarket.domain.treasury.pain001 import write_pain001
from capmarket.domain.treasury.zengin_transfer import (
    CheckedBatch,
    TransferInstruction,
    TransferRequester,
    UnableToWriteTransferFile,
    check_transfer_batch,
    encode_transfer_file,
    split_amount,
)


def _requester(profile: OperatorProfile) -> TransferRequester:
    return TransferRequester(
        requester_code=str(getattr(settings, "CAPMARKET_TRANSFER_REQUESTER_CODE", "0000000001")),
        name=profile.account_holder_kana,
        bank_code=profile.bank_code,
        branch_code=profile.branch_code,
        account_type=ZENGIN_ACCOUNT_TYPES.get(profile.account_type, "9"),
        account_number=profile.account_number,
    )


def _instructions(lines: Sequence[TransferLine]) -> list[TransferInstruction]:
    return [
        TransferInstruction(
            bank_code=x.bank_code,
            branch_code=x.branch_code,
            account_type=ZENGIN_ACCOUNT_TYPES.get(x.account_type, "9"),
            account_number=x.account_number,
            payee_name=x.account_holder_kana,
            amount_yen=x.amount_yen,
            customer_code1=x.document.number.replace("PN-", "")[-10:],
            customer_code2=f"{x.batch_id % 10**8:08d}{x.part:02d}",
        )
        for x in lines
    ]


def _payable_of(line: TransferLine) -> tuple[int, str]:
    """(company, payable account) that a transfer line pays off."""
    return line.participant_id, PAYABLE_ACCOUNT[DocumentType(line.document.document_type)]


def _check_against_ledger(lines: Sequence[TransferLine], *, as_of: dt.date) -> None:
    """Refused when a company would be paid more than the ledger owes it, per payable account (未払金 2110 for
    payment notices, 未払金（還元金） 2120 for annual refunds)."""
    amounts: dict[tuple[int, str], int] = defaultdict(int)
    names: dict[int, str] = {}
    for x in lines:
        amounts[_payable_of(x)] += x.amount_yen
        names[x.participant_id] = x.document.recipient_name
    accounts = sorted({account for _, account in amounts})
    balances = ledger_queries.company_balances(as_of=as_of, account_codes=accounts)
    problems = []
    for (pid, account), amount in sorted(amounts.items()):
        payable = balances.get(pid, {}).get(account, 0)
        if amount > payable:
            problems.append(
                f"{names[pid]}: 振込額 {amount:,}円が未払金（{account}）の残高 {payable:,}円を超えています。"
            )
    if problems:
        raise UnableToChangeTransferBatch(["会計帳簿と一致しません。", *problems])


def _transfer_lines(
    batch: TransferBatch, notices: Sequence[Document], parts: Mapping[int, Sequence[int]]
) -> list[TransferLine]:
    """One line per notice and part (amounts above the 10-digit field are split), the payee copied from it."""
    rows: list[TransferLine] = []
    for notice in notices:
        for part, amount in enumerate(parts[notice.pk], start=1):
            rows.append(
                TransferLine(
                    batch=batch,
                    line_no=len(rows) + 1,
                    document=notice,
                    part=part,
                    participant_id=notice.participant_id,
                    amount_yen=amount,
                    bank_code=notice.bank_code,
                    branch_code=notice.branch_code,
                    account_type=notice.account_type,
                    account_number=notice.account_number,
                    account_holder_kana=notice.account_holder_kana,
                )
            )
    return rows


def create_batch(
    *,
    pay_date: dt.date,
    actor: Any,
    now: dt.datetime,
    is_business_day: Callable[[dt.date], bool],
    ip_address: str | None = None,
) -> TransferBatch:
    """起票: a batch of the payment notices due on ``pay_date`` (or earlier) that no batch pays yet."""
    _require(
        actor,
        Action.DRAFT_TRANSFERS,
        "総合振込を起票する権限がありません（経理の権限です）。",
        UnableToChangeTransferBatch,
    )
    profile = OperatorProfile.objects.order_by("-version").first()
    if profile is None:
        raise UnableToChangeTransferBatch("発行者情報（振込元の口座）が登録されていません。")
    with transaction.atomic():
        notices = queries.payable_notices(pay_date=pay_date)
        if not notices:
            raise UnableToChangeTransferBatch(f"{pay_date:%Y-%m-%d} までに支払う支払通知書・還元通知書はありません。")
        missing = [n.number for n in notices if not (n.bank_code and n.branch_code and n.account_number)]
        if missing:
            raise UnableToChangeTransferBatch(f"振込先口座のない通知書があります: {'、'.join(missing[:10])}")
        parts = {n.pk: split_amount(amount_yen=n.total_yen) for n in notices}
        batch = TransferBatch.objects.create(
            pay_date=pay_date,
            requester_code=str(getattr(settings, "CAPMARKET_TRANSFER_REQUESTER_CODE", "0000000001")),
            line_count=sum(len(p) for p in parts.values()),
            total_yen=sum(n.total_yen for n in notices),
            drafted_at=now,
            drafted_by=actor,
            state=BatchState.DRAFTED,
        )
        TransferLine.objects.bulk_create(_transfer_lines(batch, notices, parts))
        lines = list(queries.lines_of(batch=batch))
        try:
            checked = check_transfer_batch(
                requester=_requester(profile),
                pay_date=pay_date,
                instructions=_instructions(lines),
                is_business_day=is_business_day,
            )
        except UnableToWriteTransferFile as exc:
            raise UnableToChangeTransferBatch(list(exc.issues)) from exc
        _check_against_ledger(lines, as_of=pay_date)
        if (batch.line_count, batch.total_yen) != (len(lines), checked.total_yen):
            raise UnableToChangeTransferBatch("振込データの件数・合計が支払通知書と一致しません。")
        audit.record(
            now=now,
            action=AuditAction.CREATED,
            actor=actor,
            object_type="transfer_batch",
            object_id=batch.pk,
            object_repr=str(batch),
            summary=(
                f"総合振込 #{batch.pk} を起票しました"
                f"（振込指定日 {pay_date:%Y-%m-%d}、{len(lines)}件、{checked.total_yen:,}円）。"
            ),
            ip_address=ip_address,
        )
    return batch


_STEPS: Final = {
    ApprovalStep.CHECK: (BatchState.DRAFTED, BatchState.CHECKED, Action.CHECK_TRANSFERS, "checked"),
    ApprovalStep.APPROVE: (BatchState.CHECKED, BatchState.APPROVED, Action.APPROVE_TRANSFERS, "approved"),
    ApprovalStep.ACCOUNTING: (BatchState.APPROVED, BatchState.RELEASED, Action.RELEASE_TRANSFERS, "released"),
}
_STEP_RIGHTS: Final = {
    ApprovalStep.CHECK: "確認の権限がありません。",
    ApprovalStep.APPROVE: "承認の権限がありません（責任者の権限です）。",
    ApprovalStep.ACCOUNTING: "経理承認の権限がありません（経理責任者の権限です）。",
}


def _post_disbursements(batch: TransferBatch, *, actor: Any, now: dt.datetime) -> None:
    lines = list(queries.lines_of(batch=batch))
    _check_against_ledger(lines, as_of=batch.pay_date)
    for x in lines:
        posting = ledger.post(
            posted_on=_posting_date(batch.pay_date),
            kind=TransactionKind.DISBURSEMENT,
            description=f"総合振込 #{batch.pk} {x.document.recipient_name} {x.document.number}"[:200],
            lines=[
                ledger.debit(account=_payable_of(x)[1], amount_yen=x.amount_yen, participant_id=x.participant_id),
                ledger.credit(account=chart.BANK, amount_yen=x.amount_yen, description=f"振込 {x.account_holder_kana}"),
            ],
            source_key=f"transfer:{x.pk}",
            now=now,
            actor=actor,
            delivery_year=x.document.delivery_year,
            document_number=x.document.number,
        )
        x.ledger_transaction = posting
        x.save(update_fields=["ledger_transaction"])


def approve_batch(
    *, batch: TransferBatch, step: str, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> TransferBatch:
    """One approval step — 確認, 承認, 経理承認 — in that order, each by a person who did no earlier step.
    経理承認 posts the disbursements (未払金 / 普通預金) after checking them against the ledger."""
    if step not in _STEPS:
        raise UnableToChangeTransferBatch(f"承認の段階「{step}」はありません（check, approve, accounting）。")
    before, after, action, field = _STEPS[ApprovalStep(step)]
    _require(actor, action, _STEP_RIGHTS[ApprovalStep(step)], UnableToChangeTransferBatch)
    with transaction.atomic():
        batch = TransferBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != before:
            raise UnableToChangeTransferBatch(
                f"総合振込 #{batch.pk} は「{batch.get_state_display()}」です。"
                f"{ApprovalStep(step).label}は「{BatchState(before).label}」の振込にだけ行えます。"
            )
        earlier = [batch.drafted_by_id, batch.checked_by_id, batch.approved_by_id]
        if actor.pk in earlier:
            raise UnableToChangeTransferBatch(
                "起票・確認・承認・経理承認は4人の別々の人が行います。あなたは既にこの振込の前の段階を行っています。"
            )
        setattr(batch, f"{field}_by", actor)
        setattr(batch, f"{field}_at", now)
        batch.state = after
        batch.save(update_fields=[f"{field}_by", f"{field}_at", "state"])
        if after == BatchState.RELEASED:
            _post_disbursements(batch, actor=actor, now=now)
        audit.record(
            now=now,
            action=AuditAction.CONFIRMED,
            actor=actor,
            object_type="transfer_batch",
            object_id=batch.pk,
            object_repr=str(batch),
            summary=(
                f"総合振込 #{batch.pk} を{ApprovalStep(step).label}しました"
                f"（{batch.line_count}件、{batch.total_yen:,}円）。"
            ),
            ip_address=ip_address,
        )
    return batch


def cancel_batch(
    *, batch: TransferBatch, reason: str, actor: Any, now: dt.datetime, ip_address: str | None = None
) -> TransferBatch:
    """Cancel a batch before 経理承認: its payment notices can be drafted into a new batch."""
    if not (can(user=actor, action=Action.DRAFT_TRANSFERS) or can(user=actor, action=Action.RELEASE_TRANSFERS)):
        raise UnableToChangeTransferBatch("総合振込を取り消す権限がありません。")
    if not reason.strip():
        raise UnableToChangeTransferBatch("取消の理由を入力してください。")
    with transaction.atomic():
        batch = TransferBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state in (BatchState.RELEASED, BatchState.CANCELLED):
            raise UnableToChangeTransferBatch(f"「{batch.get_state_display()}」の振込は取り消せません。")
        batch.lines.update(state=LineState.CANCELLED)
        batch.state = BatchState.CANCELLED
        batch.cancelled_at = now
        batch.cancel_reason = reason.strip()[:300]
        batch.save(update_fields=["state", "cancelled_at", "cancel_reason"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="transfer_batch",
            object_id=batch.pk,
            object_repr=str(batch),
            summary=f"総合振込 #{batch.pk} を取り消しました: {reason.strip()}",
            ip_address=ip_address,
        )
    return batch


@dataclass(frozen=True)
class BankFile:
    filename: str
    content_type: str
    data: bytes
    count: int
    total_yen: int


def checked_batch(*, batch: TransferBatch, is_business_day: Callable[[dt.date], bool]) -> CheckedBatch:
    profile = OperatorProfile.objects.order_by("-version").first()
    if profile is None:
        raise UnableToChangeTransferBatch("発行者情報（振込元の口座）が登録されていません。")
    lines = list(queries.lines_of(batch=batch).exclude(state=LineState.CANCELLED))
    try:
        return check_transfer_batch(
            requester=_requester(profile),
            pay_date=batch.pay_date,
            instructions=_instructions(lines),
            is_business_day=is_business_day,
        )
    except UnableToWriteTransferFile as exc:
        raise UnableToChangeTransferBatch(list(exc.issues)) from exc


def export_batch_file(
    *,
    batch: TransferBatch,
    file_format: str,
    actor: Any,
    now: dt.datetime,
    is_business_day: Callable[[dt.date], bool],
    ip_address: str | None = None,
) -> BankFile:
    """The bank file of a released batch (Zengin 総合振込 or pain.001), its totals checked against the batch and
    the ledger's disbursements. Refused before the four steps are done."""
    if file_format not in ("zengin", "pain001"):
        raise UnableToChangeTransferBatch(f"形式「{file_format}」はありません（zengin, pain001）。")
    if batch.state != BatchState.RELEASED:
        raise UnableToChangeTransferBatch(
            f"総合振込 #{batch.pk} は「{batch.get_state_display()}」です。"
            "振込データは起票・確認・承認・経理承認の4段階がすべて終わってから作成できます。"
        )
    if actor is not None and not (
        can(user=actor, action=Action.RELEASE_TRANSFERS) or can(user=actor, action=Action.DRAFT_TRANSFERS)
    ):
        raise UnableToChangeTransferBatch("振込データを作成する権限がありません（経理の権限です）。")
    checked = checked_batch(batch=batch, is_business_day=is_business_day)
    lines = list(queries.lines_of(batch=batch))
    posted = sum(
        e.credit_yen
        for x in lines
        if x.ledger_transaction is not None
        for e in x.ledger_transaction.entries.filter(account__code=chart.BANK)
    )
    if not (checked.total_yen == batch.total_yen == posted == sum(x.amount_yen for x in lines)):
        raise UnableToChangeTransferBatch(
            f"振込データの合計 {checked.total_yen:,}円が起票額 {batch.total_yen:,}円・"
            f"出金仕訳 {posted:,}円と一致しません。"
        )
    if file_format == "zengin":
        written = encode_transfer_file(batch=checked)
        data = written.data
        filename, content_type = f"sogofurikomi-{batch.pk}-{batch.pay_date:%Y%m%d}.txt", "text/plain; charset=Shift_JIS"
    else:
        data = write_pain001(batch=checked, message_id=f"CAPMARKET-TB{batch.pk}", created_at=now)
        filename, content_type = f"pain001-{batch.pk}-{batch.pay_date:%Y%m%d}.xml", "application/xml"
    audit.record(
        now=now,
        action=AuditAction.DOWNLOADED,
        actor=actor,
        object_type="transfer_batch",
        object_id=batch.pk,
        object_repr=str(batch),
        summary=(
            f"総合振込 #{batch.pk} の振込データ"
            f"（{file_format}、{len(checked.transfers)}件、{checked.total_yen:,}円）を作成しました。"
        ),
        changes={"sha256": hashlib.sha256(data).hexdigest()},
        ip_address=ip_address,
    )
    return BankFile(filename, content_type, data, len(checked.transfers), checked.total_yen)


@dataclass(frozen=True)
class TransferResult:
    line_no: int
    paid: bool
    reason: str = ""


def record_results(
    *,
    batch: TransferBatch,
    results: Sequence[TransferResult],
    actor: Any,
    now: dt.datetime,
    ip_address: str | None = None,
) -> tuple[int, int]:
    """The bank's results: each pending line paid or failed. A failed line's disbursement is reversed, so the
    payment notice's payable is open again (and can go into a new batch). Returns (paid, failed) recorded now;
    a line already given the same result is left as it is; a different result is refused."""
    _require(
        actor,
        Action.RELEASE_TRANSFERS,
        "振込結果を登録する権限がありません（経理責任者の権限です）。",
        UnableToChangeTransferBatch,
    )
    with transaction.atomic():
        batch = TransferBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != BatchState.RELEASED:
            raise UnableToChangeTransferBatch("振込結果は経理承認済の振込にだけ登録できます。")
        lines = {x.line_no: x for x in queries.lines_of(batch=batch).select_related("ledger_transaction")}
        problems = [f"{r.line_no}行目: この振込にその行はありません。" for r in results if r.line_no not in lines]
        for r in results:
            line = lines.get(r.line_no)
            if line is not None and line.state != LineState.PENDING:
                wanted = LineState.PAID if r.paid else LineState.FAILED
                if line.state != wanted:
                    problems.append(f"{r.line_no}行目: 既に「{line.get_state_display()}」です。")
        if problems:
            raise UnableToChangeTransferBatch(problems)
        paid = failed = 0
        for r in results:
            line = lines[r.line_no]
            if line.state != LineState.PENDING:
                continue
            line.result_at = now
            line.result_by = actor
            if r.paid:
                line.state = LineState.PAID
                paid += 1
            else:
                line.state = LineState.FAILED
                line.failure_reason = (r.reason or "振込不能")[:200]
                if line.ledger_transaction is not None:
                    line.reversal_transaction = ledger.reverse(
                        original=line.ledger_transaction,
                        posted_on=_posting_date(now.date()),
                        source_key=f"transfer-failed:{line.pk}",
                        description=f"振込不能 {line.document.number}: {line.failure_reason}"[:200],
                        now=now,
                        actor=actor,
                        document_number=line.document.number,
                    )
                failed += 1
            line.save(update_fields=["state", "result_at", "result_by", "failure_reason", "reversal_transaction"])
        audit.record(
            now=now,
            action=AuditAction.UPDATED,
            actor=actor,
            object_type="transfer_batch",
            object_id=batch.pk,
            object_repr=str(batch),
            summary=f"総合振込 #{batch.pk} の振込結果を登録しました（振込済 {paid}件、振込不能 {failed}件）。",
            ip_address=ip_address,
        )
    return paid, failed
