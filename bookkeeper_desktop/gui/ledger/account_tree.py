"""The chart of accounts as a tree (`Parent:Child`) with code, type and balance.

The model is rebuilt from immutable `Account` values and a balance per account id whenever the
chart changed; the view keeps its expanded rows and selection (`AccountTreeState`), so an import
shows up in place without a reload. When only balances changed (entries saved, posted or pulled by
a sync) `update_balances` changes just those cells: a rebuild repaints the whole tree, which with
the entry table repainting beside it stalled the GUI past 50 ms after a sync
(benchmarks/RESULTS_gui_sync2.md).

Balances are shown in each account's natural sign (debits positive for assets and expenses, credits
positive for liabilities, equity and income) and include the account's sub-accounts, as QuickBooks'
chart of accounts shows them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTreeView

from bookkeeper_desktop.core.accounts import Account, split_path
from bookkeeper_desktop.core.money import ZERO, format_money

ModelIndex = QModelIndex | QPersistentModelIndex
NAME, CODE, TYPE, BALANCE = range(4)
HEADERS = ("Account", "Code", "Type", "Balance")
# A row's own roles are set on its first cell (NAME) only, once per row rather than per cell:
# read them at `index.siblingAtColumn(NAME)`, as `account()` does for any cell of the row.
#: `data(index, ACCOUNT_ID_ROLE)` is the account id (None for a parent that is not an account).
ACCOUNT_ID_ROLE = Qt.ItemDataRole.UserRole
#: `data(index, FULL_NAME_ROLE)` is the `Parent:Child` path of the row.
FULL_NAME_ROLE = Qt.ItemDataRole.UserRole + 1


#: The row's `Account`, or None for a parent that is not an account.
_ACCOUNT_ROLE = Qt.ItemDataRole.UserRole + 2
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_NEGATIVE = "#c0392b"


@dataclass(eq=False)
class _Node:
    name: str
    full_name: str
    parent: _Node | None
    account: Account | None = None
    children: list[_Node] = field(default_factory=list)
    balance: Decimal = ZERO  # natural sign, sub-accounts included
    row: int = 0  # position among its parent's children
    by_name: dict[str, _Node] = field(default_factory=dict)  # children by case-folded name
    #: The row's cells in column order (the root has none).
    items: list[QStandardItem] = field(default_factory=list)

    def child(self, name: str) -> _Node | None:
        return self.by_name.get(name.casefold())


def _row_of(node: _Node) -> int:
    return node.row


def natural_balance(account: Account, debit_positive: Decimal) -> Decimal:
    """A debit-positive balance in the sign a bookkeeper expects for the account's class."""
    return debit_positive if account.account_class.is_debit_normal else -debit_positive


class AccountTreeModel(QStandardItemModel):
    """Accounts by path. A path segment with no account of its own (a parent the file did not
    list) is shown in italics with no code or type.

    The cells are Qt's own items, made when the chart changes and given new balance texts in
    place: a repaint of the tree then runs in C++ without calling back into Python. As a Python
    model (`index`, `parent`, `data` answered here) one repaint of a 45-account chart made
    about 6,500 calls into Python, 15 ms of the GUI thread, and each call waited for the GIL
    while the db lane re-read the panes after a sync: 80–240 ms (benchmarks/RESULTS.md)."""

    def __init__(self) -> None:
        super().__init__(0, len(HEADERS))
        self.setHorizontalHeaderLabels(list(HEADERS))
        balance = self.horizontalHeaderItem(BALANCE)
        balance.setTextAlignment(_RIGHT)
        balance.setToolTip("Balance of posted entries, sub-accounts included; credits show as "
                           "positive for liabilities, equity and income")
        self._root = _Node("", "", None)
        self._by_id: dict[int, _Node] = {}
        self._show_inactive = False
        self._accounts: list[Account] = []
        self._balances: dict[int, Decimal] = {}

    # --- feeding ----------------------------------------------------------------------------

    def set_accounts(
        self, accounts: Sequence[Account], balances: Mapping[int, Decimal] | None = None,
    ) -> None:
        """Show `accounts` with their debit-positive `balances` (missing ids count as zero)."""
        self._accounts = list(accounts)
        self._balances = dict(balances or {})
        self._rebuild()

    def update_balances(
        self, accounts: Sequence[Account], balances: Mapping[int, Decimal],
    ) -> bool:
        """Take new `balances` in place when `accounts` are the ones already shown (a sync or an
        entry changed amounts, not the chart): no rebuild, so the view keeps everything and
        repaints just the balance cells that changed. One `dataChanged` per parent with changes,
        over the balance column from its first to its last changed child: the tree view
        re-measures every row for its sized-to-contents columns on each `dataChanged`, so one
        per cell cost 8 ms each after a sync. False, with nothing done, when the chart itself
        changed (call `set_accounts`)."""
        if len(accounts) != len(self._accounts) or (
                {a.id: a for a in accounts} != {a.id: a for a in self._accounts}):
            return False  # in any order: the tree sorts by path itself
        self._balances = dict(balances)
        nodes = list(self._nodes(self._root))
        before = [node.balance for node in nodes]
        self._sum_balances(self._root)
        spans: dict[int, tuple[_Node, _Node]] = {}  # by id(parent): first and last child
        blocked = self.blockSignals(True)  # the spans below, not a signal per cell
        try:
            for node, old in zip(nodes, before, strict=True):
                if node.balance != old:
                    self._show_balance(node)
                    parent = node.parent or self._root
                    first, last = spans.get(id(parent), (node, node))
                    spans[id(parent)] = (min(first, node, key=_row_of),
                                         max(last, node, key=_row_of))
        finally:
            self.blockSignals(blocked)
        for first, last in spans.values():
            self.dataChanged.emit(first.items[BALANCE].index(), last.items[BALANCE].index())
        return True

    def column_texts(self, column: int) -> list[str]:
        """The text of `column` in every row, shown or collapsed (to size the column from font
        metrics instead of asking the view to measure each cell)."""
        return [node.items[column].text() for node in self._nodes(self._root)]

    def _nodes(self, node: _Node) -> Iterator[_Node]:
        for child in node.children:
            yield child
            yield from self._nodes(child)

    def set_show_inactive(self, show: bool) -> None:
        if show != self._show_inactive:
            self._show_inactive = show
            self._rebuild()

    @property
    def show_inactive(self) -> bool:
        return self._show_inactive

    def account(self, index: ModelIndex) -> Account | None:
        if not index.isValid() or index.model() is not self:
            return None
        account = index.sibling(index.row(), NAME).data(_ACCOUNT_ROLE)
        return account if isinstance(account, Account) else None

    def index_of(self, account_id: int) -> QModelIndex:
        node = self._by_id.get(account_id)
        return QModelIndex() if node is None else node.items[NAME].index()

    def index_of_path(self, full_name: str) -> QModelIndex:
        node = self._root
        for part in split_path(full_name):
            found = node.child(part)
            if found is None:
                return QModelIndex()
            node = found
        return QModelIndex() if node is self._root else node.items[NAME].index()

    def _rebuild(self) -> None:
        self.beginResetModel()
        blocked = self.blockSignals(True)  # one reset for the views, not a signal per row
        try:
            self.setRowCount(0)
            self._root = _Node("", "", None)
            self._by_id = {}
            shown = [(split_path(a.full_name), a) for a in self._accounts
                     if a.active or self._show_inactive]
            shown.sort(key=lambda pair: tuple(part.casefold() for part in pair[0]))
            for parts, account in shown:
                node = self._root
                for depth, part in enumerate(parts):
                    child = node.child(part)
                    if child is None:
                        child = _Node(part, ":".join(parts[: depth + 1]), node,
                                      row=len(node.children))
                        node.children.append(child)
                        node.by_name[part.casefold()] = child
                    node = child
                node.account = account
                if account.id is not None:
                    self._by_id[account.id] = node
            self._sum_balances(self._root)
            self._add_rows(self.invisibleRootItem(), self._root, _inactive_brush())
        finally:
            self.blockSignals(blocked)
            self.endResetModel()

    def follow_palette(self) -> None:
        """Grey the inactive accounts in the application's palette as it is now (after the
        user switched between light and dark mode): the cells keep the colour they were made
        with."""
        inactive = _inactive_brush()
        for node in self._nodes(self._root):
            if node.account is not None and not node.account.active:
                for item in node.items:
                    item.setForeground(inactive)

    def _add_rows(self, parent: QStandardItem, node: _Node, inactive: QBrush) -> None:
        for child in node.children:
            child.items = self._row_items(child, inactive)
            parent.appendRow(child.items)
            self._add_rows(child.items[NAME], child, inactive)

    def _row_items(self, node: _Node, inactive: QBrush) -> list[QStandardItem]:
        """A row's four cells with every role the view shows (the balance text and colour
        are `_show_balance`'s)."""
        account = node.account
        texts = (node.name, (account.code or "") if account else "",
                 account.type.label if account else "", "")
        tooltip = self._tooltip(node)
        items: list[QStandardItem] = []
        for text in texts:
            item = QStandardItem(text)
            item.setFlags(_FLAGS)
            item.setToolTip(tooltip)
            if account is None:
                item.setFont(_italic_font())
            elif not account.active:
                item.setForeground(inactive)
            items.append(item)
        first = items[NAME]
        first.setData(account.id if account else None, ACCOUNT_ID_ROLE)
        first.setData(node.full_name, FULL_NAME_ROLE)
        first.setData(account, _ACCOUNT_ROLE)
        items[BALANCE].setTextAlignment(_RIGHT)
        node.items = items
        self._show_balance(node)
        return items

    @staticmethod
    def _show_balance(node: _Node) -> None:
        cell = node.items[BALANCE]
        cell.setText(format_money(node.balance))
        if node.account is not None and not node.account.active:
            return  # greyed like the rest of its row, whatever its sign
        cell.setData(_negative_brush() if node.balance < 0 else None,
                     Qt.ItemDataRole.ForegroundRole)

    def _sum_balances(self, node: _Node) -> Decimal:
        """Each node's natural balance including its children (a child of another class, which a
        well-formed chart never has, is added in its parent's sign)."""
        own = ZERO
        if node.account is not None and node.account.id is not None:
            own = natural_balance(node.account, self._balances.get(node.account.id, ZERO))
        total = own
        for child in node.children:
            child_total = self._sum_balances(child)
            if (node.account is not None and child.account is not None
                    and node.account.account_class.is_debit_normal
                    != child.account.account_class.is_debit_normal):
                child_total = -child_total
            total += child_total
        node.balance = total
        return total

    @staticmethod
    def _tooltip(node: _Node) -> str:
        account = node.account
        if account is None:
            return f"{node.full_name}: a parent that is not an account of its own"
        lines = [account.full_name, f"Type: {account.type.label}"]
        if account.original_type and account.original_type != account.type.label:
            lines.append(f"Original type: {account.original_type} (from {account.source.value})")
        if account.description:
            lines.append(account.description)
        if not account.active:
            lines.append("Inactive")
        if node.children:
            lines.append("Balance includes sub-accounts")
        return "\n".join(lines)


@functools.cache
def _italic_font() -> QFont:
    font = QFont()
    font.setItalic(True)
    return font


def _inactive_brush() -> QBrush:
    return QBrush(QApplication.palette().color(QPalette.ColorGroup.Disabled,
                                               QPalette.ColorRole.Text))


@functools.cache
def _negative_brush() -> QBrush:
    return QBrush(QColor(_NEGATIVE))


@dataclass(frozen=True)
class AccountTreeState:
    """Expanded paths and the selected account of a tree view, kept across a model rebuild."""

    expanded: frozenset[str]
    selected_id: int | None

    @classmethod
    def capture(cls, view: QTreeView, model: AccountTreeModel) -> AccountTreeState:
        expanded: set[str] = set()
        stack = [QModelIndex()]
        while stack:
            parent = stack.pop()
            for row in range(model.rowCount(parent)):
                index = model.index(row, 0, parent)
                if model.hasChildren(index) and view.isExpanded(index):
                    expanded.add(str(index.data(FULL_NAME_ROLE)).casefold())
                    stack.append(index)
        current = view.currentIndex()
        selected = current.siblingAtColumn(0).data(ACCOUNT_ID_ROLE) if current.isValid() else None
        return cls(frozenset(expanded), selected)

    def restore(self, view: QTreeView, model: AccountTreeModel) -> None:
        """Expand what was expanded (parents only: with the code and balance columns sized to
        their contents, each expansion re-measures the tree, a few ms each, so expanding every
        leaf of a 45-account chart took 80 ms) and select what was selected."""
        stack = [QModelIndex()]
        while stack:
            parent = stack.pop()
            for row in range(model.rowCount(parent)):
                index = model.index(row, 0, parent)
                if (model.hasChildren(index)
                        and str(index.data(FULL_NAME_ROLE)).casefold() in self.expanded):
                    view.setExpanded(index, True)
                    stack.append(index)
        if self.selected_id is not None:
            index = model.index_of(self.selected_id)
            if index.isValid():
                view.setCurrentIndex(index)
