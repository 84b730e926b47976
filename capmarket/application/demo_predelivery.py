"""Demo data of the years before delivery, so that ``make demo`` shows every pre-delivery page with something in it.

- FY2029: every active provider resource has an expected capacity (registered in bulk, one approved application per
  company); the demo companies' applications went through review with their notices — one approved, one waiting for
  the 責任者, one returned for correction;
- the FY2029 main auction: its window closed, every eligible unit bid, cleared by the demo 担当者 and published by
  the demo 責任者 — Hokkaido splits off with its own area price; contracts made; their documents and the result notices
  are issued by the background job (the demo's worker runs it);
- the FY2030 main auction, open for bids now, with a few bids of the first demo provider.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction

from capmarket.application import auction_results, demo_replacements
from capmarket.domain.accounts.models import User
from capmarket.domain.auctions import operations as auction_ops
from capmarket.domain.predelivery import notices
from capmarket.domain.predelivery import operations as ops
from capmarket.domain.predelivery.models import (
    Application,
    ApplicationKind,
    ApplicationState,
    ExpectedCapacity,
    ExpectedCapacityLine,
    ExpectedCapacityState,
    LineAction,
)
from capmarket.domain.registry.models import Participant, Resource, ResourceStatus

YEAR = 2029
NEXT_YEAR = 2030


def _bulk_expected_capacities(*, staff: tuple[User, User], now: dt.datetime, year: int, skip: set[int]) -> int:
    """One approved application per company registering every active resource's expected capacity (no notices:
    this stands for what was registered before the demo begins)."""
    operator, approver = staff
    resources = list(
        Resource.objects.select_related("participant")
        .filter(status=ResourceStatus.ACTIVE, participant__is_provider=True, expected_capacity_kw__gte=1_000)
        .exclude(participant_id__in=skip)
        .order_by("participant__participant_code", "resource_code")
    )
    by_company: dict[int, list[Resource]] = {}
    for r in resources:
        by_company.setdefault(r.participant_id, []).append(r)
    members = {u.participant_id: u for u in User.objects.filter(participant_id__in=by_company).order_by("pk")}
    for participant_id, own in by_company.items():
        submitter = members.get(participant_id, operator)
        application = Application.objects.create(
            number=notices.next_number(series="AP", year=now.year),
            kind=ApplicationKind.EXPECTED_CAPACITY,
            participant=own[0].participant,
            delivery_year=year,
            title=f"{year}年度 期待容量 一括登録（{len(own)}件）",
            state=ApplicationState.APPROVED,
            submitted_by=submitter,
            submitted_at=now - dt.timedelta(days=40),
            checked_by=operator,
            checked_at=now - dt.timedelta(days=35),
            decided_by=approver,
            decided_at=now - dt.timedelta(days=34),
            updated_at=now - dt.timedelta(days=34),
        )
        ExpectedCapacityLine.objects.bulk_create(
            ExpectedCapacityLine(
                application=application,
                line_no=i,
                action=LineAction.REGISTER,
                resource=r,
                installed_capacity_kw=r.installed_capacity_kw,
                expected_capacity_kw=r.expected_capacity_kw,
            )
            for i, r in enumerate(own, start=1)
        )
        ExpectedCapacity.objects.bulk_create(
            ExpectedCapacity(
                resource=r,
                delivery_year=year,
                installed_capacity_kw=r.installed_capacity_kw,
                expected_capacity_kw=r.expected_capacity_kw,
                state=ExpectedCapacityState.ACTIVE,
                application=application,
                registered_at=now - dt.timedelta(days=34),
                updated_at=now - dt.timedelta(days=34),
            )
            for r in own
        )
    return len(resources)


def _line(r: Resource, kw: int, action: str = "register") -> ops.ExpectedCapacityInput:
    return ops.ExpectedCapacityInput(line=1, action=action, resource_code=r.resource_code, expected_capacity_kw=kw)


def load_demo_predelivery(*, user_prefix: str, now: dt.datetime) -> dict[str, Any]:
    """Load the pre-delivery demo data (see the module's docstring); returns what was made."""
    rng = random.Random(f"capmarket-demo-predelivery-{now:%Y%m%d}")  # noqa: S311 - reproducible synthetic data
    operator = User.objects.get(username=f"{user_prefix}operator")
    approver = User.objects.get(username=f"{user_prefix}approver")
    provider_users = list(
        User.objects.filter(username__startswith=user_prefix, participant__is_provider=True, role="participant_user")
        .select_related("participant")
        .order_by("participant__participant_code")
    )
    first = provider_users[0]
    company = first.participant
    assert company is not None
    with transaction.atomic():
        ops.install_predelivery_rules(delivery_year=YEAR, now=now)
        registered = _bulk_expected_capacities(staff=(operator, approver), now=now, year=YEAR, skip={company.pk})
        own = _reviewed_one_by_one(staff=(operator, approver), member=first, now=now)
        eligible, published = _main_auction(staff=(operator, approver), user_prefix=user_prefix, now=now, rng=rng)
        _following_auction(staff=(operator, approver), member=first, own=own, eligible=eligible, now=now, rng=rng)
        extras = _after_the_contract(staff=(operator, approver), member=first, others=provider_users[1:], now=now)
    return {
        **extras,
        "expected_capacities": registered,
        "bids": len(eligible),
        "accepted_kw": published.accepted_kw,
        "price_yen_per_kw": published.national_price_yen_per_kw,
    }


def _reviewed_one_by_one(*, staff: tuple[User, User], member: User, now: dt.datetime) -> list[Resource]:
    """The first demo provider's applications went through review one by one (with notices): one approved, one
    waiting for the 責任者, one returned. Returns the company's resources."""
    operator, approver = staff
    company = member.participant
    assert company is not None
    own = list(
        Resource.objects.filter(
            participant=company, status=ResourceStatus.ACTIVE, expected_capacity_kw__gte=1_000
        ).order_by("resource_code")
    )
    approved = ops.submit_expected_capacity(
        actor=member,
        now=now - dt.timedelta(days=30),
        participant=company,
        delivery_year=YEAR,
        lines=[
            ops.ExpectedCapacityInput(
                line=i,
                action="register",
                resource_code=r.resource_code,
                expected_capacity_kw=r.expected_capacity_kw,
            )
            for i, r in enumerate(own[:-2] or own, start=1)
        ],
    )
    ops.check_application(actor=operator, now=now - dt.timedelta(days=29), application=approved, comment="書類確認済")
    ops.approve_application(actor=approver, now=now - dt.timedelta(days=28), application=approved)
    rest = [r for r in own if not ExpectedCapacity.objects.filter(resource=r, delivery_year=YEAR).exists()]
    if rest:
        waiting = ops.submit_expected_capacity(
            actor=member, now=now - dt.timedelta(days=2), participant=company, delivery_year=YEAR,
            lines=[_line(rest[0], rest[0].expected_capacity_kw)],
        )  # fmt: skip
        ops.check_application(actor=operator, now=now - dt.timedelta(days=1), application=waiting)
    if len(rest) > 1:
        returned = ops.submit_expected_capacity(
            actor=member, now=now - dt.timedelta(days=3), participant=company, delivery_year=YEAR,
            lines=[_line(rest[1], rest[1].expected_capacity_kw)],
        )  # fmt: skip
        ops.return_application(
            actor=operator,
            now=now - dt.timedelta(days=1),
            application=returned,
            comment="設備容量の根拠資料（銘板写真）を添えて、期待容量を再確認してください。",
        )
    return own


def _main_auction(
    *, staff: tuple[User, User], user_prefix: str, now: dt.datetime, rng: random.Random
) -> tuple[list[ExpectedCapacity], Any]:
    """The FY2029 main auction: every eligible resource bid, closed, cleared and published."""
    operator, approver = staff
    eligible = list(
        ExpectedCapacity.objects.select_related("resource", "resource__participant")
        .filter(delivery_year=YEAR, state=ExpectedCapacityState.ACTIVE)
        .order_by("resource__resource_code")
    )
    total = sum(ec.expected_capacity_kw for ec in eligible)
    hokkaido = sum(ec.expected_capacity_kw for ec in eligible if ec.resource.area == "hokkaido")
    dispatch = sum(ec.expected_capacity_kw for ec in eligible if ec.resource.resource_type == "dispatch")
    opens, closes = now - dt.timedelta(days=60), now - dt.timedelta(days=53)
    auction = auction_ops.announce_auction(
        actor=operator,
        now=opens - dt.timedelta(days=30),
        code=f"MA{YEAR}",
        name=f"{YEAR - 4}年度メインオークション（実需給{YEAR}年度）",
        kind="main",
        delivery_year=YEAR,
        bid_opens_at=opens,
        bid_closes_at=closes,
        demand_points=[(total * 70 // 100, 14_000), (total * 105 // 100, 0)],
        out_of_auction=[("fit", "tokyo", total // 50), ("fit", "kyushu", total // 60)],
        area_minimums={"hokkaido": hokkaido * 95 // 100} if hokkaido else {},
        dispatch_cap_kw=dispatch * 3 // 4 if dispatch else None,
        max_bid_price_yen_per_kw=14_000,
    )
    by_owner = {u.participant_id: u for u in User.objects.filter(participant__isnull=False).order_by("pk")}
    for i, ec in enumerate(eligible):
        bidder = by_owner.get(ec.resource.participant_id)
        if bidder is None:
            bidder = _proxy_user(ec.resource.participant, user_prefix=user_prefix, now=now)
            by_owner[ec.resource.participant_id] = bidder
        price = 0 if rng.random() < 0.55 else rng.randrange(500, 13_000, 50)
        if ec.resource.area == "hokkaido":
            price = max(price, rng.randrange(3_000, 12_000, 50))
        auction_ops.place_bid(
            actor=bidder,
            now=opens + dt.timedelta(hours=1, minutes=i),
            auction=auction,
            resource=ec.resource,
            bid_kw=ec.expected_capacity_kw,
            price_yen_per_kw=price,
        )
    run = auction_ops.run_clearing(actor=operator, now=closes + dt.timedelta(days=2), auction=auction)
    published, _job = auction_results.publish_results(actor=approver, now=closes + dt.timedelta(days=7), run=run)
    return eligible, published


def _following_auction(
    *,
    staff: tuple[User, User],
    member: User,
    own: list[Resource],
    eligible: list[ExpectedCapacity],
    now: dt.datetime,
    rng: random.Random,
) -> None:
    """The FY2030 main auction, open now, with the first provider's expected capacities and two bids."""
    operator, approver = staff
    company = member.participant
    assert company is not None
    total = sum(ec.expected_capacity_kw for ec in eligible)
    dispatch = sum(ec.expected_capacity_kw for ec in eligible if ec.resource.resource_type == "dispatch")
    ops.install_predelivery_rules(delivery_year=NEXT_YEAR, now=now)
    following = auction_ops.announce_auction(
        actor=operator,
        now=now - dt.timedelta(days=20),
        code=f"MA{NEXT_YEAR}",
        name=f"{NEXT_YEAR - 4}年度メインオークション（実需給{NEXT_YEAR}年度）",
        kind="main",
        delivery_year=NEXT_YEAR,
        bid_opens_at=now - dt.timedelta(days=3),
        bid_closes_at=now + dt.timedelta(days=11),
        demand_points=[(total * 70 // 100, 14_500), (total * 105 // 100, 0)],
        out_of_auction=[("fit", "tokyo", total // 45)],
        dispatch_cap_kw=dispatch * 3 // 4 if dispatch else None,
        max_bid_price_yen_per_kw=14_500,
    )
    next_year = [
        ops.ExpectedCapacityInput(
            line=i, action="register", resource_code=r.resource_code, expected_capacity_kw=r.expected_capacity_kw
        )
        for i, r in enumerate(own[:3], start=1)
    ]
    if not next_year:
        return
    application = ops.submit_expected_capacity(
        actor=member, now=now - dt.timedelta(days=10), participant=company,
        delivery_year=NEXT_YEAR, lines=next_year,
    )  # fmt: skip
    ops.check_application(actor=operator, now=now - dt.timedelta(days=9), application=application)
    ops.approve_application(actor=approver, now=now - dt.timedelta(days=8), application=application)
    for r in own[:2]:
        auction_ops.place_bid(
            actor=member,
            now=now - dt.timedelta(days=1),
            auction=following,
            resource=r,
            bid_kw=r.expected_capacity_kw,
            price_yen_per_kw=rng.randrange(0, 9_000, 100),
        )


def _proxy_user(participant: Participant, *, user_prefix: str, now: dt.datetime) -> User:
    """A company without demo logins bids through a user of its own (not shown among the demo logins)."""
    from capmarket.domain.accounts.models import Role  # noqa: PLC0415

    user = User(
        username=f"bidder-{participant.participant_code.lower()}",
        role=Role.PARTICIPANT_USER,
        participant=participant,
        full_name=f"{participant.name} 応札担当",
        email=f"bidder-{participant.participant_code.lower()}@example.jp",
        password_changed_at=now,
    )
    user.set_unusable_password()
    user.save()
    return user


def _outage_adjustment(*, operator: User, pair: list[Any], now: dt.datetime) -> int:
    """Two plans of an area in October over the area's limit: the adjustment flags them (returns the flags)."""
    from capmarket.domain.outages import operations as outage_ops  # noqa: PLC0415
    from capmarket.domain.predelivery import workflows as wf  # noqa: PLC0415

    jst = dt.timezone(dt.timedelta(hours=9))
    starts = [dt.datetime(YEAR, 10, 5, tzinfo=jst), dt.datetime(YEAR, 10, 12, tzinfo=jst)]
    outage_ops.register_or_change(
        actor=operator,
        now=now,
        plans=[
            outage_ops.OutageInput(
                outage_code=f"DEMO-{YEAR}-{i + 1:03d}",
                resource=c.resource,
                start_at=starts[i],
                end_at=starts[i] + dt.timedelta(days=14),
                available_kw=0,
            )
            for i, c in enumerate(pair)
        ],
    )
    limit = max(c.contract_kw for c in pair) + min(c.contract_kw for c in pair) // 2
    wf.set_outage_limits(
        actor=operator, now=now, delivery_year=YEAR, limits={(pair[0].resource.area, f"{YEAR}-10"): limit}
    )
    return wf.run_outage_adjustment(actor=operator, now=now, delivery_year=YEAR).flags.count()


def _replacement(*, staff: tuple[User, User], users: list[User], keep: list[Any], now: dt.datetime) -> int:
    """The first company (of ``users``) with a contract and another resource moves part of the obligation to it
    (approved: 電源等差替通知書; one for a period, one ended early, one withdrawn: ``demo_replacements``); ``keep``:
    the contracts not to use (the one that leaves the market)."""
    from capmarket.domain.contracts.models import CapacityContract, ContractState  # noqa: PLC0415

    for other in users:  # part of a contract's obligation moves to another of the company's resources
        replaced = (
            CapacityContract.objects.filter(
                participant=other.participant, delivery_year=YEAR, state=ContractState.ACTIVE
            )
            .exclude(pk__in=[c.pk for c in keep])  # not the contract that leaves the market below
            .order_by("contract_code")
            .first()
        )
        to = (
            Resource.objects.filter(participant=other.participant, status=ResourceStatus.ACTIVE)
            .exclude(pk=replaced.resource_id)
            .order_by("resource_code")
            .first()
            if replaced is not None
            else None
        )
        if replaced is None or to is None:
            continue
        demo_replacements.load_demo_replacements(staff=staff, member=other, contract=replaced, to=to, now=now)
        return 1
    return 0


def _after_the_contract(
    *, staff: tuple[User, User], member: User, others: list[User], now: dt.datetime
) -> dict[str, int]:
    """FY2029 after the auction: an outage-plan adjustment under way (two plans over an area's limit), a published
    replacement offer, approved replacements (電源等差替通知書 in the portal; one ended early, one withdrawn), an
    effectiveness test ordered, a market exit waiting for the 担当者, and two approved (one billed, one still to be
    billed)."""
    from capmarket.domain.contracts.models import CapacityContract, ContractState  # noqa: PLC0415
    from capmarket.domain.predelivery import workflows as wf  # noqa: PLC0415

    operator = staff[0]
    jst = dt.timezone(dt.timedelta(hours=9))
    contracts = list(
        CapacityContract.objects.select_related("resource", "participant")
        .filter(delivery_year=YEAR, state=ContractState.ACTIVE, resource__resource_type="stable")
        .order_by("-contract_kw", "contract_code")
    )
    made = {"outage_flags": 0, "listings": 0, "replacements": 0, "tests": 0, "exits": 0}
    by_area: dict[str, list[Any]] = {}
    for c in contracts:
        by_area.setdefault(c.resource.area, []).append(c)
    pair = next((cs[:2] for cs in by_area.values() if len(cs) >= 2), [])
    if pair:
        made["outage_flags"] = _outage_adjustment(operator=operator, pair=pair, now=now)
    company = member.participant
    assert company is not None
    own = [c for c in contracts if c.participant_id == company.pk]
    spare = Resource.objects.filter(participant=company, status=ResourceStatus.ACTIVE).order_by("resource_code").first()
    if spare is not None:
        listing = wf.post_listing(
            actor=member,
            now=now,
            participant=company,
            values=wf.ListingInput(
                kind="offer",
                delivery_year=YEAR,
                area=spare.area,
                kw=max(1_000, spare.expected_capacity_kw // 10),
                available_from=dt.date(YEAR, 4, 1),
                available_to=dt.date(YEAR + 1, 3, 31),
                contact=f"{company.name} 電源企画部 差替窓口",
                note="定期点検期間中の差替先として提供できます。",
                resource_code=spare.resource_code,
            ),
        )
        wf.review_listing(actor=operator, now=now, listing=listing, publish=True)
        made["listings"] = 1
    made["replacements"] = _replacement(staff=staff, users=[member, *others], keep=own[-1:], now=now)
    dispatch = (
        CapacityContract.objects.filter(
            delivery_year=YEAR, state=ContractState.ACTIVE, resource__resource_type="dispatch"
        )
        .order_by("contract_code")
        .first()
    )
    if dispatch is not None:
        start = (now.astimezone(jst) + dt.timedelta(days=10)).replace(hour=14, minute=0, second=0, microsecond=0)
        wf.order_effectiveness_test(actor=operator, now=now, contract=dispatch, season="summer", start_at=start)
        made["tests"] = 1
    if own:
        wf.submit_market_exit(
            actor=member, now=now, contract=own[-1], reason="燃料調達契約の終了に伴い、実需給年度前に廃止します。"
        )  # waits for the 担当者's check (which files the contract's cancellation for the 責任者)
        made["exits"] = 1
    made["approved_exits"] = _approved_exit(staff=staff, others=others, now=now)
    return made


def _approved_exit(*, staff: tuple[User, User], others: list[User], now: dt.datetime) -> int:
    """Other demo providers left the market: one exit approved a week ago, its contract cancelled and the penalty
    billed (市場退出ペナルティ請求書 with its posting, open in the receivables); and one approved three weeks ago the
    way exits were approved before exit billing existed — the approval alone, so its invoice is still to be issued
    (「請求書未発行」 in the staff list, the 「退出ペナルティ請求書を発行」 button on its page)."""
    from capmarket.application import predelivery_exit  # noqa: PLC0415
    from capmarket.domain.contracts.models import CapacityContract, ContractState  # noqa: PLC0415
    from capmarket.domain.predelivery import workflows as wf  # noqa: PLC0415

    operator, approver = staff
    leaving: list[tuple[User, Any]] = []
    for other in others:
        contracts = list(
            CapacityContract.objects.filter(
                participant=other.participant, delivery_year=YEAR, state=ContractState.ACTIVE, price_yen_per_kw__gt=0
            ).order_by("-contract_code")
        )
        # keep one contract of each company (its replacement, if any, is on the first)
        leaving.extend((other, contract) for contract in contracts[: len(contracts) - 1][: 2 - len(leaving)])
        if len(leaving) == 2:
            break
    for i, (other, contract) in reversed(list(enumerate(leaving))):  # the older exit first (numbers follow time)
        days = 7 if i == 0 else 21
        application = wf.submit_market_exit(
            actor=other, now=now - dt.timedelta(days=days + 2), contract=contract,
            reason="系統連系工事の遅延により、実需給年度までに運転を開始できないため退出します。" if i == 0
            else "設備の老朽化に伴い、実需給年度前に廃止します。",
        )  # fmt: skip
        ops.check_application(actor=operator, now=now - dt.timedelta(days=days + 1), application=application)
        if i == 0:
            predelivery_exit.approve_application(
                actor=approver, now=now - dt.timedelta(days=days), application=application
            )
        else:  # approved before exit billing: the domain's approval alone, no invoice yet
            ops.approve_application(actor=approver, now=now - dt.timedelta(days=days), application=application)
    return len(leaving)
