"""The company switcher: pick one of the books, create one, rename one, open the sample company.

Everything goes through jobs (`services.companies`, `sample_data.create_sample_company`); names are
asked with a non-blocking `QInputDialog` (`open()`, never `exec()`), so the event loop keeps
running and tests drive the dialog like a user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QWidget,
)

from bookkeeper_desktop import sample_data
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import NotFound
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.services import companies

SAMPLE_COMPANY_NAME = "Sample Company (demo data)"


class CompanySource(Protocol):
    """What the switcher needs; `ServicesCompanySource` implements it on the services."""

    def list_companies(self) -> list[Any]: ...

    def create_company(self, name: str) -> Any: ...

    def rename_company(self, company_id: int, name: str) -> Any: ...

    def open_sample_company(self, progress: Progress) -> Any: ...

    def remember(self, company_id: int) -> None: ...


class ServicesCompanySource:
    """`CompanySource` on `services.companies` and `sample_data`."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def list_companies(self) -> list[Any]:
        return list(companies.list_companies(self.services.db))

    def create_company(self, name: str) -> Any:
        return companies.create_company(self.services.db, name)

    def rename_company(self, company_id: int, name: str) -> Any:
        return companies.rename_company(self.services.db, company_id, name)

    def open_sample_company(self, progress: Progress) -> Any:
        """The sample company, created with its demo ledger the first time."""
        try:
            return companies.find_company(self.services.db, SAMPLE_COMPANY_NAME)
        except NotFound:
            progress.phase("Creating the sample company")
            return sample_data.create_sample_company(self.services.db, SAMPLE_COMPANY_NAME)

    def remember(self, company_id: int) -> None:
        companies.switch_company(self.services.db, company_id)


class CompanySwitcher(QWidget):
    """A combo box of companies with a menu for New, Rename and the sample company.

    Signals:
        companies_loaded(list): the list was (re)read; carries the company records.

    Attributes:
        name_dialog: the open name dialog (New or Rename), or None.
    """

    companies_loaded = Signal(list)

    def __init__(self, ctx: AppContext, source: CompanySource | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("companySwitcher")
        self.ctx = ctx
        self.source: CompanySource = source if source is not None \
            else ServicesCompanySource(ctx.services)
        self.combo = QComboBox()
        self.combo.setObjectName("companyCombo")
        self.combo.setMinimumWidth(260)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setToolTip("The books you are working on")
        self.combo.setPlaceholderText("No company yet")
        self.menu_button = QPushButton("Companies")
        self.menu_button.setObjectName("companiesMenuButton")
        self.menu = QMenu(self)
        self.new_action = self.menu.addAction("New company…", self.ask_new_company)
        self.rename_action = self.menu.addAction("Rename company…", self.ask_rename_company)
        self.menu.addSeparator()
        self.sample_action = self.menu.addAction("Open the sample company",
                                                 self.open_sample_company)
        self.menu_button.setMenu(self.menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Company:"))
        layout.addWidget(self.combo)
        layout.addWidget(self.menu_button)
        layout.addStretch(1)
        self.name_dialog: QInputDialog | None = None
        self._filling = False
        self.combo.currentIndexChanged.connect(self._picked)
        ctx.company_changed.connect(self._select)
        ctx.changes.changed.connect(self._on_changes)
        self.reload()

    def companies(self) -> list[tuple[int, str]]:
        return [(int(self.combo.itemData(i)), self.combo.itemText(i))
                for i in range(self.combo.count())]

    def reload(self) -> None:
        source = self.source
        self.ctx.jobs.run(lambda p: source.list_companies(), on_done=self._fill,
                          title="Reading companies", owner=self)

    # -- actions ---------------------------------------------------------------------------------
    def ask_new_company(self) -> None:
        self._ask_name("New company", "Name of the new company:", "", self.create_company)

    def ask_rename_company(self) -> None:
        company_id = self.ctx.company_id
        if company_id is None:
            return
        current = self.combo.currentText()
        self._ask_name("Rename company", "New name:", current,
                       lambda name: self.rename_company(company_id, name))

    def create_company(self, name: str) -> None:
        source = self.source
        self.ctx.jobs.run(lambda p: source.create_company(name), on_done=self._created,
                          title="Creating company", owner=self)

    def rename_company(self, company_id: int, name: str) -> None:
        source = self.source
        self.ctx.jobs.run(lambda p: source.rename_company(company_id, name),
                          on_done=lambda company: self.ctx.notify(Changes(company=True)),
                          title="Renaming company", owner=self)

    def open_sample_company(self) -> None:
        source = self.source
        self.ctx.jobs.run(source.open_sample_company, on_done=self._created,
                          title="Opening the sample company", owner=self)

    # -- internals -------------------------------------------------------------------------------
    def _ask_name(self, title: str, label: str, text: str,
                  then: Callable[[str], None]) -> None:
        dialog = QInputDialog(self)
        dialog.setObjectName("companyNameDialog")
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.setTextValue(text)

        def chosen(name: str) -> None:
            if name.strip():
                then(name)

        dialog.textValueSelected.connect(chosen)
        dialog.finished.connect(self._dialog_closed)
        self.name_dialog = dialog
        dialog.open()
        # Wide enough for its title with the app's name the platform adds ("New c…esktop"):
        # the dialog's layout sizes it from its contents, so the name field sets the width.
        field = dialog.findChild(QLineEdit)
        if field is not None:
            field.setMinimumWidth(max(360, dialog.fontMetrics().horizontalAdvance(
                f"{title} — Bookkeeper Desktop") + 120))

    def _dialog_closed(self) -> None:
        if self.name_dialog is not None:
            self.name_dialog.deleteLater()
        self.name_dialog = None

    def _created(self, company: Any) -> None:
        company_id = int(company.id)
        if company_id == self.ctx.company_id:
            # Opened again (the sample company, already open): nothing switches, yet its books
            # may be new, so every view reads them again.
            self.ctx.notify(Changes(company=True))
        # Otherwise the switch is the one notice (`AppContext.set_company`): every view, this
        # list included, reads the new company once.
        self._switch_to(company_id)

    def _fill(self, companies: list[Any]) -> None:
        self._filling = True
        try:
            self.combo.clear()
            for company in companies:
                self.combo.addItem(str(company.name), int(company.id))
            current = self.ctx.company_id
            index = self.combo.findData(current) if current is not None else -1
            self.combo.setCurrentIndex(index)
        finally:
            self._filling = False
        self.rename_action.setEnabled(self.ctx.company_id is not None)
        self.companies_loaded.emit(companies)
        if self.ctx.company_id is None and self.combo.count() == 1:
            self._switch_to(int(self.combo.itemData(0)))

    def _picked(self, index: int) -> None:
        if self._filling or index < 0:
            return
        self._switch_to(int(self.combo.itemData(index)))

    def _switch_to(self, company_id: int) -> None:
        if company_id != self.ctx.company_id:
            source = self.source
            self.ctx.jobs.run(lambda p: source.remember(company_id), title="Switching company",
                              owner=self)
            self.ctx.set_company(company_id)
        self._select(company_id)

    def _select(self, company_id: int) -> None:
        index = self.combo.findData(company_id)
        if index >= 0 and index != self.combo.currentIndex():
            self._filling = True
            try:
                self.combo.setCurrentIndex(index)
            finally:
                self._filling = False
        self.rename_action.setEnabled(True)

    def _on_changes(self, changes: Changes) -> None:
        if changes.company:
            self.reload()
