"""Is each provider's API reachable? The online monitor behind "Offline — auto-sync paused".

Auto-sync is paused while the app is offline (issue #6, "Polling in place of webhooks"). Two
sources tell us so; neither may claim offline on a guess:

1. **The operating system**, through Qt's `QNetworkInformation` with a backend that supports the
   `Reachability` feature (NetworkManager or GLib on Linux, Network List Manager on Windows,
   SCNetworkReachability on macOS). Only `Disconnected` counts as offline. No backend (a CI box
   without NetworkManager, a bundle without the plugin), `Unknown`, `Local` and `Site` never
   pause anything: the next run finds out for itself.
2. **Our own runs.** A sync that failed without a Retry-After (a throttled run is not offline) or
   that raised `core.errors.NetworkError` is followed at once by a cheap probe, a TCP connect to
   the provider's API host and port (`api_address`: the base URL the sync uses). A host that does
   not answer means "offline as far as we know" for that provider. A failure the probe contradicts
   (an expired consent, a 500) is not an outage, and the scheduler's usual back-off applies.

While a provider is offline a probe runs every `PROBE_EVERY_MS` (30 s) in the job runner's network
lane (never on the GUI thread), instead of the exponential back-off; the provider is back as soon
as its host answers, the OS says it is connected again, or a sync (Sync Now by hand still runs)
succeeds. `QtNetwork` is imported only when the OS backend is loaded, after the window is shown
(`start()` defers it to the event loop), so it costs nothing before the first paint
(PRODUCT.md §7 start-up budget).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, QTimer, Signal

from bookkeeper_desktop.core.errors import Cancelled, NetworkError
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.jobs import Job, JobRunner
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.settings import Settings

if TYPE_CHECKING:
    from PySide6.QtNetwork import QNetworkInformation

log = logging.getLogger(__name__)

#: (host, port) of a provider's API.
Address = tuple[str, int]
#: provider -> its API address now (None: unknown, so never probed).
AddressOf = Callable[[Provider], Address | None]

#: How often an offline provider's host is probed.
PROBE_EVERY_MS = 30_000
#: How long one TCP connect may take before the host counts as not answering (seconds).
PROBE_TIMEOUT = 3.0


def api_address(provider: Provider, settings: Settings,
                env: Mapping[str, str]) -> Address | None:
    """The host and port the sync talks to for `provider`, resolved as
    `providers.config.load_config` resolves the API base: the sandbox URL from the environment
    (`BOOKKEEPER_SANDBOX_QBO_URL` / `…_XERO_URL`, what `--demo` sets) wins, else Settings' API
    address (QBO sandbox or production base URL; Xero's). Unlike `load_config` it needs no
    client id or secret: a probe sends nothing but a TCP handshake."""
    # providers.config is light (settings and urllib), but keep start-up imports to what the
    # window needs.
    from bookkeeper_desktop.providers.config import SANDBOX_URL_ENV  # noqa: PLC0415

    url = env.get(SANDBOX_URL_ENV[provider.value]) or (
        settings.qbo_base_url if provider is Provider.QBO else settings.xero_base_url)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a malformed port in the setting
        return None
    if not parts.hostname:
        return None
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def host_answers(address: Address, timeout: float = PROBE_TIMEOUT) -> bool:
    """True when a TCP connection to `address` opens within `timeout` (then closed at once).
    Refused, unreachable, a failed DNS lookup or a timeout: False."""
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def os_says_offline(reachability: QNetworkInformation.Reachability | None) -> bool:
    """The rule for what the OS reports: only `Disconnected` is offline. None (no backend
    loaded), `Unknown`, `Local`, `Site` and `Online` are not."""
    return reachability is not None and reachability.name == "Disconnected"


def _answers_unless_cancelled(address: Address, timeout: float, progress: Progress) -> bool:
    """`host_answers` in a helper thread, so that Cancel (the app closing its lanes) is not held
    up by a name lookup, which has no timeout of its own and can hang for several seconds while
    offline. Raises `Cancelled`; a lookup still hanging after `timeout` counts as no answer."""
    answer: list[bool] = []
    done = threading.Event()

    def attempt() -> None:
        answer.append(host_answers(address, timeout))
        done.set()

    threading.Thread(target=attempt, name="online-probe", daemon=True).start()
    deadline = time.monotonic() + timeout
    while not done.wait(0.05):
        progress.check_cancelled()
        if time.monotonic() > deadline:
            return False
    return answer[0]


def _probe(targets: Mapping[Provider, Address], timeout: float,
           progress: Progress) -> dict[Provider, bool]:
    """Network-lane job: which of `targets` answer."""
    progress.phase("Checking the connection")
    return {provider: _answers_unless_cancelled(address, timeout, progress)
            for provider, address in targets.items()}


class OnlineMonitor(QObject):
    """Whether each provider's API is reachable, from the OS and from our own runs.

    Signals:
        provider_online_changed(Provider, bool): one provider went offline (False) or came back.
        online_changed(bool): the app as a whole: False while any provider is offline.

    Attributes:
        probe_timer: fires every `probe_every_ms` while a provider is offline.
        backend: the name of the OS backend loaded ("networkmanager", "glib", …), or None.
        reachability: what the OS last reported (a `QNetworkInformation.Reachability`), or None.
        probes: how many probe jobs ran (tests and the status of a long outage).
    """

    provider_online_changed = Signal(object, bool)
    online_changed = Signal(bool)

    def __init__(self, jobs: JobRunner, address: AddressOf, *,
                 probe_every_ms: int = PROBE_EVERY_MS, probe_timeout: float = PROBE_TIMEOUT,
                 use_system: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.address = address
        self.probe_timeout = probe_timeout
        self.use_system = use_system
        self.backend: str | None = None
        self.reachability: QNetworkInformation.Reachability | None = None
        self.probes = 0
        self._offline: set[Provider] = set()
        #: Providers to probe as soon as the running probe job ends.
        self._wanted: set[Provider] = set()
        self._probe_job: Job[dict[Provider, bool]] | None = None
        self.probe_timer = QTimer(self)
        self.probe_timer.setInterval(probe_every_ms)
        self.probe_timer.timeout.connect(self._probe_offline)

    # -- what others read ------------------------------------------------------------------------
    def is_offline(self, provider: Provider) -> bool:
        return provider in self._offline

    @property
    def online(self) -> bool:
        return not self._offline

    @property
    def offline_providers(self) -> frozenset[Provider]:
        return frozenset(self._offline)

    # -- inputs ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Listen to the OS (when `use_system`), once the event loop runs: loading the backend
        imports QtNetwork, which is kept off the start-up path."""
        if self.use_system:
            QTimer.singleShot(0, self, self.load_system_backend)

    def load_system_backend(self) -> bool:
        """Load an OS backend with the Reachability feature and follow it. False when none
        loads: then the OS never marks anything offline."""
        from PySide6.QtNetwork import QNetworkInformation  # noqa: PLC0415 - see start()

        loaded = QNetworkInformation.loadBackendByFeatures(
            QNetworkInformation.Feature.Reachability)
        info = QNetworkInformation.instance() if loaded else None
        if info is None:
            log.info("No network-information backend: offline is learned from sync runs only.")
            return False
        self.backend = info.backendName()
        info.reachabilityChanged.connect(self.set_reachability)
        self.set_reachability(info.reachability())
        return True

    def set_reachability(self, reachability: QNetworkInformation.Reachability | None) -> None:
        """What the OS reports now (the backend's `reachabilityChanged`). Disconnected takes
        every provider offline and starts probing; leaving Disconnected brings them back."""
        was_offline = os_says_offline(self.reachability)
        self.reachability = reachability
        if os_says_offline(reachability):
            self._set(Provider, online=False)
            self._probe_offline()
        elif was_offline:
            self._set(Provider, online=True)

    def run_succeeded(self, provider: Provider) -> None:
        """A sync with `provider` went through: its host is reachable."""
        self._set((provider,), online=True)

    def run_failed(self, provider: Provider, error: BaseException | None = None) -> None:
        """A sync with `provider` failed (`error`: what it raised, if it raised). A
        `NetworkError` or a failure with no exception (a failed run) is checked with a probe
        at once; other exceptions (a bug, a revoked consent) say nothing about the network."""
        if error is None or isinstance(error, NetworkError):
            self.probe((provider,))

    def probe(self, providers: Iterable[Provider]) -> None:
        """Probe `providers`' hosts in the network lane (one job at a time; more wait)."""
        self._wanted.update(providers)
        if self._probe_job is not None or not self._wanted:
            return
        targets: dict[Provider, Address] = {}
        for provider in sorted(self._wanted, key=lambda p: p.value):
            address = self.address(provider)
            if address is not None:
                targets[provider] = address
            else:  # nothing to probe: the OS or the next successful sync decides
                log.info("No API address for %s; cannot probe it.", provider.display_name)
        self._wanted.clear()
        if not targets:
            return
        timeout = self.probe_timeout
        self.probes += 1
        self._probe_job = self.jobs.run(
            lambda progress: _probe(targets, timeout, progress), lane="network",
            title="Checking the connection", on_done=self._probed,
            on_error=self._probe_failed, owner=self)
        self._probe_job.ended.connect(self._probe_ended)

    # -- internals -------------------------------------------------------------------------------
    def _probe_offline(self) -> None:
        self.probe(self._offline)

    def _probed(self, answers: dict[Provider, bool]) -> None:
        for provider, answered in answers.items():
            self._set((provider,), online=answered)

    def _probe_failed(self, error: BaseException) -> None:
        if not isinstance(error, Cancelled):  # a bug: say so, the next tick tries again
            log.warning("Connection check failed: %r", error)

    def _probe_ended(self) -> None:
        self._probe_job = None
        if self._wanted:
            self.probe(())

    def _set(self, providers: Iterable[Provider], *, online: bool) -> None:
        was_online = self.online
        for provider in providers:
            if (provider not in self._offline) == online:
                continue
            if online:
                self._offline.discard(provider)
            else:
                self._offline.add(provider)
            log.info("%s is %s.", provider.display_name, "reachable again" if online else "offline")
            self.provider_online_changed.emit(provider, online)
        if self._offline and not self.probe_timer.isActive():
            self.probe_timer.start()
        elif not self._offline:
            self.probe_timer.stop()
        if self.online != was_online:
            self.online_changed.emit(self.online)


def monitor_for(jobs: JobRunner, settings: Callable[[], Settings], env: Mapping[str, str],
                **options: Any) -> OnlineMonitor:
    """An `OnlineMonitor` probing the API addresses the sync uses (`api_address` with the
    current Settings and `env`)."""
    return OnlineMonitor(jobs, lambda provider: api_address(provider, settings(), env),
                         **options)
