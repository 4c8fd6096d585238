"""Fixtures for the GUI tests: offscreen Qt, QSettings in a temp dir, a job runner that stops."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEvent, QSettings

from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.jobs import JobRunner


@pytest.fixture(autouse=True)
def collect_qt_garbage_between_tests(qapp: object) -> Iterator[None]:
    """Delete the test's widgets and collect its garbage after the test, once its job lanes
    have stopped (this fixture is set up first, so it is torn down last).

    WORKAROUND: PySide6 can crash when the garbage collector frees Qt wrappers at an arbitrary
    moment while another QThread is running; a full suite once died "Garbage-collecting" in the
    next test's ledger read. Collecting here makes that moment one with no worker running."""
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path: Path) -> Path:
    """QSettings of every format and scope write under a temp dir, never the user's real ones."""
    folder = tmp_path / "qsettings"
    folder.mkdir()
    QCoreApplication.setOrganizationName("BookkeeperTests")
    QCoreApplication.setApplicationName("bookkeeper-desktop-tests")
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(folder))
    return folder


@pytest.fixture
def runner(qapp: object) -> Iterator[JobRunner]:
    """A real `JobRunner` with both lanes, shut down (threads joined) after the test."""
    job_runner = JobRunner()
    yield job_runner
    assert job_runner.shutdown(5000), "a lane thread did not stop"


@pytest.fixture
def gui_db(tmp_path: Path, fresh_sqlite: Callable[[Path], Any]) -> Iterator[Any]:
    """A real SQLite database in a temp folder, migrated, closed after the test."""
    db = fresh_sqlite(tmp_path / "books.sqlite")
    yield db
    db.close()


@pytest.fixture
def sample_company(gui_db: Any) -> Any:
    """The sample company (chart of accounts and a year of entries) in `gui_db`."""
    from bookkeeper_desktop import sample_data

    return sample_data.create_sample_company(gui_db, "Sample Company (demo data)")


@pytest.fixture
def app_ctx(qapp: object, gui_db: Any, runner: JobRunner) -> AppContext:
    """An `AppContext` on the real database and job runner, no company selected."""
    return AppContext(AppServices(gui_db), runner)


#: Qt messages that are noise of the offscreen platform, not of our code. WORKAROUND: Qt's
#: offscreen platform plugin (qoffscreen) warns on every top-level show because it does not
#: implement QPlatformWindow::propagateSizeHints(); a real screen (xcb, Windows, macOS) does not.
#: A completer's popup adds the two others (no raise(), no keyboard grab offscreen).
OFFSCREEN_NOISE = ("This plugin does not support propagateSizeHints()",
                   r"This plugin does not support raise\(\)",
                   "This plugin does not support grabbing the keyboard")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))


@pytest.fixture
def books(gui_db: Any) -> Iterator[Any]:
    """Our books in `gui_db` connected to the QBO sandbox (`tests.gui.sandbox_books`)."""
    from tests.gui.sandbox_books import connected

    yield from connected(gui_db, "qbo")


@pytest.fixture
def xero_books(gui_db: Any) -> Iterator[Any]:
    """Our books in `gui_db` connected to the Xero sandbox."""
    from tests.gui.sandbox_books import connected

    yield from connected(gui_db, "xero")
