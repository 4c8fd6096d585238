"""Status-bar pieces: background jobs (after a short delay, with Cancel) and the last sync.

Quick jobs never flash anything: a job shows only once it has run `SHOW_AFTER_MS` (Anki shows its
busy cursor after 300 ms for the same reason).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from bookkeeper_desktop.core.progress import ProgressSnapshot
from bookkeeper_desktop.jobs import SHOW_AFTER_MS, Job, JobRunner, JobState


def show_progress(bar: QProgressBar, snapshot: ProgressSnapshot) -> None:
    """`bar` at the snapshot's count, or busy (no range) while the total is unknown."""
    if snapshot.total:
        bar.setRange(0, snapshot.total)
        bar.setValue(min(snapshot.done, snapshot.total))
    else:
        bar.setRange(0, 0)


class JobStatusWidget(QWidget):
    """Shows the longest-running visible job: its title, phase, progress and a Cancel button.

    Attributes:
        shown_job: the job on display, or None.
    """

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobStatus")
        self.runner = runner
        self.label = QLabel()
        self.label.setObjectName("jobLabel")
        self.bar = QProgressBar()
        self.bar.setObjectName("jobProgress")
        self.bar.setMaximumWidth(160)
        self.bar.setMaximumHeight(16)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setObjectName("jobCancel")
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop this job at the next safe point")
        self.cancel_button.clicked.connect(self.cancel_shown)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.shown_job: Job[Any] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self.update_view)
        runner.busy_changed.connect(self._busy_changed)
        # Bound methods: the runner outlives this widget, and Qt drops these with it.
        runner.job_progressed.connect(self._job_changed)
        runner.job_ended.connect(self._job_changed)
        self.hide()

    def _job_changed(self, _job: object) -> None:
        self.update_view()

    def _busy_changed(self, busy: bool) -> None:
        if busy:
            self._timer.start()
        else:
            self._timer.stop()
        self.update_view()

    def visible_jobs(self) -> list[Job[Any]]:
        return [job for job in self.runner.active_jobs()
                if job.state is JobState.RUNNING and job.running_ms >= SHOW_AFTER_MS]

    def update_view(self) -> None:
        jobs = self.visible_jobs()
        if not jobs:
            self.shown_job = None
            self.hide()
            return
        job = jobs[0]
        self.shown_job = job
        snapshot = job.snapshot()
        title = job.title or "Working"
        text = (f"{title}: {snapshot.phase}" if snapshot.phase else title) + "…"
        if len(jobs) > 1:
            text += f" (+{len(jobs) - 1} more)"
        self.label.setText(text)
        show_progress(self.bar, snapshot)
        self.cancel_button.setEnabled(not job.cancel_requested)
        self.show()

    def cancel_shown(self) -> None:
        if self.shown_job is not None:
            self.shown_job.cancel()
            self.cancel_button.setEnabled(False)
