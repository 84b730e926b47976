"""Fixed vocabulary of Japan's capacity market (glossary.md): areas and resource types.

The engine validates case files against these, and the domain apps use them as model choices, so one list
serves both.
"""

from __future__ import annotations

from typing import Final

#: The nine areas of the capacity market, north to south (Okinawa is outside the market).
AREAS: Final[tuple[str, ...]] = (
    "hokkaido",
    "tohoku",
    "tokyo",
    "chubu",
    "hokuriku",
    "kansai",
    "chugoku",
    "shikoku",
    "kyushu",
)

AREA_NAMES_JA: Final[dict[str, str]] = {
    "hokkaido": "北海道",
    "tohoku": "東北",
    "tokyo": "東京",
    "chubu": "中部",
    "hokuriku": "北陸",
    "kansai": "関西",
    "chugoku": "中国",
    "shikoku": "四国",
    "kyushu": "九州",
}

#: Japanese area name (as in OCCTO's published files) -> identifier.
AREA_BY_JA_NAME: Final[dict[str, str]] = {ja: area for area, ja in AREA_NAMES_JA.items()}

RESOURCE_TYPES: Final[tuple[str, ...]] = ("stable", "variable_single", "variable_aggregate", "dispatch")

RESOURCE_TYPE_NAMES_JA: Final[dict[str, str]] = {
    "stable": "安定電源",
    "variable_single": "変動電源（単独）",
    "variable_aggregate": "変動電源（アグリゲート）",
    "dispatch": "発動指令電源",
}

SLOTS_PER_DAY: Final[int] = 48
