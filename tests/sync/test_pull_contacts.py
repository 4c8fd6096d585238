"""Contacts pulled from the sandboxes (QBO Customer and Vendor, Xero Contacts): a contact of
ours with the same name is linked, a similar name is only proposed (never merged), the others
join our list with their role, and the next sync adds nothing twice."""

from __future__ import annotations

from bookkeeper_desktop.core.contacts import Contact
from bookkeeper_desktop.sandbox.qbo_seed import CUSTOMERS, VENDORS
from bookkeeper_desktop.sandbox.xero_seed import CUSTOMERS as XERO_CUSTOMERS
from bookkeeper_desktop.sandbox.xero_seed import SUPPLIERS as XERO_SUPPLIERS
from bookkeeper_desktop.services import contacts
from tests.sync.conftest import Books
from tests.sync.helpers import state, sync


def _by_name(books: Books) -> dict[str, Contact]:
    return {c.name: c for c in contacts.list_contacts(books.db, books.company_id)}


def test_qbo_customers_and_vendors_join_our_contacts(qbo: Books) -> None:
    contacts.add_contact(qbo.db, qbo.company_id, Contact("cool  cars", is_customer=True))
    contacts.add_contact(qbo.db, qbo.company_id, Contact("Amys Bird Sanctuary LLC"))
    result = sync(qbo, push=False)
    assert result.ok
    objects = state(qbo)["api"]["realms"][qbo.tenant]["objects"]
    ids = {c["DisplayName"]: c["Id"] for c in objects["Customer"].values()}
    vendor_ids = {v["DisplayName"]: v["Id"] for v in objects["Vendor"].values()}
    ours = _by_name(qbo)
    assert ours["cool cars"].qbo_customer_id == ids["Cool Cars"]  # linked, ours keeps its name
    assert "Cool Cars" not in ours
    assert "Amy's Bird Sanctuary" not in ours  # similar to ours: proposed, not added
    assert ours["Amys Bird Sanctuary LLC"].qbo_customer_id is None
    [proposal] = [p for p in contacts.contact_proposals(qbo.db, qbo.company_id, "qbo")
                  if p.ours.name == "Amys Bird Sanctuary LLC"]
    assert (proposal.remote_id, proposal.reason) == (ids["Amy's Bird Sanctuary"],
                                                     "similar name")
    for name in CUSTOMERS[1:]:
        if name != "Cool Cars":
            assert ours[name].is_customer
            assert ours[name].qbo_customer_id == ids[name]
    for name in VENDORS:
        assert ours[name].is_supplier
        assert ours[name].qbo_vendor_id == vendor_ids[name]
    assert result.counts["contacts_linked"] == 1
    # Confirming the proposal links it; the next sync changes nothing.
    contacts.link(qbo.db, qbo.company_id, ours["Amys Bird Sanctuary LLC"].id or 0,
                  provider="qbo", role="customer", remote_id=proposal.remote_id)
    again = sync(qbo, push=False)
    assert (again.counts["contacts_added"], again.counts["contacts_linked"]) == (0, 0)
    assert _by_name(qbo).keys() == ours.keys()
    assert contacts.contact_proposals(qbo.db, qbo.company_id, "qbo") == []


def test_xero_contacts_join_with_their_roles(xero: Books) -> None:
    assert sync(xero, push=False).ok
    ours = _by_name(xero)
    records = state(xero)["api"]["tenants"][xero.tenant]["records"]["Contacts"].values()
    by_name = {c["Name"]: c for c in records}
    for name in XERO_CUSTOMERS:
        assert ours[name].xero_id == by_name[name]["ContactID"]
        assert ours[name].is_customer == bool(by_name[name].get("IsCustomer"))
    for name in XERO_SUPPLIERS:
        assert ours[name].is_supplier == bool(by_name[name].get("IsSupplier"))
    again = sync(xero, push=False)
    assert again.counts["contacts_added"] == 0
