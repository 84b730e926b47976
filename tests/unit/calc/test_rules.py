"""Rule sets (rules.md §6): every parameter holds the type its rule needs; anything else is a clean error."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capmarket.calc.rules import (
    BUILTIN_RULESETS,
    InvalidParameter,
    UnableToLoadRuleSet,
    UnableToParseParameters,
    UnknownRuleSet,
    load_builtin,
    parse_params,
    resolve,
)

VALUES = load_builtin("jp-2025").values()


def test_builtin_rule_sets_parse() -> None:
    for name in BUILTIN_RULESETS:
        spec, used, params = resolve(name)
        assert spec.name == name
        assert used == spec.values()
        assert params.tight_hours_per_year == Fraction(60)


@pytest.mark.parametrize(("text", "hours"), [("12.5", Fraction(25, 2)), ("60", Fraction(60)), ("1", Fraction(1))])
def test_tight_hours_are_an_exact_decimal(text: str, hours: Fraction) -> None:
    assert parse_params({**VALUES, "tight_hours_per_year": text}).tight_hours_per_year == hours


@pytest.mark.parametrize(
    ("name", "value", "expected", "problem"),
    [
        ("tight_hours_per_year", "0", "decimal", "must be at least 1"),
        ("tight_hours_per_year", "0.5", "decimal", "must be at least 1"),
        ("tight_hours_per_year", "abc", "decimal", "not a decimal number"),
        ("tight_hours_per_year", 12.5, "decimal", "must be given as a string"),
        ("payment_lag_months", "2.5", "integer", "not a whole number"),
        ("payment_lag_months", 5, "integer", "must be given as a string"),
        ("payment_lag_months", None, "integer", "must be given as a string"),
        ("coal_restraint_enabled", True, "boolean", "must be given as a string"),
        ("coal_restraint_enabled", "yes", "boolean", "must be true or false"),
        ("dispatch_netting", "both", "choice", "must be 'order' or 'slot'"),
        ("tax_rate", ".", "decimal", "not a decimal number"),
        ("tax_rate", "1" * 500, "decimal", "longer than"),
    ],
)
def test_a_value_of_the_wrong_type_is_a_clean_error(name: str, value: object, expected: str, problem: str) -> None:
    with pytest.raises(UnableToParseParameters) as refused:
        parse_params({**VALUES, name: value})  # type: ignore[dict-item]

    assert refused.value.name == name
    assert refused.value.expected == expected
    assert problem in refused.value.problem


@given(value=st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.booleans(), st.none()))
def test_any_value_either_parses_or_is_refused_by_name(value: object) -> None:
    for name in ("tight_hours_per_year", "payment_lag_months", "coal_restraint_enabled", "dispatch_netting"):
        refused_name = name
        try:
            parse_params({**VALUES, name: value})  # type: ignore[dict-item]
        except UnableToParseParameters as exc:
            refused_name = exc.name
        assert refused_name == name


def test_unknown_rule_set_and_former_names() -> None:
    with pytest.raises(UnableToLoadRuleSet):
        resolve("jp-1999")
    assert UnknownRuleSet is UnableToLoadRuleSet
    assert InvalidParameter is UnableToParseParameters
