"""The pre-delivery rule set: typed, exact parameters (rates as ``Fraction``) from value strings.

The built-in values ship in ``rules.toml``; the application stores published versions per delivery year and
parses them here, so a stored version, an override and the built-in set are all checked the same way.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from importlib import resources
from typing import Final

BUILTIN_NAME: Final = "jp-predelivery"


class UnableToParsePreDeliveryParameters(ValueError):
    """A parameter is unknown, missing or malformed."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem


@dataclass(frozen=True)
class BuiltinParameter:
    name: str
    value: str
    confidence: str
    source: str


@dataclass(frozen=True)
class PreDeliveryParams:
    min_expected_capacity_kw: int
    variable_adjustment_factor: Fraction
    market_exit_penalty_rate_early: Fraction
    market_exit_penalty_rate_late: Fraction
    market_exit_deadline_month_day: tuple[int, int]
    market_exit_deadline_years_before: int
    effectiveness_pass_ratio: Fraction
    effectiveness_test_hours: int


PARAMETER_NAMES: Final[tuple[str, ...]] = tuple(f.name for f in fields(PreDeliveryParams))
_DECIMAL: Final = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_MONTH_DAY: Final = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


def builtin_parameters() -> dict[str, BuiltinParameter]:
    text = resources.files(__package__).joinpath("rules.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return {
        name: BuiltinParameter(
            name=name, value=str(entry["value"]), confidence=str(entry["confidence"]), source=str(entry["source"])
        )
        for name, entry in data["parameters"].items()
    }


def parse_predelivery_params(*, values: Mapping[str, str]) -> PreDeliveryParams:
    """Typed parameters; every name of ``PreDeliveryParams`` must be given and none other."""
    for name in sorted(values):
        if name not in PARAMETER_NAMES:
            raise UnableToParsePreDeliveryParameters(name, "unknown parameter")
    typed: dict[str, object] = {}
    for f in fields(PreDeliveryParams):
        if f.name not in values:
            raise UnableToParsePreDeliveryParameters(f.name, "missing parameter")
        raw = str(values[f.name]).strip()
        if f.name == "market_exit_deadline_month_day":
            match = _MONTH_DAY.match(raw)
            if not match:
                raise UnableToParsePreDeliveryParameters(f.name, f"not a month and day (MM-DD): {raw!r}")
            typed[f.name] = (int(match.group(1)), int(match.group(2)))
        elif f.type in ("int", int):
            if not raw.isdigit():
                raise UnableToParsePreDeliveryParameters(f.name, f"not a whole number: {raw!r}")
            typed[f.name] = int(raw)
        else:
            if not _DECIMAL.match(raw):
                raise UnableToParsePreDeliveryParameters(f.name, f"not a decimal number: {raw!r}")
            typed[f.name] = Fraction(raw)
    params = PreDeliveryParams(**typed)  # type: ignore[arg-type]
    if params.effectiveness_test_hours < 1:
        raise UnableToParsePreDeliveryParameters("effectiveness_test_hours", "must be at least 1")
    return params


def builtin_params() -> PreDeliveryParams:
    return parse_predelivery_params(values={name: p.value for name, p in builtin_parameters().items()})
