"""Refresh docs/screenshots/*.png: the window with each pane on the sample company.

Run by hand from the repository root (offscreen; no display needed):

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_screenshots.py [--dark]

Uses a temporary database, so your own books are never touched. Look at the PNGs afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtWidgets import QApplication

from bookkeeper_desktop import sample_data
from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.gui.main_window import MainWindow
from bookkeeper_desktop.gui.palette import apply_palette
from bookkeeper_desktop.gui.screenshots import capture_panes, wait_until_idle
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.services import ConnectionInfo, open_database
from bookkeeper_desktop.services import connections as connection_service

HERE = Path(__file__).resolve().parent


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
        finally:
            runner.shutdown()
            db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
