"""Companies (one set of books each): create, list, rename, switch.

The company last switched to is remembered per database in the user's state file
(`paths.state_file()`), not in the database: on a firm's shared PostgreSQL database each
bookkeeper keeps their own current company.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.errors import DuplicateError, NotFound, ValidationError
from bookkeeper_desktop.paths import state_file
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.mapping import company_of
from bookkeeper_desktop.storage.records import Company
from bookkeeper_desktop.storage.repositories import add_audit
from bookkeeper_desktop.storage.schema import CompanyRow

MAX_NAME_LENGTH = 200


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    problems = []
    if not cleaned:
        problems.append("The company name is empty.")
    if len(cleaned) > MAX_NAME_LENGTH:
        problems.append(f"The company name is longer than {MAX_NAME_LENGTH} characters.")
    if problems:
        raise ValidationError("That company name cannot be used.", problems)
    return cleaned


def _clean_currency(currency: str) -> str:
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError(
            "That currency cannot be used.",
            [f"'{currency}' is not a three-letter currency code such as USD."],
        )
    return code


def list_companies(db: Database) -> list[Company]:
    with db.read_session() as session:
        rows = session.execute(select(CompanyRow).order_by(func.lower(CompanyRow.name)))
        return [company_of(row) for row in rows.scalars()]


def get_company(db: Database, company_id: int) -> Company:
    with db.read_session() as session:
        row = session.get(CompanyRow, company_id)
        if row is None:
            raise NotFound(
                f"There is no company #{company_id}.",
                hint="List the companies with `bookkeeper companies list`.",
            )
        return company_of(row)


def find_company(db: Database, selector: str) -> Company:
    """A company by id (digits) or by name (case-insensitive)."""
    text = selector.strip()
    with db.read_session() as session:
        row: CompanyRow | None = None
        if text.isdigit():
            row = session.get(CompanyRow, int(text))
        if row is None:
            row = session.execute(
                select(CompanyRow).where(func.lower(CompanyRow.name) == text.lower())
            ).scalar_one_or_none()
        if row is None:
            raise NotFound(
                f"There is no company '{selector}'.",
                hint="List the companies with `bookkeeper companies list`.",
            )
        return company_of(row)


def _ensure_unique(db_session: Session, name: str, except_id: int | None = None) -> None:
    query = select(CompanyRow.id).where(func.lower(CompanyRow.name) == name.lower())
    if except_id is not None:
        query = query.where(CompanyRow.id != except_id)
    if db_session.execute(query).first() is not None:
        raise DuplicateError(
            f"There is already a company called '{name}'.", hint="Choose another name."
        )


def create_company(
    db: Database, name: str, *, currency: str = "USD", actor: str | None = None
) -> Company:
    with db.session() as session:
        return insert_company(session, name, currency=currency, actor=actor)


def insert_company(
    session: Session, name: str, *, currency: str = "USD", actor: str | None = None
) -> Company:
    """`create_company` inside a transaction the caller holds (the sample company uses it to
    make the company, its chart and its entries all at once or not at all)."""
    cleaned, code = _clean_name(name), _clean_currency(currency)
    _ensure_unique(session, cleaned)
    row = CompanyRow(name=cleaned, currency=code)
    session.add(row)
    session.flush()
    add_audit(
        session,
        row.id,
        actor or default_actor(),
        "create",
        obj=("company", row.id),
        details={"name": cleaned, "currency": code},
    )
    return company_of(row)


def rename_company(
    db: Database, company_id: int, new_name: str, *, actor: str | None = None
) -> Company:
    cleaned = _clean_name(new_name)
    with db.session() as session:
        row = session.get(CompanyRow, company_id)
        if row is None:
            raise NotFound(f"There is no company #{company_id}.")
        _ensure_unique(session, cleaned, except_id=company_id)
        old = row.name
        row.name = cleaned
        session.flush()
        add_audit(
            session,
            row.id,
            actor or default_actor(),
            "rename",
            obj=("company", row.id),
            details={"from": old, "to": cleaned},
        )
        return company_of(row)


# --- the current company, remembered per database ---------------------------------------------


def _read_state() -> dict[str, Any]:
    try:
        data = json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(state: dict[str, Any]) -> None:
    path = state_file()
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    temporary.replace(path)


def _state_key(db: Database) -> str:
    """Which database the remembered company belongs to: the resolved file for SQLite (however
    its path was written), else the URL without its password."""
    return f"sqlite:{db.sqlite_path.resolve()}" if db.sqlite_path else db.url


def switch_company(db: Database, company_id: int) -> Company:
    """Make `company_id` the current company for this database (remembered across runs)."""
    company = get_company(db, company_id)
    state = _read_state()
    current = state.get("current_company")
    current = current if isinstance(current, dict) else {}
    current[_state_key(db)] = company.id
    state["current_company"] = current
    _write_state(state)
    return company


def current_company(db: Database) -> Company | None:
    """The company last switched to; else the only company; else None."""
    remembered = _read_state().get("current_company", {})
    company_id = remembered.get(_state_key(db)) if isinstance(remembered, dict) else None
    if isinstance(company_id, int):
        with contextlib.suppress(NotFound):
            return get_company(db, company_id)
    companies = list_companies(db)
    return companies[0] if len(companies) == 1 else None


def resolve_company(db: Database, selector: str | None) -> Company:
    """The company a command works on: `--company` (id or name), else the current one."""
    if selector:
        return find_company(db, selector)
    company = current_company(db)
    if company is None:
        companies = list_companies(db)
        hint = (
            "Create one with `bookkeeper companies create NAME` (add --sample for demo data)."
            if not companies
            else "Choose one with --company NAME or `bookkeeper companies switch NAME`."
        )
        raise NotFound(
            "No company is selected." if companies else "There are no companies yet.", hint=hint
        )
    return company
