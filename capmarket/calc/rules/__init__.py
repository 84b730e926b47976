"""Versioned rule sets (rules.md §6): the built-in ones, and typed, exact parameter values.

A rule set is a mapping of parameter name → value string, each with a source and a confidence. The built-in
sets ship as TOML files next to this module (``jp-2024.toml``, ``jp-2025.toml``). ``parse_params`` turns value
strings into a typed, exact ``RuleParams`` (rates as ``Fraction``, never floats) and refuses unknown names and
malformed values, so a case file, an administrator's override and a published version are all checked the same
way.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from importlib import resources
from typing import Final, Literal

BUILTIN_RULESETS: Final[tuple[str, ...]] = ("jp-2024", "jp-2025")


class UnableToLoadRuleSet(LookupError):
    """The name is not a built-in rule set (``load_builtin``, ``resolve``)."""


class UnableToParseParameters(ValueError):
    """A parameter name is unknown or its value is malformed (``parse_params``, ``resolve``).

    ``problem`` says what is wrong in English; ``expected`` is the type the rule needs (``decimal``, ``integer``,
    ``boolean``, ``choice``; empty for an unknown or missing name) and ``minimum`` its smallest value, if any, so
    that a screen can say it in its own words.
    """

    def __init__(self, name: str, problem: str, *, expected: str = "", minimum: str = "") -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem
        self.expected = expected
        self.minimum = minimum


#: the names these errors had before calc's errors were named after what failed (kept for their callers)
UnknownRuleSet = UnableToLoadRuleSet
InvalidParameter = UnableToParseParameters


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    value: str
    confidence: str
    source: str


@dataclass(frozen=True)
class RuleSetSpec:
    name: str
    delivery_year: int
    parameters: Mapping[str, ParameterSpec]

    def values(self) -> dict[str, str]:
        return {name: spec.value for name, spec in self.parameters.items()}


@dataclass(frozen=True)
class RuleParams:
    """The typed parameters of rules.md §6. Rates are exact fractions."""

    transitional_deduction_rate: Fraction
    outage_allowance_slots: int
    outage_rate: Fraction
    tight_hours_per_year: Fraction  # an exact decimal number of hours (rules.md §2.2: 60, 12.5 …)
    tight_reserve_margin_pct: Fraction
    dispatch_netting: Literal["order", "slot"]
    dispatch_penalty_factor: Fraction
    dispatch_hours_per_order: int
    dispatch_orders_per_year: int
    coal_restraint_enabled: bool
    coal_restraint_rate: Fraction
    coal_capacity_factor_limit_pct: int
    monthly_cap_enabled: bool
    monthly_cap_rate: Fraction
    annual_cap_enabled: bool
    annual_cap_rate: Fraction
    payment_lag_months: int
    tax_rate: Fraction
    contributions_taxable: bool
    contribution_lag_months: int
    tso_share_rate: Fraction


PARAMETER_NAMES: Final[tuple[str, ...]] = tuple(f.name for f in fields(RuleParams))


def load_builtin(name: str) -> RuleSetSpec:
    """The built-in rule set ``name`` (e.g. ``jp-2025``)."""
    if name not in BUILTIN_RULESETS:
        raise UnknownRuleSet(name)
    text = resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    params = {
        pname: ParameterSpec(
            name=pname,
            value=str(entry["value"]),
            confidence=str(entry["confidence"]),
            source=str(entry["source"]),
        )
        for pname, entry in data["parameters"].items()
    }
    return RuleSetSpec(name=str(data["name"]), delivery_year=int(data["delivery_year"]), parameters=params)


_DECIMAL: Final[re.Pattern[str]] = re.compile(r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)$")
#: longest value read (a rule-set parameter is a short number; this keeps a pasted blob from being parsed)
_MAX_LENGTH: Final[int] = 100


def _text(name: str, raw: object, expected: str) -> str:
    if not isinstance(raw, str):
        raise InvalidParameter(name, f"must be given as a string, not {type(raw).__name__}", expected=expected)
    if len(raw) > _MAX_LENGTH:
        raise InvalidParameter(name, f"longer than {_MAX_LENGTH} characters", expected=expected)
    return raw.strip()


def _parse_fraction(name: str, raw: object, *, minimum: Fraction | None = None) -> Fraction:
    text = _text(name, raw, "decimal")
    lowest = "" if minimum is None else str(minimum)
    if not _DECIMAL.match(text):
        raise InvalidParameter(name, f"not a decimal number: {raw!r}", expected="decimal", minimum=lowest)
    value = Fraction(text)
    if value < 0:
        raise InvalidParameter(name, f"must not be negative: {raw!r}", expected="decimal", minimum=lowest)
    if minimum is not None and value < minimum:
        raise InvalidParameter(name, f"must be at least {minimum}: {raw!r}", expected="decimal", minimum=lowest)
    return value


def _parse_int(name: str, raw: object, *, minimum: int = 0) -> int:
    text = _text(name, raw, "integer")
    if not text.isdecimal():  # digits only (as before: full-width digits too), no sign
        raise InvalidParameter(name, f"not a whole number: {raw!r}", expected="integer", minimum=str(minimum))
    value = int(text)
    if value < minimum:
        raise InvalidParameter(name, f"must be at least {minimum}: {raw!r}", expected="integer", minimum=str(minimum))
    return value


def _parse_bool(name: str, raw: object) -> bool:
    text = _text(name, raw, "boolean").lower()
    if text not in {"true", "false"}:
        raise InvalidParameter(name, f"must be true or false: {raw!r}", expected="boolean")
    return text == "true"


_INT_MINIMUM: Final[dict[str, int]] = {
    "outage_allowance_slots": 0,
    "dispatch_hours_per_order": 1,
    "dispatch_orders_per_year": 1,
    "coal_capacity_factor_limit_pct": 0,
    "payment_lag_months": 0,
    "contribution_lag_months": 0,
}
#: decimals with a lower bound above 0 (a divisor of a rule)
_FRACTION_MINIMUM: Final[dict[str, Fraction]] = {"tight_hours_per_year": Fraction(1)}


def parse_params(values: Mapping[str, str]) -> RuleParams:
    """Typed parameters from value strings. Every name of ``RuleParams`` must be present; none other may be.

    Each value must have the type its rule needs (``RuleParams``); anything else raises ``InvalidParameter``.
    """
    unknown = sorted(set(values) - set(PARAMETER_NAMES))
    if unknown:
        raise InvalidParameter(unknown[0], "unknown parameter")
    missing = [n for n in PARAMETER_NAMES if n not in values]
    if missing:
        raise InvalidParameter(missing[0], "missing parameter")
    typed: dict[str, object] = {}
    for f in fields(RuleParams):
        raw = values[f.name]
        if f.type in ("bool", bool):
            typed[f.name] = _parse_bool(f.name, raw)
        elif f.type in ("int", int):
            typed[f.name] = _parse_int(f.name, raw, minimum=_INT_MINIMUM.get(f.name, 0))
        elif f.name == "dispatch_netting":
            if raw not in ("order", "slot"):
                raise InvalidParameter(f.name, f"must be 'order' or 'slot': {raw!r}", expected="choice")
            typed[f.name] = raw
        else:
            typed[f.name] = _parse_fraction(f.name, raw, minimum=_FRACTION_MINIMUM.get(f.name))
    return RuleParams(**typed)  # type: ignore[arg-type]


def resolve(name: str, overrides: Mapping[str, str] | None = None) -> tuple[RuleSetSpec, dict[str, str], RuleParams]:
    """A built-in rule set with overrides applied: (spec, the value strings used, typed parameters)."""
    spec = load_builtin(name)
    used = spec.values()
    for key, value in (overrides or {}).items():
        if key not in spec.parameters:
            raise InvalidParameter(key, "unknown parameter")
        used[key] = value
    return spec, used, parse_params(used)
