"""Hypothesis strategies for ledger values, shared by the core, storage and format tests."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import strategies as st

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.journal import JournalEntry, JournalLine
from bookkeeper_desktop.core.money import money

amounts = st.integers(min_value=1, max_value=10**11).map(lambda cents: money(Decimal(cents) / 100))
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2035, 12, 31))
texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40
)


def chart(size: int = 6) -> dict[int, Account]:
    """A small chart with ids 1..size, all active and posting."""
    types = [t for t in AccountType if t is not AccountType.NON_POSTING]
    return {
        i: Account(f"Account {i}", types[i % len(types)], code=str(1000 + i), id=i)
        for i in range(1, size + 1)
    }


@st.composite
def balanced_lines(draw: st.DrawFn, account_ids: list[int]) -> tuple[JournalLine, ...]:
    """Debit lines and credit lines whose totals are equal, in a random order."""
    debits = draw(st.lists(amounts, min_size=1, max_size=4))
    total = sum(debits, Decimal("0.00"))
    # Split the total into 1..4 positive credit parts.
    cents = int(total * 100)
    parts = draw(st.integers(min_value=1, max_value=min(4, cents)))
    cuts = sorted(draw(st.sets(st.integers(1, cents - 1), min_size=parts - 1, max_size=parts - 1))
                  ) if parts > 1 else []
    bounds = [0, *cuts, cents]
    credits = [money(Decimal(b - a) / 100) for a, b in itertools.pairwise(bounds)]
    account = st.sampled_from(account_ids)
    lines = [JournalLine(draw(account), debit=d, description=draw(texts)) for d in debits]
    lines += [JournalLine(draw(account), credit=c, description=draw(texts)) for c in credits]
    return tuple(draw(st.permutations(lines)))


@st.composite
def balanced_entries(draw: st.DrawFn, account_ids: list[int]) -> JournalEntry:
    return JournalEntry(
        date=draw(dates),
        lines=draw(balanced_lines(account_ids)),
        number=draw(st.text(alphabet="ABCDEFGHJK0123456789-", max_size=12)),
        memo=draw(texts),
    )


@st.composite
def unbalanced_entries(draw: st.DrawFn, account_ids: list[int]) -> JournalEntry:
    """A balanced entry with one line's amount nudged by a non-zero number of cents."""
    entry = draw(balanced_entries(account_ids))
    index = draw(st.integers(0, len(entry.lines) - 1))
    line = entry.lines[index]
    nudge = money(Decimal(draw(st.integers(1, 10**6))) / 100)
    changed = (
        line.__class__(line.account_id, debit=line.debit + nudge, description=line.description)
        if line.debit else
        line.__class__(line.account_id, credit=line.credit + nudge, description=line.description)
    )
    lines = (*entry.lines[:index], changed, *entry.lines[index + 1:])
    return entry.with_changes(lines=lines)
