"""Refresh docs/screenshots/*.png: the window with each pane on the sample company.

Run by hand from the repository root (offscreen; no display needed):

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_screenshots.py [--dark]

Uses a temporary database, so your own books are never touched. Look at the PNGs afterwards.

The Conflicts and "Waiting for a fix" tabs need a real sync against a sandbox to have something to
show; their tests take those screenshots (integrations-conflicts.png, integrations-refused.png):

    BOOKKEEPER_SCREENSHOT_DIR=docs/screenshots .venv/bin/python -m pytest \
        tests/gui/test_integrations_conflicts.py tests/gui/test_integrations_refused.py -k pane

The account-mapping tab and its picker (integrations-mapping.png, mapping-picker.png) likewise:

    BOOKKEEPER_SCREENSHOT_DIR=docs/screenshots .venv/bin/python -m pytest \
        tests/gui/test_integrations_mapping.py -k screenshots
The entry editor with contacts and tax codes, the Contacts list and the Xero export's left-out
entries come from their test (ledger-entry-editor-contacts.png, ledger-entry-editor-waiting.png,
ledger-contacts.png, export-xero-left-out.png):

    BOOKKEEPER_SCREENSHOT_DIR=docs/screenshots .venv/bin/python -m pytest \
        tests/gui/test_contacts_screenshots.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtWidgets import QApplication, QGridLayout, QWidget

from bookkeeper_desktop import sample_data
from bookkeeper_desktop.core.errors import NetworkError, ReconnectNeeded
from bookkeeper_desktop.core.progress import ProgressSnapshot
from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.gui.integrations.card import ProviderCard
from bookkeeper_desktop.gui.integrations.state import CardState, LastSync, Tenant
from bookkeeper_desktop.gui.main_window import MainWindow
from bookkeeper_desktop.gui.palette import apply_palette
from bookkeeper_desktop.gui.screenshots import capture_panes, wait_until_idle
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services import ConnectionInfo, open_database
from bookkeeper_desktop.services import connections as connection_service

HERE = Path(__file__).resolve().parent
NOW = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC)


def card_states() -> list[CardState]:
    """One card per state the connect and sync flows can show."""
    connected = CardState.connected(Provider.QBO, "Craig's Design and Landscaping",
                                    last_sync=LastSync(NOW, True, "12 pulled, 3 pushed"))
    return [
        CardState.not_connected(Provider.QBO),
        CardState.waiting_for_browser(
            Provider.QBO, "https://appcenter.intuit.com/connect/oauth2?client_id=ABcd123"
                          "&response_type=code&scope=com.intuit.quickbooks.accounting"),
        CardState.choose_tenant(Provider.XERO, [Tenant("1", "Demo Company (AU)"),
                                                Tenant("2", "Kowhai Landscaping Ltd")]),
        connected,
        connected.syncing(ProgressSnapshot("Pulling journal entries", 340, 1200)),
        connected.after_error(ReconnectNeeded(
            "The refresh token expired after 100 days without use.")),
        CardState.not_connected(Provider.XERO).after_error(NetworkError(
            "identity.xero.com did not answer.",
            hint="Check your internet connection and press Try Again.")),
        CardState.waiting_for_browser(Provider.XERO, ""),
    ]


def save_card_states(path: Path) -> None:
    sheet = QWidget()
    grid = QGridLayout(sheet)
    for index, state in enumerate(card_states()):
        grid.addWidget(ProviderCard(state), index // 2, index % 2)
    sheet.resize(1000, 900)
    sheet.show()
    if not sheet.grab().save(str(path)):
        raise OSError(f"Cannot write {path}")
    sheet.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dark", action="store_true", help="dark palette (files get -dark)")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BOOKKEEPER_DATA_DIR"] = tmp
        QCoreApplication.setOrganizationName("BookkeeperScreenshots")
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        apply_palette(app, Qt.ColorScheme.Dark if args.dark else Qt.ColorScheme.Light)
        db = open_database(f"sqlite:///{Path(tmp) / 'books.sqlite'}")
        company = sample_data.create_sample_company(db, "Sample Company (demo data)")
        connection_service.save_connection(db, company.id, ConnectionInfo(
            provider="qbo", tenant_id="9341452", remote_company_name="Sandbox Company_US_1"))
        runner = JobRunner()
        try:
            ctx = AppContext(AppServices(db), runner, company_id=company.id)
            window = MainWindow(ctx, qsettings=QSettings(str(Path(tmp) / "w.ini"),
                                                        QSettings.Format.IniFormat))
            window.show()
            wait_until_idle(window)
            folder = Path(tmp) / "shots"
            for path in capture_panes(window, folder):
                name = f"{path.stem}-dark.png" if args.dark else path.name
                target = args.out / name
                target.write_bytes(path.read_bytes())
                print(f"wrote {target}")
            window.close()
            cards = args.out / ("integration-cards-dark.png" if args.dark
                                else "integration-cards.png")
            save_card_states(cards)
            print(f"wrote {cards}")
        finally:
            runner.shutdown()
            db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
