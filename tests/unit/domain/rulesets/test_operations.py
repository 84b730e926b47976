"""Japanese wording of rule-set parameter errors: worded from the parser's expected type and minimum."""

from __future__ import annotations

import pytest

from capmarket.calc.rules import InvalidParameter, load_builtin, parse_params
from capmarket.domain.rulesets.operations import describe_invalid_parameter


def _error_for(name: str, value: object) -> InvalidParameter:
    values: dict[str, object] = dict(load_builtin(name="jp-2025").values())
    values[name] = value
    with pytest.raises(InvalidParameter) as caught:
        parse_params(values=values)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("tight_hours_per_year", "0", "tight_hours_per_year: 1以上の数値（小数可）で入力してください（例: 12.5）。"),
        ("tight_hours_per_year", "abc", "tight_hours_per_year: 1以上の数値（小数可）で入力してください（例: 12.5）。"),
        ("outage_rate", "-0.1", "outage_rate: 0以上の数値（小数可）で入力してください（例: 0.35）。"),
        ("outage_rate", "1/3", "outage_rate: 0以上の数値（小数可）で入力してください（例: 0.35）。"),
        ("dispatch_hours_per_order", "0", "dispatch_hours_per_order: 1以上の整数で入力してください。"),
        ("dispatch_hours_per_order", "1.5", "dispatch_hours_per_order: 1以上の整数で入力してください。"),
        ("payment_lag_months", "-1", "payment_lag_months: 0以上の整数で入力してください。"),
        ("payment_lag_months", 2, "payment_lag_months: 0以上の整数で入力してください。"),
        ("coal_restraint_enabled", "yes", "coal_restraint_enabled: true または false を入力してください。"),
        ("dispatch_netting", "hourly", "dispatch_netting: order または slot を入力してください。"),
    ],
)
def test_every_parameter_error_is_worded_by_the_type_and_minimum_the_rule_needs(
    name: str, value: object, message: str
) -> None:
    error = _error_for(name, value)

    assert describe_invalid_parameter(error=error) == message


def test_a_decimal_with_a_lower_bound_is_not_called_a_whole_number() -> None:
    message = describe_invalid_parameter(error=_error_for("tight_hours_per_year", "0"))

    assert "整数" not in message
    assert "1以上" in message


def test_unknown_and_missing_names_are_said_so() -> None:
    unknown = InvalidParameter("foo", "unknown parameter")
    missing = InvalidParameter("outage_rate", "missing parameter")

    assert describe_invalid_parameter(error=unknown) == "foo: 未知のパラメータです。"
    assert describe_invalid_parameter(error=missing) == "outage_rate: 値がありません。"
