"""Proposing the counter-account, contact and tax code of a statement line, with the reason in
words. Pure Python, no Qt, no I/O: `storage`/`services` load and save the counts.

Order of evidence (the first that speaks wins):
1. the user's own rules ("description contains SHELL → Motor Vehicle Expenses"), certain;
2. the same payee seen before: the account most of its earlier lines went to, with how many and
   when ("12 earlier payments to 'SHELL' went to Motor Vehicle Expenses; the last on 3 Nov");
3. the words of the line (naive Bayes over payee and description words, plus the direction of
   the money), with the words that weighed most and how often each went to that account.

Why naive Bayes over word counts, and not a trained classifier (logistic regression, gradient
boosting, embeddings): its state is a table of counts, so an approval updates it at once (no
retraining), it survives restarts as rows in the database, its reasons are those counts read out
("'fuel' was on 8 of the 40 lines that went to Motor Vehicle Expenses"), it proposes for 10,000
lines in well under a second in pure Python, and it adds nothing to the bundle (scikit-learn and
NumPy would add 60+ MB to a bundle that must stay under 220 MB). Accuracy against the plain
baseline (the account last used for the same payee) is measured in `benchmarks/
statement_proposals.py` and written in `benchmarks/RESULTS.md`.

The model learns only from lines the user created or approved in this app: Xero's developer
terms forbid training on data pulled from its API, so entries pulled from QBO or Xero never
reach `learn` (the service that calls it checks the entry's source).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from bookkeeper_desktop.core.payees import contact_name, normalise_payee, payee_words

#: Word feature added for the direction of the money.
MONEY_IN, MONEY_OUT = "<money in>", "<money out>"
#: Laplace smoothing of the word counts.
ALPHA = 0.5
#: Words of one line considered (long CAMT remittance texts add little after this).
MAX_WORDS = 12


class ProposalSource(StrEnum):
    RULE = "rule"
    PAYEE = "payee"
    WORDS = "words"
    NONE = "none"


@dataclass(frozen=True)
class Rule:
    """The user's rule: lines whose text contains `contains` (any case) get this account,
    contact and tax code. `direction` limits it to money "in" or "out" ("" for both)."""

    contains: str
    account_id: int
    contact: str = ""
    tax_code: str = ""
    direction: str = ""
    id: int | None = None

    def matches(self, text: str, amount: Decimal) -> bool:
        if self.direction == "in" and amount < 0:
            return False
        if self.direction == "out" and amount > 0:
            return False
        needle = " ".join(self.contains.upper().split())
        return bool(needle) and needle in " ".join(text.upper().split())


@dataclass
class PayeeTally:
    """How often lines of one payee went to one account, the last date, and the contact and tax
    code they had the last time."""

    count: int = 0
    last_date: dt.date | None = None
    contact: str = ""
    tax_code: str = ""


@dataclass(frozen=True)
class Example:
    """A line the user approved: its text, amount and date, and where it went."""

    text: str
    amount: Decimal
    date: dt.date
    account_id: int
    contact: str = ""
    tax_code: str = ""


@dataclass(frozen=True)
class Proposal:
    account_id: int | None
    confidence: float
    reason: str
    source: ProposalSource
    contact: str = ""
    tax_code: str = ""
    payee: str = ""

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


def words_of(text: str, amount: Decimal) -> list[str]:
    return [*payee_words(text)[:MAX_WORDS], MONEY_IN if amount > 0 else MONEY_OUT]


@dataclass
class Model:
    """The learned counts of one company. `payees[payee][account]` and `words[word][account]`;
    `changed` collects the keys `learn` touched since the last `take_changes` (for saving)."""

    payees: dict[str, dict[int, PayeeTally]] = field(default_factory=dict)
    words: dict[str, dict[int, int]] = field(default_factory=dict)
    lines_per_account: dict[int, int] = field(default_factory=dict)
    changed_payees: set[tuple[str, int]] = field(default_factory=set)
    changed_words: set[tuple[str, int]] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.lines_per_account.values())

    def load_payee(self, payee: str, account_id: int, tally: PayeeTally) -> None:
        self.payees.setdefault(payee, {})[account_id] = tally
        self.lines_per_account[account_id] = self.lines_per_account.get(account_id, 0) \
            + tally.count

    def load_word(self, word: str, account_id: int, count: int) -> None:
        self.words.setdefault(word, {})[account_id] = count

    def learn(self, example: Example) -> None:
        """Count one approved line (at once: the next proposal already knows it)."""
        payee = normalise_payee(example.text)
        tally = self.payees.setdefault(payee, {}).setdefault(example.account_id, PayeeTally())
        tally.count += 1
        if tally.last_date is None or example.date >= tally.last_date:
            tally.last_date = example.date
            tally.contact = example.contact or tally.contact
            tally.tax_code = example.tax_code or tally.tax_code
        self.changed_payees.add((payee, example.account_id))
        self.lines_per_account[example.account_id] = \
            self.lines_per_account.get(example.account_id, 0) + 1
        for word in words_of(example.text, example.amount):
            counts = self.words.setdefault(word, {})
            counts[example.account_id] = counts.get(example.account_id, 0) + 1
            self.changed_words.add((word, example.account_id))

    def take_changes(self) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
        changes = (self.changed_payees, self.changed_words)
        self.changed_payees, self.changed_words = set(), set()
        return changes


def propose(
    model: Model,
    rules: Sequence[Rule],
    text: str,
    amount: Decimal,
    account_names: Mapping[int, str],
    *,
    allowed: Iterable[int] | None = None,
) -> Proposal:
    """The proposal for one line. `account_names` names accounts in reasons; `allowed` (when
    given) keeps proposals to accounts that can still take entries (active, posting)."""
    proposal = _propose(model, rules, text, amount, account_names, allowed=allowed)
    if proposal.contact or not proposal.payee:
        return proposal
    # Bank spend and receive money carry a contact (Xero requires one): the payee, until the
    # user names it otherwise (the name they choose is learned with the line).
    return replace(proposal, contact=contact_name(proposal.payee))


def _propose(model: Model, rules: Sequence[Rule], text: str, amount: Decimal,
             account_names: Mapping[int, str], *, allowed: Iterable[int] | None) -> Proposal:
    usable = set(allowed) if allowed is not None else None
    payee = normalise_payee(text)
    for rule in rules:
        if rule.matches(text, amount) and (usable is None or rule.account_id in usable):
            name = account_names.get(rule.account_id, "?")
            return Proposal(rule.account_id, 1.0,
                            f"Your rule: description contains '{rule.contains}' → {name}.",
                            ProposalSource.RULE, rule.contact, rule.tax_code, payee)
    by_payee = _from_payee(model, payee, amount, account_names, usable)
    if by_payee is not None:
        return by_payee
    by_words = _from_words(model, text, amount, account_names, usable, payee=payee)
    if by_words is not None:
        return by_words
    return Proposal(None, 0.0, "Nothing like this line has been approved before.",
                    ProposalSource.NONE, payee=payee)


def _from_payee(model: Model, payee: str, amount: Decimal, names: Mapping[int, str],
                usable: set[int] | None) -> Proposal | None:
    tallies = {a: t for a, t in model.payees.get(payee, {}).items()
               if usable is None or a in usable} if payee else {}
    if not tallies:
        return None
    seen = sum(t.count for t in tallies.values())
    account_id, tally = max(tallies.items(),
                            key=lambda item: (item[1].count, item[1].last_date or dt.date.min))
    # Agreement of the earlier lines, shrunk while there are few of them: 1 of 1 → 75%,
    # 3 of 3 → 88%, 5 of 5 → 92%, 12 of 12 → 96%, 6 of 12 → 50%.
    confidence = (tally.count + 0.5) / (seen + 1)
    kind = "payments to" if amount < 0 else "receipts from"
    last = f"; the last on {_day(tally.last_date)}" if tally.last_date else ""
    if tally.count == seen:
        reason = (f"{tally.count} earlier {_plural(tally.count, kind)} '{payee}' went to "
                  f"{names.get(account_id, '?')}{last}.")
    else:
        others = ", ".join(f"{t.count} to {names.get(a, '?')}" for a, t in
                           sorted(tallies.items(), key=lambda i: -i[1].count) if a != account_id)
        reason = (f"{tally.count} of {seen} earlier {_plural(seen, kind)} '{payee}' went to "
                  f"{names.get(account_id, '?')}{last} ({others}).")
    return Proposal(account_id, confidence, reason, ProposalSource.PAYEE, tally.contact,
                    tally.tax_code, payee)


def _from_words(model: Model, text: str, amount: Decimal, names: Mapping[int, str],
                usable: set[int] | None, *, payee: str) -> Proposal | None:
    words = words_of(text, amount)
    known = [w for w in words if w in model.words and not w.startswith("<")]
    if not known:
        return None
    candidates = {a for w in known for a in model.words[w]
                  if usable is None or a in usable}
    if not candidates:
        return None
    total = model.total
    scores: dict[int, float] = {}
    for account_id in candidates:
        lines = model.lines_per_account.get(account_id, 0)
        score = math.log((lines + 1) / (total + len(model.lines_per_account)))
        for word in words:
            count = model.words.get(word, {}).get(account_id, 0)
            score += math.log((count + ALPHA) / (lines + 2 * ALPHA))
        scores[account_id] = score
    best = max(scores, key=lambda a: scores[a])
    top = scores[best]
    posterior = 1.0 / sum(math.exp(s - top) for s in scores.values())
    support = max(model.words[w].get(best, 0) for w in known)
    confidence = posterior * support / (support + 1)
    lines = model.lines_per_account.get(best, 0)
    telling = sorted((w for w in known if model.words[w].get(best)),
                     key=lambda w: -model.words[w][best])[:3]
    evidence = ", ".join(f"'{w}' on {model.words[w][best]} of its {lines} lines"
                         for w in telling)
    reason = (f"No earlier line from '{payee or text}'; its words point to "
              f"{names.get(best, '?')}: {evidence}.")
    return Proposal(best, confidence, reason, ProposalSource.WORDS, "", "", payee)


def _plural(count: int, phrase: str) -> str:
    """"payments to" stays for many; one gets "payment to"."""
    return phrase if count != 1 else phrase.replace("payments", "payment").replace(
        "receipts", "receipt")


_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec")


def _day(day: dt.date | None) -> str:
    """"3 Nov 2026" (not strftime, which is slow and follows the locale)."""
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}" if day else ""
