"""What uses an account, in words a bookkeeper reads: "used by 3 entries", "used by 1 rule",
"mapped to the QuickBooks Online account 'Travel'". An account nothing uses can be removed
without losing anything (`services.coa_undo` removes the accounts an import added on that rule).

Every column of another table with a foreign key to `accounts` counts, found in the schema
itself, so a table added later is covered without a change here (it reads "used in <table>
(N)" until it gets words of its own in `_USE_WORDS`). A mapping counts once confirmed (a
proposal is only a suggestion); the chart's own parent link is the caller's business.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Column, distinct, func, select
from sqlalchemy.orm import Session

from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.storage.schema import AccountMappingRow, Base

_CHUNK = 500  # ids per IN (…): well under SQLite's and PostgreSQL's parameter limits


def counted(number: int, noun: str) -> str:
    """"1 rule", "3 rules"."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    """`ids` in lists short enough for one `IN (…)` on SQLite and PostgreSQL."""
    batch: list[int] = []
    for account_id in ids:
        batch.append(account_id)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _entries(number: int) -> str:
    return f"{number} entr{'y' if number == 1 else 'ies'}"


#: How a reference from another table reads in a reason: (table, column) → (words for a count,
#: the column whose distinct values are counted, or None to count rows).
_USE_WORDS: dict[tuple[str, str], tuple[Callable[[int], str], str | None]] = {
    ("journal_lines", "account_id"): (lambda n: f"used by {_entries(n)}", "entry_id"),
    ("statement_accounts", "account_id"): (
        lambda n: "linked to a bank or card statement account", None),
    ("statement_lines", "account_id"): (
        lambda n: f"holds {counted(n, 'statement line')}", None),
    ("statement_lines", "proposed_account_id"): (
        lambda n: f"proposed for {counted(n, 'statement line')}", None),
    ("statement_rules", "account_id"): (lambda n: f"used by {counted(n, 'rule')}", None),
    ("categoriser_counts", "account_id"): (
        lambda n: "learned from approved statement lines", None),
}


def _use_words(table: str, column: str) -> tuple[Callable[[int], str], str | None]:
    known = _USE_WORDS.get((table, column))
    if known is not None:
        return known
    return (lambda n: f"used in {table.replace('_', ' ')} ({n})"), None


def _account_references() -> list[Column[Any]]:
    """Every column of another table that points at an account (from the schema itself, so a
    table added later counts without a change here). The chart's own parent link is the
    subaccount rule; mappings count only when confirmed (`account_uses`)."""
    columns = []
    for table in Base.metadata.sorted_tables:
        if table.name in ("accounts", "account_mappings"):
            continue
        for key in table.foreign_keys:
            if key.column.table.name == "accounts":
                columns.append(key.parent)
    return columns


def account_uses(session: Session, account_ids: set[int]) -> defaultdict[int, list[str]]:
    """Account id → what uses it, in words, for the accounts of `account_ids` that are used."""
    reasons: defaultdict[int, list[str]] = defaultdict(list)
    if not account_ids:
        return reasons
    for column in _account_references():
        words, counted_name = _use_words(column.table.name, column.name)
        counted = (func.count(distinct(column.table.c[counted_name])) if counted_name
                   else func.count())
        for batch in chunks(sorted(account_ids)):
            for account_id, number in session.execute(
                    select(column, counted).where(column.in_(batch)).group_by(column)):
                reasons[int(account_id)].append(words(int(number)))
    for batch in chunks(sorted(account_ids)):
        for account_id, provider, remote in session.execute(
                select(AccountMappingRow.account_id, AccountMappingRow.provider,
                       func.coalesce(AccountMappingRow.remote_name, AccountMappingRow.remote_code,
                                     AccountMappingRow.remote_id))
                .where(AccountMappingRow.account_id.in_(batch),
                       AccountMappingRow.state == "confirmed")):
            where = Provider(provider).display_name
            reasons[int(account_id)].append(f"mapped to the {where} account '{remote}'")
    return reasons
