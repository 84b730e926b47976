"""Shared pieces of the settlement commands (operations-cli.md): acting user, refusals (exit 2, one line),
other failures (exit 1, one line, never a traceback)."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

from django.contrib.auth import get_user_model

EXIT_REFUSED = 2
EXIT_FAILED = 1


def refuse(command: Any, message: str) -> NoReturn:
    command.stderr.write(message.splitlines()[0] if message else "refused")
    sys.exit(EXIT_REFUSED)


def fail(command: Any, message: str) -> NoReturn:
    command.stderr.write((message.splitlines() or ["failed"])[0])
    sys.exit(EXIT_FAILED)


def acting_user(command: Any, username: str, *, lang: str = "ja") -> Any:
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        refuse(command, f"有効なユーザ {username} がありません。" if lang == "ja" else f"no active user {username}")
    return user
