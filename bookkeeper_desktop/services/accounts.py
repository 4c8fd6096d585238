"""The chart of accounts: list, add (one or many, all or nothing), edit, deactivate, balances.

A subaccount (`Parent:Child`) needs its parent in the chart; `add_accounts` adds parents before
children, so an imported chart may come in any order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.accounts import Account, normalise_path, parent_path
from bookkeeper_desktop.core.errors import DuplicateError, NotFound, ValidationError
from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.mapping import account_of, fill_account_row
from bookkeeper_desktop.storage.schema import AccountRow


def list_accounts(db: Database, company_id: int, *, include_inactive: bool = True) -> list[Account]:
    """The chart in tree order (full names sorted, so parents come before their children)."""
    with db.read_session() as session:
        return [account_of(row) for row in _rows(session, company_id, include_inactive)]


def _rows(session: Session, company_id: int, include_inactive: bool = True) -> list[AccountRow]:
    query = select(AccountRow).where(AccountRow.company_id == company_id)
    if not include_inactive:
        query = query.where(AccountRow.active.is_(True))
    return list(session.execute(query.order_by(AccountRow.full_name)).scalars())


def accounts_by_id(db: Database, company_id: int) -> dict[int, Account]:
    """Every account (inactive ones too), for `core.journal.validate_entry`."""
    return {a.id: a for a in list_accounts(db, company_id) if a.id is not None}


def get_account(db: Database, company_id: int, account_id: int) -> Account:
    with db.read_session() as session:
        return account_of(_row(session, company_id, account_id))


def _row(session: Session, company_id: int, account_id: int) -> AccountRow:
    row = session.get(AccountRow, account_id)
    if row is None or row.company_id != company_id:
        raise NotFound(f"There is no account #{account_id} in this company.")
    return row


def find_account(db: Database, company_id: int, code_or_full_name: str) -> Account | None:
    """An account by code, else by full name (case-insensitive)."""
    text = code_or_full_name.strip()
    with db.read_session() as session:
        base = select(AccountRow).where(AccountRow.company_id == company_id)
        row = session.execute(base.where(AccountRow.code == text)).scalar_one_or_none()
        if row is None:
            row = (
                session.execute(
                    base.where(func.lower(AccountRow.full_name) == normalise_path(text).lower())
                )
                .scalars()
                .first()
            )
        return account_of(row) if row else None


def _check_unique(
    session: Session, company_id: int, account: Account, except_id: int | None = None
) -> list[str]:
    problems = []
    base = select(AccountRow.id).where(AccountRow.company_id == company_id)
    if except_id is not None:
        base = base.where(AccountRow.id != except_id)
    if session.execute(
        base.where(func.lower(AccountRow.full_name) == account.full_name.lower())
    ).first():
        problems.append(f"There is already an account called '{account.full_name}'.")
    if account.code and session.execute(base.where(AccountRow.code == account.code)).first():
        problems.append(f"Account code {account.code} is already used.")
    return problems


def _parent_id(session: Session, company_id: int, full_name: str) -> int | None:
    parent = parent_path(full_name)
    if parent is None:
        return None
    parent_id = session.execute(
        select(AccountRow.id).where(
            AccountRow.company_id == company_id,
            func.lower(AccountRow.full_name) == parent.lower(),
        )
    ).scalar_one_or_none()
    if parent_id is None:
        raise ValidationError(
            f"Account '{full_name}' cannot be added.",
            [f"Its parent account '{parent}' does not exist."],
            hint="Add the parent account first.",
        )
    return parent_id


def _normalised(account: Account) -> Account:
    code = account.code.strip() if account.code else None
    fixed = account.with_changes(full_name=normalise_path(account.full_name), code=code or None)
    fixed.ensure_valid()
    return fixed


def _insert(session: Session, company_id: int, account: Account, actor: str) -> AccountRow:
    problems = _check_unique(session, company_id, account)
    if problems:
        raise DuplicateError(
            f"Account '{account.full_name}' cannot be added: " + " ".join(problems)
        )
    row = AccountRow(company_id=company_id)
    fill_account_row(row, account, _parent_id(session, company_id, account.full_name))
    session.add(row)
    session.flush()
    repositories.add_audit(
        session,
        company_id,
        actor,
        "create",
        obj=("account", row.id),
        details={"full_name": row.full_name, "code": row.code, "type": row.type},
    )
    return row


def add_account(
    db: Database, company_id: int, account: Account, *, actor: str | None = None
) -> Account:
    fixed = _normalised(account)
    with db.session() as session:
        return account_of(_insert(session, company_id, fixed, actor or default_actor()))


def add_accounts(
    db: Database, company_id: int, accounts: Iterable[Account], *, actor: str | None = None
) -> list[Account]:
    """Add many accounts in one transaction: all of them, or (on any problem) none."""
    with db.session() as session:
        return insert_accounts(session, company_id, accounts, actor=actor)


def insert_accounts(
    session: Session, company_id: int, accounts: Iterable[Account], *, actor: str | None = None
) -> list[Account]:
    """`add_accounts` inside a transaction the caller holds (parents before children)."""
    fixed = sorted((_normalised(a) for a in accounts), key=lambda a: a.depth)
    who = actor or default_actor()
    rows = [_insert(session, company_id, account, who) for account in fixed]
    return [account_of(row) for row in rows]


def update_account(
    db: Database, company_id: int, account: Account, *, actor: str | None = None
) -> Account:
    """Save an edited account (found by `account.id`). Renaming a parent renames the paths of
    its subaccounts too."""
    if account.id is None:
        raise ValidationError("Only a saved account can be edited.")
    fixed = _normalised(account)
    with db.session() as session:
        row = _row(session, company_id, account.id)
        problems = _check_unique(session, company_id, fixed, except_id=row.id)
        if problems:
            raise DuplicateError(
                f"Account '{fixed.full_name}' cannot be saved: " + " ".join(problems)
            )
        before = account_of(row)
        old_path = row.full_name
        parent_id = _parent_id(session, company_id, fixed.full_name)
        if parent_id == row.id:
            raise ValidationError("An account cannot be its own parent.")
        fill_account_row(row, fixed, parent_id)
        if old_path != fixed.full_name:
            for child in _rows(session, company_id):
                if child.full_name.startswith(old_path + ":"):
                    child.full_name = fixed.full_name + child.full_name[len(old_path) :]
        session.flush()
        changed = {
            name: [str(getattr(before, name)), str(getattr(fixed, name))]
            for name in (
                "full_name",
                "code",
                "type",
                "description",
                "tax_code",
                "detail_type",
                "active",
            )
            if getattr(before, name) != getattr(fixed, name)
        }
        repositories.add_audit(
            session,
            company_id,
            actor or default_actor(),
            "update",
            obj=("account", row.id),
            details=changed,
        )
        return account_of(row)


def deactivate_account(
    db: Database, company_id: int, account_id: int, *, actor: str | None = None
) -> Account:
    """Mark an account inactive: it stays in history but takes no new lines."""
    with db.session() as session:
        row = _row(session, company_id, account_id)
        row.active = False
        session.flush()
        repositories.add_audit(
            session,
            company_id,
            actor or default_actor(),
            "deactivate",
            obj=("account", row.id),
            details={"full_name": row.full_name},
        )
        return account_of(row)


def account_balances(
    db: Database,
    company_id: int,
    *,
    statuses: Sequence[EntryStatus] = (EntryStatus.POSTED,),
    as_of: dt.date | None = None,
) -> dict[int, Decimal]:
    """Debit-positive balance per account id (accounts without lines are left out)."""
    with db.read_session() as session:
        return repositories.account_balances(session, company_id, statuses, as_of)
