"""Writes of the pre-delivery workflows: rule-set versions, applications and their review (four eyes), notices.

Every application goes the same way: a company's member submits it (``submitted``); a 担当者 checks it
(``checked``) or returns it for correction (``returned``; the company corrects and resubmits it); a 責任者 other than
the checker approves it — its effect is applied and a notice issued in the same transaction — or rejects it (a
rejection notice). The company may withdraw it while open. Each act is audited. Refusals raise
``UnableToActOnApplication`` (a ``ValidationError`` whose messages say what is wrong in Japanese).

The kinds: expected capacity (期待容量, this module), replacement, succession, market exit and effectiveness tests
(``workflows.py``, which registers their effects here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from capmarket.calc.market import RESOURCE_TYPE_NAMES_JA
from capmarket.calc.predelivery.checks import check_expected_capacity
from capmarket.calc.predelivery.rules import (
    PARAMETER_NAMES,
    UnableToParsePreDeliveryParameters,
    builtin_parameters,
    parse_predelivery_params,
)
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.predelivery import documents
from capmarket.domain.predelivery.models import (
    OPEN_STATES,
    Application,
    ApplicationKind,
    ApplicationState,
    ConfirmationState,
    ContractConfirmation,
    ExpectedCapacity,
    ExpectedCapacityLine,
    ExpectedCapacityState,
    LineAction,
    NoticeDocument,
    NoticeKind,
    PreDeliveryParameter,
    PreDeliveryRuleSet,
)
from capmarket.domain.predelivery.notices import issue_notice, jst_date, next_number
from capmarket.domain.predelivery.queries import APPLICATION_KIND_ACTIONS, params_for_year
from capmarket.domain.registry.models import Participant, Resource, ResourceStatus
from capmarket.domain.shared.history import save_with_history

MIN_YEAR, MAX_YEAR = 2020, 2100


class UnableToActOnApplication(ValidationError):
    """The act on an application was refused; the messages say why (Japanese)."""


def _refuse(message: str | Sequence[str]) -> UnableToActOnApplication:
    return UnableToActOnApplication(list(message) if not isinstance(message, str) else [message])


# ---------------------------------------------------------------------------------------------- rule sets


def install_predelivery_rules(*, delivery_year: int, now: dt.datetime) -> PreDeliveryRuleSet | None:
    """Version 1 of the delivery year's pre-delivery rules from the built-in values, unless one exists (idempotent)."""
    with transaction.atomic():
        if PreDeliveryRuleSet.objects.filter(delivery_year=delivery_year).exists():
            return None
        ruleset = PreDeliveryRuleSet.objects.create(
            delivery_year=delivery_year, version=1, note="組込みルール（docs/predelivery.md）", published_at=now
        )
        PreDeliveryParameter.objects.bulk_create(
            PreDeliveryParameter(ruleset=ruleset, name=p.name, value=p.value, source=p.source, confidence=p.confidence)
            for p in builtin_parameters().values()
        )
    return ruleset


def publish_predelivery_rules(
    *, actor: Any, now: dt.datetime, delivery_year: int, values: Mapping[str, str], note: str
) -> PreDeliveryRuleSet:
    """A new version of the delivery year's rules with ``values`` changed; earlier versions stay as they were."""
    if not can(user=actor, action=Action.PUBLISH_RULESET):
        raise _refuse("ルールセットを公開する権限がありません。")
    if not note.strip():
        raise _refuse("改定内容を入力してください。")
    with transaction.atomic():
        install_predelivery_rules(delivery_year=delivery_year, now=now)
        base = PreDeliveryRuleSet.objects.filter(delivery_year=delivery_year).order_by("-version").first()
        assert base is not None
        current = {p.name: p for p in base.parameters.all()}
        merged = {name: values.get(name, current[name].value) for name in PARAMETER_NAMES}
        try:
            parse_predelivery_params(values=merged)
        except UnableToParsePreDeliveryParameters as exc:
            raise _refuse(f"{exc.name}: 値が正しくありません（{exc.problem}）。") from None
        changed = {k: [current[k].value, v] for k, v in merged.items() if current[k].value != v}
        if not changed:
            raise _refuse("変更された値がありません。")
        ruleset = PreDeliveryRuleSet.objects.create(
            delivery_year=delivery_year,
            version=base.version + 1,
            note=note.strip(),
            published_at=now,
            published_by=actor,
        )
        PreDeliveryParameter.objects.bulk_create(
            PreDeliveryParameter(
                ruleset=ruleset,
                name=name,
                value=merged[name],
                source=current[name].source if name not in changed else f"第{ruleset.version}版で改定: {note.strip()}",
                confidence=current[name].confidence if name not in changed else "decision",
            )
            for name in PARAMETER_NAMES
        )
        audit.record(
            now=now,
            action=AuditAction.PUBLISHED,
            actor=actor,
            object_type="predelivery_ruleset",
            object_id=ruleset.pk,
            object_repr=str(ruleset),
            summary=f"実需給期間前ルールの第{ruleset.version}版を公開しました。{note.strip()}",
            changes=changed,
        )
    return ruleset


# ---------------------------------------------------------------------------------------------- applications


#: kind → (effect applied on approval, returning the notice) — filled by the modules of each kind
ApprovalEffect = Callable[[Any, dt.datetime, Application], NoticeDocument]
_EFFECTS: dict[str, ApprovalEffect] = {}
#: kind → check made when a 担当者 checks an application (may refuse, may prepare the approval)
CheckHook = Callable[[Any, dt.datetime, Application], None]
_CHECK_HOOKS: dict[str, CheckHook] = {}


def register_kind(*, kind: str, effect: ApprovalEffect, on_check: CheckHook | None = None) -> None:
    _EFFECTS[kind] = effect
    if on_check is not None:
        _CHECK_HOOKS[kind] = on_check


def require_member_of(*, actor: Any, participant: Participant, action: Action = Action.SUBMIT_PREDELIVERY) -> None:
    """A company's applications are submitted, corrected and withdrawn by its own members only — or by a contractor
    acting for it, when ``action`` is a function the company delegated (``permissions.DELEGABLE``)."""
    if not can(user=actor, action=action) or getattr(actor, "participant_id", None) != participant.pk:
        raise _refuse("この事業者の申込を行う権限がありません。")


def new_application(
    *, actor: Any, now: dt.datetime, kind: str, participant: Participant, delivery_year: int, title: str
) -> Application:
    """A submitted application (call inside the submitting transaction, after the checks of its kind)."""
    application = Application(
        number=next_number(series="AP", year=jst_date(moment=now).year),
        kind=kind,
        participant=participant,
        delivery_year=delivery_year,
        title=title[:200],
        state=ApplicationState.SUBMITTED,
        submitted_by=actor,
        submitted_at=now,
        updated_at=now,
    )
    application.save()
    audit.record(
        now=now,
        action=AuditAction.CREATED,
        actor=actor,
        object_type="predelivery_application",
        object_id=application.pk,
        object_repr=str(application),
        summary=f"{application.get_kind_display()}を申し込みました: {application.title}",
    )
    return application


def _locked(application: Application) -> Application:
    return Application.objects.select_for_update().select_related("participant").get(pk=application.pk)


def _audit(actor: Any, now: dt.datetime, application: Application, action: str, summary: str) -> None:
    audit.record(
        now=now,
        action=action,
        actor=actor,
        object_type="predelivery_application",
        object_id=application.pk,
        object_repr=str(application),
        summary=summary,
    )


def check_application(*, actor: Any, now: dt.datetime, application: Application, comment: str = "") -> Application:
    """一次審査: a 担当者 finds a submitted application in order; it then waits for a 責任者."""
    if not can(user=actor, action=Action.REVIEW_PREDELIVERY):
        raise _refuse("申込を審査する権限がありません。")
    with transaction.atomic():
        current = _locked(application)
        if current.state != ApplicationState.SUBMITTED:
            raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため一次審査できません。")
        hook = _CHECK_HOOKS.get(current.kind)
        if hook is not None:
            hook(actor, now, current)
        current.state = ApplicationState.CHECKED
        current.checked_by = actor
        current.checked_at = now
        current.check_comment = comment.strip()
        current.updated_at = now
        current.save()
        _audit(actor, now, current, AuditAction.UPDATED, f"一次審査を完了しました。{comment.strip()}")
    return current


def return_application(*, actor: Any, now: dt.datetime, application: Application, comment: str) -> Application:
    """Send an open application back to the company for correction (差戻し), saying what to correct."""
    if not can(user=actor, action=Action.REVIEW_PREDELIVERY):
        raise _refuse("申込を審査する権限がありません。")
    if not comment.strip():
        raise _refuse("差戻し理由（修正していただく内容）を入力してください。")
    with transaction.atomic():
        current = _locked(application)
        if current.state not in (ApplicationState.SUBMITTED, ApplicationState.CHECKED):
            raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため差し戻せません。")
        current.state = ApplicationState.RETURNED
        current.returned_comment = comment.strip()
        current.checked_by = None
        current.checked_at = None
        current.updated_at = now
        current.save()
        _audit(actor, now, current, AuditAction.UPDATED, f"申込を差し戻しました。理由: {comment.strip()}")
    return current


def reopen_for_correction(*, actor: Any, now: dt.datetime, application: Application) -> Application:
    """The company resubmits a returned application (its kind's function has replaced the details)."""
    current = _locked(application)
    require_member_of(actor=actor, participant=current.participant, action=APPLICATION_KIND_ACTIONS[current.kind])
    if current.state != ApplicationState.RETURNED:
        raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため再申込できません。")
    current.state = ApplicationState.SUBMITTED
    current.updated_at = now
    current.save()
    _audit(actor, now, current, AuditAction.UPDATED, "差戻しを受けて修正し、再申込しました。")
    return current


def approve_application(*, actor: Any, now: dt.datetime, application: Application, comment: str = "") -> NoticeDocument:
    """A 責任者 other than the checker approves: the effect of the application applies and its notice is issued."""
    if not can(user=actor, action=Action.APPROVE_PREDELIVERY):
        raise _refuse("申込を承認する権限がありません。")
    with transaction.atomic():
        current = _locked(application)
        if current.state != ApplicationState.CHECKED:
            raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため承認できません。")
        if current.checked_by_id == actor.pk:
            raise _refuse("一次審査を行った本人は承認できません（別の責任者が承認してください）。")
        current.state = ApplicationState.APPROVED
        current.decided_by = actor
        current.decided_at = now
        current.decision_comment = comment.strip()
        current.updated_at = now
        current.save()
        notice = _EFFECTS[current.kind](actor, now, current)
        _audit(actor, now, current, AuditAction.CONFIRMED, f"申込を承認しました（{notice.number}を発行）。")
    return notice


def reject_application(*, actor: Any, now: dt.datetime, application: Application, comment: str) -> NoticeDocument:
    """A 責任者 other than the checker rejects an open application; the company gets a notice with the reason."""
    if not can(user=actor, action=Action.APPROVE_PREDELIVERY):
        raise _refuse("申込を却下する権限がありません。")
    if not comment.strip():
        raise _refuse("却下の理由を入力してください。")
    with transaction.atomic():
        current = _locked(application)
        if current.state not in (ApplicationState.SUBMITTED, ApplicationState.CHECKED):
            raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため却下できません。")
        if current.checked_by_id == actor.pk:
            raise _refuse("一次審査を行った本人は却下できません（別の責任者が判断してください）。")
        current.state = ApplicationState.REJECTED
        current.decided_by = actor
        current.decided_at = now
        current.decision_comment = comment.strip()
        current.updated_at = now
        current.save()

        def build(number: str) -> documents.NoticeContent:
            return documents.NoticeContent(
                title="審査結果通知書",
                number=number,
                issued_on=jst_date(moment=now),
                addressee=current.participant.name,
                addressee_code=current.participant.participant_code,
                paragraphs=(
                    f"貴社から{documents.ja_date(day=jst_date(moment=current.submitted_at))}に申込のあった下記の"
                    f"{current.get_kind_display()}について審査した結果、受け付けられないこととしましたので通知します。",
                ),
                tables=(
                    documents.Table(
                        heading="申込の内容",
                        rows=(
                            ("申込番号", current.number),
                            ("件名", current.title),
                            ("実需給年度", f"{current.delivery_year}年度"),
                            ("却下の理由", current.decision_comment),
                        ),
                    ),
                ),
            )

        notice = issue_notice(
            actor=actor,
            now=now,
            kind=NoticeKind.REJECTION,
            participant=current.participant,
            delivery_year=current.delivery_year,
            build=build,
            application=current,
        )
        _audit(actor, now, current, AuditAction.UPDATED, f"申込を却下しました。理由: {comment.strip()}")
    return notice


def withdraw_application(*, actor: Any, now: dt.datetime, application: Application) -> Application:
    """The company withdraws (取下げ) its own open application."""
    with transaction.atomic():
        current = _locked(application)
        require_member_of(actor=actor, participant=current.participant, action=APPLICATION_KIND_ACTIONS[current.kind])
        if current.state not in OPEN_STATES:
            raise _refuse(f"申込{current.number}は「{current.get_state_display()}」のため取り下げられません。")
        current.state = ApplicationState.WITHDRAWN
        current.updated_at = now
        current.save()
        _audit(actor, now, current, AuditAction.UPDATED, "申込を取り下げました。")
    return current


# ---------------------------------------------------------------------------------------------- expected capacity


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


# ---------------------------------------------------------------------------------------------- contract documents


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
