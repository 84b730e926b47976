"""Bids from a file (seed 004 850 応札情報一括登録, 860 一括変更, 870 一括登録変更): all lines or none."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from capmarket.application.predelivery_files import UnableToReadFile, bid_lines
from capmarket.domain.auctions import operations as auction_ops
from capmarket.domain.auctions.models import Auction, Bid
from capmarket.domain.registry.models import Resource


def place_bids_from_file(*, actor: Any, now: dt.datetime, auction: Auction, data: bytes, filename: str) -> list[Bid]:
    """Place or change one bid per line; any refused line refuses the file (``UnableToReadFile`` naming lines)."""
    lines = bid_lines(data, filename)
    own = getattr(actor, "participant_id", None)
    resources = {
        r.resource_code: r for r in Resource.objects.filter(resource_code__in=[x.resource_code for x in lines])
    }
    problems: list[str] = []
    bids: list[Bid] = []
    with transaction.atomic():
        for line in lines:
            resource = resources.get(line.resource_code)
            if resource is None or resource.participant_id != own:
                problems.append(
                    f"{filename}:{line.line}: 電源等識別番号: 貴社の電源等にありません（{line.resource_code}）"
                )
                continue
            try:
                with transaction.atomic():
                    bids.append(
                        auction_ops.place_bid(
                            actor=actor,
                            now=now,
                            auction=auction,
                            resource=resource,
                            bid_kw=line.bid_kw,
                            price_yen_per_kw=line.price_yen_per_kw,
                        )
                    )
            except ValidationError as exc:
                problems.extend(f"{filename}:{line.line}: {m}" for m in exc.messages)
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise UnableToReadFile(problems)
    return bids
