"""Password rules beyond Django's built-in validators (seed 002 §3.5: パスワード管理)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """Require characters from several classes: lower case, upper case, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        classes = 0
        classes += any(c.islower() for c in password)
        classes += any(c.isupper() for c in password)
        classes += any(c.isdigit() for c in password)
        classes += any(unicodedata.category(c)[0] in {"P", "S"} for c in password)
        if classes < self.min_classes:
            raise ValidationError(
                "パスワードには英小文字・英大文字・数字・記号のうち%(n)d種類以上を含めてください。",
                code="password_too_simple",
                params={"n": self.min_classes},
            )

    def get_help_text(self) -> str:
        return f"英小文字・英大文字・数字・記号のうち{self.min_classes}種類以上を含めてください。"


class NoReuseValidator:
    """Refuse the current password and the last ``history`` passwords of the user."""

    def __init__(self, history: int = 5) -> None:
        self.history = history

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None:
            return
        if user.password and check_password(password, user.password):
            raise ValidationError("現在のパスワードは再利用できません。", code="password_reused")
        recent = user.password_history.order_by("-created_at", "-id")[: self.history]
        for entry in recent:
            if check_password(password, entry.password_hash):
                raise ValidationError(
                    "直近%(n)d回に使用したパスワードは再利用できません。",
                    code="password_reused",
                    params={"n": self.history},
                )

    def get_help_text(self) -> str:
        return f"直近{self.history}回に使用したパスワードは使用できません。"
