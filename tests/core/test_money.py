from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookkeeper_desktop.core.money import format_money, money, round_money


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", "12.00"), ("12.5", "12.50"), (" -3.10 ", "-3.10"), (7, "7.00"),
     (Decimal("0.01"), "0.01"), ("-0", "0.00"), ("85.0", "85.00")],
)
def test_money_makes_two_place_decimals(raw: object, expected: str) -> None:
    value = money(raw)  # type: ignore[arg-type]
    assert isinstance(value, Decimal)
    assert str(value) == expected


@pytest.mark.parametrize("raw", ["12.345", "0.001", "abc", "", "NaN", "Infinity"])
def test_money_refuses_what_is_not_cents(raw: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is checked below for one case
        money(raw)


def test_money_refuses_float_and_bool() -> None:
    with pytest.raises(TypeError, match="float"):
        money(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bool"):
        money(True)


def test_money_names_the_bad_value() -> None:
    with pytest.raises(ValueError, match="fractions of a cent"):
        money("1.005")


def test_round_money_rounds_half_away_from_zero() -> None:
    assert round_money(Decimal("1.005")) == Decimal("1.01")
    assert round_money(Decimal("-1.005")) == Decimal("-1.01")
    assert round_money(Decimal("-0.001")) == Decimal("0.00")
    assert str(round_money(Decimal("-0.001"))) == "0.00"


def test_format_money() -> None:
    assert format_money(Decimal("1234567.5")) == "1,234,567.50"
    assert format_money(Decimal("-1234.5"), thousands=False) == "-1234.50"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_money_from_cents_round_trips_through_text(cents: int) -> None:
    value = money(Decimal(cents) / 100)
    assert money(str(value)) == value
    assert value * 100 == cents
