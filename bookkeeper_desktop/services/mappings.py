"""Account mappings: our account ↔ a QBO account id / Xero account code, first *proposed*
(automatically: number, then exact name, then normalised name; PRODUCT.md §1) and then
*confirmed* by the user. A confirmed mapping is never replaced by a proposal: `propose_mappings`
skips accounts that already have one, so nothing is overwritten silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.errors import NotFound, ValidationError
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.repositories import add_audit
from bookkeeper_desktop.storage.schema import AccountMappingRow, AccountRow
from bookkeeper_desktop.storage.types import utc_now

MAPPING_PROVIDERS = ("qbo", "xero")


class MappingState(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class AccountMapping:
    """One mapping. QBO is matched by `remote_id` (Account.Id); Xero by `remote_code`
    (AccountCode, what manual journal lines carry; API_NOTES.md)."""

    account_id: int
    provider: str
    remote_id: str | None
    remote_code: str | None
    remote_name: str | None
    state: MappingState = MappingState.PROPOSED
    proposal_reason: str = ""
    id: int | None = None
    company_id: int | None = None
    #: What to look at before confirming ("type differs: …", "names differ"); empty when exact.
    warning: str = ""


def _of(row: AccountMappingRow) -> AccountMapping:
    return AccountMapping(
        account_id=row.account_id, provider=row.provider, remote_id=row.remote_id,
        remote_code=row.remote_code, remote_name=row.remote_name,
        state=MappingState(row.state), proposal_reason=row.proposal_reason, id=row.id,
        company_id=row.company_id, warning=row.warning or "",
    )


def _check(provider: str, mapping: AccountMapping | None = None) -> None:
    problems = []
    if provider not in MAPPING_PROVIDERS:
        problems.append(f"Unknown provider '{provider}' (expected qbo or xero).")
    if mapping is not None and not (mapping.remote_id or mapping.remote_code):
        problems.append("A mapping needs the remote account's id or code.")
    if problems:
        raise ValidationError("The account mapping cannot be saved.", problems)


def list_mappings(db: Database, company_id: int, provider: str) -> list[AccountMapping]:
    with db.read_session() as session:
        rows = session.execute(select(AccountMappingRow).where(
            AccountMappingRow.company_id == company_id, AccountMappingRow.provider == provider,
        ).order_by(AccountMappingRow.account_id)).scalars()
        return [_of(row) for row in rows]


def mapping_by_account(db: Database, company_id: int, provider: str,
                       *, confirmed_only: bool = False) -> dict[int, AccountMapping]:
    """Our account id → its mapping (what a push or an export looks accounts up in)."""
    return {
        m.account_id: m for m in list_mappings(db, company_id, provider)
        if not confirmed_only or m.state is MappingState.CONFIRMED
    }


def _account_in_company(session: Session, company_id: int, account_id: int) -> None:
    row = session.get(AccountRow, account_id)
    if row is None or row.company_id != company_id:
        raise NotFound(f"There is no account #{account_id} in this company.")


def save_mapping(db: Database, company_id: int, mapping: AccountMapping, *,
                 actor: str | None = None) -> AccountMapping:
    """Create or replace the mapping of `mapping.account_id` for its provider (the user's
    choice: use `state=CONFIRMED`)."""
    _check(mapping.provider, mapping)
    with db.session() as session:
        _account_in_company(session, company_id, mapping.account_id)
        row = session.execute(select(AccountMappingRow).where(
            AccountMappingRow.company_id == company_id,
            AccountMappingRow.provider == mapping.provider,
            AccountMappingRow.account_id == mapping.account_id,
        )).scalar_one_or_none()
        if row is None:
            row = AccountMappingRow(company_id=company_id, provider=mapping.provider,
                                    account_id=mapping.account_id)
            session.add(row)
        row.remote_id = mapping.remote_id
        row.remote_code = mapping.remote_code
        row.remote_name = mapping.remote_name
        row.state = mapping.state.value
        row.proposal_reason = mapping.proposal_reason
        row.warning = mapping.warning
        row.updated_at = utc_now()
        session.flush()
        add_audit(session, company_id, actor or default_actor(), "map", obj=("mapping", row.id),
                  details={"provider": mapping.provider, "account_id": mapping.account_id,
                           "remote_id": mapping.remote_id, "remote_code": mapping.remote_code,
                           "state": mapping.state.value})
        return _of(row)


def propose_mappings(db: Database, company_id: int, proposals: Iterable[AccountMapping], *,
                     actor: str | None = None) -> list[AccountMapping]:
    """Store proposals for accounts that have no mapping yet; accounts already mapped (proposed
    or confirmed) are left as they are. Returns the proposals stored."""
    stored: list[AccountMapping] = []
    mapped: dict[str, set[int]] = {}
    for proposal in proposals:
        _check(proposal.provider, proposal)
        if proposal.provider not in mapped:
            mapped[proposal.provider] = set(mapping_by_account(db, company_id, proposal.provider))
        if proposal.account_id in mapped[proposal.provider]:
            continue
        mapped[proposal.provider].add(proposal.account_id)
        stored.append(save_mapping(
            db, company_id,
            AccountMapping(
                account_id=proposal.account_id, provider=proposal.provider,
                remote_id=proposal.remote_id, remote_code=proposal.remote_code,
                remote_name=proposal.remote_name, state=MappingState.PROPOSED,
                proposal_reason=proposal.proposal_reason, warning=proposal.warning,
            ),
            actor=actor,
        ))
    return stored


def confirm_mappings(db: Database, company_id: int, provider: str, account_ids: Iterable[int],
                     *, actor: str | None = None) -> int:
    """Mark the proposals of these accounts confirmed; returns how many changed."""
    _check(provider)
    changed = 0
    with db.session() as session:
        for account_id in account_ids:
            row = session.execute(select(AccountMappingRow).where(
                AccountMappingRow.company_id == company_id,
                AccountMappingRow.provider == provider,
                AccountMappingRow.account_id == account_id,
            )).scalar_one_or_none()
            if row is None or row.state == MappingState.CONFIRMED.value:
                continue
            row.state = MappingState.CONFIRMED.value
            row.updated_at = utc_now()
            add_audit(session, company_id, actor or default_actor(), "confirm_mapping",
                      obj=("mapping", row.id), details={"provider": provider,
                                                        "account_id": account_id})
            changed += 1
    return changed


def remove_mapping(db: Database, company_id: int, provider: str, account_id: int, *,
                   actor: str | None = None) -> bool:
    with db.session() as session:
        row = session.execute(select(AccountMappingRow).where(
            AccountMappingRow.company_id == company_id,
            AccountMappingRow.provider == provider,
            AccountMappingRow.account_id == account_id,
        )).scalar_one_or_none()
        if row is None:
            return False
        add_audit(session, company_id, actor or default_actor(), "unmap",
                  obj=("mapping", row.id), details={"provider": provider,
                                                    "account_id": account_id})
        session.delete(row)
        return True
