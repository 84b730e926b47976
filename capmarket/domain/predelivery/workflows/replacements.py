"""The replacement board (差替掲示板: offers and requests staff review before every provider sees them) and
replacement applications (電源等差替), applied on approval."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from capmarket.calc.market import AREAS
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.predelivery import documents, queries
from capmarket.domain.predelivery.models import (
    Application,
    ApplicationKind,
    ListingKind,
    ListingState,
    NoticeDocument,
    NoticeKind,
    Replacement,
    ReplacementListing,
)
from capmarket.domain.predelivery.notices import issue_notice
from capmarket.domain.predelivery.operations import (
    new_application,
    register_kind,
    require_member_of,
)
from capmarket.domain.predelivery.operations.common import _refuse
from capmarket.domain.predelivery.workflows.common import (
    _active_contract_of,
    _content,
    _record,
)
from capmarket.domain.registry.models import Participant, Resource, ResourceStatus


@dataclass(frozen=True)
class ListingInput:
    kind: str
    delivery_year: int
    area: str
    kw: int
    available_from: dt.date
    available_to: dt.date
    contact: str
    note: str = ""
    resource_code: str = ""


def post_listing(*, actor: Any, now: dt.datetime, participant: Participant, values: ListingInput) -> ReplacementListing:
    """Put an offer or a request on the 差替掲示板 (shown to every provider once staff have reviewed it)."""
    require_member_of(actor=actor, participant=participant, action=Action.SUBMIT_REPLACEMENT)
    errors: list[str] = []
    if values.kind not in ListingKind.values:
        errors.append("区分: 提供または募集を選択してください。")
    if values.area not in AREAS:
        errors.append("エリア: 選択してください。")
    if values.kw <= 0:
        errors.append("容量: 1 kW以上で入力してください。")
    if values.available_to <= values.available_from:
        errors.append("終了日: 開始日より後にしてください。")
    if not values.contact.strip():
        errors.append("連絡先: 入力してください。")
    resource = None
    if values.kind == ListingKind.OFFER:
        resource = Resource.objects.filter(resource_code=values.resource_code, participant=participant).first()
        if resource is None:
            errors.append(f"電源等: 貴社の電源等を指定してください（{values.resource_code}）。")
    if errors:
        raise _refuse(errors)
    with transaction.atomic():
        listing = ReplacementListing.objects.create(
            participant=participant,
            kind=values.kind,
            delivery_year=values.delivery_year,
            area=values.area,
            resource=resource,
            resource_type=resource.resource_type if resource else "",
            kw=values.kw,
            available_from=values.available_from,
            available_to=values.available_to,
            note=values.note.strip(),
            contact=values.contact.strip(),
            state=ListingState.PENDING,
            created_by=actor,
            created_at=now,
        )
        _record(actor, now, AuditAction.CREATED, listing, "replacement_listing", "差替掲示板に登録を申し込みました。")
    return listing


def review_listing(
    *, actor: Any, now: dt.datetime, listing: ReplacementListing, publish: bool, comment: str = ""
) -> ReplacementListing:
    if not can(user=actor, action=Action.REVIEW_PREDELIVERY):
        raise _refuse("差替掲示板を審査する権限がありません。")
    if not publish and not comment.strip():
        raise _refuse("掲載不可の理由を入力してください。")
    with transaction.atomic():
        current = ReplacementListing.objects.select_for_update().get(pk=listing.pk)
        if current.state != ListingState.PENDING:
            raise _refuse("審査待ちの掲載ではありません。")
        current.state = ListingState.PUBLISHED if publish else ListingState.REJECTED
        current.reviewed_by = actor
        current.reviewed_at = now
        current.review_comment = comment.strip()
        current.save()
        _record(
            actor,
            now,
            AuditAction.UPDATED,
            current,
            "replacement_listing",
            f"差替掲示板: {current.get_state_display()}",
        )
    return current


def close_listing(*, actor: Any, now: dt.datetime, listing: ReplacementListing) -> ReplacementListing:
    with transaction.atomic():
        current = ReplacementListing.objects.select_for_update().select_related("participant").get(pk=listing.pk)
        require_member_of(actor=actor, participant=current.participant, action=Action.SUBMIT_REPLACEMENT)
        if current.state not in (ListingState.PENDING, ListingState.PUBLISHED):
            raise _refuse("この掲載は終了しています。")
        current.state = ListingState.CLOSED
        current.save(update_fields=["state"])
        _record(actor, now, AuditAction.UPDATED, current, "replacement_listing", "差替掲示板の掲載を終了しました。")
    return current


# ---------------------------------------------------------------------------------------------- replacement


def year_end(*, delivery_year: int) -> dt.date:
    """The exclusive end of a delivery year: a replacement without an end date runs to the day before it."""
    return dt.date(delivery_year + 1, 4, 1)


def period_text(*, valid_from: dt.date, valid_to: dt.date | None, delivery_year: int) -> str:
    """A replacement's days in words: ``2029年10月1日から2029年12月31日まで``."""
    last = (valid_to or year_end(delivery_year=delivery_year)) - dt.timedelta(days=1)
    return f"{documents.ja_date(day=valid_from)}から{documents.ja_date(day=last)}まで"


def valid_to_text(*, valid_to: dt.date | None) -> str:
    """差替終了日 as a notice or page says it (exclusive: the day the contract's own resource carries it again)."""
    if valid_to is None:
        return "なし（実需給年度の末日まで）"
    return f"{documents.ja_date(day=valid_to)}（この日から差替元の電源等で評価）"


def _carrying(*, to: Resource, valid_from: dt.date, valid_to: dt.date | None, year: int) -> Replacement | None:
    """An approved replacement the resource already carries on some day of ``[valid_from, valid_to)``."""
    end = valid_to or year_end(delivery_year=year)
    for other in queries.approved_replacements().filter(to_resource=to, contract__delivery_year=year).order_by("pk"):
        other_end = queries.effective_valid_to(replacement=other) or year_end(delivery_year=year)
        if other.valid_from < end and valid_from < other_end:
            return other
    return None


def _replacement_errors(
    *,
    contract: CapacityContract,
    to: Resource | None,
    code: str,
    kw: int,
    valid_from: dt.date,
    valid_to: dt.date | None,
    listing: ReplacementListing | None,
) -> list[str]:
    year = contract.delivery_year
    errors: list[str] = []
    if to is None or to.status != ResourceStatus.ACTIVE:
        errors.append(f"差替先電源等: 登録済みの電源等を指定してください（{code}）。")
    elif to.pk == contract.resource_id:
        errors.append("差替先電源等: 契約中の電源等とは別の電源等を指定してください。")
    elif to.participant_id != contract.participant_id and (listing is None or listing.resource_id != to.pk):
        errors.append("差替先電源等: 他社の電源等は、差替掲示板の掲載を指定して申し込んでください。")
    if not 0 < kw <= contract.contract_kw:
        errors.append(f"差替容量: 1〜{contract.contract_kw:,} kWで入力してください。")
    if not dt.date(year, 4, 1) <= valid_from < year_end(delivery_year=year):
        errors.append(f"差替開始日: {year}年度内の日付を入力してください。")
    elif valid_to is not None and valid_to <= valid_from:
        errors.append("差替終了日: 差替開始日より後の日付を入力してください（差替は差替終了日の前日までです）。")
    elif valid_to is not None and valid_to > year_end(delivery_year=year):
        errors.append(
            f"差替終了日: {year + 1}年4月1日以前の日付を入力してください（年度末までの差替は空欄にしてください）。"
        )
    if listing is not None and not errors:
        last = (valid_to or year_end(delivery_year=year)) - dt.timedelta(days=1)
        if valid_from < listing.available_from or last > listing.available_to:
            errors.append(
                f"差替期間: 差替掲示板の掲載の期間（{documents.ja_date(day=listing.available_from)}〜"
                f"{documents.ja_date(day=listing.available_to)}）の中で指定してください（差替終了日で終わりを指定できます）。"
            )
        if kw > listing.kw:
            errors.append(f"差替容量: 差替掲示板の掲載の容量（{listing.kw:,} kW）以下で入力してください。")
    if to is not None and not errors:
        other = _carrying(to=to, valid_from=valid_from, valid_to=valid_to, year=year)
        if other is not None:
            days = period_text(
                valid_from=other.valid_from,
                valid_to=queries.effective_valid_to(replacement=other),
                delivery_year=year,
            )
            errors.append(
                f"差替先電源等: {to.resource_code}は{days}、別の電源等差替（申込番号 {other.application.number}）の"
                "差替先です。期間が重ならないようにしてください。"
            )
    return errors


def submit_replacement(
    *,
    actor: Any,
    now: dt.datetime,
    contract: CapacityContract,
    to_resource_code: str,
    kw: int,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    listing: ReplacementListing | None = None,
) -> Application:
    """電源等差替: from ``valid_from`` (to ``valid_to``, exclusive; None = to the end of the delivery year),
    ``kw`` of the contract's obligation is provided by another resource."""
    with transaction.atomic():
        current = _active_contract_of(actor, contract, action=Action.SUBMIT_REPLACEMENT)
        to = Resource.objects.select_related("participant").filter(resource_code=to_resource_code).first()
        errors = _replacement_errors(
            contract=current,
            to=to,
            code=to_resource_code,
            kw=kw,
            valid_from=valid_from,
            valid_to=valid_to,
            listing=listing,
        )
        if errors:
            raise _refuse(errors)
        assert to is not None
        application = new_application(
            actor=actor,
            now=now,
            kind=ApplicationKind.REPLACEMENT,
            participant=current.participant,
            delivery_year=current.delivery_year,
            title=f"電源等差替 {current.contract_code}: {current.resource.resource_code} → {to.resource_code}",
        )
        Replacement.objects.create(
            application=application,
            contract=current,
            to_resource=to,
            kw=kw,
            valid_from=valid_from,
            valid_to=valid_to,
            listing=listing,
        )
    return application


def _apply_replacement(actor: Any, now: dt.datetime, application: Application) -> NoticeDocument:
    replacement = Replacement.objects.select_related("contract__resource", "to_resource").get(application=application)
    if replacement.contract.state != ContractState.ACTIVE:
        raise _refuse("対象の契約は有効ではありません。")
    Resource.objects.select_for_update().filter(pk=replacement.to_resource_id).first()  # one approval at a time
    other = _carrying(
        to=replacement.to_resource,
        valid_from=replacement.valid_from,
        valid_to=replacement.valid_to,
        year=replacement.contract.delivery_year,
    )
    if other is not None:  # approved since this one was submitted
        raise _refuse(
            f"差替先電源等: {replacement.to_resource.resource_code}は同じ期間に別の電源等差替"
            f"（申込番号 {other.application.number}）の差替先になりました。差し戻すか却下してください。"
        )
    replacement.in_force = True
    replacement.save(update_fields=["in_force"])
    c = replacement.contract

    def build(number: str) -> documents.NoticeContent:
        return _content(
            number=number,
            now=now,
            participant=application.participant,
            title="電源等差替通知書",
            paragraphs=(
                "貴社から申込のあった電源等差替を承認しましたので通知します。差替の期間中、差替容量の"
                "リクワイアメントは差替先の電源等で履行していただきます。",
            ),
            tables=(
                documents.Table(
                    heading="差替の内容",
                    rows=(
                        ("申込番号", application.number),
                        ("契約番号", c.contract_code),
                        ("差替元の電源等", f"{c.resource.resource_code} {c.resource.name}"),
                        ("差替先の電源等", f"{replacement.to_resource.resource_code} {replacement.to_resource.name}"),
                        ("差替容量", documents.kw(value=replacement.kw)),
                        ("差替開始日", documents.ja_date(day=replacement.valid_from)),
                        ("差替終了日", valid_to_text(valid_to=replacement.valid_to)),
                        (
                            "差替の期間",
                            period_text(
                                valid_from=replacement.valid_from,
                                valid_to=replacement.valid_to,
                                delivery_year=c.delivery_year,
                            ),
                        ),
                    ),
                ),
            ),
        )

    return issue_notice(
        actor=actor,
        now=now,
        kind=NoticeKind.REPLACEMENT,
        participant=application.participant,
        delivery_year=application.delivery_year,
        build=build,
        application=application,
        contract=c,
    )


register_kind(kind=ApplicationKind.REPLACEMENT, effect=_apply_replacement)
