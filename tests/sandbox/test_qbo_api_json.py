"""The QBO sandbox's JSON: amounts exact both ways, text that looks like a number stays text."""

from __future__ import annotations

import json
from decimal import Decimal

from bookkeeper_desktop.sandbox.qbo_json import dumps, loads


def test_decimals_are_written_digit_for_digit_as_numbers() -> None:
    text = dumps({"Amount": Decimal("1234567890123.45"), "Qty": 3, "Small": Decimal("0.10"),
                  "Negative": Decimal("-0.01")})
    assert text == (b'{"Amount":1234567890123.45,"Qty":3,"Small":0.10,"Negative":-0.01}')
    assert loads(text)["Amount"] == Decimal("1234567890123.45")


def test_reading_never_goes_through_float() -> None:
    payload = loads(b'{"a": 0.1, "b": 0.2, "n": 7}')
    assert payload["a"] + payload["b"] == Decimal("0.3")
    assert payload["n"] == 7


def test_text_that_looks_like_a_marked_number_stays_text() -> None:
    sneaky = '"qbo-dec-0:12.50"'
    text = dumps({"PrivateNote": sneaky, "Memo": "12.50", "Amount": Decimal("12.50")})
    assert json.loads(text) == {"PrivateNote": sneaky, "Memo": "12.50", "Amount": 12.5}
    assert loads(text)["Memo"] == "12.50"


def test_non_ascii_text_is_kept() -> None:
    assert loads(dumps({"Name": "Café Ünïcode — ok"}))["Name"] == "Café Ünïcode — ok"
