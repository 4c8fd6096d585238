"""A worker asks the user something and waits for the answer, without touching a widget.

Some operations need a decision half-way (Xero: which organisation of the consent to keep,
PRODUCT.md §2). The worker calls `question.ask(payload, progress)`; the question is delivered to
the GUI thread by a queued signal (`asked`); the GUI shows it its own way and calls
`answer(value)` (or `answer(None)` to decline). The worker blocks on a `threading.Event` and wakes
up at least every 100 ms to honour the job's cancel flag, so a cancelled job never hangs.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from bookkeeper_desktop.core.errors import Cancelled
from bookkeeper_desktop.core.progress import Progress

_POLL_SECONDS = 0.1


class WorkerQuestion(QObject):
    """One pending question from a worker to the GUI (create it in the GUI thread).

    Signals:
        asked(object): emitted in the GUI thread with the payload the worker asked about.

    Attributes:
        pending: True between `ask` and `answer`.
    """

    asked = Signal(object)
    _ask = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._answered = threading.Event()
        self._lock = threading.Lock()
        self._answer: Any = None
        self.pending = False
        # The worker emits `_ask` from its thread; queued, it reaches `asked` in ours.
        self._ask.connect(self.asked, Qt.ConnectionType.QueuedConnection)

    def ask(self, payload: Any, progress: Progress | None = None,
            timeout: float | None = None) -> Any:
        """From the worker: ask and block until answered (the answer, or None if declined).

        Raises `Cancelled` if the job is cancelled or `timeout` seconds pass unanswered."""
        with self._lock:
            self._answered.clear()
            self._answer = None
            self.pending = True
        self._ask.emit(payload)
        waited = 0.0
        while not self._answered.wait(_POLL_SECONDS):
            waited += _POLL_SECONDS
            if progress is not None and progress.cancelled:
                self._withdraw()
                raise Cancelled("Cancelled while waiting for your choice.")
            if timeout is not None and waited >= timeout:
                self._withdraw()
                raise Cancelled("No choice was made in time.", hint="Start again.")
        with self._lock:
            self.pending = False
            return self._answer

    def answer(self, value: Any) -> None:
        """From the GUI: the user's answer (None declines)."""
        with self._lock:
            if not self.pending:
                return
            self._answer = value
            self._answered.set()

    def _withdraw(self) -> None:
        with self._lock:
            self.pending = False
