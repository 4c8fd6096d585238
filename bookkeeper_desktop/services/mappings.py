"""Account mappings: our account ↔ a QBO account id / Xero account code, first *proposed*
(automatically: number with a compatible type, then name; `core.account_matching`) and then
*confirmed* by the user. A confirmed mapping is never replaced by a proposal: `propose_mappings`
skips accounts that already have one, so nothing is overwritten silently.

A proposal with a warning (type differs, names differ) is confirmed only when the caller says
the user accepted it (`confirm_mappings(..., accept_warnings=True)`: the GUI asks, the CLI wants
`--accept-warnings`). Any account can also be mapped by hand to any remote account the last
sync saw (`list_remote_accounts`, `map_by_hand`), or have its remote account created
(`services.remote_accounts`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.account_matching import compatible, type_warning
from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.errors import NotFound, ValidationError
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.mapping import account_of
from bookkeeper_desktop.storage.repositories import add_audit
from bookkeeper_desktop.storage.schema import AccountMappingRow, AccountRow, RemoteObjectRow
from bookkeeper_desktop.storage.types import utc_now
from bookkeeper_desktop.sync.pull import remote_account

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
                     *, accept_warnings: bool = False, actor: str | None = None) -> int:
    """Mark the proposals of these accounts confirmed; returns how many changed. Proposals with
    a warning need `accept_warnings` (the user was asked): otherwise nothing is confirmed and
    a `ValidationError` lists them."""
    _check(provider)
    changed = 0
    with db.session() as session:
        rows = []
        for account_id in account_ids:
            row = session.execute(select(AccountMappingRow).where(
                AccountMappingRow.company_id == company_id,
                AccountMappingRow.provider == provider,
                AccountMappingRow.account_id == account_id,
            )).scalar_one_or_none()
            if row is None or row.state == MappingState.CONFIRMED.value:
                continue
            rows.append(row)
        flagged = [row for row in rows if row.warning]
        if flagged and not accept_warnings:
            names = {a.id: a.full_name for a in session.execute(select(AccountRow).where(
                AccountRow.id.in_([row.account_id for row in flagged]))).scalars()}
            raise ValidationError(
                f"{len(flagged)} proposal(s) differ from our account; nothing was confirmed.",
                [f"{names.get(row.account_id, row.account_id)} → {row.remote_name}: "
                 f"{row.warning}" for row in flagged],
                hint="Check them, then confirm them anyway or pick another account.")
        for row in rows:
            account_id = row.account_id
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


# --- mapping by hand -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteAccount:
    """An account of the provider's chart as the last sync saw it. `key` is what a mapping
    names it by (QBO Account Id, Xero AccountID); `account` is None when its type is one we do
    not know. `mapped_to`: our account mapped to it, if any."""

    key: str
    code: str | None
    name: str
    type_label: str
    account: Account | None
    active: bool
    mapped_to: int | None = None

    @property
    def account_type(self) -> AccountType | None:
        return self.account.type if self.account is not None else None

    def matches(self, text: str) -> bool:
        """For the picker's search: the words typed appear in the number, name or type."""
        haystack = f"{self.code or ''} {self.name} {self.type_label}".lower()
        return all(word in haystack for word in text.lower().split())


def _remote_rows(session: Session, company_id: int, provider: str) -> list[RemoteObjectRow]:
    return list(session.execute(select(RemoteObjectRow).where(
        RemoteObjectRow.company_id == company_id, RemoteObjectRow.provider == provider,
        RemoteObjectRow.object_type == "Account", RemoteObjectRow.deleted.is_(False),
    )).scalars())


def _remote_of(provider: str, row: RemoteObjectRow, mapped: dict[str, int]) -> RemoteAccount:
    raw = {k: v for k, v in (row.payload or {}).items() if not k.startswith("_")}
    account = remote_account(provider, raw)
    if provider == "qbo":
        name = str(raw.get("FullyQualifiedName") or raw.get("Name") or "")
        code = str(raw.get("AcctNum") or "") or None
        label = str(raw.get("AccountType") or "")
        active = bool(raw.get("Active", True))
    else:
        name, code = str(raw.get("Name") or ""), str(raw.get("Code") or "") or None
        label = str(raw.get("Type") or "")
        active = str(raw.get("Status") or "ACTIVE").upper() == "ACTIVE"
    if account is not None:
        label = account.type.label
    return RemoteAccount(key=row.remote_id, code=code, name=name, type_label=label,
                         account=account, active=active, mapped_to=mapped.get(row.remote_id))


def list_remote_accounts(db: Database, company_id: int, provider: str
                         ) -> list[RemoteAccount]:
    """The provider's chart as last pulled (a sync fetches it), by number then name; inactive
    (archived) accounts last."""
    _check(provider)
    with db.read_session() as session:
        mapped = {row.remote_id: row.account_id for row in session.execute(
            select(AccountMappingRow).where(AccountMappingRow.company_id == company_id,
                                            AccountMappingRow.provider == provider)).scalars()
            if row.remote_id}
        found = [_remote_of(provider, row, mapped)
                 for row in _remote_rows(session, company_id, provider)]
    return sorted(found, key=lambda r: (not r.active, r.code is None, r.code or "",
                                        r.name.lower()))


def find_remote_account(remotes: Iterable[RemoteAccount], text: str) -> RemoteAccount:
    """A remote account named by its id, number/code or full name (any case)."""
    wanted = text.strip().lower()
    listed = list(remotes)
    fields: tuple[Callable[[RemoteAccount], str], ...] = (
        lambda r: r.key, lambda r: r.code or "", lambda r: r.name)
    for field_of in fields:
        hits = [r for r in listed if field_of(r).lower() == wanted]
        if len(hits) == 1:
            return hits[0]
    raise NotFound(f"The provider has no account '{text}' (as of the last sync).",
                   hint="Sync first to fetch its chart, or create the account there.")


def map_by_hand(db: Database, company_id: int, provider: str, account_id: int,
                remote: RemoteAccount, *, actor: str | None = None) -> AccountMapping:
    """Map our account to `remote`, confirmed: the user chose it. Choosing one of another kind
    is allowed, and the mapping keeps the warning for the table to show. A remote account may
    stand for several of ours (a push names it for each; a pull posts its lines to the one
    mapped first); the picker shows which of ours already use it."""
    _check(provider)
    with db.read_session() as session:
        row = session.get(AccountRow, account_id)
        if row is None or row.company_id != company_id:
            raise NotFound(f"There is no account #{account_id} in this company.")
        ours = account_of(row)
    warning = ""
    if remote.account is not None:
        if not compatible(ours.type, remote.account.type):
            warning = (f"different kind: {ours.type.label} here, {remote.account.type.label} "
                       "there")
        else:
            warning = type_warning(provider, ours, remote.account) or ""
    return save_mapping(db, company_id, AccountMapping(
        account_id=account_id, provider=provider, remote_id=remote.key,
        remote_code=remote.code, remote_name=remote.name, state=MappingState.CONFIRMED,
        proposal_reason="chosen by hand", warning=warning), actor=actor)
