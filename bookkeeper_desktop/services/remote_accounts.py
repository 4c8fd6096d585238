"""Creating our accounts at the provider ("Create in QuickBooks Online / Xero"), for the accounts
that have nothing to map to there.

    plan = plan_remote_accounts(db, company_id, "xero")            # every unmapped account
    plan = plan_remote_accounts(db, company_id, "qbo", [12, 14])   # these
    outcome = create_remote_accounts(db, company_id, "qbo", [p.account_id for p in plan if p.ok],
                                     progress=progress)

The plan is the preview: each account as it will be created there (our name, our number as QBO's
`AcctNum` / Xero's `Code`, the provider's type for ours and QBO's detail type) or why it cannot
be (Xero codes are at most 10 characters and every non-bank account needs one; Xero creates a
bank account only with its bank account number; neither has a non-posting type; QBO account
numbers are at most 7 characters; a QBO sub-account needs its parent there first).

Creating is idempotent: the provider's chart is read first and an account already there with the
same name or number/code (compatible type) is mapped, not created again — so a retry after a
dropped connection never makes a second copy. Each create also carries a request id derived from
what is sent (QBO `requestid`, Xero `Idempotency-Key`). Every account is committed (its mapping
confirmed, reason "created in …") as soon as the provider answers, so Cancel between accounts
keeps what was done.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bookkeeper_desktop.core.account_matching import compatible
from bookkeeper_desktop.core.accounts import (
    Account,
    AccountType,
    leaf_name,
    to_qbo_api,
    to_xero_code,
)
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import BookkeeperError, NotFound, RemoteError
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.providers.tokens import TokenManagers
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.services.mappings import AccountMapping, MappingState, save_mapping
from bookkeeper_desktop.services.sync import open_client
from bookkeeper_desktop.settings import Settings
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.mapping import account_of
from bookkeeper_desktop.storage.schema import AccountMappingRow, AccountRow
from bookkeeper_desktop.sync import store
from bookkeeper_desktop.sync.clients import QboClient, XeroClient
from bookkeeper_desktop.sync.pull import remote_account
from bookkeeper_desktop.sync.remote_entries import updated_at_of, version_of

#: Xero: "Code … max length = 10" (the Accounts API); the sandbox refuses longer ones too.
XERO_CODE_MAX = 10
#: QBO: AcctNum is at most 7 characters (the sandbox follows the Account entity reference).
QBO_ACCT_NUM_MAX = 7
#: QBO needs a detail type (AccountSubType) of the account's type; these are QBO's own defaults
#: for a new account of each type (reference/qbo_account_subtypes.txt).
QBO_DEFAULT_DETAIL_TYPE: dict[AccountType, str] = {
    AccountType.BANK: "Checking",
    AccountType.ACCOUNTS_RECEIVABLE: "AccountsReceivable",
    AccountType.OTHER_CURRENT_ASSET: "OtherCurrentAssets",
    AccountType.FIXED_ASSET: "MachineryAndEquipment",
    AccountType.OTHER_ASSET: "OtherLongTermAssets",
    AccountType.ACCOUNTS_PAYABLE: "AccountsPayable",
    AccountType.CREDIT_CARD: "CreditCard",
    AccountType.OTHER_CURRENT_LIABILITY: "OtherCurrentLiabilities",
    AccountType.LONG_TERM_LIABILITY: "OtherLongTermLiabilities",
    AccountType.EQUITY: "OwnersEquity",
    AccountType.INCOME: "ServiceFeeIncome",
    AccountType.COST_OF_GOODS_SOLD: "SuppliesMaterialsCogs",
    AccountType.EXPENSE: "OfficeGeneralAdministrativeExpenses",
    AccountType.OTHER_INCOME: "OtherMiscellaneousIncome",
    AccountType.OTHER_EXPENSE: "OtherMiscellaneousExpense",
}


@dataclass(frozen=True)
class PlannedAccount:
    """One account as it would be created at the provider, or why it cannot be."""

    account_id: int
    full_name: str
    #: The name sent (QBO: the last part, under `parent`; Xero: the full name).
    name: str
    code: str | None
    remote_type: str
    detail_type: str | None
    parent: str | None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self, provider: str) -> str:
        """One line of the preview."""
        number = f"{self.code} " if self.code else ""
        kind = self.remote_type + (f" / {self.detail_type}" if self.detail_type else "")
        where = f" under {self.parent}" if self.parent else ""
        if self.problems:
            return f"{number}{self.full_name}: cannot be created — {'; '.join(self.problems)}"
        return f"{number}{self.name} ({kind}){where}"


def _detail_type(account: Account) -> str:
    # Our detail type came from a QBO chart when it is a QBO API name ("CostOfLaborCos").
    own = (account.detail_type or "").strip()
    if own and " " not in own and own[:1].isupper():
        return own
    return QBO_DEFAULT_DETAIL_TYPE[account.type]


def _plan_one(provider: str, account: Account, mapped_parents: set[str]) -> PlannedAccount:
    assert account.id is not None
    problems: list[str] = []
    code = account.code
    parent = account.parent_full_name
    detail: str | None = None
    if provider == "xero":
        name = account.full_name
        parent = None  # Xero has no sub-accounts: the full name says where it belongs
        remote_type = to_xero_code(account.type) or ""
        if not remote_type:
            problems.append("Xero has no non-posting accounts")
        elif account.type is AccountType.BANK:
            problems.append("Xero creates a bank account only with its bank account number: "
                            "add it in Xero (Accounting → Bank accounts), then map it here")
        if not code and account.type is not AccountType.BANK:
            problems.append("Xero needs a code for every account: give it a number first")
        elif code and len(code) > XERO_CODE_MAX:
            problems.append(f"its number '{code}' is longer than Xero's {XERO_CODE_MAX} "
                            "characters: give it a shorter number first")
        if len(name) > 150:
            problems.append("its name is longer than Xero's 150 characters")
    else:
        name = leaf_name(account.full_name)
        if account.type is AccountType.NON_POSTING:
            problems.append("QuickBooks Online has no non-posting accounts")
            remote_type = to_qbo_api(account.type)
        else:
            remote_type = to_qbo_api(account.type)
            detail = _detail_type(account)
        if code and len(code) > QBO_ACCT_NUM_MAX:
            problems.append(f"its number '{code}' is longer than QuickBooks Online's "
                            f"{QBO_ACCT_NUM_MAX} characters")
        if '"' in name:
            problems.append('QuickBooks Online names cannot contain "')
        if parent and parent.lower() not in mapped_parents:
            problems.append(f"its parent '{parent}' is not in QuickBooks Online yet: create or "
                            "map the parent too")
    return PlannedAccount(account.id, account.full_name, name, code, remote_type, detail,
                          parent, tuple(problems))


def plan_remote_accounts(db: Database, company_id: int, provider: str,
                         account_ids: Iterable[int] | None = None) -> list[PlannedAccount]:
    """What creating these accounts (default: every active account with no mapping, "Create
    all missing") would send, parents before children."""
    if provider not in tuple(Provider):
        raise NotFound(f"Unknown provider '{provider}' (expected qbo or xero).")
    with db.read_session() as session:
        rows = {row.id: row for row in session.execute(select(AccountRow).where(
            AccountRow.company_id == company_id)).scalars()}
        mappings = {m.account_id: m for m in session.execute(select(AccountMappingRow).where(
            AccountMappingRow.company_id == company_id,
            AccountMappingRow.provider == provider)).scalars()}
        if account_ids is None:
            wanted = [i for i, row in rows.items() if row.active and i not in mappings]
        else:
            wanted = list(dict.fromkeys(account_ids))
            missing = [i for i in wanted if i not in rows]
            if missing:
                raise NotFound(f"There is no account #{missing[0]} in this company.")
        accounts = sorted((account_of(rows[i]) for i in wanted),
                          key=lambda a: (a.depth, a.full_name.lower()))
    names_by_id = {row.id: row.full_name.lower() for row in rows.values()}
    confirmed = {names_by_id[i] for i, m in mappings.items()
                 if m.state == MappingState.CONFIRMED.value and i in names_by_id}
    # A parent counts as there when it is mapped or is created earlier in the same plan.
    there = set(confirmed)
    plan: list[PlannedAccount] = []
    for account in accounts:
        mapping = mappings.get(account.id or 0)
        planned = _plan_one(provider, account, there)
        if mapping is not None and mapping.state == MappingState.CONFIRMED.value:
            planned = PlannedAccount(
                planned.account_id, planned.full_name, planned.name, planned.code,
                planned.remote_type, planned.detail_type, planned.parent,
                (*planned.problems, f"it is already mapped to '{mapping.remote_name}'"))
        if planned.ok:
            there.add(account.full_name.lower())
        plan.append(planned)
    return plan


@dataclass(frozen=True)
class CreateOutcome:
    """What `create_remote_accounts` did: accounts created, found already there (and mapped),
    and refused or skipped ("name: why")."""

    provider: str
    created: tuple[str, ...] = ()
    found: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    @property
    def changes(self) -> Changes:
        return Changes(mappings=bool(self.created or self.found))

    @property
    def summary(self) -> str:
        name = Provider.name_of(self.provider)
        parts = [f"{len(self.created)} account(s) created in {name}"]
        if self.found:
            parts.append(f"{len(self.found)} already there and mapped")
        if self.failed:
            parts.append(f"{len(self.failed)} not created")
        return ", ".join(parts) + "."


def _request_id(company_id: int, provider: str, planned: PlannedAccount) -> str:
    """The same account sent the same way gets the same id (a resend is answered, not acted on
    twice); a changed name, number or type gets a new one. 36 characters: QBO's limit."""
    text = "|".join((str(company_id), provider, str(planned.account_id), planned.name,
                     planned.code or "", planned.remote_type, planned.parent or ""))
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bookkeeper-desktop/create-account/{text}"))


def _identity(provider: str, raw: Mapping[str, Any]) -> tuple[str, str, str]:
    """A remote account's id, full name (lower case) and number/code."""
    if provider == "qbo":
        return (str(raw.get("Id")), str(raw.get("FullyQualifiedName") or raw.get("Name") or "")
                .lower(), str(raw.get("AcctNum") or ""))
    return str(raw.get("AccountID")), str(raw.get("Name") or "").lower(), str(raw.get("Code")
                                                                               or "")


def create_remote_accounts(db: Database, company_id: int, provider: str,
                           account_ids: Iterable[int] | None = None, *,
                           progress: Progress | None = None,
                           client: QboClient | XeroClient | None = None,
                           settings: Settings | None = None, env: Mapping[str, str] | None = None,
                           keychain: Keychain | None = None, managers: TokenManagers | None = None,
                           actor: str | None = None) -> CreateOutcome:
    """Create these accounts (default: every unmapped one) at the provider and map them
    (module docstring). Raises only when nothing can be done (not connected, the connection
    dropped: what was done so far stays done); an account the provider refuses is listed in
    `failed` with its reason and the others go on."""
    progress = progress or Progress()
    who = actor or default_actor()
    plan = plan_remote_accounts(db, company_id, provider, account_ids)
    failed = [f"{p.full_name}: {'; '.join(p.problems)}" for p in plan if not p.ok]
    todo = [p for p in plan if p.ok]
    if not todo:
        return CreateOutcome(provider, failed=tuple(failed))
    own = client is None
    api = client or open_client(db, company_id, provider, settings=settings, env=env,
                                keychain=keychain, managers=managers)
    name = Provider.name_of(provider)
    created: list[str] = []
    found: list[str] = []
    try:
        progress.report(0, len(todo) + 1, f"Reading the chart of accounts in {name}")
        chart = api.accounts(progress=progress)
        by_name: dict[str, Mapping[str, Any]] = {}
        by_code: dict[str, Mapping[str, Any]] = {}
        for raw in chart:
            _, full, code = _identity(provider, raw)
            by_name.setdefault(full, raw)
            if code:
                by_code.setdefault(code.lower(), raw)
        remote_ids: dict[str, str] = _mapped_remote_ids(db, company_id, provider)
        for number, planned in enumerate(todo, start=1):
            progress.report(number, len(todo) + 1, f"Creating {planned.full_name} in {name}")
            progress.check_cancelled()
            ours = _our_account(db, company_id, planned.account_id)
            there = by_name.get(planned.full_name.lower()) or (
                by_code.get(planned.code.lower()) if planned.code else None)
            if there is not None:
                theirs = remote_account(provider, there)
                if theirs is None or not compatible(ours.type, theirs.type):
                    what = theirs.type.label if theirs is not None else "an unknown type"
                    failed.append(f"{planned.full_name}: {name} already has an account "
                                  f"'{_identity(provider, there)[1]}' of {what}; map it by hand "
                                  "or rename one of them")
                    continue
                _save(db, company_id, provider, planned, there, reason=f"found in {name}",
                      actor=who)
                remote_ids[planned.full_name.lower()] = _identity(provider, there)[0]
                found.append(planned.full_name)
                continue
            body = _body(provider, planned, remote_ids)
            try:
                if isinstance(api, QboClient):
                    answer = api.create_account(
                        body, request_id=_request_id(company_id, provider, planned),
                        progress=progress)
                else:
                    answer = api.create_account(
                        body, key=_request_id(company_id, provider, planned), progress=progress)
            except BookkeeperError as exc:
                if not _refused(exc):
                    raise
                failed.append(f"{planned.full_name}: {exc}")
                continue
            _save(db, company_id, provider, planned, answer, reason=f"created in {name}",
                  actor=who)
            remote_ids[planned.full_name.lower()] = _identity(provider, answer)[0]
            created.append(planned.full_name)
        progress.report(len(todo) + 1, len(todo) + 1, "Done")
    finally:
        if own:
            api.api.close()
    return CreateOutcome(provider, tuple(created), tuple(found), tuple(failed))


def _refused(exc: BookkeeperError) -> bool:
    """The provider turned this account down (a validation fault): the others can go on. A
    dropped connection, a sign-in or a rate limit stops the run instead."""
    return isinstance(exc, RemoteError) and exc.status in (400, 422)


def _mapped_remote_ids(db: Database, company_id: int, provider: str) -> dict[str, str]:
    """Our full name (lower case) → the remote id it is mapped to (parents for QBO)."""
    with db.read_session() as session:
        return {full.lower(): rid for full, rid in session.execute(
            select(AccountRow.full_name, AccountMappingRow.remote_id)
            .join(AccountMappingRow, AccountMappingRow.account_id == AccountRow.id)
            .where(AccountMappingRow.company_id == company_id,
                   AccountMappingRow.provider == provider)) if rid}


def _our_account(db: Database, company_id: int, account_id: int) -> Account:
    with db.read_session() as session:
        row = session.get(AccountRow, account_id)
        if row is None or row.company_id != company_id:
            raise NotFound(f"There is no account #{account_id} in this company.")
        return account_of(row)


def _body(provider: str, planned: PlannedAccount, remote_ids: Mapping[str, str]
          ) -> dict[str, Any]:
    if provider == "xero":
        body: dict[str, Any] = {"Name": planned.name, "Type": planned.remote_type}
        if planned.code:
            body["Code"] = planned.code
        return body
    body = {"Name": planned.name, "AccountType": planned.remote_type,
            "AccountSubType": planned.detail_type}
    if planned.code:
        body["AcctNum"] = planned.code
    if planned.parent:
        body["ParentRef"] = {"value": remote_ids[planned.parent.lower()]}
    return body


def _save(db: Database, company_id: int, provider: str, planned: PlannedAccount,
          raw: Mapping[str, Any], *, reason: str, actor: str) -> None:
    remote_id, full, code = _identity(provider, raw)
    with db.session() as session:
        store.save_remote(session, company_id, provider, "Account", raw, remote_id=remote_id,
                          version=version_of(provider, raw),
                          updated_at=updated_at_of(provider, raw), entry_id=None, local=None)
    save_mapping(db, company_id, AccountMapping(
        account_id=planned.account_id, provider=provider, remote_id=remote_id,
        remote_code=code or None,
        remote_name=str(raw.get("FullyQualifiedName") or raw.get("Name") or full),
        state=MappingState.CONFIRMED, proposal_reason=reason), actor=actor)
