"""``capmarket demo-logins``: print the demo logins (user ID / password / role / company kind / company) as a
table, so a visitor can pick the login of a provider, a retailer, a TSO or an operator staff role."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand

from capmarket.application import demo_market


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "デモ用ログイン（ユーザID・パスワード・権限・事業者区分・事業者）を表示します。"

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_market.demo_logins()
        if not logins:
            self.stdout.write("デモ用ユーザがいません。先に capmarket demo-data を実行してください。")
            return
        header = ("ユーザID", "パスワード", "権限", "事業者区分", "事業者")
        rows = [(x.username, x.password, x.role, x.company_kind, x.company) for x in logins]
        widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
        line = "+".join("-" * (w + 2) for w in widths)
        self.stdout.write(" " + " | ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)))
        self.stdout.write(line)
        for row in rows:
            self.stdout.write(" " + " | ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)))
