"""Payee normalising and the proposal model, without a database: evidence order (rules, payee
history, words), confidences and reasons read from counts, incremental learning."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bookkeeper_desktop.core.categorise import (
    Example,
    Model,
    ProposalSource,
    Rule,
    propose,
)
from bookkeeper_desktop.core.payees import normalise_payee, payee_words

NAMES = {1: "Vehicle Expenses", 2: "Office Supplies", 3: "Software", 4: "Meals"}
OUT = Decimal("-20.00")


@pytest.mark.parametrize(("text", "payee"), [
    ("POS 1234 SHELL 2231 LONDON GB 03/11", "SHELL"),
    ("DEBIT CARD PURCHASE XXXX4417 SHELL OIL 57442 AUSTIN TX", "SHELL OIL"),
    ("Shell Oil Austin Tx", "SHELL OIL"),
    ("CARD PAYMENT TO TESCO STORES 3297 ON 12 NOV", "TESCO STORES"),
    ("AMZN Mktp US*2K4YT7Q60 Amzn.com/bill WA", "AMZN MKTP"),
    ("SQ *BLUE BOTTLE COFFEE San Francisco CA", "BLUE BOTTLE COFFEE"),
    ("MCDONALD'S #112 POS MERCHANDISE;MCDONALD'S #112", "MCDONALDS MERCHANDISE"),
    ("AT&T MOBILITY", "AT&T MOBILITY"),
    ("12345 0987", ""),
])
def test_payees_are_normalised(text: str, payee: str) -> None:
    assert normalise_payee(text) == payee


def test_payee_words_drop_numbers_places_and_bank_words() -> None:
    assert payee_words("POS PURCHASE BLUE BOTTLE COFFEE #12 SEATTLE WA 11/03") == [
        "blue", "bottle", "coffee"]


def _learn(model: Model, text: str, account: int, day: int, contact: str = "") -> None:
    model.learn(Example(text, OUT, dt.date(2026, 11, day), account, contact))


def test_payee_history_gives_the_majority_with_counts_and_the_last_date() -> None:
    model = Model()
    for day in range(1, 4):
        _learn(model, f"SHELL OIL {day}2231 AUSTIN TX", 1, day, "Shell")
    proposal = propose(model, [], "POS SHELL OIL 9999 DALLAS TX", OUT, NAMES)
    assert proposal.source is ProposalSource.PAYEE
    assert (proposal.account_id, proposal.contact) == (1, "Shell")
    assert proposal.reason == ("3 earlier payments to 'SHELL OIL' went to Vehicle Expenses; "
                               "the last on 3 Nov 2026.")
    assert proposal.percent == 88
    _learn(model, "SHELL OIL", 4, 5)  # a correction lowers the confidence at once
    again = propose(model, [], "SHELL OIL", OUT, NAMES)
    assert again.account_id == 1
    assert again.percent == 70
    assert "3 of 4 earlier payments" in again.reason
    assert "1 to Meals" in again.reason


def test_confidence_grows_with_agreement() -> None:
    model = Model()
    percents = []
    for day in range(1, 13):
        _learn(model, "ADOBE CREATIVE CLOUD", 3, day)
        percents.append(propose(model, [], "ADOBE CREATIVE CLOUD", OUT, NAMES).percent)
    assert percents[0] == 75
    assert percents[4] == 92
    assert percents == sorted(percents)


def test_a_rule_wins_over_history_and_respects_direction() -> None:
    model = Model()
    _learn(model, "AMAZON MKTPLACE", 2, 1)
    rules = [Rule("amazon", 3, "Amazon", "GST", direction="out")]
    proposal = propose(model, rules, "AMAZON MKTPLACE 0042", OUT, NAMES)
    assert (proposal.source, proposal.account_id, proposal.percent, proposal.tax_code) == (
        ProposalSource.RULE, 3, 100, "GST")
    refund = propose(model, rules, "AMAZON MKTPLACE 0042", Decimal("5.00"), NAMES)
    assert refund.source is ProposalSource.PAYEE


def test_words_speak_for_a_payee_never_seen() -> None:
    model = Model()
    for day, text in enumerate(["BLUE BOTTLE COFFEE", "PHILZ COFFEE", "COFFEE BEAN"], 1):
        _learn(model, text, 4, day)
    _learn(model, "STAPLES", 2, 4)
    proposal = propose(model, [], "SIGHTGLASS COFFEE", OUT, NAMES)
    assert proposal.source is ProposalSource.WORDS
    assert proposal.account_id == 4
    assert "'coffee' on 3 of its 3 lines" in proposal.reason
    assert proposal.confidence < 0.9


def test_nothing_known_is_said_so_and_inactive_accounts_are_not_proposed() -> None:
    model = Model()
    nothing = propose(model, [], "POS NEW PLACE 1234", OUT, NAMES)
    assert (nothing.account_id, nothing.source) == (None, ProposalSource.NONE)
    assert nothing.contact == "New Place"  # the payee, until the user names it otherwise
    _learn(model, "STAPLES", 2, 1)
    assert propose(model, [], "STAPLES", OUT, NAMES, allowed={1, 3}).account_id is None


def test_learning_records_what_changed_for_saving() -> None:
    model = Model()
    _learn(model, "STAPLES 00123", 2, 1)
    payees, words = model.take_changes()
    assert payees == {("STAPLES", 2)}
    assert ("staples", 2) in words
    assert model.take_changes() == (set(), set())
