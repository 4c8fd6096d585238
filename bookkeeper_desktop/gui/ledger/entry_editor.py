"""The entry editor: date, number, memo, a lines grid with an account picker, a contact and a tax
code column with completers, debit and credit columns, and a live difference figure.

Under the lines, a live notice lists the lines QBO and Xero would refuse for want of a contact
(`core.kinds.contact_problems`: a receivable line needs a customer, a payable line a supplier).
It is a warning, not a blocker: a draft may be incomplete, and an approved entry with such a line
is held in "Waiting for a fix" by the sync instead of being sent. The completers' words (the
company's contacts, the tax codes in use) are loaded by the pane off the GUI thread and handed
over with `set_lookups`.

The dialog never touches the database: Save as draft / Approve / Void emit a signal with the entry
and the status wanted; the pane runs the operation in a job and calls `accept()` or
`set_busy(False)` when it ends. Posted and void entries open read-only (a posted entry is voided,
never edited in place, PRODUCT.md §1).

Signals:
    save_requested(JournalEntry, EntryStatus): the user asked to store the entry with this status.
    void_requested(JournalEntry): the user asked to void the (posted) entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.journal import (
    EntryStatus,
    JournalEntry,
    JournalLine,
    validate_entry,
)
from bookkeeper_desktop.core.kinds import contact_problems, own_role
from bookkeeper_desktop.core.money import ZERO, format_money
from bookkeeper_desktop.gui.ledger.account_picker import AccountPickerDelegate
from bookkeeper_desktop.gui.ledger.amounts import AmountDelegate
from bookkeeper_desktop.gui.ledger.completer_delegate import CompleterDelegate
from bookkeeper_desktop.gui.ledger.lines_model import (
    ACCOUNT,
    CONTACT,
    CREDIT,
    DEBIT,
    DESCRIPTION,
    TAX_CODE,
    EntryLinesModel,
)

_MISSING_ACCOUNT_ID = 0


def _today() -> dt.date:
    """The local calendar day: entries are dated in the bookkeeper's own time zone."""
    return dt.datetime.now().astimezone().date()


def difference_text(difference: Decimal) -> str:
    """"Balanced" or "Out of balance by 12.34" (debits minus credits, shown without a sign)."""
    if difference == ZERO:
        return "Balanced"
    return f"Out of balance by {format_money(abs(difference))}"


class EntryEditorDialog(QDialog):
    """Create or edit one journal entry; view a posted or void one.

    Attributes:
        lines_model: the grid's model (tests type into it through the view's delegates).
    """

    save_requested = Signal(object, object)
    void_requested = Signal(object)

    def __init__(
        self,
        accounts: Mapping[int, Account],
        entry: JournalEntry | None = None,
        *,
        today: dt.date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._accounts = dict(accounts)
        self._original = entry
        self._read_only = entry is not None and not entry.is_editable
        self.setObjectName("entryEditor")
        self.setWindowTitle(self._title())
        self.resize(980, 500)

        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        start = entry.date if entry is not None and entry.date else today or _today()
        self.date_edit.setDate(QDate(start.year, start.month, start.day))
        self.number_edit = QLineEdit(entry.number if entry else "")
        self.number_edit.setPlaceholderText("e.g. JE-0042")
        self.memo_edit = QLineEdit(entry.memo if entry else "")
        self.memo_edit.setPlaceholderText("What this entry records")
        for widget in (self.date_edit, self.number_edit, self.memo_edit):
            widget.setEnabled(not self._read_only)

        form = QFormLayout()
        form.addRow("&Date", self.date_edit)
        form.addRow("&Number", self.number_edit)
        form.addRow("&Memo", self.memo_edit)
        if entry is not None:
            status = QLabel(f"{entry.status.label} · source: {entry.source.value}")
            status.setObjectName("statusLabel")
            form.addRow("Status", status)

        self.lines_model = EntryLinesModel(
            self._accounts, entry.lines if entry else (), read_only=self._read_only,
        )
        self.lines_view = QTableView()
        self.lines_view.setObjectName("linesView")
        self.lines_view.setModel(self.lines_model)
        self.account_delegate = AccountPickerDelegate(list(self._accounts.values()), self)
        self.amount_delegate = AmountDelegate(self)
        self.contact_delegate = CompleterDelegate(
            (line.contact for line in entry.lines) if entry else (), self,
            placeholder="Customer or supplier")
        self.tax_delegate = CompleterDelegate(self._account_tax_codes(), self,
                                              placeholder="Account default")
        self.lines_view.setItemDelegateForColumn(CONTACT, self.contact_delegate)
        self.lines_view.setItemDelegateForColumn(TAX_CODE, self.tax_delegate)
        self.lines_view.setItemDelegateForColumn(ACCOUNT, self.account_delegate)
        self.lines_view.setItemDelegateForColumn(DEBIT, self.amount_delegate)
        self.lines_view.setItemDelegateForColumn(CREDIT, self.amount_delegate)
        self.lines_view.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers
            if not self._read_only else QAbstractItemView.EditTrigger.NoEditTriggers,
        )
        header = self.lines_view.horizontalHeader()
        header.setSectionResizeMode(ACCOUNT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        for column in (DEBIT, CREDIT):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.lines_view.setColumnWidth(column, 110)
        self.lines_view.setColumnWidth(CONTACT, 150)
        self.lines_view.setColumnWidth(TAX_CODE, 120)

        self.add_line_button = QPushButton("Add line")
        self.remove_line_button = QPushButton("Remove line")
        self.add_line_button.clicked.connect(self.lines_model.add_line)
        self.remove_line_button.clicked.connect(self._remove_current_line)
        for button in (self.add_line_button, self.remove_line_button):
            button.setVisible(not self._read_only)

        self.totals_label = QLabel()
        self.totals_label.setObjectName("totalsLabel")
        self.difference_label = QLabel()
        self.difference_label.setObjectName("differenceLabel")
        self.problems_label = QLabel()
        self.problems_label.setObjectName("problemsLabel")
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color: #c0392b;")
        self.contact_notice = QLabel()
        self.contact_notice.setObjectName("contactNotice")
        self.contact_notice.setWordWrap(True)
        self.contact_notice.setStyleSheet("color: #b9770e;")
        self.contact_notice.setVisible(False)

        self.save_draft_button = QPushButton("Save as &draft")
        self.approve_button = QPushButton("&Approve")
        self.approve_button.setDefault(True)
        self.void_button = QPushButton("&Void entry")
        self.close_button = QPushButton("Close" if self._read_only else "Cancel")
        self.save_draft_button.clicked.connect(lambda: self._request(EntryStatus.DRAFT))
        self.approve_button.clicked.connect(lambda: self._request(EntryStatus.APPROVED))
        self.void_button.clicked.connect(self._request_void)
        self.close_button.clicked.connect(self.reject)
        self.save_draft_button.setVisible(not self._read_only)
        self.approve_button.setVisible(not self._read_only)
        self.void_button.setVisible(entry is not None and entry.status is EntryStatus.POSTED)

        line_buttons = QHBoxLayout()
        line_buttons.addWidget(self.add_line_button)
        line_buttons.addWidget(self.remove_line_button)
        line_buttons.addStretch()
        line_buttons.addWidget(self.totals_label)
        line_buttons.addSpacing(16)
        line_buttons.addWidget(self.difference_label)

        buttons = QHBoxLayout()
        buttons.addWidget(self.void_button)
        buttons.addStretch()
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.save_draft_button)
        buttons.addWidget(self.approve_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.lines_view, 1)
        layout.addLayout(line_buttons)
        layout.addWidget(self.contact_notice)
        layout.addWidget(self.problems_label)
        layout.addLayout(buttons)

        for signal in (self.lines_model.dataChanged, self.lines_model.rowsInserted,
                       self.lines_model.rowsRemoved):
            signal.connect(self._refresh_state)
        self.date_edit.dateChanged.connect(self._refresh_state)
        self._busy = False
        self._refresh_state()
        #: The entry as it opened: Cancel, Escape or closing asks before losing what changed.
        self._as_opened = self.entry()
        #: The open "Discard your changes?" question, or None.
        self.discard_box: QMessageBox | None = None

    # --- what the pane and tests use ---------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return self._read_only

    def entry(self) -> JournalEntry:
        """The entry as typed (lines without an account carry account id 0)."""
        date = self.date_edit.date()
        lines = tuple(
            JournalLine(
                account_id=draft.account_id or _MISSING_ACCOUNT_ID,
                debit=draft.debit or ZERO, credit=draft.credit or ZERO,
                description=draft.description, contact=draft.contact, tracking=draft.tracking,
                tax_code=draft.tax_code,
            )
            for draft in self.lines_model.drafts()
        )
        base = self._original or JournalEntry(date=None, lines=())
        return base.with_changes(
            date=dt.date(date.year(), date.month(), date.day()),
            number=self.number_edit.text().strip(),
            memo=self.memo_edit.text().strip(),
            lines=lines,
        )

    def problems(self) -> list[str]:
        """Why the entry cannot be saved yet (the core's `validate_entry`, in its words)."""
        entry = self.entry()
        problems: list[str] = []
        missing = f"account #{_MISSING_ACCOUNT_ID} does not exist"
        for number, line in enumerate(entry.lines, start=1):
            if line.account_id == _MISSING_ACCOUNT_ID:
                problems.append(f"Line {number} has no account; pick one.")
        problems.extend(p for p in validate_entry(entry, self._accounts) if missing not in p)
        return problems

    def contact_problems(self) -> list[str]:
        """The lines QBO and Xero would refuse for want of a contact (a warning, not a save
        blocker)."""
        roles = {account_id: own_role(account.type)
                 for account_id, account in self._accounts.items()}
        names = {account_id: account.full_name for account_id, account in self._accounts.items()}
        return contact_problems(self.entry(), roles, names)

    def set_lookups(self, contacts: Iterable[str], tax_codes: Iterable[str]) -> None:
        """The completers' words: the company's contact names and the tax codes in use (the
        accounts' defaults are always offered)."""
        self.contact_delegate.set_words([*self.contact_delegate.words(), *contacts])
        self.tax_delegate.set_words([*self._account_tax_codes(), *tax_codes])

    def _account_tax_codes(self) -> list[str]:
        return [a.tax_code for a in self._accounts.values() if a.tax_code]

    def set_busy(self, busy: bool) -> None:
        """Disable the actions while the pane's job runs."""
        self._busy = busy
        self._refresh_state()

    # --- internals ---------------------------------------------------------------------------

    def _title(self) -> str:
        if self._original is None:
            return "New journal entry"
        verb = "View" if not self._original.is_editable else "Edit"
        return f"{verb} {self._original.label}"

    def _refresh_state(self) -> None:
        debit, credit = self.lines_model.total_debit, self.lines_model.total_credit
        difference = debit - credit
        self.totals_label.setText(
            f"Debits {format_money(debit)}  ·  Credits {format_money(credit)}",
        )
        self.difference_label.setText(difference_text(difference))
        colour = "#1e8449" if difference == ZERO else "#c0392b"
        self.difference_label.setStyleSheet(f"font-weight: bold; color: {colour};")
        warnings = self.contact_problems()
        self.contact_notice.setText(
            "Not sent to QBO or Xero until fixed (it can be saved meanwhile):\n"
            + "\n".join(warnings) if warnings else "")
        self.contact_notice.setVisible(bool(warnings))
        if self._read_only:
            self.problems_label.setText("")
            self.void_button.setEnabled(not self._busy)
            return
        problems = self.problems()
        reason = "\n".join(problems)
        self.problems_label.setText(reason)
        for button in (self.save_draft_button, self.approve_button):
            button.setEnabled(not problems and not self._busy)
            button.setToolTip(reason or "")
        if not problems and warnings:
            self.approve_button.setToolTip("Approving is allowed, but the entry waits in "
                                           "\"Waiting for a fix\" and is not sent until each "
                                           "receivable or payable line names its contact.")

    def _remove_current_line(self) -> None:
        index = self.lines_view.currentIndex()
        if index.isValid():
            self.lines_model.remove_line(index.row())

    def _request(self, status: EntryStatus) -> None:
        if self._read_only or self._busy or self.problems():
            return
        self.save_requested.emit(self.entry().with_changes(status=status), status)

    def _request_void(self) -> None:
        if self._original is not None and self._original.status is EntryStatus.POSTED:
            self.void_requested.emit(self._original)

    def has_changes(self) -> bool:
        return not self._read_only and self.entry() != self._as_opened

    @override
    def reject(self) -> None:
        """Cancel, Escape and the window's close button: with typed changes, ask first."""
        if not self.has_changes() or self._busy:
            super().reject()
            return
        if self.discard_box is not None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Discard your changes?",
                          "This entry has changes that are not saved.",
                          QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("discardChanges")
        box.setInformativeText("Discard them, or keep editing?")
        discard = box.addButton("Discard changes", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(button: object) -> None:
            self.discard_box = None
            if button is discard:
                super(EntryEditorDialog, self).reject()

        box.buttonClicked.connect(answered)
        self.discard_box = box
        box.open()

    @override
    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter in the grid moves on instead of closing the dialog; Escape still cancels.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.lines_view.hasFocus():
            return
        super().keyPressEvent(event)
