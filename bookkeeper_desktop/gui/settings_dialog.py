"""The Settings dialog, generated from the one declarative schema (`bookkeeper_desktop.settings`).

One tab per group, one row per setting, the editor chosen by the setting's kind. Adding a setting
to `SCHEMA` adds it here with no code. Values are checked by the schema on OK; problems are listed
in the dialog and it stays open.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.errors import ValidationError
from bookkeeper_desktop.settings import (
    QBO,
    SCHEMA,
    XERO,
    SettingKind,
    Settings,
    SettingSpec,
    groups,
)

Editor = QComboBox | QSpinBox | QCheckBox | QLineEdit


class _FolderEditor(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line = QLineEdit()
        self.line.setPlaceholderText("Documents")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)
        layout.addWidget(browse)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Default export folder", self.line.text())
        if folder:
            self.line.setText(folder)


#: Schema group -> provider key of the client secret field shown in that tab.
SECRET_GROUPS = {QBO: "qbo", XERO: "xero"}
#: What the client secret field says while it is empty: saved or not (None: not known yet).
SECRET_PLACEHOLDERS: dict[bool | None, str] = {
    None: "checking the system keychain…",
    True: "unchanged — kept in the system keychain",
    False: "none saved — paste your app's client secret",
}


class SettingsDialog(QDialog):
    """Edit every setting; `settings()` returns the checked result after OK.

    With `secret_fields=True`, the QuickBooks Online and Xero tabs also get a "Client secret"
    field. It is never filled in (secrets are not read back into a window) and is not a setting:
    `secret_changes()` returns what the user typed, for the caller to put in the OS keychain.
    Its placeholder says whether one is saved once the caller knows (`set_secret_saved`: the
    keychain is read in a worker, not here).

    `published_apps` maps a provider ("qbo"/"xero") to the publisher whose app connects it (the
    installer's publisher file, `providers.publisher`). Such a provider's tab says so, and its
    developer fields show only while "Advanced: use my own developer app" is ticked. For a
    provider with no published app, the tick box is hidden and the fields always show, as the
    user's own app is the only one.
    """

    def __init__(self, settings: Settings, parent: QWidget | None = None, *,
                 secret_fields: bool = False,
                 published_apps: Mapping[str, str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self._original = settings
        self._result = settings
        self._editors: dict[str, Editor] = {}
        self.secret_editors: dict[str, QLineEdit] = {}
        self.published_apps = dict(published_apps or {})
        #: Provider key -> the rows of its own developer app (shown per `use_own_app`).
        self._developer_rows: dict[str, tuple[QFormLayout, list[QWidget]]] = {}
        self.tabs = QTabWidget()
        for group in groups():
            page = QWidget()
            form = QFormLayout(page)
            provider = SECRET_GROUPS.get(group)
            for spec in (s for s in SCHEMA if s.group == group):
                widget, editor = self._make_editor(spec)
                self._editors[spec.key] = editor
                self._set_value(spec, settings.get(spec.key))
                label = QLabel(spec.label)
                if spec.help:
                    label.setToolTip(spec.help)
                    widget.setToolTip(spec.help)
                if provider is not None and spec.key == f"{provider}/use_own_app":
                    self._add_publisher_rows(form, provider, label, widget)
                    continue
                form.addRow(label, widget)
                if provider is not None:
                    self._developer_row(provider, form, widget)
            if secret_fields and provider is not None:
                secret = QLineEdit()
                secret.setEchoMode(QLineEdit.EchoMode.Password)
                secret.setPlaceholderText(SECRET_PLACEHOLDERS[None])
                secret.setToolTip("Type a client secret to save it (or replace the saved one). "
                                  "It is stored in the system keychain, never in a file.")
                secret.setObjectName(f"secret_{provider}")
                self.secret_editors[provider] = secret
                form.addRow(QLabel("Client secret"), secret)
                self._developer_row(provider, form, secret)
            self.tabs.addTab(page, group)
        for provider in self._developer_rows:
            self._show_developer_rows(provider)
        self.note = QLabel("Client secrets and sign-ins are kept in the system keychain, "
                           "never in these settings.")
        self.note.setWordWrap(True)
        self.note.setEnabled(False)
        self.problems = QLabel()
        self.problems.setObjectName("settingsProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #C0392B;")
        self.problems.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        restore = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.clicked.connect(self.restore_defaults)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.note)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)
        self.resize(560, 420)

    # -- the publisher's app or the user's own -------------------------------------------------
    def _add_publisher_rows(self, form: QFormLayout, provider: str, label: QLabel,
                            widget: QWidget) -> None:
        """The "whose app connects" line and the Advanced tick box (hidden with no publisher)."""
        publisher = self.published_apps.get(provider)
        if publisher is None:
            form.addRow(label, widget)
            form.setRowVisible(widget, False)
            return
        note = QLabel(f"Connect uses the app registered by {publisher}: there is "
                      "nothing to fill in here.")
        note.setObjectName(f"publisher_{provider}")
        note.setWordWrap(True)
        form.addRow(note)
        form.addRow(label, widget)
        editor = self._editors[f"{provider}/use_own_app"]
        if isinstance(editor, QCheckBox):
            editor.toggled.connect(lambda _on: self._show_developer_rows(provider))

    def _developer_row(self, provider: str, form: QFormLayout, widget: QWidget) -> None:
        self._developer_rows.setdefault(provider, (form, []))[1].append(widget)

    def _show_developer_rows(self, provider: str) -> None:
        form, widgets = self._developer_rows[provider]
        editor = self._editors[f"{provider}/use_own_app"]
        visible = (provider not in self.published_apps
                   or (isinstance(editor, QCheckBox) and editor.isChecked()))
        for widget in widgets:
            form.setRowVisible(widget, visible)

    def developer_fields_shown(self, provider: str) -> bool:
        """Whether the provider's own-app fields are shown (tests read it)."""
        form, widgets = self._developer_rows[provider]
        return all(form.isRowVisible(widget) for widget in widgets)

    def set_secret_saved(self, provider: str, saved: bool | None) -> None:
        """Say in the empty secret field whether a client secret is saved for `provider`."""
        editor = self.secret_editors.get(provider)
        if editor is not None:
            editor.setPlaceholderText(SECRET_PLACEHOLDERS[saved])

    def show_group(self, group: str) -> None:
        """Open the tab of `group` (e.g. "Xero", from a card's Open Settings)."""
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index) == group:
                self.tabs.setCurrentIndex(index)
                return

    def editor(self, key: str) -> Editor:
        """The widget that edits setting `key` (tests drive it)."""
        return self._editors[key]

    def raw_values(self) -> dict[str, object]:
        values: dict[str, object] = {}
        for spec in SCHEMA:
            editor = self._editors[spec.key]
            if isinstance(editor, QComboBox):
                values[spec.key] = editor.currentData()
            elif isinstance(editor, QSpinBox):
                values[spec.key] = editor.value()
            elif isinstance(editor, QCheckBox):
                values[spec.key] = editor.isChecked()
            else:
                values[spec.key] = editor.text()
        return values

    def secret_changes(self) -> dict[str, str]:
        """Provider ("qbo"/"xero") -> the new client secret typed, for the edited fields only."""
        return {provider: editor.text().strip() for provider, editor in
                self.secret_editors.items() if editor.text().strip()}

    def settings(self) -> Settings:
        """The settings as accepted (the original ones until OK succeeded)."""
        return self._result

    def restore_defaults(self) -> None:
        for spec in SCHEMA:
            self._set_value(spec, spec.default)

    @override
    def accept(self) -> None:
        try:
            self._result = self._original.with_values(self.raw_values())
        except ValidationError as error:
            self.problems.setText("\n".join(error.problems))
            self.problems.show()
            return
        self.problems.hide()
        super().accept()

    def _make_editor(self, spec: SettingSpec) -> tuple[QWidget, Editor]:
        if spec.kind is SettingKind.CHOICE:
            combo = QComboBox()
            for value, label in spec.choices:
                combo.addItem(label, value)
            return combo, combo
        if spec.kind is SettingKind.INT:
            spin = QSpinBox()
            spin.setRange(spec.minimum if spec.minimum is not None else -(2**31),
                          spec.maximum if spec.maximum is not None else 2**31 - 1)
            if spec.key == "sync/auto_interval_minutes":
                spin.setSpecialValueText("Off")
            return spin, spin
        if spec.kind is SettingKind.BOOL:
            check = QCheckBox()
            return check, check
        if spec.kind is SettingKind.FOLDER:
            folder = _FolderEditor()
            return folder, folder.line
        line = QLineEdit()
        if spec.kind is SettingKind.URL:
            line.setPlaceholderText("https://")
        return line, line

    def _set_value(self, spec: SettingSpec, value: object) -> None:
        editor = self._editors[spec.key]
        if isinstance(editor, QComboBox):
            index = editor.findData(value)
            editor.setCurrentIndex(max(index, 0))
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(str(value)))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        else:
            editor.setText(str(value))
