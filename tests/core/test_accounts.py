import pytest

from bookkeeper_desktop.core import accounts as acc
from bookkeeper_desktop.core.accounts import Account, AccountClass, AccountType
from bookkeeper_desktop.core.errors import ValidationError

REFERENCE = __import__("pathlib").Path(__file__).resolve().parents[3] / "shared" / "reference"


def test_every_type_has_a_name_in_every_system() -> None:
    for t in AccountType:
        assert acc.from_iif(acc.to_iif(t)) is t
        assert acc.from_qbo(acc.to_qbo_api(t)) is t
        assert acc.from_qbo(acc.to_qbo_label(t)) is t
        code = acc.to_xero_code(t)
        if t is AccountType.NON_POSTING:
            assert code is None
        else:
            assert code is not None
            assert acc.from_xero(code) is not None
            assert acc.from_xero(code).account_class is t.account_class  # type: ignore[union-attr]


def test_iif_has_exactly_the_sixteen_intuit_codes() -> None:
    assert set(acc.IIF_CODE_OF.values()) == {
        "BANK", "AR", "OCASSET", "FIXASSET", "OASSET", "AP", "CCARD", "OCLIAB", "LTLIAB",
        "EQUITY", "INC", "COGS", "EXP", "EXINC", "EXEXP", "NONPOSTING",
    }
    assert acc.from_iif("ocasset") is AccountType.OTHER_CURRENT_ASSET
    assert acc.from_iif("MISC_LABOR_INCOME") is None


@pytest.mark.parametrize(
    ("label", "expected"),
    [("Accounts receivable (A/R)", AccountType.ACCOUNTS_RECEIVABLE),
     ("Accounts Payable", AccountType.ACCOUNTS_PAYABLE),
     ("Expenses", AccountType.EXPENSE), ("expense", AccountType.EXPENSE),
     ("Other Current Assets", AccountType.OTHER_CURRENT_ASSET),
     ("LONG TERM LIABILITIES", AccountType.LONG_TERM_LIABILITY),
     ("Cost of Goods Sold", AccountType.COST_OF_GOODS_SOLD)],
)
def test_qbo_reads_api_names_and_ui_labels_in_any_case(label: str, expected: AccountType) -> None:
    assert acc.from_qbo(label) is expected


def test_qbo_writes_the_label_its_import_accepts() -> None:
    assert acc.to_qbo_label(AccountType.EXPENSE) == "Expenses"
    assert acc.to_qbo_api(AccountType.EXPENSE) == "Expense"
    assert acc.from_qbo("Gadgets") is None


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [("Current Asset", "CURRENT", AccountType.OTHER_CURRENT_ASSET),
     ("Non-Current Asset", "NONCURRENT", AccountType.OTHER_ASSET),
     ("Non-current Liability", "TERMLIAB", AccountType.LONG_TERM_LIABILITY),
     ("Overhead", "OVERHEADS", AccountType.EXPENSE),
     ("Direct Costs", "DIRECTCOSTS", AccountType.COST_OF_GOODS_SOLD),
     ("Depreciation", "DEPRECIATN", AccountType.EXPENSE),
     ("revenue", "REVENUE", AccountType.INCOME),
     ("Accounts Receivable", "CURRENT", AccountType.ACCOUNTS_RECEIVABLE),
     ("VAT", "CURRLIAB", AccountType.OTHER_CURRENT_LIABILITY),
     ("Retained Earnings", "EQUITY", AccountType.EQUITY)],
)
def test_xero_display_names_codes_and_system_types(
    name: str, code: str, expected: AccountType
) -> None:
    assert acc.from_xero(name) is expected
    assert acc.xero_api_code(name) == code
    assert acc.from_xero(code) is not None


def test_xero_system_types_are_recognised_as_system() -> None:
    system = acc.xero_system_type("accounts payable")
    assert system is not None
    assert system.system_account == "CREDITORS"
    assert acc.xero_system_type("Expense") is None


def test_qbo_subtype_labels_match_api_names_through_type_key() -> None:
    path = REFERENCE / "qbo_account_subtypes.txt"
    if not path.exists():
        pytest.skip("../shared/reference not present")
    names = [line.strip() for line in path.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert len(names) == 298
    known = {acc.type_key(n): n for n in names}
    for name in names:
        assert acc.qbo_subtype_api_name(acc.qbo_subtype_label(name), known) == name
    assert acc.qbo_subtype_api_name("Supplies & Materials - COGS", known) == "SuppliesMaterialsCogs"
    assert acc.qbo_subtype_api_name("Owner's Equity", known) == "OwnersEquity"


def test_paths() -> None:
    assert acc.split_path("Expenses : Travel:Meals") == ("Expenses", "Travel", "Meals")
    assert acc.parent_path("Expenses:Travel:Meals") == "Expenses:Travel"
    assert acc.parent_path("Expenses") is None
    assert acc.normalise_path(" A : B ") == "A:B"
    assert acc.validate_path("Expenses::Meals") != []
    assert acc.validate_path("Expenses:") != []
    assert acc.validate_path("  ") == ["the account name is empty"]


def test_account_value() -> None:
    a = Account("Utilities:Electric", AccountType.EXPENSE, code="6010")
    assert a.name == "Electric"
    assert a.parent_full_name == "Utilities"
    assert a.depth == 1
    assert a.account_class is AccountClass.EXPENSE
    assert a.account_class.is_debit_normal
    assert not AccountType.INCOME.account_class.is_debit_normal
    with pytest.raises(ValidationError) as info:
        Account("Utilities::", AccountType.EXPENSE).ensure_valid()
    assert info.value.problems
    renamed = a.with_changes(full_name="Utilities:Power")
    assert renamed.name == "Power"
    assert a.name == "Electric"
