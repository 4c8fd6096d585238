"""`bookkeeper contacts list [--json] [--active]` and `bookkeeper contacts add NAME [--customer]
[--supplier] [--email]`, in-process on a real SQLite database."""

from __future__ import annotations

from tests.cli.conftest import Cli


def test_add_then_list_as_a_table_and_as_json(cli: Cli) -> None:
    assert cli("companies", "create", "Shop").code == 0
    empty = cli("contacts", "list")
    assert empty.code == 0
    assert "'Shop' has no contacts yet" in empty.out
    added = cli("contacts", "add", "  Acme   Ltd ", "--customer", "--email", "ap@acme.test")
    assert added.code == 0
    assert added.out == "Added contact 'Acme Ltd' (customer) to 'Shop'.\n"
    both = cli("contacts", "add", "Bob's Bakery", "--customer", "--supplier", "--json").json()
    assert (both["name"], both["customer"], both["supplier"]) == ("Bob's Bakery", True, True)
    assert cli("contacts", "add", "Nobody Special").code == 0
    listing = cli("contacts", "list", "--json").json()
    assert [(c["name"], c["customer"], c["supplier"], c["email"], c["active"], c["linked"])
            for c in listing] == [
        ("Acme Ltd", True, False, "ap@acme.test", True, {"qbo": False, "xero": False}),
        ("Bob's Bakery", True, True, "", True, {"qbo": False, "xero": False}),
        ("Nobody Special", False, False, "", True, {"qbo": False, "xero": False})]
    table = cli("contacts", "list").out.splitlines()
    assert table[0].split() == ["ID", "NAME", "ROLE", "EMAIL", "ACTIVE", "QBO", "XERO"]
    assert "Customer and supplier" in table[3]
    assert table[2].split()[-3:] == ["yes", "no", "no"]  # active, not linked at QBO or Xero


def test_a_duplicate_name_in_any_case_is_a_one_line_error(cli: Cli) -> None:
    cli("companies", "create", "Shop")
    assert cli("contacts", "add", "Acme Ltd").code == 0
    again = cli("contacts", "add", "ACME LTD")
    assert again.code == 1
    assert again.err == "bookkeeper: error: There is already a contact named 'ACME LTD'.\n"
    blank = cli("contacts", "add", "   ")
    assert blank.code == 1
    assert "A contact needs a name." in blank.err


def test_names_on_saved_lines_are_listed_and_inactive_ones_can_be_left_out(cli: Cli) -> None:
    import datetime as dt

    from bookkeeper_desktop.core.accounts import AccountType
    from bookkeeper_desktop.core.journal import JournalEntry, JournalLine
    from bookkeeper_desktop.services import accounts, companies, entries
    from bookkeeper_desktop.services import contacts as contact_services
    from bookkeeper_desktop.storage.engine import open_database

    assert cli("companies", "create", "Books", "--sample", "--entries", "5").code == 0
    assert cli("contacts", "add", "Old Supplier", "--supplier").code == 0
    db = open_database(cli.db_url)
    try:
        company = companies.current_company(db)
        assert company is not None
        chart = accounts.list_accounts(db, company.id)
        receivable = next(a for a in chart if a.type is AccountType.ACCOUNTS_RECEIVABLE)
        sales = next(a for a in chart if a.code == "4000")
        entries.add_entries(db, company.id, [JournalEntry(dt.date(2026, 5, 1), (
            JournalLine.of(receivable.id or 0, "10.00", contact="Line Customer"),
            JournalLine.of(sales.id or 0, "-10.00")), "INV-1")])
        old = contact_services.find_contact(db, company.id, "Old Supplier")
        assert old is not None
        contact_services.update_contact(db, company.id, old.id or 0, active=False)
    finally:
        db.close()
    listing = cli("contacts", "list", "--json").json()
    # The sample company brings its own customers and suppliers (source "sample").
    assert [(c["name"], c["customer"], c["active"], c["source"]) for c in listing
            if c["source"] != "sample"] == [
        ("Line Customer", True, True, "entry"), ("Old Supplier", False, False, "manual")]
    active = cli("contacts", "list", "--active", "--json").json()
    assert [c["name"] for c in active if c["source"] != "sample"] == ["Line Customer"]
    assert "Old Supplier" not in {c["name"] for c in active}


def test_without_a_company_it_says_what_to_do(cli: Cli) -> None:
    result = cli("contacts", "list")
    assert result.code != 0
    assert result.err.startswith("bookkeeper: error:")
