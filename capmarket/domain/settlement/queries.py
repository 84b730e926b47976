"""Reads of settlement runs and their figures.

Two audiences, scoped here:

- operator staff (``Action.VIEW_ALL_PARTICIPANTS``) read every run, draft or confirmed, for review;
- a participant's members read only **confirmed** figures of their own company: the rows of the run that
  confirmed each month, for that month (``confirmed_*``). Another company's row, or a draft, does not exist for
  them (``DoesNotExist`` → 404).

The functions named ``confirmed_*_of_run`` are the API for what is built on confirmed months (documents, ledger):
the frozen statements, contribution bills and penalty lines of run R, month M.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.registry.queries import own_participant_id, sees_all
from capmarket.domain.settlement.models import (
    ConfirmedMonth,
    ContractAdjustment,
    ContractMonth,
    ContributionAdjustment,
    ContributionArea,
    ContributionBill,
    DataIssue,
    MonthRole,
    RunContract,
    RunMonth,
    RunState,
    SettlementRun,
    Statement,
)

# ---------------------------------------------------------------- runs (staff)


def runs_visible_to(*, user: Any, delivery_year: int | None = None, state: str = "") -> QuerySet[SettlementRun]:
    """Runs for operator staff (newest first); nothing for anyone else."""
    qs = SettlementRun.objects.select_related("started_by", "confirmed_by", "job")
    if not sees_all(user=user):
        return qs.none()
    if delivery_year is not None:
        qs = qs.filter(delivery_year=delivery_year)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-started_at", "-pk")


def get_run_for(*, user: Any, pk: Any) -> SettlementRun:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise SettlementRun.DoesNotExist from None
    return runs_visible_to(user=user).get(pk=key)


def get_run(*, run_id: int) -> SettlementRun | None:
    """Unscoped read (job handlers, commands that check rights themselves)."""
    return SettlementRun.objects.select_related("started_by", "confirmed_by").filter(pk=run_id).first()


def delivery_years() -> list[int]:
    years = set(SettlementRun.objects.values_list("delivery_year", flat=True))
    years |= set(ConfirmedMonth.objects.values_list("delivery_year", flat=True))
    return sorted(years, reverse=True)


def confirmed_months(*, delivery_year: int) -> dict[str, ConfirmedMonth]:
    rows = ConfirmedMonth.objects.filter(delivery_year=delivery_year).select_related("run", "confirmed_by")
    return {m.month: m for m in rows.order_by("month", "pk")}


def confirmed_months_for_month(*, month: str) -> ConfirmedMonth | None:
    """The confirmation of a delivery month ``YYYY-MM`` (it names its delivery year)."""
    return ConfirmedMonth.objects.filter(month=month).select_related("run").first()


def latest_confirming_run(*, delivery_year: int) -> SettlementRun | None:
    """The run that confirmed the latest confirmed month of the year (the basis of the next adjustments)."""
    last = ConfirmedMonth.objects.filter(delivery_year=delivery_year).order_by("-month", "-pk").first()
    return last.run if last is not None else None


def active_runs(*, delivery_year: int) -> QuerySet[SettlementRun]:
    return SettlementRun.objects.filter(
        delivery_year=delivery_year, state__in=[RunState.QUEUED, RunState.RUNNING, RunState.COMPUTED]
    )


def previous_run(*, run: SettlementRun) -> SettlementRun | None:
    """The latest run of the same year computed before ``run`` started (its figures are compared)."""
    return (
        SettlementRun.objects.filter(
            delivery_year=run.delivery_year,
            computed_at__isnull=False,
            started_at__lte=run.started_at,
        )
        .exclude(pk=run.pk)
        .exclude(state=RunState.DISCARDED)
        .order_by("-started_at", "-pk")
        .first()
    )


def run_months(*, run: SettlementRun) -> list[RunMonth]:
    return list(RunMonth.objects.filter(run=run).order_by("month"))


def open_months(*, run: SettlementRun) -> list[str]:
    return [m.month for m in run_months(run=run) if m.role == MonthRole.OPEN]


def issues_of(
    *, run: SettlementRun, state: str = "", file: str = "", blocking: bool | None = None
) -> QuerySet[DataIssue]:
    qs = DataIssue.objects.filter(run=run).select_related("participant", "handled_by")
    if state:
        qs = qs.filter(state=state)
    if file:
        qs = qs.filter(file=file)
    if blocking is not None:
        qs = qs.filter(blocking=blocking)
    return qs.order_by("file", "key", "problem", "pk")


def get_issue_for(*, user: Any, pk: Any) -> DataIssue:
    if not sees_all(user=user):
        raise DataIssue.DoesNotExist
    return DataIssue.objects.select_related("run").get(pk=int(pk))


def issue_counts(*, run: SettlementRun) -> dict[str, int]:
    counts = dict.fromkeys(("open", "resolved", "accepted"), 0)
    for state, n in DataIssue.objects.filter(run=run).values_list("state").annotate(n=Count("pk")).order_by():
        counts[state] = int(n)
    counts["blocking_open"] = DataIssue.objects.filter(run=run, blocking=True, state="open").count()
    counts["total"] = sum(counts[s] for s in ("open", "resolved", "accepted"))
    return counts


def contract_months_of(
    *, run: SettlementRun, month: str = "", area: str = "", search: str = ""
) -> QuerySet[ContractMonth]:
    qs = ContractMonth.objects.filter(run=run).select_related("contract", "contract__participant")
    if month:
        qs = qs.filter(month=month)
    if area:
        qs = qs.filter(contract__area=area)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(contract__contract_code__icontains=search)
            | Q(contract__resource_code__icontains=search)
            | Q(contract__participant__participant_code__icontains=search)
            | Q(contract__participant__name__icontains=search)
        )
    return qs.order_by("month", "contract__contract_code", "pk")


def get_contract_month(*, user: Any, run: SettlementRun, pk: Any) -> ContractMonth:
    if not sees_all(user=user):
        raise ContractMonth.DoesNotExist
    return ContractMonth.objects.select_related("contract", "contract__participant", "run").get(run=run, pk=int(pk))


# ---------------------------------------------------------------- confirmed figures, scoped


def _confirmed(qs: QuerySet[Any], month_field: str = "month") -> QuerySet[Any]:
    """Rows of the run that confirmed their month (the frozen figures)."""
    return qs.filter(Exists(ConfirmedMonth.objects.filter(run=OuterRef("run"), month=OuterRef(month_field))))


def _scoped(user: Any, qs: QuerySet[Any], participant_field: str) -> QuerySet[Any]:
    if sees_all(user=user):
        return qs
    own = own_participant_id(user=user)
    if own is None or not can(user=user, action=Action.VIEW_OWN_RESULTS):
        return qs.none()
    return qs.filter(**{participant_field: own})


@dataclass(frozen=True)
class ResultFilters:
    delivery_year: int | None = None
    month: str = ""
    area: str = ""
    contract_code: str = ""
    participant_id: int | None = None


def confirmed_contract_months(*, user: Any, filters: ResultFilters) -> QuerySet[ContractMonth]:
    qs = _scoped(user, _confirmed(ContractMonth.objects.all()), "contract__participant_id").select_related(
        "contract", "contract__participant", "run"
    )
    if filters.delivery_year is not None:
        qs = qs.filter(run__delivery_year=filters.delivery_year)
    if filters.month:
        qs = qs.filter(month=filters.month)
    if filters.area:
        qs = qs.filter(contract__area=filters.area)
    if filters.contract_code:
        qs = qs.filter(contract__contract_code__icontains=filters.contract_code.strip())
    if filters.participant_id is not None:
        qs = qs.filter(contract__participant_id=filters.participant_id)
    return qs.order_by("-run__delivery_year", "month", "contract__contract_code", "pk")


def get_confirmed_contract_month(*, user: Any, pk: Any) -> ContractMonth:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise ContractMonth.DoesNotExist from None
    return confirmed_contract_months(user=user, filters=ResultFilters()).get(pk=key)


def confirmed_statements(*, user: Any, filters: ResultFilters) -> QuerySet[Statement]:
    qs = _scoped(user, _confirmed(Statement.objects.all()), "participant_id").select_related("participant", "run")
    if filters.delivery_year is not None:
        qs = qs.filter(run__delivery_year=filters.delivery_year)
    if filters.month:
        qs = qs.filter(month=filters.month)
    if filters.participant_id is not None:
        qs = qs.filter(participant_id=filters.participant_id)
    return qs.order_by("-run__delivery_year", "month", "participant__participant_code", "pk")


def confirmed_contribution_bills(*, user: Any, filters: ResultFilters) -> QuerySet[ContributionBill]:
    qs = _scoped(user, _confirmed(ContributionBill.objects.all()), "participant_id").select_related(
        "participant", "run"
    )
    if filters.delivery_year is not None:
        qs = qs.filter(run__delivery_year=filters.delivery_year)
    if filters.month:
        qs = qs.filter(month=filters.month)
    if filters.area:
        qs = qs.filter(area=filters.area)
    if filters.participant_id is not None:
        qs = qs.filter(participant_id=filters.participant_id)
    return qs.order_by("-run__delivery_year", "month", "participant__participant_code", "payer_kind", "area", "pk")


def confirmed_contract_adjustments(*, user: Any, filters: ResultFilters) -> QuerySet[ContractAdjustment]:
    qs = _scoped(user, _confirmed(ContractAdjustment.objects.all()), "participant_id").select_related(
        "participant", "run", "recognised_run"
    )
    if filters.delivery_year is not None:
        qs = qs.filter(run__delivery_year=filters.delivery_year)
    if filters.month:
        qs = qs.filter(month=filters.month)
    if filters.contract_code:
        qs = qs.filter(contract_code__icontains=filters.contract_code.strip())
    return qs.order_by("-run__delivery_year", "month", "contract_code", "kind", "source_month", "pk")


def confirmed_contribution_adjustments(*, user: Any, filters: ResultFilters) -> QuerySet[ContributionAdjustment]:
    qs = _scoped(user, _confirmed(ContributionAdjustment.objects.all()), "participant_id").select_related(
        "participant", "run"
    )
    if filters.delivery_year is not None:
        qs = qs.filter(run__delivery_year=filters.delivery_year)
    if filters.month:
        qs = qs.filter(month=filters.month)
    return qs.order_by("-run__delivery_year", "month", "area", "source_month", "pk")


def contribution_areas_for(*, user: Any, run: SettlementRun) -> QuerySet[ContributionArea]:
    """Area totals of a run: staff all; a payer only the areas it is billed in (in confirmed months)."""
    qs = ContributionArea.objects.filter(run=run)
    if sees_all(user=user):
        return qs.order_by("area", "pk")
    areas = (
        confirmed_contribution_bills(user=user, filters=ResultFilters()).filter(run=run).values_list("area", flat=True)
    )
    return qs.filter(area__in=list(areas)).order_by("area", "pk")


def confirmed_run_contracts(*, user: Any, delivery_year: int | None = None) -> QuerySet[RunContract]:
    """Contracts as read by the runs that confirmed months (the user's own)."""
    qs = _scoped(user, RunContract.objects.all(), "participant_id").filter(
        Exists(ConfirmedMonth.objects.filter(run=OuterRef("run")))
    )
    if delivery_year is not None:
        qs = qs.filter(run__delivery_year=delivery_year)
    return qs.select_related("participant", "run").order_by("-run__delivery_year", "contract_code", "run_id", "pk")


def confirmed_month_list(*, user: Any) -> list[ConfirmedMonth]:
    """Confirmed, published months (newest first) — the months a participant can pick."""
    if not (sees_all(user=user) or can(user=user, action=Action.VIEW_OWN_RESULTS)):
        return []
    return list(ConfirmedMonth.objects.select_related("run").order_by("-delivery_year", "-month", "-pk"))


# ---------------------------------------------------------------- for documents and the ledger (unscoped)


def confirmed_statements_of_run(*, run: SettlementRun, month: str) -> QuerySet[Statement]:
    """The frozen provider statements of ``month`` as confirmed by ``run`` (empty if ``run`` did not confirm it)."""
    if not ConfirmedMonth.objects.filter(run=run, month=month).exists():
        return Statement.objects.none()
    return (
        Statement.objects.filter(run=run, month=month)
        .select_related("participant")
        .order_by("participant__participant_code", "pk")
    )


def confirmed_contribution_bills_of_run(*, run: SettlementRun, month: str) -> QuerySet[ContributionBill]:
    if not ConfirmedMonth.objects.filter(run=run, month=month).exists():
        return ContributionBill.objects.none()
    return (
        ContributionBill.objects.filter(run=run, month=month)
        .select_related("participant")
        .order_by("participant__participant_code", "payer_kind", "area", "pk")
    )


def confirmed_penalty_lines_of_run(*, run: SettlementRun, month: str) -> QuerySet[ContractMonth]:
    """Contract-months of ``month`` with a penalty or a penalty adjustment (for 算定額通知書)."""
    if not ConfirmedMonth.objects.filter(run=run, month=month).exists():
        return ContractMonth.objects.none()
    return (
        ContractMonth.objects.filter(run=run, month=month)
        .filter(Q(raw_penalty_yen__gt=0) | Q(coal_penalty_yen__gt=0) | ~Q(penalty_adjustment_yen=0))
        .select_related("contract", "contract__participant")
        .order_by("contract__participant__participant_code", "contract__contract_code", "pk")
    )


def contract_adjustments_of_run(*, run: SettlementRun) -> QuerySet[ContractAdjustment]:
    return (
        ContractAdjustment.objects.filter(run=run)
        .select_related("participant", "recognised_run")
        .order_by("contract_code", "kind", "source_month", "pk")
    )


def contribution_adjustments_of_run(*, run: SettlementRun) -> QuerySet[ContributionAdjustment]:
    return (
        ContributionAdjustment.objects.filter(run=run)
        .select_related("participant")
        .order_by("participant__participant_code", "area", "source_month", "pk")
    )


# ---------------------------------------------------------------- operation reports (issue 13)


def run_figures(*, start: Any, end: Any) -> dict[str, Any]:
    """What settlement did in ``[start, end)``: runs started (by state now), runs computed with their computing
    time in seconds (started → computed), months confirmed (with who and when), and data issues raised."""
    started = SettlementRun.objects.filter(started_at__gte=start, started_at__lt=end)
    by_state = {
        state: int(n)
        for state, n in started.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n")
    }
    computed = [
        {"run": pk, "through_month": month, "seconds": round((done - began).total_seconds(), 1) if done else None}
        for pk, month, began, done in SettlementRun.objects.filter(computed_at__gte=start, computed_at__lt=end)
        .order_by("computed_at", "pk")
        .values_list("pk", "through_month", "started_at", "computed_at")
    ]
    confirmed = [
        {"month": month, "run": run_id, "confirmed_at": at, "confirmed_by": by}
        for month, run_id, at, by in ConfirmedMonth.objects.filter(confirmed_at__gte=start, confirmed_at__lt=end)
        .order_by("confirmed_at", "month", "pk")
        .values_list("month", "run_id", "confirmed_at", "confirmed_by__username")
    ]
    issues = DataIssue.objects.filter(run__started_at__gte=start, run__started_at__lt=end).count()
    return {"started_by_state": by_state, "computed": computed, "confirmed": confirmed, "data_issues": issues}
