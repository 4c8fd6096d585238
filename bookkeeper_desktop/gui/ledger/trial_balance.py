"""The trial balance: every account with a balance, debit or credit column, and the totals that
must agree. Read in the database lane through the job runner; the dialog holds no session.

Signals (TrialBalanceDialog):
    loaded(int): a trial balance arrived (its number of accounts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.core.money import ZERO, format_money
from bookkeeper_desktop.gui.ledger.entry_table import JobRunnerLike
from bookkeeper_desktop.storage.records import TrialBalance, TrialBalanceRow

ModelIndex = QModelIndex | QPersistentModelIndex
HEADERS = ("Code", "Account", "Type", "Debit", "Credit")


def _type_label(value: str) -> str:
    try:
        return AccountType(value).label
    except ValueError:
        return value


class TrialBalanceModel(QAbstractTableModel):
    """Lines by code then name, and a last row with the totals."""

    def __init__(self) -> None:
        super().__init__()
        self._lines: list[TrialBalanceRow] = []

    def set_lines(self, lines: Sequence[TrialBalanceRow]) -> None:
        self.beginResetModel()
        self._lines = sorted((line for line in lines if line.debit or line.credit),
                             key=lambda line: (line.code or "~", line.full_name.casefold()))
        self.endResetModel()

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self._lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self._lines), ZERO)

    @override
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lines) + 1

    @override
    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    @override
    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section >= 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @override
    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() > len(self._lines):
            return None
        column = index.column()
        is_total = index.row() == len(self._lines)
        if role == Qt.ItemDataRole.DisplayRole:
            if is_total:
                return ("", "Total", "", format_money(self.total_debit),
                        format_money(self.total_credit))[column]
            line = self._lines[index.row()]
            return (line.code or "", line.full_name, _type_label(line.account_type),
                    format_money(line.debit) if line.debit else "",
                    format_money(line.credit) if line.credit else "")[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and is_total:
            font = QFont()
            font.setBold(True)
            return font
        return None


#: Reads the trial balance as of a date (None: no end) of posted entries, and approved ones too
#: when the flag is set; runs in the database lane.
TrialBalanceLoader = Callable[[dt.date | None, bool], TrialBalance]


class TrialBalanceDialog(QDialog):
    """The trial balance of posted entries, optionally as of a date."""

    loaded = Signal(int)

    def __init__(
        self, runner: JobRunnerLike, load: TrialBalanceLoader, *,
        on_error: Callable[[BaseException], None] | None = None, parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("trialBalanceDialog")
        self.setWindowTitle("Trial balance")
        self.resize(720, 560)
        self._runner = runner
        self._load = load
        self._on_error = on_error
        self.model = TrialBalanceModel()
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.approved_check = QCheckBox("Include approved entries")
        self.approved_check.setToolTip("Approved entries are not posted yet; include them to see "
                                       "the books as they will be once they are posted")
        self.as_of_check = QCheckBox("As of")
        today = dt.datetime.now().astimezone().date()
        self.as_of_edit = QDateEdit(QDate(today.year, today.month, today.day))
        self.as_of_edit.setCalendarPopup(True)
        self.as_of_edit.setDisplayFormat("yyyy-MM-dd")
        self.as_of_edit.setEnabled(False)
        self.status_label = QLabel()
        self.status_label.setObjectName("statusLabel")
        refresh = QPushButton("&Refresh")
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        refresh.clicked.connect(self.reload)
        self.as_of_check.toggled.connect(self.as_of_edit.setEnabled)
        self.as_of_check.toggled.connect(self.reload)
        self.approved_check.toggled.connect(self.reload)
        self.as_of_edit.dateChanged.connect(self.reload)

        top = QHBoxLayout()
        top.addWidget(QLabel("Posted entries"))
        top.addWidget(self.approved_check)
        top.addStretch()
        top.addWidget(self.as_of_check)
        top.addWidget(self.as_of_edit)
        top.addWidget(refresh)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)
        self._generation = 0
        self.reload()

    def as_of(self) -> dt.date | None:
        if not self.as_of_check.isChecked():
            return None
        value = self.as_of_edit.date()
        return dt.date(value.year(), value.month(), value.day())

    def reload(self) -> None:
        self._generation += 1
        generation, as_of = self._generation, self.as_of()
        approved = self.approved_check.isChecked()
        self.status_label.setText("Reading…")
        load = self._load
        self._runner.run(
            lambda _p: load(as_of, approved), lane="db", owner=self,
            title="Reading the trial balance",
            on_done=lambda lines: self._arrived(generation, lines),
            on_error=lambda error: self._failed(generation, error),
        )

    def _arrived(self, generation: int, balance: TrialBalance) -> None:
        if generation != self._generation:
            return
        self.model.set_lines(balance.rows)
        debit, credit = self.model.total_debit, self.model.total_credit
        if debit == credit:
            self.status_label.setText(f"Debits equal credits: {format_money(debit)}.")
            self.status_label.setStyleSheet("")
        else:
            self.status_label.setText(
                f"Debits and credits differ by {format_money(abs(debit - credit))}: "
                "check for entries posted outside Bookkeeper Desktop.")
            self.status_label.setStyleSheet("color: #c0392b;")
        self.loaded.emit(self.model.rowCount() - 1)

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self.status_label.setText("The trial balance could not be read.")
        if self._on_error is not None:
            self._on_error(error)
