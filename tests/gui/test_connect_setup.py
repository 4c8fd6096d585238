"""What a user sees when Connect cannot start for want of a setting, and the Settings dialog with
and without a publisher file (issue #13 §1; issue #12: "a missing client id shows 'Something went
wrong' + 'Try again'"; "the secret field says 'unchanged' when nothing was ever saved")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QCheckBox, QLabel
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.app import integration_flows, published_apps
from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.gui.integrations import IntegrationsPane
from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
from bookkeeper_desktop.gui.integrations.state import Phase
from bookkeeper_desktop.gui.main_window import MainWindow
from bookkeeper_desktop.gui.settings_dialog import SECRET_PLACEHOLDERS, SettingsDialog
from bookkeeper_desktop.gui.settings_store import QSettingsStore
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.providers.publisher import PUBLISHER_FILE_ENV
from bookkeeper_desktop.settings import QBO, Settings
from tests.providers.conftest import MemoryKeyring, ScriptedBrowser

NO_PUBLISHER = {PUBLISHER_FILE_ENV: ""}


@pytest.fixture
def ini(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def sample_ctx(gui_db: Any, sample_company: Any, runner: JobRunner, ini: QSettings
               ) -> AppContext:
    return AppContext(AppServices(gui_db), runner, company_id=sample_company.id,
                      settings_saver=QSettingsStore(ini))


def connect_without_a_client_id(qtbot: QtBot, app_ctx: AppContext, sample_company: Any
                                ) -> IntegrationsPane:
    """The real flows (`app.integration_flows`) with no client id anywhere; Connect pressed."""
    app_ctx.set_company(sample_company.id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    flows = integration_flows(app_ctx.services, lambda: app_ctx.settings, NO_PUBLISHER,
                              keychain=Keychain(MemoryKeyring()), open_browser=ScriptedBrowser())
    IntegrationsController(pane, **flows)
    card = pane.card(Provider.XERO)
    qtbot.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)
    return pane


def test_a_missing_client_id_says_what_is_missing_and_offers_open_settings(
        qtbot: QtBot, app_ctx: AppContext, sample_company: Any) -> None:
    pane = connect_without_a_client_id(qtbot, app_ctx, sample_company)
    card = pane.card(Provider.XERO)
    assert card.state.phase is Phase.NEEDS_SETTINGS
    assert card.headline.text() == "Settings needed"
    assert "No client ID is set for Xero" in card.detail.text()
    assert "Settings → Xero → Client ID" in card.detail.text()
    assert card.settings_button.isVisibleTo(card)
    assert card.settings_button.text() == "Open Settings"
    assert card.retry_button.isVisibleTo(card), "Try Again once the client id is filled in"
    with qtbot.waitSignal(pane.settings_requested) as asked:
        qtbot.mouseClick(card.settings_button, Qt.MouseButton.LeftButton)
    assert asked.args == [Provider.XERO]


def test_open_settings_on_the_card_opens_the_providers_tab(
        qtbot: QtBot, sample_ctx: AppContext, ini: QSettings) -> None:
    window = MainWindow(sample_ctx, qsettings=ini)
    qtbot.addWidget(window)
    dialog = window.open_settings_for(Provider.XERO)
    assert window.settings_dialog is dialog
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Xero"
    assert window.open_settings_for(Provider.QBO) is dialog, "one Settings window at a time"
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == QBO
    dialog.reject()


def test_the_secret_field_says_whether_a_secret_is_saved(
        qtbot: QtBot, sample_ctx: AppContext, ini: QSettings) -> None:
    from bookkeeper_desktop.providers.config import Provider as ProviderKind

    keychain = Keychain(MemoryKeyring())
    keychain.save_client_secret(ProviderKind.QBO, "saved-before")
    window = MainWindow(
        sample_ctx, qsettings=ini,
        save_client_secret=lambda p, s: keychain.save_client_secret(ProviderKind(p), s),
        has_client_secret=lambda p: keychain.client_secret(ProviderKind(p)) is not None)
    qtbot.addWidget(window)
    dialog = window.open_settings()
    qtbot.waitUntil(lambda: dialog.secret_editors["xero"].placeholderText()
                    != SECRET_PLACEHOLDERS[None], timeout=5000)
    assert dialog.secret_editors["qbo"].placeholderText() == (
        "unchanged — kept in the system keychain")
    assert dialog.secret_editors["xero"].placeholderText() == (
        "none saved — paste your app's client secret")
    dialog.reject()


def test_with_a_publisher_the_developer_fields_wait_under_advanced(qtbot: QtBot) -> None:
    both = {"qbo": "Example Books Ltd", "xero": "Example Books Ltd"}
    dialog = SettingsDialog(Settings(), secret_fields=True, published_apps=both)
    qtbot.addWidget(dialog)
    note = dialog.findChild(QLabel, "publisher_qbo")
    assert isinstance(note, QLabel)
    assert "Example Books Ltd" in note.text()
    assert not dialog.developer_fields_shown("qbo")
    assert not dialog.developer_fields_shown("xero")
    own = dialog.editor("qbo/use_own_app")
    assert isinstance(own, QCheckBox)
    own.setChecked(True)
    assert dialog.developer_fields_shown("qbo")
    assert not dialog.developer_fields_shown("xero")
    dialog.accept()
    assert dialog.settings().use_own_app("qbo")


def test_without_a_publisher_the_developer_fields_show_as_before(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings(), secret_fields=True)
    qtbot.addWidget(dialog)
    assert dialog.developer_fields_shown("qbo")
    assert dialog.developer_fields_shown("xero")
    own = dialog.editor("qbo/use_own_app")
    form, _rows = dialog._developer_rows["qbo"]
    assert not form.isRowVisible(own), "no publisher: nothing to choose between"


def test_only_a_provider_the_publisher_covers_hides_its_fields(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings(), published_apps={"xero": "Bookkeeper Desktop demo"})
    qtbot.addWidget(dialog)
    assert not dialog.developer_fields_shown("xero")
    assert dialog.developer_fields_shown("qbo")
    assert dialog.findChild(QLabel, "publisher_qbo") is None


def test_the_window_learns_the_published_apps_from_the_publisher_file(tmp_path: Path) -> None:
    path = tmp_path / "publisher.toml"
    path.write_text('name = "Example Books Ltd"\n[xero]\nclient_id = "X1"\n', encoding="utf-8")
    assert published_apps({PUBLISHER_FILE_ENV: str(path)}) == {"xero": "Example Books Ltd"}
    assert published_apps(NO_PUBLISHER) == {}
    path.write_text("name = \n", encoding="utf-8")
    assert published_apps({PUBLISHER_FILE_ENV: str(path)}) == {}, "reported at Connect"


def test_a_published_installers_demo_connects_each_provider_with_one_click(
        qtbot: QtBot, app_ctx: AppContext, sample_company: Any, tmp_path: Path) -> None:
    """The installer's publisher file names real apps and a real relay; `--demo` swaps in its
    own publisher file, so one Connect each reaches the sandboxes and nothing else."""
    from bookkeeper_desktop.providers.config import demo_environment
    from bookkeeper_desktop.sandbox.demo import DemoSandboxes
    from bookkeeper_desktop.sandbox.xero_server import DEMO_ORGANISATIONS

    installers = tmp_path / "publisher.toml"
    installers.write_text('name = "Example Books Ltd"\n[xero]\nclient_id = "REALXERO"\n[qbo]\n'
                          'client_id = "REALQBO"\nrelay_url = "https://relay.invalid"\n',
                          encoding="utf-8")
    with DemoSandboxes(None, port_qbo=0, port_xero=0, limits=False) as sandboxes:
        endpoints = sandboxes.start()
        env = {PUBLISHER_FILE_ENV: str(installers)} | demo_environment(
            qbo_url=endpoints.qbo_url, xero_url=endpoints.xero_url,
            qbo_client_id=endpoints.qbo_client_id,
            qbo_client_secret=endpoints.qbo_client_secret,
            xero_client_id=endpoints.xero_client_id,
            publisher_file=tmp_path / "demo" / "publisher.toml")
        browser = ScriptedBrowser()
        flows = integration_flows(app_ctx.services, lambda: app_ctx.settings, env,
                                  keychain=Keychain(MemoryKeyring()), open_browser=browser)
        app_ctx.set_company(sample_company.id)
        pane = IntegrationsPane(app_ctx)
        qtbot.addWidget(pane)
        qtbot.waitSignal(pane.loaded, timeout=5000).wait()
        controller = IntegrationsController(pane, **flows)
        for provider in (Provider.QBO, Provider.XERO):
            # On Xero's consent page the user ticks one organisation; QBO's names one company.
            browser.choose = ([next(iter(DEMO_ORGANISATIONS.values()))]
                              if provider is Provider.XERO else None)
            card = pane.card(provider)
            qtbot.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)
            if provider is Provider.XERO:  # the second provider of the company: push only
                assert controller.confirm_box is not None
                next(b for b in controller.confirm_box.buttons()
                     if b.text() == "Connect push only").click()
            qtbot.waitUntil(lambda card=card: card.state.phase is Phase.CONNECTED,
                            timeout=15_000)
            qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=5000)
        assert all(url.startswith((endpoints.qbo_url, endpoints.xero_url))
                   for url in browser.opened), "nothing went to the installer's real apps"
        assert not any("REAL" in url for url in browser.opened)
