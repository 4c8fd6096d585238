"""Chart-of-accounts import: preview a file against the company's chart, then apply it all or
nothing in one transaction, with an audit row for the import, and (for QBO and Xero charts)
account-mapping proposals for that provider.

    preview_import(db, company_id, path) -> ImportPreview          (reads the file, never writes)
    apply_import(db, company_id, preview, *, actor=None, progress=None) -> ImportOutcome
    import_chart(db, company_id, path, *, dry_run=False, actor=None) -> ImportOutcome

The rules of the preview (matching, updates, skips, parents, errors) are in `formats.plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.changes import NOTHING, Changes
from bookkeeper_desktop.core.errors import FileFormatError, NotFound
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.formats import ImportPreview, plan_import, propose_mappings, read_chart
from bookkeeper_desktop.formats.plan import PlannedAdd, PlannedUpdate
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.services.exports import file_checksum
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.mapping import account_of, fill_account_row
from bookkeeper_desktop.storage.schema import AccountMappingRow, AccountRow


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
        updated: list[Account] = []
        added: list[Account] = []
        for _, _, step in steps:
            if isinstance(step, PlannedUpdate):
                updated.append(_update(session, company_id, step.updated, who))
            else:
                fixed = account_services._normalised(step.account)
                added.append(account_of(account_services._insert(session, company_id, fixed,
                                                                  who)))
            done += 1
            _step(progress, done, total)
        proposals = _store_proposals(session, company_id, preview)
        if progress is not None:
            progress.check_cancelled()
        repositories.add_audit(session, company_id, who, "import", obj=("chart", None), details={
            "file": preview.file_name,
            "format": preview.format_label,
            "sha256": preview.sha256 or (file_checksum(source_file) if source_file else None),
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


def _update(session: Session, company_id: int, account: Account, actor: str) -> Account:
    """The same save as `services.accounts.update_account`, inside the import's transaction."""
    assert account.id is not None
    fixed = account_services._normalised(account)
    row = session.get(AccountRow, account.id)
    if row is None or row.company_id != company_id:
        raise NotFound(f"Account '{account.full_name}' was deleted while the import was "
                       "being previewed; nothing was imported.")
    before = account_of(row)
    old_path = row.full_name
    fill_account_row(row, fixed, account_services._parent_id(session, company_id,
                                                             fixed.full_name))
    if old_path != fixed.full_name:
        for child in account_services._rows(session, company_id):
            if child.full_name.startswith(old_path + ":"):
                child.full_name = fixed.full_name + child.full_name[len(old_path):]
    session.flush()
    changed = {name: [str(getattr(before, name)), str(getattr(fixed, name))]
               for name in ("full_name", "code", "type", "original_type", "source",
                            "description", "tax_code", "detail_type", "active")
               if getattr(before, name) != getattr(fixed, name)}
    repositories.add_audit(session, company_id, actor, "update", obj=("account", row.id),
                           details={**changed, "by": "import"})
    return account_of(row)


def _store_proposals(session: Session, company_id: int, preview: ImportPreview) -> int:
    """For a QBO or Xero chart: each account the file names is the provider's account, so our
    account made from it is proposed as its mapping (code, then exact, then normalised name).
    Existing mappings (proposed or confirmed) are never overwritten."""
    if preview.provider is None:
        return 0
    ours = [account_of(row) for row in account_services._rows(session, company_id)]
    mapped = set(session.execute(
        select(AccountMappingRow.account_id).where(
            AccountMappingRow.company_id == company_id,
            AccountMappingRow.provider == preview.provider)).scalars())
    stored = 0
    for proposal in propose_mappings(ours, preview.file_accounts):
        account_id = proposal.account.id
        if account_id is None or account_id in mapped:
            continue
        session.add(AccountMappingRow(
            company_id=company_id, provider=preview.provider, account_id=account_id,
            remote_code=proposal.remote.code, remote_name=proposal.remote.full_name,
            state="proposed", proposal_reason=proposal.reason))
        mapped.add(account_id)
        stored += 1
    session.flush()
    return stored


def import_chart(db: Database, company_id: int, path: Path, *, dry_run: bool = False,
                 actor: str | None = None, progress: Progress | None = None) -> ImportOutcome:
    """Preview `path` and, unless `dry_run` or the file has errors, apply it."""
    preview = preview_import(db, company_id, path)
    if dry_run or not preview.can_apply:
        return ImportOutcome(preview, False)
    return apply_import(db, company_id, preview, source_file=path, actor=actor,
                        progress=progress)
