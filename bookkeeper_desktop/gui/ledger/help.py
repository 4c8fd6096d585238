"""The Ledger's help (its Help button): what each entry becomes at QuickBooks Online and Xero,
and why one may wait in "Waiting for a fix" (`core.kinds` in a bookkeeper's words). The README's
section of the same title carries the same text (a test keeps the two alike)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

TITLE = "What each entry becomes at QBO and Xero"

#: Markdown, shown as is in the help and in the README.
KINDS_HELP = """\
An approved or posted entry is sent by **Sync Now**. What it becomes depends on its lines,
because QuickBooks Online and Xero each take only certain kinds of transaction.

**QuickBooks Online** takes every entry as a *journal entry*. A line on Accounts Receivable
must name its customer, and a line on Accounts Payable its supplier (QuickBooks calls them
vendors): QuickBooks shows them in its A/R and A/P reports. A customer or supplier QuickBooks
does not know yet is created there first.

**Xero** does not let a manual journal touch a bank account (a credit card is a bank account in
Xero) or the accounts it keeps itself (Accounts Receivable, Accounts Payable, Unpaid Expense
Claims, Tracking Transfers, Bank Revaluations). So an entry goes to Xero as:

| The entry's lines | At Xero it becomes |
|---|---|
| one bank line and income or expense lines | **spend money** (bank credited) or **receive money** \
(bank debited), with the contact |
| two bank lines, money out of one and into the other | a **bank transfer** |
| a receivable line (debit) and income lines | a **sales invoice**, with the customer |
| a payable line (credit) and expense lines | a **bill**, with the supplier |
| one bank line and one receivable or payable line | a **payment** against that contact's open \
invoice or bill |
| no bank, receivable or payable line | a **manual journal** |

**Why an entry waits.** An entry that cannot be sent is not sent to be refused: it waits in
Integrations → "Waiting for a fix", and the Ledger shows why under the table when you select it.
The usual reasons: a receivable or payable line without a contact (name one in the line's
Contact column); at Xero, lines that name different contacts, a mix of lines Xero has no single
transaction for (split it into entries of one kind each), a reduction of what a customer or
supplier owes without money moving (a credit note: enter it in Xero), or a locked system
account. The entry editor warns about a line without a contact as you type; you can still save
it as a draft.

**Tax codes.** Each line may carry a tax code (Xero's tax rate, QuickBooks' tax code outside the
US). Leave it empty to use the account's own default, shown greyed in the editor. At Xero, a bank
transaction, invoice or bill with taxed lines goes as tax-exclusive and Xero posts the tax
itself, so the entry's line on Xero's tax account must be the tax Xero computes at its rates;
when it is not, the entry waits and says both amounts.

**Exports follow the same rules.** The Xero manual-journal CSV leaves out the entries on bank,
credit-card, receivable or payable accounts and lists each with why; **Save bank statements**
writes their bank lines as Xero bank-statement CSV files, one per bank account, to import under
the bank account in Xero and reconcile. The QuickBooks files (IIF and QBO CSV) refuse a
receivable or payable line without a name, naming the entry and line.
"""


def show_ledger_help(parent: QWidget | None = None) -> QDialog:
    """Open the help (non-modal) and return it."""
    dialog = QDialog(parent)
    dialog.setObjectName("ledgerHelp")
    dialog.setWindowTitle(TITLE)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.resize(720, 620)
    browser = QTextBrowser()
    browser.setObjectName("helpText")
    browser.setMarkdown(f"## {TITLE}\n\n{KINDS_HELP}")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(browser)
    layout.addWidget(buttons)
    dialog.show()
    return dialog
