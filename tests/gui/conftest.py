"""Fixtures for the GUI tests: offscreen Qt, QSettings in a temp dir, a job runner that stops."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QSettings

from bookkeeper_desktop.jobs import JobRunner


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
