"""Chart-of-accounts import: preview a file against the company's chart, then apply it all or
nothing in one transaction, with an audit row for the import, a record of what it added and
changed (so that it can be undone: `services.coa_undo`), and (for QBO and Xero charts)
account-mapping proposals for that provider.

    preview_import(db, company_id, path) -> ImportPreview          (reads the file, never writes)
    apply_import(db, company_id, preview, *, actor=None, progress=None) -> ImportOutcome
    import_chart(db, company_id, path, *, dry_run=False, actor=None) -> ImportOutcome

The rules of the preview (matching, updates, skips, parents, errors) are in `formats.plan`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.accounts import Account, AccountType, parent_path
from bookkeeper_desktop.core.changes import NOTHING, Changes
from bookkeeper_desktop.core.errors import (
    DuplicateError,
    FileFormatError,
    NotFound,
    ValidationError,
)
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.formats import ImportPreview, plan_import, propose_mappings, read_chart
from bookkeeper_desktop.formats.plan import PlannedAdd, PlannedUpdate
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import coa_undo
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.services.exports import file_checksum
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.mapping import account_of, fill_account_row
from bookkeeper_desktop.storage.schema import AccountMappingRow, AccountRow, AuditLogRow
from bookkeeper_desktop.storage.types import utc_now


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did. `applied` is false for a dry run or a file with errors."""

    preview: ImportPreview
    applied: bool
    added: tuple[Account, ...] = ()
    updated: tuple[Account, ...] = ()
    proposals: int = 0
    changes: Changes = field(default_factory=lambda: NOTHING)


def preview_import(db: Database, company_id: int, path: Path) -> ImportPreview:
    """Read `path` (any of the four layouts, recognised from its content) and compare it with
    the company's chart. `FileFormatError` when the file is not a chart at all."""
    chart = read_chart(path)
    existing = account_services.list_accounts(db, company_id)
    return plan_import(chart, existing)


def apply_import(db: Database, company_id: int, preview: ImportPreview, *,
                 source_file: Path | None = None, actor: str | None = None,
                 progress: Progress | None = None) -> ImportOutcome:
    """Apply a preview: all of it in one transaction, or nothing. Refuses a preview with errors
    (`FileFormatError` listing them). Accounts changed since the preview make the transaction
    fail (a duplicate name or code) rather than import half."""
    if not preview.can_apply:
        raise FileFormatError(
            f"'{preview.file_name}' has {len(preview.errors)} error(s); nothing was imported.",
            preview.errors, hint="Fix the lines named and import the file again.")
    who = actor or default_actor()
    total = len(preview.adds) + len(preview.updates)
    if progress is not None:
        progress.phase("Importing accounts", total)
    done = 0
    # Parents before children, whether they are added or renamed into place: an update can
    # move an account under a parent the import adds, and an add can sit under a renamed one.
    steps: list[tuple[int, int, PlannedUpdate | PlannedAdd]] = sorted(
        [*((u.updated.depth, 0, u) for u in preview.updates),
         *((a.account.depth, 1, a) for a in preview.adds)],
        key=lambda step: (step[0], step[1]))
    with db.session() as session:
        chart = _Chart(session, company_id,
                       [u.existing.id for u in preview.updates if u.existing.id is not None])
        updated: list[Account] = []
        added: list[Account] = []
        level: int | None = None
        for depth, _, step in steps:
            if depth != level:
                added += chart.flush()  # parents get their ids before children are staged
                level = depth
            if isinstance(step, PlannedUpdate):
                updated.append(chart.update(step.updated, who))
            else:
                chart.add(step.account, who)
            done += 1
            _step(progress, done, total)
        added += chart.flush()
        proposal_ids = _store_proposals(session, company_id, preview)
        proposals = len(proposal_ids)
        if progress is not None:
            progress.check_cancelled()
        sha256 = preview.sha256 or (file_checksum(source_file) if source_file else None)
        # What the import did, kept so that it can be undone (`services.coa_undo`).
        record_id = coa_undo.record_import(
            session, company_id, file_name=preview.file_name, format_label=preview.format_label,
            sha256=sha256, actor=who, added=chart.added_values, before=chart.before,
            after=chart.after_values(), proposal_ids=proposal_ids)
        repositories.add_audit(session, company_id, who, "import", obj=("chart", record_id),
                               details={
            "file": preview.file_name,
            "format": preview.format_label,
            "sha256": sha256,
            "added": len(added), "updated": len(updated), "skipped": len(preview.skips),
            "mapping_proposals": proposals,
        })
    changes = Changes(accounts=bool(added or updated), mappings=bool(proposals))
    return ImportOutcome(preview, True, tuple(added), tuple(updated), proposals, changes)


def _step(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress.check_cancelled()
        if done % 100 == 0 or done == total:
            progress.report(done, total)


class _Chart:
    """The company's accounts inside the import's transaction, indexed in memory once: the same
    rules as `services.accounts` (unique name any case, unique code, parent must exist) without
    a query per account, and new accounts inserted a tree level at a time in one statement each
    (5,000 accounts in well under a second, where one ORM flush per account took seconds). A
    change made by someone else since the preview still fails the transaction: the accounts are
    read inside it, and the database's unique constraints stand behind."""

    STAGED = -1  # the id of an account staged for the next flush

    def __init__(self, session: Session, company_id: int, update_ids: Iterable[int]) -> None:
        self.session = session
        self.company_id = company_id
        chart = session.execute(select(AccountRow.id, AccountRow.full_name, AccountRow.code)
                                .where(AccountRow.company_id == company_id)).all()
        self.name_ids: dict[str, int] = {str(name).lower(): int(account_id)
                                         for account_id, name, _ in chart}
        self.code_ids: dict[str, int] = {str(code): int(account_id)
                                         for account_id, _, code in chart if code}
        # Whole rows only for the accounts the import changes (and, on a rename, their
        # subaccounts): loading 5,000 ORM rows to change none of them costs more than the rest.
        wanted = list(update_ids)
        self.rows = {row.id: row for row in session.execute(
            select(AccountRow).where(AccountRow.company_id == company_id,
                                     AccountRow.id.in_(wanted))).scalars()} if wanted else {}
        self.staged: list[tuple[Account, dict[str, Any]]] = []
        self.actor = ""
        # What the import did, for its record (`coa_undo.record_import`), from what it wrote:
        # account id → `coa_undo.account_values` of each account added, and of each account
        # changed before the change; the rows changed, for their values after.
        self.added_values: dict[int, dict[str, Any]] = {}
        self.before: dict[int, dict[str, Any]] = {}
        self.touched: dict[int, AccountRow] = {}

    def _check(self, account: Account, except_id: int | None) -> None:
        problems = []
        same_name = self.name_ids.get(account.full_name.lower())
        if same_name is not None and same_name != except_id:
            problems.append(f"There is already an account called '{account.full_name}'.")
        same_code = self.code_ids.get(account.code) if account.code else None
        if same_code is not None and same_code != except_id:
            problems.append(f"Account code {account.code} is already used.")
        if problems:
            raise DuplicateError(f"Account '{account.full_name}' cannot be imported: "
                                 + " ".join(problems) + " Nothing was imported.")

    def _parent_id(self, full_name: str) -> int | None:
        parent = parent_path(full_name)
        if parent is None:
            return None
        parent_id = self.name_ids.get(parent.lower())
        if parent_id is None or parent_id == self.STAGED:
            raise ValidationError(f"Account '{full_name}' cannot be imported.",
                                  [f"Its parent account '{parent}' does not exist."])
        return parent_id

    def add(self, account: Account, actor: str) -> None:
        """Stage a new account; it is inserted (and gets its id) at the next `flush()`."""
        fixed = account_services._normalised(account)
        self._check(fixed, None)
        values = SimpleNamespace()
        fill_account_row(cast(AccountRow, values), fixed, self._parent_id(fixed.full_name))
        self.staged.append((fixed, {**vars(values), "company_id": self.company_id}))
        self.name_ids[fixed.full_name.lower()] = self.STAGED
        if fixed.code:
            self.code_ids[fixed.code] = self.STAGED
        self.actor = actor

    def flush(self) -> list[Account]:
        """Write pending updates and insert the staged accounts (one statement; children are
        staged only after their parents' level is flushed), with their audit rows."""
        self.session.flush()
        if not self.staged:
            return []
        ids = self.session.scalars(
            insert(AccountRow).returning(AccountRow.id, sort_by_parameter_order=True),
            [values for _, values in self.staged]).all()
        added = []
        for (account, values), account_id in zip(self.staged, ids, strict=True):
            self.added_values[account_id] = coa_undo.account_values(values)
            self.name_ids[account.full_name.lower()] = account_id
            if account.code:
                self.code_ids[account.code] = account_id
            added.append(account.with_changes(id=account_id, company_id=self.company_id))
        now = utc_now()
        self.session.execute(insert(AuditLogRow), [
            {"company_id": self.company_id, "actor": self.actor, "action": "create",
             "object_type": "account", "object_id": account.id, "at": now,
             "details": {"full_name": account.full_name, "code": account.code,
                         "type": account.type.value, "by": "import"}}
            for account in added])
        self.staged.clear()
        return added

    def after_values(self) -> dict[int, dict[str, Any]]:
        """Account id → `coa_undo.account_values` now, of every account the import changed."""
        return {account_id: coa_undo.account_values(row)
                for account_id, row in self.touched.items()}

    def update(self, account: Account, actor: str) -> Account:
        assert account.id is not None
        fixed = account_services._normalised(account)
        row = self.rows.get(account.id)
        if row is None:
            raise NotFound(f"Account '{account.full_name}' was deleted while the import was "
                           "being previewed; nothing was imported.")
        self._check(fixed, row.id)
        before = account_of(row)
        self.before.setdefault(row.id, coa_undo.account_values(row))
        self.touched[row.id] = row
        old_path = row.full_name
        parent_id = self._parent_id(fixed.full_name)
        self.name_ids.pop(old_path.lower(), None)
        if row.code:
            self.code_ids.pop(row.code, None)
        fill_account_row(row, fixed, parent_id)
        if old_path != fixed.full_name:  # the subaccounts' paths follow
            prefix = old_path.lower() + ":"
            for name, child_id in list(self.name_ids.items()):
                if not name.startswith(prefix) or child_id == self.STAGED:
                    continue
                child = self.rows.get(child_id) or self.session.get(AccountRow, child_id)
                if child is None or not child.full_name.startswith(old_path + ":"):
                    continue
                self.name_ids.pop(name)
                self.before.setdefault(child.id, coa_undo.account_values(child))
                self.touched[child.id] = child
                child.full_name = fixed.full_name + child.full_name[len(old_path):]
                self.name_ids[child.full_name.lower()] = child.id
        self.name_ids[row.full_name.lower()] = row.id
        if row.code:
            self.code_ids[row.code] = row.id
        changed = {name: [str(getattr(before, name)), str(getattr(fixed, name))]
                   for name in ("full_name", "code", "type", "original_type", "source",
                                "description", "tax_code", "detail_type", "active")
                   if getattr(before, name) != getattr(fixed, name)}
        repositories.add_audit(self.session, self.company_id, actor, "update",
                               obj=("account", row.id), details={**changed, "by": "import"})
        return account_of(row)


def _store_proposals(session: Session, company_id: int, preview: ImportPreview) -> list[int]:
    """For a QBO or Xero chart: each account the file names is the provider's account, so our
    account made from it is proposed as its mapping (code, then exact, then normalised name).
    Existing mappings (proposed or confirmed) are never overwritten. The ids of the proposals
    stored."""
    if preview.provider is None:
        return []
    session.flush()
    ours = [Account(full_name=name, type=AccountType(kind), code=code, id=account_id)
            for account_id, name, code, kind in session.execute(
                select(AccountRow.id, AccountRow.full_name, AccountRow.code, AccountRow.type)
                .where(AccountRow.company_id == company_id).order_by(AccountRow.full_name))]
    mapped = set(session.execute(
        select(AccountMappingRow.account_id).where(
            AccountMappingRow.company_id == company_id,
            AccountMappingRow.provider == preview.provider)).scalars())
    rows = []
    for proposal in propose_mappings(ours, preview.file_accounts, provider=preview.provider):
        account_id = proposal.account.id
        if account_id is None or account_id in mapped:
            continue
        rows.append({"company_id": company_id, "provider": preview.provider,
                     "account_id": account_id, "remote_code": proposal.remote.code,
                     "remote_name": proposal.remote.full_name, "state": "proposed",
                     "proposal_reason": proposal.reason})
        mapped.add(account_id)
    if not rows:
        return []
    return list(session.scalars(
        insert(AccountMappingRow).returning(AccountMappingRow.id, sort_by_parameter_order=True),
        rows).all())


def import_chart(db: Database, company_id: int, path: Path, *, dry_run: bool = False,
                 actor: str | None = None, progress: Progress | None = None) -> ImportOutcome:
    """Preview `path` and, unless `dry_run` or the file has errors, apply it."""
    preview = preview_import(db, company_id, path)
    if dry_run or not preview.can_apply:
        return ImportOutcome(preview, False)
    return apply_import(db, company_id, preview, source_file=path, actor=actor,
                        progress=progress)
