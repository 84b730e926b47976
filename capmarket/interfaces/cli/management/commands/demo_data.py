"""``capmarket demo-data --seed N --scale {small,full} [--if-empty]``: load the synthetic demo market."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from capmarket.application import demo_market


class Command(BaseCommand):
    help = "日本の容量市場の形をした合成デモ市場（事業者・電源等・2025年度の容量確保契約・ユーザ）を作成します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="乱数の種（同じ種なら同じデータ）")
        parser.add_argument(
            "--scale", choices=sorted(demo_market.SCALES), default="full", help="small: 約40電源等, full: 約2,000電源等"
        )
        parser.add_argument("--if-empty", action="store_true", help="事業者が既に登録されていれば何もしない")

    def handle(self, *args: Any, seed: int, scale: str, if_empty: bool, **options: Any) -> None:
        if if_empty and not demo_market.market_is_empty():
            self.stdout.write("事業者が既に登録されているため、デモデータの作成を省略しました。")
            return
        started = time.monotonic()
        try:
            # the synthetic clock starts a little back, so no record is dated after the command returns
            summary = demo_market.build_demo_market(seed=seed, scale=scale, now=timezone.now() - demo_market.CLOCK_LEAD)
        except demo_market.MarketNotEmpty as exc:
            raise CommandError(
                f"{exc}（既存データに関わらず続けるには空のデータベースを使ってください。--if-empty で省略できます）"
            ) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"デモ市場を作成しました（seed={seed}, scale={scale}, {elapsed:.1f}秒）: "
                f"事業者 {summary.participants:,}（容量提供 {summary.providers:,} / 小売 {summary.retailers:,} / "
                f"一般送配電 {summary.tsos}）、電源等 {summary.resources:,}、容量確保契約 {summary.contracts:,}"
                f"（経過措置 {summary.transitional_contracts:,}）、ユーザ {summary.users}、お知らせ {summary.notices}"
            )
        )
