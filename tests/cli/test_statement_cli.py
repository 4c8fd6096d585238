"""`bookkeeper import-statement` and `bookkeeper statements …` on a sample company."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Cli

DATA = Path(__file__).resolve().parents[1] / "formats" / "statements" / "data"


@pytest.fixture
def sample(cli: Cli) -> Cli:
    assert cli("companies", "create", "Sample", "--sample", "--entries", "30").code == 0
    return cli


def test_import_asks_for_the_account_once_then_remembers_and_adds_nothing_twice(
        sample: Cli) -> None:
    ofx = str(DATA / "ours-checking-ofx102.ofx")
    unknown = sample("import-statement", ofx)
    assert unknown.code == 1
    assert "not linked to one of your accounts yet" in unknown.err
    assert "--account CODE" in unknown.err
    dry = sample("import-statement", ofx, "--account", "1000", "--dry-run")
    assert dry.code == 0
    assert "Dry run: nothing was changed." in dry.out
    assert "refused line 85: '2026111X' is not an OFX date (YYYYMMDD)" in dry.out
    assert sample("statements", "review", "--json").json() == []
    done = sample("import-statement", ofx, "--account", "1000")
    assert done.code == 0
    assert "→ Checking (chosen)" in done.out
    assert "Imported 6 line(s)" in done.out
    again = sample("import-statement", ofx, "--json")
    assert again.code == 0
    report = again.json()
    assert report["lines_created"] == 0
    assert {x["outcome"] for x in report["statements"][0]["lines"]} == {"duplicate"}


def test_rule_then_accept_above_then_accept_with_an_account(sample: Cli) -> None:
    assert sample("import-statement", str(DATA / "ours-checking-ofx102.ofx"),
                  "--account", "1000").code == 0
    rule = sample("statements", "rule", "COMCAST", "--account", "6081")
    assert rule.code == 0
    assert "1 waiting line(s) changed" in rule.out
    lines = sample("statements", "review", "--json").json()
    comcast = next(x for x in lines if "COMCAST" in x["text"])
    assert comcast["confidence"] == 100
    accepted = sample("statements", "accept-above", "90")
    assert "Approved 1 line(s)." in accepted.out
    fee = next(x for x in lines if "SERVICE FEE" in x["text"])
    refused = sample("statements", "accept", str(fee["id"]))
    assert refused.code == 1
    assert "Choose its account first" in refused.out
    assert sample("statements", "accept", str(fee["id"]), "--account", "6010").code == 0
    assert sample("statements", "skip", str(lines[0]["id"])).code == 0
    assert len(sample("statements", "review", "--json").json()) == len(lines) - 3


def test_rules_are_listed_and_deleted(sample: Cli) -> None:
    assert sample("statements", "rules").out.startswith("No rules yet.")
    assert sample("statements", "rule", "SHELL", "--account", "6100").code == 0
    listed = sample("statements", "rules", "--json").json()
    assert [(r["contains"], r["id"]) for r in listed] == [("SHELL", 1)]
    assert "Vehicle Expenses" in sample("statements", "rules").out
    assert sample("statements", "rule-delete", "1").code == 0
    assert sample("statements", "rules", "--json").json() == []
    missing = sample("statements", "rule-delete", "1")
    assert missing.code == 1
    assert "There is no rule #1." in missing.err
