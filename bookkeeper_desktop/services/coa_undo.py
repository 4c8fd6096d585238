"""Undo the last chart-of-accounts import (issue #12, "a way back").

Every applied import is recorded in the import's own transaction (`record_import`, called by
`services.coa_import.apply_import`): the accounts it added, and for each account it changed its
values before and after (`account_values`), plus the file, who and when.

    last_import(db, company_id) -> ImportRecord | None       (the import an undo takes back)
    plan_undo_last(db, company_id) -> ImportUndoPlan | None  (the preview; reads only)
    undo_last_import(db, company_id, *, import_id=None, actor=None, progress=None)
        -> ImportUndoResult

Rules (the preview shows them, the undo applies them in one transaction, all or nothing):
- **Which import**: the newest applied import of the company that is not undone yet. Once it is
  undone the one before it becomes the last, so imports can be undone one after another, newest
  first (as a user expects from Undo). An undone import cannot be redone; import the file again.
- An account the import **added** is removed when nothing uses it: no journal line, no confirmed
  mapping, no link to a QBO/Xero account, no statement account or line, no rule, nothing learned
  from it, no subaccount that stays — any table with a foreign key to `accounts` counts, so a
  table added later is covered too — and when it still has the values the import gave it.
- An account the import **changed** gets back its values from before the import (name, number,
  type, original type, source, detail type, description, tax code, active flag, parent, extras)
  when it still has the values the import gave it; its subaccounts' paths follow a rename back.
- What cannot be taken back is **kept** and listed with the reason in words ("used by 3
  entries", "changed since the import", "its former name 'Bank' is now used by another account").
- Mapping proposals the import made that are still only proposals are withdrawn.
- The import is marked undone (with what the undo kept), and one audit row says what was done.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Row, Table, delete, insert, select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.accounts import AccountSource, AccountType, split_path
from bookkeeper_desktop.core.changes import NOTHING, Changes
from bookkeeper_desktop.core.errors import NotFound, WorkflowError
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services.account_uses import (
    account_uses,
    chunks,
    counted,
)
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.schema import (
    AccountMappingRow,
    AccountRow,
    AuditLogRow,
    ChartImportAccountRow,
    ChartImportRow,
)
from bookkeeper_desktop.storage.types import utc_now

#: The account columns an import can change, and an undo puts back.
ACCOUNT_FIELDS = ("full_name", "name", "code", "parent_id", "type", "original_type",
                  "detail_type", "source", "description", "tax_code", "active", "extra")
#: How the preview names a field that changes back.
_FIELD_WORDS = {"full_name": "name", "code": "number", "parent_id": "parent",
                "original_type": "original type", "detail_type": "detail type",
                "tax_code": "tax code", "active": "active", "extra": "extras"}
#: How the preview names where an account came from (`core.accounts.AccountSource`) when it
#: is not a provider; a provider (QBO, Xero) by its one name (`_source_words`).
_SOURCE_WORDS: dict[str, str] = {
    AccountSource.MANUAL: "added by hand", AccountSource.SAMPLE: "sample data",
    AccountSource.IIF: "QuickBooks Desktop IIF file",
    AccountSource.QBO_CSV: f"{Provider.QBO.display_name} CSV file",
    AccountSource.XERO_CSV: f"{Provider.XERO.display_name} CSV file",
    AccountSource.XLSX: "Excel workbook"}


def account_values(row: AccountRow | Row[Any] | Mapping[Any, Any]) -> dict[str, Any]:
    """The values of an account row (or a row of `ACCOUNT_FIELDS` columns) an import can change,
    as they are kept in the import record: JSON, so the extras go through JSON once (a Decimal
    becomes its text) and a value read back later compares equal."""
    get = row.get if isinstance(row, Mapping) else lambda name: getattr(row, name)
    values = {name: get(name) for name in ACCOUNT_FIELDS}
    extra = values["extra"]
    values["extra"] = json.loads(json.dumps(extra, default=_json_default)) if extra else {}
    return values


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be kept in an import record")


def _depth(full_name: str) -> int:
    return len(split_path(full_name))


# --- recording -----------------------------------------------------------------------------------


def record_import(session: Session, company_id: int, *, file_name: str, format_label: str,
                  sha256: str | None, actor: str, added: dict[int, dict[str, Any]],
                  before: dict[int, dict[str, Any]], after: dict[int, dict[str, Any]],
                  proposal_ids: Sequence[int]) -> int | None:
    """Record an applied import inside its transaction: `added` (account id → `account_values`
    of each account inserted), `before` and `after` (account id → `account_values` before and
    after the import changed it) and the mapping proposals it made. The import hands over the
    values it wrote, so nothing is read back. An import that changed nothing is not recorded
    (there is nothing to undo). The id of the record, or None."""
    changed = {account_id: values for account_id, values in before.items()
               if after[account_id] != values}
    if not added and not changed and not proposal_ids:
        return None
    record = ChartImportRow(company_id=company_id, file_name=file_name, format=format_label,
                            sha256=sha256, actor=actor, imported_at=utc_now(),
                            added=len(added), changed=len(changed),
                            details={"proposal_ids": list(proposal_ids)}, undone_by="",
                            undo_result={})
    session.add(record)
    session.flush()
    rows = [{"import_id": record.id, "account_id": account_id, "action": "added",
             "before": None, "after": values} for account_id, values in added.items()]
    rows += [{"import_id": record.id, "account_id": account_id, "action": "changed",
              "before": values, "after": after[account_id]}
             for account_id, values in changed.items()]
    if rows:  # a Core insert: the ORM's bulk path costs several times more for 5,000 rows
        session.execute(insert(cast(Table, ChartImportAccountRow.__table__)), rows)
    return record.id


# --- what an undo would do -----------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRecord:
    """An applied import as the user knows it: the file and when."""

    id: int
    file_name: str
    format_label: str
    imported_at: dt.datetime
    actor: str
    added: int
    changed: int

    def label(self, now: dt.datetime | None = None) -> str:
        """"chart.iif from 3 Dec 14:02" (local time; the year when it is not this one)."""
        return f"{self.file_name} from {when(self.imported_at, now)}"


def when(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    local = moment.astimezone()
    this_year = (now or dt.datetime.now(dt.UTC)).astimezone().year
    year = "" if local.year == this_year else f" {local.year}"
    return f"{local.day} {local:%b}{year} {local:%H:%M}"


@dataclass(frozen=True)
class UndoItem:
    """One account in the preview: as it is now, and what happens to it (or why not)."""

    account_id: int
    full_name: str
    code: str | None
    account_type: str
    detail: str


@dataclass(frozen=True)
class ImportUndoPlan:
    """What undoing `record` does: accounts to remove, to restore (`detail` says what changes
    back), to keep (`detail` is the reason), and mapping proposals to withdraw."""

    record: ImportRecord
    remove: tuple[UndoItem, ...] = ()
    restore: tuple[UndoItem, ...] = ()
    keep: tuple[UndoItem, ...] = ()
    proposals: int = 0
    #: The restores in the order they are applied: (account id, the values to put back).
    restore_values: tuple[tuple[int, dict[str, Any]], ...] = field(default=(), repr=False)
    #: The mapping proposals to withdraw.
    proposal_ids: tuple[int, ...] = field(default=(), repr=False)

    @property
    def changes_anything(self) -> bool:
        return bool(self.remove or self.restore or self.proposals)

    def summary(self, now: dt.datetime | None = None) -> str:
        """"Undo the import of chart.iif from 3 Dec 14:02: remove 105 accounts, restore 4;
        keep 2 (used or changed since)"."""
        parts = [f"remove {counted(len(self.remove), 'account')}",
                 f"restore {len(self.restore)}"]
        text = f"Undo the import of {self.record.label(now)}: " + ", ".join(parts)
        if self.proposals:
            text += f", withdraw {counted(self.proposals, 'mapping proposal')}"
        if self.keep:
            text += f"; keep {len(self.keep)} (used or changed since)"
        return text + "."

    def describe(self) -> list[str]:
        """Every account, one line each, for the command line."""
        return ([f"remove   {_named(i)}" for i in self.remove]
                + [f"restore  {_named(i)}: {i.detail}" for i in self.restore]
                + [f"keep     {_named(i)}: {i.detail}" for i in self.keep])


def _named(item: UndoItem) -> str:
    return f"{item.code} {item.full_name}" if item.code else item.full_name


@dataclass(frozen=True)
class ImportUndoResult:
    """What an undo did (the plan as it was applied, inside the undo's transaction)."""

    plan: ImportUndoPlan
    changes: Changes = NOTHING

    def sentence(self) -> str:
        """"Undid the import of chart.iif: 105 accounts removed, 4 restored, 2 kept"."""
        plan = self.plan
        text = (f"Undid the import of {plan.record.file_name}: "
                f"{counted(len(plan.remove), 'account')} removed, {len(plan.restore)} restored")
        if plan.keep:
            text += f", {len(plan.keep)} kept (used or changed since)"
        return text + "."


def _record_of(row: ChartImportRow) -> ImportRecord:
    return ImportRecord(row.id, row.file_name, row.format, row.imported_at, row.actor,
                        row.added, row.changed)


def _last_row(session: Session, company_id: int) -> ChartImportRow | None:
    return session.execute(
        select(ChartImportRow)
        .where(ChartImportRow.company_id == company_id, ChartImportRow.undone_at.is_(None))
        .order_by(ChartImportRow.imported_at.desc(), ChartImportRow.id.desc())
        .limit(1)).scalar_one_or_none()


def last_import(db: Database, company_id: int) -> ImportRecord | None:
    """The import an undo would take back: the newest one not undone yet."""
    with db.read_session() as session:
        row = _last_row(session, company_id)
        return _record_of(row) if row is not None else None


def plan_undo_last(db: Database, company_id: int) -> ImportUndoPlan | None:
    """The preview of undoing the last import; None when there is no import to undo."""
    with db.read_session() as session:
        row = _last_row(session, company_id)
        return _plan(session, company_id, row) if row is not None else None


class _Planner:
    """Decides, inside one session, what an undo of one import does (see the module rules)."""

    def __init__(self, session: Session, company_id: int, record: ChartImportRow) -> None:
        self.session = session
        self.company_id = company_id
        self.record = record
        self.entries = list(session.execute(
            select(ChartImportAccountRow).where(ChartImportAccountRow.import_id == record.id)
            .order_by(ChartImportAccountRow.id)).scalars())
        # The whole chart, small columns only: names, codes and parents decide clashes and
        # subaccounts; the columns an import changes only for the accounts it touched.
        self.chart = {int(i): (str(n), c, p) for i, n, c, p in session.execute(
            select(AccountRow.id, AccountRow.full_name, AccountRow.code, AccountRow.parent_id)
            .where(AccountRow.company_id == company_id))}
        self.rows: dict[int, Row[Any]] = {}  # the accounts the import touched: the columns used
        columns = [AccountRow.__table__.c[name] for name in ACCOUNT_FIELDS]
        for batch in chunks(e.account_id for e in self.entries):
            self.rows.update((row.id, row) for row in session.execute(
                select(AccountRow.id, AccountRow.qbo_id, AccountRow.xero_id, *columns)
                .where(AccountRow.company_id == company_id, AccountRow.id.in_(batch))))
        self.keep: list[UndoItem] = []

    def _item(self, account_id: int, detail: str) -> UndoItem:
        row = self.rows[account_id]
        return UndoItem(account_id, row.full_name, row.code, _type_label(row.type), detail)

    def _kept(self, account_id: int, reason: str) -> None:
        self.keep.append(self._item(account_id, reason))

    def plan(self) -> ImportUndoPlan:
        added, changed = [], []
        unchanged: set[int] = set()  # changed by the import, kept as they are now
        for entry in self.entries:
            row = self.rows.get(entry.account_id)
            if row is None:
                if entry.action == "changed":  # no way to put back what is gone
                    self.keep.append(UndoItem(entry.account_id,
                                              str(entry.after.get("full_name", "")),
                                              entry.after.get("code"), "",
                                              "deleted since the import"))
                continue  # an added account already gone: nothing left to remove
            if account_values(row) != entry.after:
                self._kept(row.id, "changed since the import")
                unchanged.add(row.id)
            elif entry.action == "added":
                added.append(row.id)
            elif entry.before is not None:
                changed.append((row.id, entry.before))
        restores = self._restorable(changed, unchanged)
        removals = self._removable(added, {i for i, _ in restores},
                                   {i: before["parent_id"] for i, before in restores})
        proposal_ids = self._proposals()
        return ImportUndoPlan(
            _record_of(self.record),
            remove=tuple(self._item(i, "added by the import; nothing uses it")
                         for i in removals),
            restore=tuple(self._item(i, _what_changes_back(self.rows[i], before, self.chart))
                          for i, before in restores),
            keep=tuple(sorted(self.keep, key=lambda item: item.full_name.lower())),
            proposals=len(proposal_ids),
            restore_values=tuple(restores), proposal_ids=tuple(proposal_ids))

    def _restorable(self, changed: list[tuple[int, dict[str, Any]]], held: set[int]
                    ) -> list[tuple[int, dict[str, Any]]]:
        """The changed accounts that can get their old values back, parents first. `held`:
        accounts that stay as they are (a subaccount cannot take its old path under them)."""
        candidates = {account_id for account_id, _ in changed}
        others_names = {name.lower(): i for i, (name, _, _) in self.chart.items()
                        if i not in candidates}
        others_codes = {code: i for i, (_, code, _) in self.chart.items()
                        if code and i not in candidates}
        restores: list[tuple[int, dict[str, Any]]] = []
        held = set(held)
        for account_id, before in sorted(changed, key=lambda c: _depth(c[1]["full_name"])):
            row = self.rows[account_id]
            reason = None
            name_owner = others_names.get(str(before["full_name"]).lower())
            code_owner = others_codes.get(before["code"]) if before["code"] else None
            parent_id = before["parent_id"]
            if name_owner is not None:
                reason = (f"its former name '{before['full_name']}' is now used by another "
                          "account")
            elif code_owner is not None:
                reason = (f"its former number {before['code']} is now used by "
                          f"'{self.chart[code_owner][0]}'")
            elif parent_id is not None and parent_id not in self.chart:
                reason = "its former parent account no longer exists"
            elif parent_id in held and row.full_name != before["full_name"]:
                reason = "its parent account is kept as it is"
            if reason is not None:
                held.add(account_id)
                self._kept(account_id, reason)
            else:
                restores.append((account_id, before))
        return restores

    def _removable(self, added: list[int], restored: set[int],
                   restored_parents: dict[int, int | None]) -> list[int]:
        """The added accounts nothing uses, deepest first (subaccounts before their parents)."""
        candidates = set(added)
        reasons = account_uses(self.session, candidates)
        for account_id in candidates:
            row = self.rows[account_id]
            linked = [Provider(p).display_name for p, remote in (("qbo", row.qbo_id),
                                                           ("xero", row.xero_id)) if remote]
            if linked:
                reasons[account_id].append(f"linked to its account in {' and '.join(linked)}")
        # Subaccounts as they will be once the restores are done (a restore can move an
        # account back out from under a parent the import added).
        children: dict[int, list[int]] = defaultdict(list)
        for account_id, (_, _, parent_id) in self.chart.items():
            parent = restored_parents[account_id] if account_id in restored else parent_id
            if parent is not None:
                children[parent].append(account_id)
        removable: list[int] = []
        gone: set[int] = set()
        for account_id in sorted(candidates, key=lambda i: -_depth(self.rows[i].full_name)):
            why = reasons.get(account_id, [])
            staying = [c for c in children.get(account_id, []) if c not in gone]
            if staying:
                names = [self.chart[c][0] for c in staying]
                why.append(f"has the subaccount '{names[0]}'" if len(names) == 1
                           else f"has {len(names)} subaccounts that stay")
            if why:
                self._kept(account_id, "; ".join(why))
            else:
                removable.append(account_id)
                gone.add(account_id)
        return removable

    def _proposals(self) -> list[int]:
        """The mapping proposals the import made that are still only proposals."""
        ids = [int(i) for i in self.record.details.get("proposal_ids", [])]
        found: list[int] = []
        for batch in chunks(ids):
            found += [int(i) for i in self.session.execute(
                select(AccountMappingRow.id).where(AccountMappingRow.id.in_(batch),
                                                   AccountMappingRow.state == "proposed"))
                      .scalars()]
        return found


def _plan(session: Session, company_id: int, record: ChartImportRow) -> ImportUndoPlan:
    return _Planner(session, company_id, record).plan()


def _type_label(value: str) -> str:
    try:
        return AccountType(value).label
    except ValueError:
        return value


def _source_words(source: str | None) -> str | None:
    """Where an account came from, in words: a file or by hand (`_SOURCE_WORDS`), else the
    provider's name (`Provider.name_of`: a source we do not know, as it is)."""
    if source is None:
        return None
    return _SOURCE_WORDS.get(source) or Provider.name_of(source)


def _what_changes_back(row: Row[Any], before: dict[str, Any],
                       chart: dict[int, tuple[str, str | None, int | None]]) -> str:
    now = account_values(row)
    parts = []
    for name in ACCOUNT_FIELDS:
        if name == "name" or now[name] == before[name]:
            continue
        old, new = before[name], now[name]
        if name == "parent_id":
            old = chart[old][0] if old in chart else "none"
            new = chart[new][0] if new in chart else "none"
        elif name == "type":
            old, new = _type_label(str(old)), _type_label(str(new))
        elif name == "source":
            old, new = _source_words(old), _source_words(new)
        elif name == "active":
            old, new = ("active" if old else "inactive"), ("active" if new else "inactive")
        elif name == "extra":
            parts.append("extras back as they were")
            continue
        parts.append(f"{_FIELD_WORDS.get(name, name)} back to '{old or ''}' (now '{new or ''}')")
    return "; ".join(parts)


# --- undoing -------------------------------------------------------------------------------------


def undo_last_import(db: Database, company_id: int, *, import_id: int | None = None,
                     actor: str | None = None, progress: Progress | None = None
                     ) -> ImportUndoResult:
    """Undo the last import, in one transaction: all of it or (on any error or a cancel)
    nothing. The plan is made again inside the transaction, so anything done since the preview
    counts. `import_id`: the import the user previewed; if another became the last since,
    `WorkflowError` and nothing changes. `NotFound` when there is no import to undo."""
    who = actor or default_actor()
    with db.session() as session:
        row = session.execute(
            select(ChartImportRow)
            .where(ChartImportRow.id == _last_id(session, company_id))
            .with_for_update()).scalar_one()
        if import_id is not None and row.id != import_id:
            raise WorkflowError(
                f"Another chart import ({row.file_name}) is now the last one; nothing was "
                "undone.", hint="Look at the preview again and confirm.")
        plan = _plan(session, company_id, row)
        total = len(plan.restore) + len(plan.remove)
        if progress is not None:
            progress.phase("Undoing the import", total)
        done = 0
        # Subaccounts follow a parent's name back, but not those restored or removed here.
        own_way = {i for i, _ in plan.restore_values} | {i.account_id for i in plan.remove}
        for account_id, before in plan.restore_values:
            _restore(session, company_id, account_id, before, own_way)
            done += 1
            _step(progress, done, total)
        for batch in chunks(plan.proposal_ids):
            session.execute(delete(AccountMappingRow).where(
                AccountMappingRow.id.in_(batch), AccountMappingRow.state == "proposed"))
        for level in _levels(plan.remove):  # subaccounts before their parents
            for batch in chunks(level):
                session.execute(delete(AccountRow).where(AccountRow.company_id == company_id,
                                                         AccountRow.id.in_(batch)))
            done += len(level)
            _step(progress, done, total)
        _audit(session, company_id, who, plan)
        row.undone_at = utc_now()
        row.undone_by = who
        row.undo_result = {
            "removed": [i.full_name for i in plan.remove],
            "restored": [i.full_name for i in plan.restore],
            "kept": [{"full_name": i.full_name, "reason": i.detail} for i in plan.keep],
            "proposals_withdrawn": plan.proposals,
        }
        if progress is not None:
            progress.check_cancelled()
    # The chart's "last import" changed even when every account was kept: the chart re-reads.
    changes = Changes(accounts=True, mappings=bool(plan.proposals or plan.remove))
    return ImportUndoResult(plan, changes)


def _last_id(session: Session, company_id: int) -> int:
    row = _last_row(session, company_id)
    if row is None:
        raise NotFound("There is no chart import to undo.",
                       hint="Only imports made with this version of Bookkeeper Desktop can be "
                            "undone, newest first.")
    return row.id


def _step(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress.check_cancelled()
        progress.report(done, total)


def _levels(items: Sequence[UndoItem]) -> list[list[int]]:
    by_depth: dict[int, list[int]] = defaultdict(list)
    for item in items:
        by_depth[_depth(item.full_name)].append(item.account_id)
    return [by_depth[depth] for depth in sorted(by_depth, reverse=True)]


def _restore(session: Session, company_id: int, account_id: int, before: dict[str, Any],
             own_way: set[int]) -> None:
    row = session.get(AccountRow, account_id)
    assert row is not None
    assert row.company_id == company_id
    old_path = row.full_name
    for name in ACCOUNT_FIELDS:
        setattr(row, name, before[name])
    if old_path != row.full_name:
        # Subaccounts follow their parent's name back, as they follow a rename
        # (`services.accounts.update_account`); those of `own_way` get their own values or go.
        prefix = old_path + ":"
        for child in session.execute(select(AccountRow).where(
                AccountRow.company_id == company_id,
                AccountRow.full_name.startswith(prefix, autoescape=True))).scalars():
            if child.id not in own_way:
                child.full_name = row.full_name + child.full_name[len(old_path):]
    session.flush()  # one at a time: a clash fails here, naming nothing half done


def _audit(session: Session, company_id: int, actor: str, plan: ImportUndoPlan) -> None:
    now = utc_now()
    rows = [{"company_id": company_id, "actor": actor, "action": "delete",
             "object_type": "account", "object_id": item.account_id, "at": now,
             "details": {"full_name": item.full_name, "code": item.code, "by": "undo import"}}
            for item in plan.remove]
    rows += [{"company_id": company_id, "actor": actor, "action": "update",
              "object_type": "account", "object_id": item.account_id, "at": now,
              "details": {"restored": item.detail, "by": "undo import"}}
             for item in plan.restore]
    if rows:
        session.execute(insert(AuditLogRow), rows)
    repositories.add_audit(session, company_id, actor, "undo_import",
                           obj=("chart_import", plan.record.id), details={
                               "file": plan.record.file_name,
                               "imported_at": plan.record.imported_at.isoformat(),
                               "removed": len(plan.remove), "restored": len(plan.restore),
                               "kept": [{"full_name": i.full_name, "reason": i.detail}
                                        for i in plan.keep],
                               "proposals_withdrawn": plan.proposals})
