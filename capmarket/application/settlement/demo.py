"""The demo market in the middle of its delivery year (FY2025): every dataset the runs need for April to
September, the first months run and confirmed (operator starts, approver confirms), a correction of a confirmed
month carried as an adjustment, a run awaiting review, and objections — so every settlement screen shows
real-looking data. Deterministic for a seed and scale; the dense generation limits are generated with Polars.

Timeline (all at ``now`` plus a few seconds, in order): datasets stored; runs through April, May, June, July
confirmed; a corrected metering version for a July instructed slot; a run through August that carries the
difference into August, confirmed; a run through September computed and left for review.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from capmarket.application import intake
from capmarket.application.settlement import confirm, objections, runs
from capmarket.application.settlement.demo_replacement import load_demo_replacement
from capmarket.calc.market import AREAS
from capmarket.domain.accounts.models import User
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.registry.models import Participant
from capmarket.domain.settlement.models import ConfirmedMonth, ContractAdjustment

YEAR: Final = 2025
DATA_MONTHS: Final = ("2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09")
CONFIRMED_THROUGH: Final = ("2025-04", "2025-05", "2025-06", "2025-07")
FIRST_DAY: Final = dt.date(2025, 4, 1)
DAYS: Final = (dt.date(2025, 10, 1) - FIRST_DAY).days
#: The moments the settlement demo may take after ``now``, one second apart (stores, runs, the replacement).
TICKS: Final = 60
#: share of national demand by area (H3), roughly as published
H3_SHARE: Final[dict[str, float]] = {
    "hokkaido": 0.032, "tohoku": 0.088, "tokyo": 0.349, "chubu": 0.155, "hokuriku": 0.030,
    "kansai": 0.167, "chugoku": 0.064, "shikoku": 0.030, "kyushu": 0.094,
}  # fmt: skip


@dataclass(frozen=True)
class DemoSettlement:
    datasets: int
    runs: int
    confirmed_months: list[str]
    objections: int


def _contracts() -> pl.DataFrame:
    rows = (
        CapacityContract.objects.filter(delivery_year=YEAR, state=ContractState.ACTIVE)
        .select_related("resource", "participant")
        .order_by("contract_code")
    )
    return pl.DataFrame(
        {
            "contract_id": [c.contract_code for c in rows],
            "resource_id": [c.resource.resource_code for c in rows],
            "provider_id": [c.participant.participant_code for c in rows],
            "area": [c.resource.area for c in rows],
            "resource_type": [c.resource.resource_type for c in rows],
            "coal": [c.resource.inefficient_coal for c in rows],
            "kw": [c.assessment_kw for c in rows],
        },
        schema={
            "contract_id": pl.String,
            "resource_id": pl.String,
            "provider_id": pl.String,
            "area": pl.String,
            "resource_type": pl.String,
            "coal": pl.Boolean,
            "kw": pl.Int64,
        },
    )


def _slots() -> pl.DataFrame:
    return pl.DataFrame({"t": pl.int_range(0, DAYS * 48, eager=True, dtype=pl.Int64)}).with_columns(
        date=pl.lit(FIRST_DAY) + pl.duration(days=pl.col("t") // 48),
        slot=(pl.col("t") % 48 + 1).cast(pl.Int64),
    )


def _noise(*cols: pl.Expr, seed: int) -> pl.Expr:
    """A deterministic pseudo-random integer 0..9999 per row (no Python loop over rows)."""
    h = pl.lit(seed * 1_000_003 + 7, dtype=pl.Int64)
    for c in cols:
        h = (h * 31 + c.cast(pl.Int64)) % 2_147_483_647
    return (h * 48_271 % 2_147_483_647) % 10_000


def _tight_slots(rng: random.Random) -> pl.DataFrame:
    rows = []
    for area in AREAS:
        for month, days in ((7, (14, 22, 29)), (8, (4, 5, 19)), (9, (9,))):
            for day in days:
                if rng.random() < 0.75:
                    for slot in range(35, 38 + rng.randrange(0, 3)):
                        rows.append((area, dt.date(2025, month, day), slot))
    return pl.DataFrame(rows, schema={"area": pl.String, "date": pl.Date, "slot": pl.Int64}, orient="row")


def _store(name: str, frame: pl.DataFrame, *, user: Any, now: dt.datetime, source: str) -> None:
    intake.store(
        checked=intake.Checked(name, frame, [], frame.height),
        user=user,
        filename=source,
        delivery_year=YEAR,
        now=now,
    )


def build_demo_settlement(*, seed: int, scale: str, now: dt.datetime) -> DemoSettlement:
    """Load the datasets, run and confirm the first months, correct one, and leave a run for review."""
    rng = random.Random(f"capmarket-settlement-{seed}-{scale}")  # noqa: S311 - reproducible synthetic data
    operator = User.objects.get(username="demo-operator")
    approver = User.objects.get(username="demo-approver")
    contracts = _contracts()
    tick = iter(range(1, TICKS + 1))

    def at() -> dt.datetime:
        """The next moment of the demo's settlement, a second after the last (at most ``TICKS``; a caller starts
        ``now`` far enough back, ``demo_market.CLOCK_LEAD``, that none lies ahead of the wall clock)."""
        try:
            return now + dt.timedelta(seconds=next(tick))
        except StopIteration:
            raise RuntimeError(
                f"the settlement demo takes more than {TICKS} moments; raise TICKS and CLOCK_LEAD"
            ) from None

    tables = _datasets(rng=rng, seed=seed, contracts=contracts)
    target = _with_demo_instruction(tables=tables, contracts=contracts)
    for name, frame in tables.items():
        if frame.height:
            _store(name, frame, user=operator, now=at(), source=f"demo-{name}.parquet")

    done = []
    for month in CONFIRMED_THROUGH:
        run = _run(operator, approver, month, at())
        done.append(run)
    # a provider reported a metering error at a July instructed slot: the corrected value raises the shortfall
    corrected = _correction(tables=tables, resource=target)
    if corrected is not None:
        _store("metering", corrected, user=operator, now=at(), source="demo-metering-correction.csv")
    august = _run(operator, approver, "2025-08", at())
    schemas = {name: frame.schema for name, frame in tables.items()}
    load_demo_replacement(operator=operator, approver=approver, schemas=schemas, store=_store, at=at)  # 電源等差替
    draft = runs.start_run(actor=operator, delivery_year=YEAR, through_month="2025-09", now=at())
    runs.compute(run=draft.run, now=at())
    count = _objections(august=august, now=at())
    return DemoSettlement(
        datasets=sum(1 for f in tables.values() if f.height) + (corrected is not None),
        runs=len(done) + 2,
        confirmed_months=sorted(ConfirmedMonth.objects.filter(delivery_year=YEAR).values_list("month", flat=True)),
        objections=count,
    )


def _run(operator: Any, approver: Any, month: str, when: dt.datetime) -> Any:
    started = runs.start_run(actor=operator, delivery_year=YEAR, through_month=month, now=when)
    runs.compute(run=started.run, now=when)
    confirm.confirm(
        run=started.run,
        actor=approver,
        now=when,
        accept_comment="事業者に確認済み（ベースライン未提出の発動指令は翌月の精算で訂正）",
    )
    return started.run


# long: one synthetic table per dataset, each a few lines, drawn in a fixed order
# from the same seeded generator
def _datasets(*, rng: random.Random, seed: int, contracts: pl.DataFrame) -> dict[str, pl.DataFrame]:
    total_kw = int(contracts["kw"].sum() or 0)
    tsos = {p.tso_area: p.participant_code for p in Participant.objects.filter(is_tso=True)}
    areas = pl.DataFrame(
        {
            "area": list(AREAS),
            "h3_kw": [int(total_kw * 1.12 * H3_SHARE[a]) for a in AREAS],
            "price_yen_per_kw": [5_242 if a in ("hokkaido", "kyushu") else 3_495 for a in AREAS],
            "tso_id": [tsos[a] for a in AREAS],
            "tso_share_rate": [None] * len(AREAS),
        },
        schema={
            "area": pl.String,
            "h3_kw": pl.Int64,
            "price_yen_per_kw": pl.Int64,
            "tso_id": pl.String,
            "tso_share_rate": pl.String,
        },
    )
    retailer_rows = []
    wheeling_rows = []
    for p in Participant.objects.filter(is_retailer=True).order_by("participant_code"):
        size = int(max(1_000, rng.lognormvariate(11.0, 1.4)))
        served = rng.sample(list(AREAS), k=1 if rng.random() < 0.7 else rng.choice((2, 3)))
        new_entrant = rng.random() < 0.1
        for area in served:
            peak = int(size * rng.uniform(0.5, 1.5))
            retailer_rows.append(
                (
                    p.participant_code,
                    area,
                    None if new_entrant else peak,
                    None if new_entrant else int(peak * rng.uniform(1.0, 1.15)),
                    None if new_entrant else int(peak * rng.uniform(0.85, 1.05)),
                    None if new_entrant else int(peak * rng.uniform(0.95, 1.1)),
                )
            )
            start = rng.randrange(0, 3) if new_entrant else 0
            for i, month in enumerate(DATA_MONTHS):
                if i >= start:
                    wheeling_rows.append((p.participant_code, area, month, int(peak * rng.uniform(0.9, 1.2))))
    retailers = pl.DataFrame(
        retailer_rows,
        schema={
            "retailer_id": pl.String,
            "area": pl.String,
            "summer_peak_kw": pl.Int64,
            "summer_peak_wheeling_kw": pl.Int64,
            "winter_peak_kw": pl.Int64,
            "winter_peak_wheeling_kw": pl.Int64,
        },
        orient="row",
    )
    wheeling = pl.DataFrame(
        wheeling_rows,
        schema={"retailer_id": pl.String, "area": pl.String, "month": pl.String, "wheeling_kw": pl.Int64},
        orient="row",
    )

    assessed = contracts.filter(pl.col("resource_type").is_in(["stable", "variable_single"]))
    # one unit with a long forced outage (no plan registered): its upper limit is 0 from April
    long_outage = assessed.filter(pl.col("resource_type") == "stable").head(1)["resource_id"].to_list()
    slots = _slots()
    gen = (
        assessed.select("resource_id", "kw", "resource_type")
        .with_row_index("r")
        .join(slots, how="cross")
        .with_columns(n=_noise(pl.col("r"), pl.col("t"), seed=seed))
        .with_columns(
            upper_kw=pl.when(pl.col("resource_id").is_in(long_outage))
            .then(0)
            .when(pl.col("n") < 8)
            .then(pl.col("kw") // 2)
            .otherwise(pl.col("kw")),
        )
        .with_columns(plan_kw=(pl.col("upper_kw") * (55 + pl.col("n") % 40) // 100))
        .select("resource_id", "date", "slot", "upper_kw", "plan_kw")
    )
    outage_rows = []
    for i, (resource, kw) in enumerate(assessed.select("resource_id", "kw").iter_rows()):
        if resource in long_outage or rng.random() > 0.3:
            continue
        first = dt.datetime(2025, 4, 1) + dt.timedelta(days=rng.randrange(0, 170), hours=rng.choice((0, 9, 22)))  # noqa: DTZ001
        length = dt.timedelta(hours=rng.choice((6, 24, 72, 168)))
        outage_rows.append(
            (f"OUT-{YEAR}-{i:05d}", resource, first, first + length, 0 if rng.random() < 0.6 else kw // 2)
        )
    outages = pl.DataFrame(
        outage_rows,
        schema={
            "outage_id": pl.String,
            "resource_id": pl.String,
            "start": pl.Datetime("us"),
            "end": pl.Datetime("us"),
            "available_kw": pl.Int64,
        },
        orient="row",
    )
    multipliers = pl.DataFrame(
        [(a, dt.date(2025, 8, d), 33, 40, 5) for a in AREAS for d in (4, 5, 6)],
        schema={"area": pl.String, "date": pl.Date, "slot_from": pl.Int64, "slot_to": pl.Int64, "multiplier": pl.Int64},
        orient="row",
    )
    tight = _tight_slots(rng)
    stable = contracts.filter(pl.col("resource_type") == "stable")
    at_tight = stable.select("resource_id", "area", "kw").join(tight, on="area").with_row_index("i")
    bids = (
        at_tight.join(
            gen.select("resource_id", "date", "slot", "upper_kw", "plan_kw"), on=["resource_id", "date", "slot"]
        )
        .with_columns(n=_noise(pl.col("i"), seed=seed + 1))
        .filter(pl.col("n") < 9_000)
        .select(
            "resource_id",
            "date",
            "slot",
            bid_kw=pl.when(pl.col("n") < 8_000)
            .then((pl.col("upper_kw").clip(upper_bound=pl.col("kw")) - pl.col("plan_kw")).clip(lower_bound=0))
            .otherwise((pl.col("upper_kw") - pl.col("plan_kw")).clip(lower_bound=0) // 2),
        )
    )
    instructions = (
        at_tight.with_columns(n=_noise(pl.col("i"), seed=seed + 2))
        .filter(pl.col("n") < 600)
        .select("resource_id", "date", "slot", instructed_kw=(pl.col("kw") * 8 // 10))
    )
    metered_instr = instructions.with_columns(n=_noise(pl.col("instructed_kw"), pl.col("slot"), seed=seed + 3)).select(
        "resource_id",
        "date",
        "slot",
        metered_wh=pl.when(pl.col("n") < 8_500)
        .then(pl.col("instructed_kw") * 500)
        .otherwise(pl.col("instructed_kw") * 500 * (60 + pl.col("n") % 35) // 100),
    )
    dispatch = contracts.filter(pl.col("resource_type") == "dispatch")
    order_rows = []
    for i, (resource, kw) in enumerate(dispatch.select("resource_id", "kw").iter_rows()):
        for j, d in enumerate(rng.sample(range(1, 29), k=rng.choice((0, 1, 1, 2)))):
            day = dt.date(2025, 7 + j % 2, d)  # one order a day at most: their slots never overlap
            begin = dt.datetime(day.year, day.month, day.day, rng.choice((13, 16, 17)))  # noqa: DTZ001
            order_rows.append((f"DO-{YEAR}-{i:04d}-{j}", resource, begin, begin + dt.timedelta(hours=3), None, kw))
    orders = pl.DataFrame(
        [r[:5] for r in order_rows],
        schema={
            "order_id": pl.String,
            "resource_id": pl.String,
            "start": pl.Datetime("us"),
            "end": pl.Datetime("us"),
            "required_kw": pl.Int64,
        },
        orient="row",
    )
    base_rows = []
    met_rows = []
    for _, resource, begin, _, _, kw in order_rows:
        without_baseline = rng.random() < 0.05
        performance = rng.choice((1.0, 1.0, 0.95, 0.7))
        for k in range(6):
            moment = begin + dt.timedelta(minutes=30 * k)
            slot = moment.hour * 2 + moment.minute // 30 + 1
            baseline_wh = kw * 500 * 2
            if not without_baseline:
                base_rows.append((resource, moment.date(), slot, baseline_wh))
            met_rows.append((resource, moment.date(), slot, int(baseline_wh - kw * 500 * performance)))
    slot_schema = {"resource_id": pl.String, "date": pl.Date, "slot": pl.Int64}
    baselines = pl.DataFrame(base_rows, schema={**slot_schema, "baseline_wh": pl.Int64}, orient="row")
    metering = pl.concat(
        [metered_instr, pl.DataFrame(met_rows, schema={**slot_schema, "metered_wh": pl.Int64}, orient="row")]
    ).unique(subset=["resource_id", "date", "slot"], keep="first", maintain_order=True)
    return {
        "areas": areas,
        "retailers": retailers,
        "wheeling": wheeling,
        "generation": gen,
        "outages": outages,
        "multipliers": multipliers,
        "tight_slots": tight,
        "bids": bids,
        "instructions": instructions,
        "metering": metering,
        "dispatch_orders": orders,
        "baselines": baselines,
    }


def _with_demo_instruction(*, tables: dict[str, pl.DataFrame], contracts: pl.DataFrame) -> str | None:
    """Make sure a company with demo logins has a supply instruction in July (fully met at first)."""
    with_users = set(
        User.objects.filter(username__startswith="demo-", participant__isnull=False).values_list(
            "participant__participant_code", flat=True
        )
    )
    stable = contracts.filter((pl.col("resource_type") == "stable") & pl.col("provider_id").is_in(sorted(with_users)))
    if stable.height == 0:
        return None
    resource, kw = stable.select("resource_id", "kw").row(0)
    key = {"resource_id": resource, "date": dt.date(2025, 7, 14), "slot": 36}
    row = pl.DataFrame([{**key, "instructed_kw": kw * 8 // 10}], schema=tables["instructions"].schema)
    met = pl.DataFrame([{**key, "metered_wh": kw * 8 // 10 * 500}], schema=tables["metering"].schema)
    keys = ["resource_id", "date", "slot"]
    tables["instructions"] = pl.concat([tables["instructions"].join(row.select(keys), on=keys, how="anti"), row])
    tables["metering"] = pl.concat([tables["metering"].join(met.select(keys), on=keys, how="anti"), met])
    return str(resource)


def _correction(*, tables: dict[str, pl.DataFrame], resource: str | None) -> pl.DataFrame | None:
    """The July instructed slot of ``resource`` with its metering corrected downwards (the provider's own
    correction, after July was confirmed)."""
    if resource is None:
        return None
    july = tables["instructions"].filter((pl.col("date") == dt.date(2025, 7, 14)) & (pl.col("resource_id") == resource))
    return july.select("resource_id", "date", "slot", metered_wh=pl.col("instructed_kw") * 500 * 70 // 100)


def _objections(*, august: Any, now: dt.datetime) -> int:
    """An answered objection and one corrected by the August run's adjustment."""
    adjustment = ContractAdjustment.objects.filter(run=august, kind="supply_instruction").order_by("pk").first()
    count = 0
    july = ConfirmedMonth.objects.get(delivery_year=YEAR, month="2025-07")
    operator = User.objects.get(username="demo-operator")
    if adjustment is not None:
        user = User.objects.filter(participant=adjustment.participant).order_by("pk").first()
        assert user is not None  # the correction is made for a company with demo logins
        objection = objections.raise_objection(
            actor=user,
            confirmed_month_id=july.pk,
            subject="contract",
            contract_code=adjustment.contract_code,
            requirement="supply_instruction",
            area="",
            text="供給指示コマの計量値に誤りがありました。訂正した計量値を登録しましたので再算定をお願いします。",
            uploads=[],
            now=now,
        )
        objections.handle(
            objection=objection, actor=operator, status="investigating", message="計量値を確認します。", now=now
        )
        objections.handle(
            objection=objection,
            actor=operator,
            status="corrected",
            message="訂正後の計量値で再算定し、差額を8月分で調整しました。",
            now=now,
            correcting_run_id=august.pk,
        )
        count += 1
    demo_user = (
        User.objects.filter(username__startswith="demo-p", username__endswith="-user").order_by("username").first()
    )
    if demo_user is not None and demo_user.participant is not None:
        line = (
            august.contract_months.filter(contract__participant=demo_user.participant, month="2025-07")
            .select_related("contract")
            .first()
        )
        if line is None:
            from capmarket.domain.settlement.models import ContractMonth  # noqa: PLC0415

            line = (
                ContractMonth.objects.filter(run=july.run, month="2025-07", contract__participant=demo_user.participant)
                .select_related("contract")
                .first()
            )
        if line is not None:
            objection = objections.raise_objection(
                actor=demo_user,
                confirmed_month_id=july.pk,
                subject="contract",
                contract_code=line.contract.contract_code,
                requirement="market_bid",
                area="",
                text="7月の低予備率アセスメント対象コマの市場応札量の集計について確認させてください。",
                uploads=[],
                now=now,
            )
            count += 1
    return count
