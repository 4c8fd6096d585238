"""Pairing our accounts with a provider's: which kinds of account may stand for each other, and
the proposals (with their reasons and warnings) that the mapping editor shows.

Two accounts are **compatible** when they are the same *kind*: a receivable only with a
receivable, a payable only with a payable, a bank with a bank, other assets with other assets,
income with income, expenses (COGS, expense, other expense) with expenses, and so on. A credit
card is also compatible with a bank account (Xero keeps cards as BANK accounts) and with a
current liability (what we write for one in Xero). A proposal never crosses incompatible kinds.

Proposals are made in this order, each remote account used once:
1. same number, compatible type and names that agree (a shared word) — "number, name and type";
2. same full name, then same normalised name (case, spacing, punctuation and a bracketed
   abbreviation ignored), compatible type — "name and type";
3. the only receivable (payable) account left on each side — "the only one of its type";
4. the same last part of the name under another parent — "name and type", warning "parent
   account differs"; then names sharing a word, when only one remote account does — "name and
   type", warning "names differ";
5. same number, compatible type, names unrelated — "number and type", with the warning "names
   differ" (this is how "6080 Utilities" would meet "6080 Travel:Meals").
A compatible pair whose types still differ in the provider's terms (Expense / Cost of Goods Sold)
gets the warning "type differs". A proposal without a warning is **exact**: it may be confirmed on
its own (a setting); one with a warning waits for the user, who is asked before it is confirmed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bookkeeper_desktop.core.accounts import (
    Account,
    AccountType,
    split_path,
    to_qbo_api,
    to_xero_code,
    type_key,
)


class AccountKind(StrEnum):
    """What an account is for, as far as standing in for another goes."""

    BANK = "bank"
    RECEIVABLE = "receivable"
    OTHER_ASSET = "asset"
    PAYABLE = "payable"
    CREDIT_CARD = "credit card"
    OTHER_LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"
    NON_POSTING = "non-posting"


_KIND_OF: dict[AccountType, AccountKind] = {
    AccountType.BANK: AccountKind.BANK,
    AccountType.ACCOUNTS_RECEIVABLE: AccountKind.RECEIVABLE,
    AccountType.OTHER_CURRENT_ASSET: AccountKind.OTHER_ASSET,
    AccountType.FIXED_ASSET: AccountKind.OTHER_ASSET,
    AccountType.OTHER_ASSET: AccountKind.OTHER_ASSET,
    AccountType.ACCOUNTS_PAYABLE: AccountKind.PAYABLE,
    AccountType.CREDIT_CARD: AccountKind.CREDIT_CARD,
    AccountType.OTHER_CURRENT_LIABILITY: AccountKind.OTHER_LIABILITY,
    AccountType.LONG_TERM_LIABILITY: AccountKind.OTHER_LIABILITY,
    AccountType.EQUITY: AccountKind.EQUITY,
    AccountType.INCOME: AccountKind.INCOME,
    AccountType.OTHER_INCOME: AccountKind.INCOME,
    AccountType.COST_OF_GOODS_SOLD: AccountKind.EXPENSE,
    AccountType.EXPENSE: AccountKind.EXPENSE,
    AccountType.OTHER_EXPENSE: AccountKind.EXPENSE,
    AccountType.NON_POSTING: AccountKind.NON_POSTING,
}

#: Pairs of different kinds that may still stand for each other (both directions).
_ALSO_COMPATIBLE: frozenset[frozenset[AccountKind]] = frozenset({
    frozenset({AccountKind.CREDIT_CARD, AccountKind.BANK}),
    frozenset({AccountKind.CREDIT_CARD, AccountKind.OTHER_LIABILITY}),
})


def kind_of(account_type: AccountType) -> AccountKind:
    return _KIND_OF[account_type]


def compatible(ours: AccountType, theirs: AccountType) -> bool:
    """May an account of type `ours` be mapped to a remote account of type `theirs`?"""
    a, b = kind_of(ours), kind_of(theirs)
    return a is b or frozenset({a, b}) in _ALSO_COMPATIBLE


def same_type_at(provider: str, ours: AccountType, theirs: AccountType) -> bool:
    """Do the two types say the same thing in the provider's own terms? (Xero has one EXPENSE
    for our expense and other expense, so those do not differ there.)"""
    if provider == "xero":
        return to_xero_code(ours) == to_xero_code(theirs)
    return to_qbo_api(ours) == to_qbo_api(theirs)


class MatchReason(StrEnum):
    """Why a proposal was made: the words the mapping table shows and stores."""

    NUMBER_NAME_TYPE = "number, name and type"
    NAME_TYPE = "name and type"
    NUMBER_TYPE = "number and type"
    #: The only receivable (payable) account on each side.
    ONLY_OF_TYPE = "the only one of its type"


WARNING_NAMES_DIFFER = "names differ"
WARNING_PARENT_DIFFERS = "parent account differs"


@dataclass(frozen=True)
class Match:
    """Our account ↔ a remote account, why, and what the user should look at (`warnings`:
    empty for an exact match)."""

    account: Account
    remote: Account
    reason: MatchReason
    warnings: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        return not self.warnings

    @property
    def warning(self) -> str:
        return "; ".join(self.warnings)


_WORD = re.compile(r"[a-z0-9]+")
#: Words that say nothing about what an account is for.
_FILLER = frozenset({"and", "of", "the", "for", "other", "expense", "expenses", "income",
                     "account", "accounts", "a", "to", "on", "in", "misc"})


def _words(full_name: str) -> set[str]:
    words: set[str] = set()
    for part in split_path(full_name):
        words |= {w.rstrip("s") for w in _WORD.findall(part.lower()) if w not in _FILLER}
    return words - {""}


def names_agree(a: str, b: str) -> bool:
    """Two names that share a meaningful word ("Vehicle Expenses" / "Vehicles") or are equal
    once normalised."""
    return type_key(a) == type_key(b) or bool(_words(a) & _words(b))


def _name_key(account: Account) -> str:
    """The full name without case, spacing, punctuation or a bracketed abbreviation:
    "Accounts Receivable (A/R)" and "accounts receivable" meet."""
    return type_key(" ".join(re.sub(r"\([^)]*\)", " ", part)
                             for part in split_path(account.full_name)))


#: Kinds a company normally has one account of: when each side has exactly one left, they are
#: each other's, whatever the names.
_ONE_OF_A_KIND = frozenset({AccountKind.RECEIVABLE, AccountKind.PAYABLE})


def type_warning(provider: str, ours: Account, theirs: Account) -> str | None:
    if same_type_at(provider, ours.type, theirs.type):
        return None
    return f"type differs: {ours.type.label} here, {theirs.type.label} there"


def match_accounts(our_accounts: Sequence[Account], remote_accounts: Sequence[Account], *,
                   provider: str = "qbo") -> list[Match]:
    """Pair each of our accounts with at most one compatible remote account (module docstring);
    each remote account is used once."""
    matches: list[Match] = []
    ours_left = list(our_accounts)
    remote_left = list(remote_accounts)

    def run(reason: MatchReason, key: Callable[[Account], Hashable | None],
            accept: Callable[[Account, Account], bool], extra: tuple[str, ...] = ()) -> None:
        nonlocal ours_left, remote_left
        index: dict[Hashable, list[Account]] = {}
        for remote in remote_left:
            k = key(remote)
            if k:
                index.setdefault(k, []).append(remote)
        used: set[int] = set()
        still: list[Account] = []
        for ours in ours_left:
            k = key(ours)
            found = next((r for r in index.get(k, []) if id(r) not in used and accept(ours, r)),
                         None) if k else None
            if found is None:
                still.append(ours)
                continue
            used.add(id(found))
            typed = type_warning(provider, ours, found)
            warnings = (*((typed,) if typed else ()), *extra)
            matches.append(Match(ours, found, reason, warnings))
        ours_left = still
        remote_left = [r for r in remote_left if id(r) not in used]

    def fits(ours: Account, theirs: Account) -> bool:
        return compatible(ours.type, theirs.type)

    def number(account: Account) -> str | None:
        return account.code or None

    run(MatchReason.NUMBER_NAME_TYPE, number,
        lambda o, r: fits(o, r) and names_agree(o.full_name, r.full_name))
    run(MatchReason.NAME_TYPE, lambda a: a.full_name, fits)
    run(MatchReason.NAME_TYPE, _name_key, fits)
    for kind in sorted(_ONE_OF_A_KIND):
        def of_kind(account: Account, kind: AccountKind = kind) -> str | None:
            return kind.value if kind_of(account.type) is kind else None

        if all(sum(1 for a in side if of_kind(a)) == 1 for side in (ours_left, remote_left)):
            run(MatchReason.ONLY_OF_TYPE, of_kind, fits)
    # The same last part under another parent ("Equipment:Accumulated Depreciation" /
    # "Accumulated Depreciation"), then one shared word with one candidate only: worth a look.
    run(MatchReason.NAME_TYPE, lambda a: _name_key(a.with_changes(full_name=a.name)), fits,
        (WARNING_PARENT_DIFFERS,))
    similar: list[tuple[Account, Account]] = []
    for ours in ours_left:
        candidates = [r for r in remote_left if fits(ours, r)
                      and names_agree(ours.name, r.name)]
        if len(candidates) == 1:
            similar.append((ours, candidates[0]))
    taken = [id(r) for _, r in similar]
    for ours, theirs in similar:
        if taken.count(id(theirs)) == 1:  # two of ours want it: the user decides
            typed = type_warning(provider, ours, theirs)
            matches.append(Match(ours, theirs, MatchReason.NAME_TYPE,
                                 (*((typed,) if typed else ()), WARNING_NAMES_DIFFER)))
    used = {id(m.account) for m in matches} | {id(m.remote) for m in matches}
    ours_left = [a for a in ours_left if id(a) not in used]
    remote_left = [r for r in remote_left if id(r) not in used]
    run(MatchReason.NUMBER_TYPE, number, fits, (WARNING_NAMES_DIFFER,))
    return matches
