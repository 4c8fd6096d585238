"""One company, one set of books (issue #12 item 5): a company kept in step with QuickBooks Online
connects Xero *push only*: a sync with Xero pulls none of its transactions, contacts or accounts
into our books (its chart is read only to propose mappings), and sends our entries there,
including those pulled from QuickBooks Online. Against both real loopback sandboxes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bookkeeper_desktop.core.errors import ValidationError
from bookkeeper_desktop.core.journal import EntrySource
from bookkeeper_desktop.providers.config import load_config
from bookkeeper_desktop.providers.connect import ConnectFlow
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from bookkeeper_desktop.services.connection_store import DatabaseConnectionStore
from bookkeeper_desktop.services.connections import is_push_only, kept_in_step_with, set_push_only
from bookkeeper_desktop.storage.schema import AccountRow, ContactRow, JournalEntryRow
from bookkeeper_desktop.sync.push import candidate_ids
from tests.providers.conftest import ScriptedBrowser, sandbox_env
from tests.sync.conftest import TENANT, Books
from tests.sync.helpers import sync


def _second(qbo: Books, xero_server: XeroSandbox) -> Books:
    """Xero connected to the company `qbo` keeps in step with QuickBooks Online."""
    env = sandbox_env(xero=xero_server)
    flow = ConnectFlow(qbo.company_id, load_config("xero", env=env), keychain=qbo.keychain,
                       store=DatabaseConnectionStore(qbo.db), open_browser=ScriptedBrowser(),
                       timeout=10.0)
    flow.run()
    return Books(qbo.db, qbo.company_id, "xero", xero_server, qbo.keychain, env, TENANT)


def _count(books: Books, table: type, *where: object) -> int:
    with books.db.read_session() as session:
        return int(session.execute(select(func.count()).select_from(table).where(
            table.company_id == books.company_id, *where)).scalar_one())  # type: ignore[attr-defined]


def test_a_second_provider_connected_push_only_is_never_pulled_from(
        qbo: Books, xero_server: XeroSandbox) -> None:
    first = sync(qbo)
    assert first.ok, first.summary
    from_qbo = _count(qbo, JournalEntryRow, JournalEntryRow.source == EntrySource.QBO.value)
    assert from_qbo > 0  # the QBO sandbox company has transactions
    xero = _second(qbo, xero_server)
    assert kept_in_step_with(qbo.db, qbo.company_id, other_than="xero") == "qbo"
    set_push_only(qbo.db, qbo.company_id, "xero", True)
    assert is_push_only(qbo.db, qbo.company_id, "xero")
    assert kept_in_step_with(qbo.db, qbo.company_id, other_than="qbo") is None
    accounts = _count(qbo, AccountRow)
    contacts = _count(qbo, ContactRow)
    with qbo.db.read_session() as session:
        to_send = candidate_ids(session, qbo.company_id, "xero", push_only=True)

    result = sync(xero)
    assert result.ok, result.summary
    assert result.direction == "push"  # recorded as such in the sync log
    assert "pulled" not in result.summary
    assert _count(qbo, JournalEntryRow, JournalEntryRow.source == EntrySource.XERO.value) == 0
    assert _count(qbo, AccountRow) == accounts  # no Xero GST beside the QBO accounts
    assert _count(qbo, ContactRow) == contacts
    # The entries pulled from QuickBooks Online are ours to move to Xero.
    with qbo.db.read_session() as session:
        moving = set(candidate_ids(session, qbo.company_id, "xero", push_only=True))
        in_step = set(candidate_ids(session, qbo.company_id, "xero"))
        pulled = set(session.execute(select(JournalEntryRow.id).where(
            JournalEntryRow.company_id == qbo.company_id,
            JournalEntryRow.source == EntrySource.QBO.value)).scalars())
    assert pulled & moving
    assert not pulled & in_step
    # Each was sent, or is in the Not sent list with its reason (unmapped until mapped here).
    assert result.counts["pushed"] + sum(result.counts["not_sent"].values()) == len(to_send)

    with pytest.raises(ValidationError, match="push only"):
        sync(xero, push=False)
    # QuickBooks Online still syncs both ways.
    assert sync(qbo).direction == "both"
