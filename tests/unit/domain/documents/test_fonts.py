"""The bold title face holds every character a title or an amount label prints (else a glyph falls back)."""

from __future__ import annotations

from capmarket.domain.documents import fonts, rendering


def test_every_title_and_amount_label_is_in_the_title_face() -> None:
    printed = "".join(rendering.TITLES.values()) + "".join(rendering.AMOUNT_LABELS.values())

    missing = sorted(set(printed) - set(fonts.TITLE_CHARACTERS))

    assert missing == [], f"add to fonts.TITLE_CHARACTERS (and bump fonts.VERSION): {''.join(missing)}"
