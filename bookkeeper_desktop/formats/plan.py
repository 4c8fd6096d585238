"""The chart-of-accounts import preview, pure: what a parsed chart would add to, change in and
skip from the company's chart, and every error with its file line. Storage applies it (all or
nothing) in `services.coa_import`.

Rules (decided here, shown in the preview):
- A file row matches an existing account by **code** first, then by **full name** (any case).
  A code that belongs to one account while the name belongs to another is an error.
- A matched account is **updated** with what the file says: name (when matched by code), code,
  type, original type label and source, detail type, description, tax code, active. A blank in the
  file never erases what the chart has (exports often leave descriptions empty); accounts of the
  chart that the file does not mention are left alone (an import adds and corrects, it never
  deletes or archives).
- A row identical to its account is **skipped** ("already in the chart"); so are rows the reader
  set aside (Xero-internal system accounts) with their reason.
- A subaccount whose parent is in neither the file nor the chart gets its parent **created**, as
  an account of the child's type, listed as an add with a note naming the child's line.
- Unknown types, unreadable rows and duplicates (reported by the reader), and clashes with the
  chart are **errors**; any error makes `can_apply` false: nothing is imported.

`propose_mappings` pairs our accounts with a remote chart (an imported QBO/Xero chart now, the
remote accounts sync pulls later): by number with a compatible type, then by name, never across
incompatible kinds (`core.account_matching`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bookkeeper_desktop.core.account_matching import match_accounts
from bookkeeper_desktop.core.accounts import (
    Account,
    AccountSource,
    parent_path,
)
from bookkeeper_desktop.core.errors import LineProblem
from bookkeeper_desktop.formats.common import ChartRow, ParsedChart

#: The fields an import sets, in the order the preview lists changes.
UPDATABLE_FIELDS = ("full_name", "code", "type", "original_type", "source", "detail_type",
                    "description", "tax_code", "active")
#: Fields where a blank in the file keeps the chart's value.
_BLANK_KEEPS = frozenset({"code", "detail_type", "description", "tax_code"})


@dataclass(frozen=True)
class PlannedAdd:
    line: int | None  # None for a parent created for a subaccount
    account: Account
    note: str = ""


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.field.replace('_', ' ')}: '{self.old}' → '{self.new}'"


@dataclass(frozen=True)
class PlannedUpdate:
    line: int
    existing: Account
    updated: Account
    changes: tuple[FieldChange, ...]

    @property
    def summary(self) -> str:
        return "; ".join(str(c) for c in self.changes)


@dataclass(frozen=True)
class PlannedSkip:
    line: int
    full_name: str
    reason: str


@dataclass(frozen=True)
class ImportPreview:
    """What applying the import would do. `can_apply` is false when there is any error."""

    file_name: str
    format_label: str
    source: AccountSource
    adds: tuple[PlannedAdd, ...]
    updates: tuple[PlannedUpdate, ...]
    skips: tuple[PlannedSkip, ...]
    errors: tuple[LineProblem, ...]
    notes: tuple[LineProblem, ...] = ()
    provider: str | None = None
    #: Every account the file lists, as read: the provider's chart for mapping proposals.
    file_accounts: tuple[Account, ...] = ()
    #: SHA-256 of the file previewed.
    sha256: str | None = None

    @property
    def can_apply(self) -> bool:
        return not self.errors

    @property
    def changes_anything(self) -> bool:
        return bool(self.adds or self.updates)

    def summary_line(self) -> str:
        return (f"{len(self.adds)} to add, {len(self.updates)} to update, {len(self.skips)} "
                f"skipped, {len(self.errors)} error(s)")


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def _updated(existing: Account, row: ChartRow, by_code: bool) -> tuple[Account, list[FieldChange]]:
    incoming = row.to_account()
    target: dict[str, object] = {}
    for name in UPDATABLE_FIELDS:
        new = getattr(incoming, name)
        if name in _BLANK_KEEPS and (new is None or new == ""):
            continue
        if name == "full_name" and not by_code:
            continue  # matched by name (any case): keep the chart's spelling
        target[name] = new
    changes = [FieldChange(name, _text(getattr(existing, name)), _text(value))
               for name, value in target.items() if getattr(existing, name) != value]
    extra = {**existing.extra, **incoming.extra}
    return existing.with_changes(**target, extra=extra), changes


def plan_import(chart: ParsedChart, existing_accounts: Sequence[Account]) -> ImportPreview:
    """Compare a parsed chart with the company's accounts (see the module rules)."""
    errors: list[LineProblem] = list(chart.problems)
    adds: list[PlannedAdd] = []
    updates: list[PlannedUpdate] = []
    skips: list[PlannedSkip] = [PlannedSkip(s.line, s.full_name, s.reason) for s in chart.skipped]
    by_code = {a.code: a for a in existing_accounts if a.code}
    by_name = {a.full_name.lower(): a for a in existing_accounts}
    # Names and codes the chart will hold after the import, to catch renames onto others.
    claimed_names: dict[str, int] = {}
    claimed_codes: dict[str, int] = {}
    for row in chart.rows:
        code_match = by_code.get(row.code) if row.code else None
        name_match = by_name.get(row.full_name.lower())
        if code_match is not None and name_match is not None and code_match.id != name_match.id:
            errors.append(LineProblem(
                row.line, f"code {row.code} belongs to '{code_match.full_name}' but the name "
                          f"'{row.full_name}' belongs to another account "
                          f"({name_match.code or 'no code'})"))
            continue
        match = code_match or name_match
        if match is None:
            adds.append(PlannedAdd(row.line, row.to_account()))
            continue
        updated, changes = _updated(match, row, by_code=code_match is not None)
        clash = _rename_clash(row, updated, match, by_name, by_code)
        if clash:
            errors.append(LineProblem(row.line, clash))
            continue
        if changes:
            updates.append(PlannedUpdate(row.line, match, updated, tuple(changes)))
        else:
            skips.append(PlannedSkip(row.line, row.full_name,
                                     "already in the chart with the same details"))
        claimed_names[updated.full_name.lower()] = row.line
        if updated.code:
            claimed_codes[updated.code] = row.line
    adds.extend(_missing_parents(chart.rows, existing_accounts, updates))
    errors.sort(key=lambda p: p.line or 0)
    return ImportPreview(
        file_name=chart.file_name, format_label=chart.detected.label, source=chart.source,
        adds=tuple(adds), updates=tuple(updates), skips=tuple(skips), errors=tuple(errors),
        notes=chart.notes, provider=chart.detected.provider,
        file_accounts=tuple(row.to_account() for row in chart.rows), sha256=chart.sha256,
    )


def _rename_clash(row: ChartRow, updated: Account, match: Account,
                  by_name: dict[str, Account], by_code: dict[str, Account]) -> str | None:
    other = by_name.get(updated.full_name.lower())
    if other is not None and other.id != match.id:
        return (f"code {row.code} is '{match.full_name}' in the chart; renaming it to "
                f"'{updated.full_name}' would clash with another account")
    other = by_code.get(updated.code) if updated.code else None
    if other is not None and other.id != match.id:
        return (f"'{match.full_name}' would take code {updated.code}, which "
                f"'{other.full_name}' has")
    return None


def _missing_parents(rows: Iterable[ChartRow], existing: Sequence[Account],
                     updates: Sequence[PlannedUpdate]) -> list[PlannedAdd]:
    known = {a.full_name.lower() for a in existing}
    for update in updates:  # a renamed account takes its subaccounts along
        old = update.existing.full_name.lower()
        new = update.updated.full_name.lower()
        if old == new:
            continue
        known |= {new + name[len(old):] for name in list(known)
                  if name == old or name.startswith(old + ":")}
    rows = list(rows)
    known |= {r.full_name.lower() for r in rows}
    created: list[PlannedAdd] = []
    for row in rows:
        parent = parent_path(row.full_name)
        chain: list[str] = []
        while parent is not None and parent.lower() not in known:
            chain.append(parent)
            known.add(parent.lower())
            parent = parent_path(parent)
        for name in reversed(chain):
            account = Account(full_name=name, type=row.type, original_type=row.original_type,
                              source=row.source)
            created.append(PlannedAdd(None, account, note=(
                f"created as the parent of '{row.full_name}' (line {row.line}); it is not in "
                "the file or the chart")))
    return created


@dataclass(frozen=True)
class PreviewRow:
    """One line of a preview as a table shows it (the GUI's import dialog, the CLI):
    `kind` is "add", "update", "skip" or "error"."""

    kind: str
    line: int | None
    account: str
    detail: str
    account_type: str = ""
    code: str = ""


def preview_rows(preview: ImportPreview) -> list[PreviewRow]:
    """The preview flattened into rows, errors first, each group in file order."""
    rows = [PreviewRow("error", e.line, "", e.message) for e in preview.errors]
    rows += [PreviewRow("add", a.line, a.account.full_name, a.note or "new account",
                        a.account.type.label, a.account.code or "") for a in preview.adds]
    rows += [PreviewRow("update", u.line, u.existing.full_name, u.summary,
                        u.updated.type.label, u.updated.code or "") for u in preview.updates]
    rows += [PreviewRow("skip", s.line, s.full_name, s.reason) for s in preview.skips]
    return rows


# --- mapping proposals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """Our account ↔ a remote account, and why (`reason`: a `core.account_matching.MatchReason`,
    the words the mapping table stores). `warning` is empty for an exact match, otherwise what
    the user should look at ("type differs: …", "names differ"); `same_class` is false when the
    two disagree on asset/liability/equity/income/expense."""

    account: Account
    remote: Account
    reason: str
    same_class: bool = True
    warning: str = ""


def propose_mappings(our_accounts: Sequence[Account], remote_accounts: Sequence[Account], *,
                     provider: str = "qbo") -> list[Proposal]:
    """Pair each of our accounts with at most one compatible remote account (number with a
    compatible type, then name; never across incompatible kinds: `core.account_matching`)."""
    return [Proposal(m.account, m.remote, m.reason.value,
                     m.account.account_class is m.remote.account_class, m.warning)
            for m in match_accounts(our_accounts, remote_accounts, provider=provider)]
