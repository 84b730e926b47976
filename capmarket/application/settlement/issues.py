"""The data issues of a settlement run: the engine's, each with its month, the company it concerns and whether it
blocks confirmation, and the approved 電源等差替 the run's case could not carry (``docs/replacements.md``).

Like ``figures.py`` it returns unsaved model rows for ``domain/settlement/operations.record_computed``.
"""

from __future__ import annotations

import datetime as dt

from capmarket.application.intake.case_replacements import case_replacements
from capmarket.calc.engine import CalcResult, CaseData
from capmarket.calc.rules import resolve
from capmarket.calc.slots import month_labels
from capmarket.domain.predelivery import queries as predelivery_queries
from capmarket.domain.registry.models import Participant
from capmarket.domain.settlement.models import DataIssue, IssueState, SettlementRun


def issues(
    *, run: SettlementRun, case: CaseData, result: CalcResult, participants: dict[str, Participant]
) -> list[DataIssue]:
    """The engine's data issues with their month, the company they concern, whether they block confirmation,
    and the resolution carried over from an earlier run of the year for the same issue."""
    provider_of_resource = dict(case.resources.select("resource_id", "provider_id").iter_rows())
    order_info = {
        str(o): (str(r), s.strftime("%Y-%m"))
        for o, r, s in case.dispatch_orders.select("order_id", "resource_id", "start").iter_rows()
    }
    last_month = month_labels(delivery_year=run.delivery_year)[-1]
    earlier = {
        (i.file, i.key, i.problem): i
        for i in DataIssue.objects.filter(run__delivery_year=run.delivery_year)
        .exclude(state=IssueState.OPEN)
        .exclude(run=run)
        .order_by("run__started_at", "pk")
    }
    extra = {
        p.participant_code: p
        for p in Participant.objects.filter(participant_code__in=set(provider_of_resource.values()))
    }
    out = []
    for file, key, problem in result.data_issues.iter_rows():
        parts = str(key).split(" ")
        month = ""
        provider = None
        blocking = True
        if file in ("generation", "metering", "instructions") and len(parts) == 3:
            month = parts[1][:7]
            provider = provider_of_resource.get(parts[0])
        elif file == "metering" and len(parts) == 1:
            provider = provider_of_resource.get(parts[0])
            blocking = run.through_month == last_month  # the yearly coal rule counts only at the year's end
        elif file == "dispatch_orders":
            resource, month = order_info.get(parts[0], ("", ""))
            provider = provider_of_resource.get(resource)
        elif file == "receipts" and len(parts) == 2:
            provider, month = parts
        if month and month > run.through_month:
            blocking = False
        issue = DataIssue(
            file=str(file),
            key=str(key)[:200],
            problem=str(problem)[:300],
            month=month,
            participant=participants.get(provider or "") or extra.get(provider or ""),
            blocking=blocking,
        )
        before = earlier.get((issue.file, issue.key, issue.problem))
        if before is not None:
            issue.state = before.state
            issue.comment = f"{before.comment}（精算 #{before.run_id} での対応を引継ぎ）"
            issue.handled_by = before.handled_by
            issue.handled_at = before.handled_at
        out.append(issue)
    out.extend(_replacement_issues(run=run, case=case, participants=participants, earlier=earlier))
    return out


def _replacement_issues(
    *,
    run: SettlementRun,
    case: CaseData,
    participants: dict[str, Participant],
    earlier: dict[tuple[str, str, str], DataIssue],
) -> list[DataIssue]:
    """An approved 電源等差替 moves kW of a contract's obligation to another resource from a date; the run's case
    carries the ones the engine assesses (``case_replacements``, ``docs/replacements.md``). One it refuses — the
    replacing resource holds a contract itself, carries two replacements at once, is of another type … — is a data
    issue of the run with the reason, keyed like the resource's month issues (``RESOURCE DATE CONTRACT``, on the
    contract-month page of its first month) and blocking from that month on: a person checks the replacing
    resource's performance and records the outcome before the month is confirmed."""
    coal_rule = resolve(name=run.ruleset_name, overrides=run.parameters)[2].coal_restraint_enabled
    found = case_replacements(
        year=run.delivery_year,
        as_of=run.as_of,
        contracts=case.contracts,
        resources=case.resources,
        coal_rule=coal_rule,
    )
    out = []
    for r, reason in found.refused:
        c = r.contract
        to = r.to_resource
        month = r.valid_from.strftime("%Y-%m")
        ends = predelivery_queries.effective_valid_to(replacement=r)  # exclusive; None = to the end of the year
        until = f" {ends - dt.timedelta(days=1):%Y/%m/%d} まで" if ends is not None else ""
        issue = DataIssue(
            file="replacements",
            key=f"{c.resource.resource_code} {r.valid_from.isoformat()} {c.contract_code}"[:200],
            problem=(
                f"電源等差替（申込 {r.application.number}）: {r.valid_from:%Y/%m/%d} から{until} {r.kw:,} kW を"
                f"{to.resource_code}（{to.participant.participant_code}）で評価する差替を算定に含められません"
                f"（{reason}）。差替元の電源等の実績で評価しています。差替先の実績を確認し、対応を記録してください。"
            )[:300],
            month=month,
            participant=participants.get(c.participant.participant_code) or c.participant,
            blocking=month <= run.through_month,
        )
        before = earlier.get((issue.file, issue.key, issue.problem))
        if before is not None:
            issue.state = before.state
            issue.comment = f"{before.comment}（精算 #{before.run_id} での対応を引継ぎ）"
            issue.handled_by = before.handled_by
            issue.handled_at = before.handled_at
        out.append(issue)
    return out
