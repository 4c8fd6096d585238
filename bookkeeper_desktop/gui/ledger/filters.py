"""The journal-entry filter bar: status, date range, account, contact, source and text search.

It only describes what the user wants (a `storage.records.EntryFilter`); the table model hands it
to the services, which filter in SQL. Text search waits for a short pause in typing so each
keystroke does not start a query.

Signals:
    filter_changed(EntryFilter): the user changed a filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QDate, QStringListModel, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus
from bookkeeper_desktop.gui.ledger.account_picker import AccountPicker
from bookkeeper_desktop.gui.ledger.completer_delegate import contains_completer
from bookkeeper_desktop.storage.records import EntryFilter

#: Milliseconds of quiet after the last keystroke before a text search runs.
SEARCH_DELAY_MS = 250


def is_empty(entry_filter: EntryFilter) -> bool:
    return entry_filter == EntryFilter()


def _only(values: frozenset[Any] | None) -> Any:
    """The single value of a one-element set (the bar picks one status, one source)."""
    return next(iter(values)) if values and len(values) == 1 else None


def _value(member: EntryStatus | EntrySource | None) -> str | None:
    return member.value if member is not None else None


def _to_date(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


class EntryFilterBar(QWidget):
    """A row of filter controls above the entry table."""

    filter_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("entryFilterBar")
        today = today or dt.datetime.now().astimezone().date()

        self.status_combo = QComboBox()
        self.status_combo.setObjectName("statusFilter")
        self.status_combo.addItem("All statuses", None)
        for status in EntryStatus:
            self.status_combo.addItem(status.label, status.value)

        self.from_check = QCheckBox("From")
        self.from_edit = QDateEdit(QDate(today.year, 1, 1))
        self.to_check = QCheckBox("to")
        self.to_edit = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)

        self.account_picker = AccountPicker([])
        self.account_picker.setObjectName("accountFilter")
        self.account_picker.setPlaceholderText("All accounts")
        self.account_picker.setMinimumContentsLength(12)

        # Entries with a line naming this contact; the completer offers the company's contacts.
        self.contact_edit = QLineEdit()
        self.contact_edit.setObjectName("contactFilter")
        self.contact_edit.setPlaceholderText("All contacts")
        self.contact_edit.setClearButtonEnabled(True)
        self.contact_edit.setMinimumWidth(130)
        self.contact_names = QStringListModel()
        contact_completer = contains_completer(self.contact_names, self.contact_edit)
        self.contact_edit.setCompleter(contact_completer)

        self.source_combo = QComboBox()
        self.source_combo.setObjectName("sourceFilter")
        self.source_combo.addItem("All sources", None)
        self.sync_combo = QComboBox()
        self.sync_combo.setObjectName("syncFilter")
        self.sync_combo.addItem("Any sync state", False)
        self.sync_combo.addItem("Not sent", True)
        self.sync_combo.setToolTip("Only entries not sent to QuickBooks Online or Xero (the "
                                   "Sync column says why; Integrations → Not sent lists them).")
        for source in EntrySource:
            self.source_combo.addItem(source.value.upper() if source in (
                EntrySource.QBO, EntrySource.AI) else source.value.capitalize(), source.value)

        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("searchFilter")
        self.search_edit.setPlaceholderText("Search number or memo")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(150)
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear filters")

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._emit)

        # Two rows, so that the bar fits beside the chart in a 1280-pixel window.
        first = QHBoxLayout()
        first.addWidget(QLabel("Show"))
        first.addWidget(self.status_combo)
        first.addWidget(self.source_combo)
        first.addWidget(self.sync_combo)
        first.addWidget(self.account_picker, 1)
        first.addWidget(self.clear_button)
        second = QHBoxLayout()
        second.addWidget(self.from_check)
        second.addWidget(self.from_edit)
        second.addWidget(self.to_check)
        second.addWidget(self.to_edit)
        # On the second row: the first is full with the sync filter, and the window must still
        # fit a 1280-pixel screen.
        second.addWidget(self.contact_edit)
        second.addWidget(self.search_edit, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(first)
        layout.addLayout(second)

        self._last: EntryFilter = self.current_filter()
        self.status_combo.currentIndexChanged.connect(self._emit)
        self.source_combo.currentIndexChanged.connect(self._emit)
        self.sync_combo.currentIndexChanged.connect(self._emit)
        self.from_check.toggled.connect(self.from_edit.setEnabled)
        self.to_check.toggled.connect(self.to_edit.setEnabled)
        for check in (self.from_check, self.to_check):
            check.toggled.connect(self._emit)
        for edit in (self.from_edit, self.to_edit):
            edit.dateChanged.connect(self._emit)
        self.account_picker.activated.connect(self._emit)
        picker_edit = self.account_picker.lineEdit()
        assert picker_edit is not None  # the picker is editable
        picker_edit.setPlaceholderText("All accounts")
        picker_edit.editingFinished.connect(self._emit)
        self.contact_edit.editingFinished.connect(self._emit)
        contact_completer.activated.connect(self._contact_picked)
        self.contact_edit.textChanged.connect(self._contact_edited)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.search_edit.returnPressed.connect(self._emit)
        self.clear_button.clicked.connect(self.clear)

    def set_accounts(self, accounts: Sequence[Account]) -> None:
        """Offer `accounts` in the account filter, keeping the current choice if it still exists."""
        current = self.current_filter().account_id
        self.account_picker.blockSignals(True)
        self.account_picker.clear()
        for account in sorted(accounts, key=lambda a: (a.code or "~", a.full_name.casefold())):
            label = f"{account.code} · {account.full_name}" if account.code else account.full_name
            self.account_picker.addItem(label, account.id)
        self.account_picker.select_account(current)
        self.account_picker.blockSignals(False)

    def set_contacts(self, names: Sequence[str]) -> None:
        """Offer `names` in the contact filter's completer."""
        self.contact_names.setStringList(sorted(names, key=str.casefold))

    def _contact_edited(self, text: str) -> None:
        if not text:  # cleared (its clear button): show every contact's entries at once
            self._emit()

    def _contact_picked(self, name: str) -> None:
        self.contact_edit.setText(name)
        self._emit()

    def forget_accounts(self) -> None:
        """Empty the account list and choice without emitting (another company's books are
        coming: its accounts have other ids)."""
        self.account_picker.blockSignals(True)
        self.account_picker.clear()
        self.account_picker.select_account(None)
        self.account_picker.blockSignals(False)
        self.contact_names.setStringList([])
        self._last = self.current_filter()

    def current_filter(self) -> EntryFilter:
        status = self.status_combo.currentData()
        source = self.source_combo.currentData()
        account_id = None
        text = self.account_picker.currentText().strip()
        if text:
            position = self.account_picker.findText(text)
            if position >= 0:
                account_id = self.account_picker.itemData(position)
        return EntryFilter(
            statuses=frozenset({EntryStatus(status)}) if status else None,
            date_from=_to_date(self.from_edit.date()) if self.from_check.isChecked() else None,
            date_to=_to_date(self.to_edit.date()) if self.to_check.isChecked() else None,
            account_id=account_id,
            sources=frozenset({EntrySource(source)}) if source else None,
            text=self.search_edit.text().strip(),
            contact=" ".join(self.contact_edit.text().split()),
            not_sent=bool(self.sync_combo.currentData()),
        )

    def set_filter(self, wanted: EntryFilter) -> None:
        """Show `wanted` in the controls (emits `filter_changed` once if it differs)."""
        widgets = (self.status_combo, self.source_combo, self.sync_combo, self.from_check,
                   self.to_check, self.from_edit, self.to_edit, self.account_picker,
                   self.search_edit, self.contact_edit)
        for widget in widgets:
            widget.blockSignals(True)
        self.status_combo.setCurrentIndex(
            max(0, self.status_combo.findData(_value(_only(wanted.statuses)))))
        self.source_combo.setCurrentIndex(
            max(0, self.source_combo.findData(_value(_only(wanted.sources)))))
        self.sync_combo.setCurrentIndex(1 if wanted.not_sent else 0)
        self.from_check.setChecked(wanted.date_from is not None)
        self.from_edit.setEnabled(wanted.date_from is not None)
        if wanted.date_from:
            self.from_edit.setDate(QDate(wanted.date_from.year, wanted.date_from.month,
                                         wanted.date_from.day))
        self.to_check.setChecked(wanted.date_to is not None)
        self.to_edit.setEnabled(wanted.date_to is not None)
        if wanted.date_to:
            self.to_edit.setDate(QDate(wanted.date_to.year, wanted.date_to.month,
                                       wanted.date_to.day))
        self.account_picker.select_account(wanted.account_id)
        self.search_edit.setText(wanted.text)
        self.contact_edit.setText(wanted.contact)
        for widget in widgets:
            widget.blockSignals(False)
        self._emit()

    def clear(self) -> None:
        self.set_filter(EntryFilter())

    def _emit(self) -> None:
        self._search_timer.stop()
        current = self.current_filter()
        if current != self._last:
            self._last = current
            self.filter_changed.emit(current)
