"""Expected capacity (期待容量) applications: check and write their lines, submit and resubmit, and apply them
on approval (registered as the effect of their kind)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from capmarket.calc.market import RESOURCE_TYPE_NAMES_JA
from capmarket.calc.predelivery.checks import check_expected_capacity
from capmarket.domain.accounts.permissions import Action
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery.models import (
    OPEN_STATES,
    Application,
    ApplicationKind,
    ApplicationState,
    ExpectedCapacity,
    ExpectedCapacityLine,
    ExpectedCapacityState,
    LineAction,
    NoticeDocument,
    NoticeKind,
)
from capmarket.domain.predelivery.notices import issue_notice, jst_date
from capmarket.domain.predelivery.operations.applications import (
    _locked,
    new_application,
    register_kind,
    reopen_for_correction,
    require_member_of,
)
from capmarket.domain.predelivery.operations.common import (
    MAX_YEAR,
    MIN_YEAR,
    _refuse,
)
from capmarket.domain.predelivery.queries import params_for_year
from capmarket.domain.registry.models import Participant, Resource, ResourceStatus
from capmarket.domain.shared.history import save_with_history


@dataclass(frozen=True)
class ExpectedCapacityInput:
    """One line of an expected-capacity application; ``line`` is where it came from (file line or form row)."""

    line: int
    action: str
    resource_code: str
    expected_capacity_kw: int | None
    installed_capacity_kw: int | None = None  # None: the resource's registered installed capacity
    reason: str = ""


PROBLEM_TEXT = {
    "BELOW_MINIMUM": "期待容量が最低容量（{limit:,} kW）未満です",
    "ABOVE_INSTALLED": "期待容量が設備容量（{limit:,} kW）を超えています",
    "ABOVE_ADJUSTED": "変動電源の期待容量が設備容量×調整係数（{limit:,} kW）を超えています",
}


def _check_lines(
    *, participant: Participant, delivery_year: int, lines: Sequence[ExpectedCapacityInput], exclude: Application | None
) -> list[tuple[ExpectedCapacityInput, Resource, int]]:
    """Every line checked; (line, resource, installed kW) — or every problem at once as Japanese messages."""
    errors: list[str] = []
    if not MIN_YEAR <= delivery_year <= MAX_YEAR:
        raise _refuse(f"実需給年度が正しくありません: {delivery_year}")
    if not lines:
        raise _refuse("申込の明細がありません。")
    _, params = params_for_year(delivery_year=delivery_year)
    codes = [line.resource_code for line in lines]
    resources = {r.resource_code: r for r in Resource.objects.filter(resource_code__in=codes)}
    current = {
        ec.resource_id: ec
        for ec in ExpectedCapacity.objects.filter(
            resource__resource_code__in=codes, delivery_year=delivery_year, state=ExpectedCapacityState.ACTIVE
        )
    }
    busy = ExpectedCapacityLine.objects.filter(
        resource__resource_code__in=codes,
        application__delivery_year=delivery_year,
        application__state__in=OPEN_STATES,
    )
    if exclude is not None:
        busy = busy.exclude(application=exclude)
    busy_codes: dict[str, str] = dict(busy.values_list("resource__resource_code", "application__number"))
    seen: set[str] = set()
    out: list[tuple[ExpectedCapacityInput, Resource, int]] = []
    for line in lines:
        where = f"{line.line}行目"
        resource = resources.get(line.resource_code)
        if line.action not in LineAction.values:
            errors.append(f"{where}: 区分: 登録・変更・取消のいずれかを指定してください（{line.action}）。")
            continue
        if resource is None or resource.participant_id != participant.pk:
            errors.append(f"{where}: 電源等識別番号: 貴社の電源等にありません（{line.resource_code}）。")
            continue
        if line.resource_code in seen:
            errors.append(f"{where}: 電源等識別番号: 同じ電源等が申込の中で重複しています（{line.resource_code}）。")
            continue
        seen.add(line.resource_code)
        if resource.status != ResourceStatus.ACTIVE:
            errors.append(f"{where}: 電源等識別番号: 市場退出済みの電源等です（{line.resource_code}）。")
            continue
        if line.resource_code in busy_codes:
            pending = busy_codes[line.resource_code]
            errors.append(f"{where}: 電源等識別番号: 審査中の申込{pending}があります（{line.resource_code}）。")
            continue
        registered = current.get(resource.pk)
        if line.action == LineAction.REGISTER and registered is not None:
            errors.append(f"{where}: 区分: {delivery_year}年度の期待容量は登録済みです。変更を申し込んでください。")
            continue
        if line.action in (LineAction.CHANGE, LineAction.CANCEL) and registered is None:
            errors.append(f"{where}: 区分: {delivery_year}年度の期待容量が登録されていないため変更・取消できません。")
            continue
        installed = resource.installed_capacity_kw if line.installed_capacity_kw is None else line.installed_capacity_kw
        if installed < 0:
            errors.append(f"{where}: 設備容量: 0以上で入力してください。")
            continue
        if line.action != LineAction.CANCEL:
            if line.expected_capacity_kw is None:
                errors.append(f"{where}: 期待容量: 値を入力してください。")
                continue
            for problem in check_expected_capacity(
                resource_type=resource.resource_type,
                installed_capacity_kw=installed,
                expected_capacity_kw=line.expected_capacity_kw,
                params=params,
            ):
                errors.append(f"{where}: 期待容量: " + PROBLEM_TEXT[problem.code].format(limit=problem.limit_kw) + "。")
            if (
                registered is not None
                and line.expected_capacity_kw == registered.expected_capacity_kw
                and (installed == registered.installed_capacity_kw)
            ):
                errors.append(f"{where}: 期待容量: 登録済みの値から変わっていません。")
        out.append((line, resource, installed))
    if errors:
        raise _refuse(errors)
    return out


def _write_lines(application: Application, checked: Iterable[tuple[ExpectedCapacityInput, Resource, int]]) -> None:
    ExpectedCapacityLine.objects.filter(application=application).delete()
    ExpectedCapacityLine.objects.bulk_create(
        ExpectedCapacityLine(
            application=application,
            line_no=i,
            action=line.action,
            resource=resource,
            installed_capacity_kw=installed,
            expected_capacity_kw=None if line.action == LineAction.CANCEL else line.expected_capacity_kw,
            reason=line.reason[:300],
        )
        for i, (line, resource, installed) in enumerate(checked, start=1)
    )


def _title(checked: Sequence[tuple[ExpectedCapacityInput, Resource, int]], delivery_year: int) -> str:
    first = checked[0][1]
    more = f" ほか{len(checked) - 1}件" if len(checked) > 1 else ""
    return f"{delivery_year}年度 期待容量 {first.resource_code} {first.name}{more}"


def submit_expected_capacity(
    *,
    actor: Any,
    now: dt.datetime,
    participant: Participant,
    delivery_year: int,
    lines: Sequence[ExpectedCapacityInput],
) -> Application:
    """Apply to register, change or cancel expected capacities of the company's resources for a delivery year —
    one line (a form) or many (a bulk file). Every line is checked; any problem refuses the whole application."""
    require_member_of(actor=actor, participant=participant, action=Action.SUBMIT_EXPECTED_CAPACITY)
    with transaction.atomic():
        checked = _check_lines(participant=participant, delivery_year=delivery_year, lines=lines, exclude=None)
        application = new_application(
            actor=actor,
            now=now,
            kind=ApplicationKind.EXPECTED_CAPACITY,
            participant=participant,
            delivery_year=delivery_year,
            title=_title(checked, delivery_year),
        )
        _write_lines(application, checked)
    return application


def resubmit_expected_capacity(
    *, actor: Any, now: dt.datetime, application: Application, lines: Sequence[ExpectedCapacityInput]
) -> Application:
    """Correct a returned application (its lines are replaced) and submit it again."""
    with transaction.atomic():
        current = _locked(application)
        require_member_of(actor=actor, participant=current.participant, action=Action.SUBMIT_EXPECTED_CAPACITY)
        if current.kind != ApplicationKind.EXPECTED_CAPACITY:
            raise _refuse("期待容量の申込ではありません。")
        checked = _check_lines(
            participant=current.participant, delivery_year=current.delivery_year, lines=lines, exclude=current
        )
        if current.state != ApplicationState.RETURNED:
            raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため再申込できません。")
        _write_lines(current, checked)
        current.title = _title(checked, current.delivery_year)
        current.save(update_fields=["title"])
        return reopen_for_correction(actor=actor, now=now, application=current)


def _apply_line(*, actor: Any, now: dt.datetime, application: Application, line: Any) -> tuple[str, ...]:
    """One line of an approved expected capacity: registered, changed or cancelled; the notice's row."""
    resource = Resource.objects.select_for_update().get(pk=line.resource_id)
    ec = (
        ExpectedCapacity.objects.select_for_update()
        .filter(resource=resource, delivery_year=application.delivery_year)
        .first()
    )
    if line.action == LineAction.CANCEL:
        if ec is None or ec.state != ExpectedCapacityState.ACTIVE:
            raise _refuse(f"{resource.resource_code}: 取り消す期待容量がありません。")
        ec.state = ExpectedCapacityState.CANCELLED
        ec.application = application
        ec.updated_at = now
        save_with_history(obj=ec, actor=actor, now=now)
        return (resource.resource_code, resource.name, "取消", "", "")
    assert line.expected_capacity_kw is not None
    if ec is None:
        ec = ExpectedCapacity(resource=resource, delivery_year=application.delivery_year, registered_at=now)
    elif line.action == LineAction.REGISTER and ec.state == ExpectedCapacityState.ACTIVE:
        raise _refuse(f"{resource.resource_code}: 期待容量は既に登録されています。")
    ec.installed_capacity_kw = line.installed_capacity_kw
    ec.expected_capacity_kw = line.expected_capacity_kw
    ec.state = ExpectedCapacityState.ACTIVE
    ec.application = application
    ec.updated_at = now
    save_with_history(obj=ec, actor=actor, now=now)
    # the registry's expected capacity is the latest one approved (contracts are checked against it)
    if (resource.expected_capacity_kw, resource.installed_capacity_kw) != (
        line.expected_capacity_kw,
        line.installed_capacity_kw,
    ):
        resource.expected_capacity_kw = line.expected_capacity_kw
        resource.installed_capacity_kw = line.installed_capacity_kw
        resource.updated_at = now
        save_with_history(obj=resource, actor=actor, now=now)
    return (
        resource.resource_code,
        resource.name,
        line.get_action_display(),
        f"{line.installed_capacity_kw:,}",
        f"{line.expected_capacity_kw:,}",
    )


def _apply_expected_capacity(actor: Any, now: dt.datetime, application: Application) -> NoticeDocument:
    lines = list(application.expected_capacity_lines.select_related("resource").order_by("line_no"))
    rows = [_apply_line(actor=actor, now=now, application=application, line=line) for line in lines]

    def build(number: str) -> documents.NoticeContent:
        first = lines[0].resource
        return documents.NoticeContent(
            title="電源等登録通知書（期待容量）",
            number=number,
            issued_on=jst_date(moment=now),
            addressee=application.participant.name,
            addressee_code=application.participant.participant_code,
            paragraphs=(
                f"貴社から申込のあった{application.delivery_year}年度の期待容量について審査した結果、"
                "下記のとおり登録しましたので通知します。",
            ),
            tables=(
                documents.Table(
                    heading="申込",
                    rows=(
                        ("申込番号", application.number),
                        ("申込日", documents.ja_date(day=jst_date(moment=application.submitted_at))),
                        ("実需給年度", f"{application.delivery_year}年度"),
                        ("電源等の区分（1件目）", RESOURCE_TYPE_NAMES_JA.get(first.resource_type, "")),
                    ),
                ),
                documents.Table(
                    heading="登録内容",
                    columns=("電源等識別番号", "電源等の名称", "区分", "設備容量（kW）", "期待容量（kW）"),
                    rows=rows,
                ),
            ),
        )

    return issue_notice(
        actor=actor,
        now=now,
        kind=NoticeKind.EXPECTED_CAPACITY,
        participant=application.participant,
        delivery_year=application.delivery_year,
        build=build,
        application=application,
    )


register_kind(kind=ApplicationKind.EXPECTED_CAPACITY, effect=_apply_expected_capacity)
