"""GUI start-up: `bookkeeper-desktop [--db URL] [--company NAME] [--demo] [--smoke-test]`.

Order matters for the start-up budget (PRODUCT.md §7, under 1.5 s to a usable window): the
QApplication, palette and settings first, the database opened (and migrated) once, then the window;
everything else the panes need is read in background jobs after the window shows.

`--smoke-test` (used by the packaging check) builds the window with every pane on a temporary
database holding the sample company, lets the start-up jobs finish, and exits 0 — or 1 with the
reason on stderr if a pane is missing, a job failed or an error dialog opened.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from bookkeeper_desktop import APP_ID, APP_NAME, __version__
from bookkeeper_desktop.core.errors import BookkeeperError, ConfigurationError
from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.gui.errors import (
    ErrorPresenter,
    build_dialog,
    describe_error,
    install_crash_hook,
)
from bookkeeper_desktop.gui.main_window import PANE_KEYS, MainWindow, PlaceholderPane
from bookkeeper_desktop.gui.palette import follow_system_scheme
from bookkeeper_desktop.gui.resources import app_icon
from bookkeeper_desktop.gui.settings_store import QSettingsStore
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.services import companies, open_database
from bookkeeper_desktop.settings import Settings

log = logging.getLogger(__name__)

ORGANIZATION = "Bookkeeper"
#: How long quitting waits for background jobs to stop at a safe point (ms).
SHUTDOWN_WAIT_MS = 5000
#: Longest the smoke test waits for the start-up jobs (ms).
SMOKE_TIMEOUT_MS = 60_000
#: The interpreter's thread switch interval (seconds), set once at start-up. Each time Qt calls
#: into Python on the GUI thread (a paint asking a model for its cells, a job's result, a
#: slot) while a worker thread runs Python (a sync; the panes' re-reads after it), the GUI
#: thread may wait this long for the GIL: Python's default of 5 ms, a few times in one turn
#: of the event loop, made it stall past 50 ms after a sync. At 1 ms those waits are a fifth
#: as long; the workers pay a few more thread switches, which measured no slower for a 20,000
#: object pull (benchmarks/RESULTS.md, "GUI stall after a sync: the GIL and the repaints").
SWITCH_INTERVAL_S = 0.001


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="bookkeeper-desktop", description=f"{APP_NAME} {__version__}")
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: BOOKKEEPER_DB_URL, else the file in your "
                             "data folder)")
    parser.add_argument("--company", metavar="NAME_OR_ID", help="open this company")
    parser.add_argument("--demo", action="store_true",
                        help="run against the local QBO and Xero sandboxes (no real data)")
    parser.add_argument("--smoke-test", action="store_true",
                        help="build the window with every pane, process events, exit 0")
    parser.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    args, qt_args = parser.parse_known_args(list(argv) if argv is not None else sys.argv[1:])
    return args, qt_args


def main(argv: Sequence[str] | None = None) -> int:
    """Start the GUI; returns the process exit status."""
    args, qt_args = parse_args(argv)
    sys.setswitchinterval(SWITCH_INTERVAL_S)  # before any worker thread starts
    if args.smoke_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    logging.basicConfig(level=logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(
        [sys.argv[0] if sys.argv else APP_ID, *qt_args])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    follow_system_scheme(app)

    with ExitStack() as stack:
        db_url = args.db
        if args.smoke_test and not db_url:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="bookkeeper-smoke-"))
            db_url = f"sqlite:///{Path(folder) / 'smoke.sqlite'}"
        return _run(app, args, db_url)


def _run(app: QApplication, args: argparse.Namespace, db_url: str | None) -> int:
    presenter = ErrorPresenter()
    uninstall_hook = install_crash_hook(presenter)
    store = QSettingsStore()
    loaded = store.load()
    for problem in loaded.problems:
        log.warning("Setting ignored: %s", problem)
    demo_stack = ExitStack()
    try:
        # --demo first: it moves the data folder to the demo's own, so the books opened below
        # are the demo books, never the user's real ones (demo_mode.py).
        if args.demo:
            # Imported only for a demo: the sandboxes and providers cost start-up time.
            from bookkeeper_desktop.demo_mode import enter_demo_mode  # noqa: PLC0415

            enter_demo_mode(demo_stack)
        db = open_database(db_url)
    except BookkeeperError as error:
        demo_stack.close()
        uninstall_hook()
        return _startup_failed(error, args.smoke_test)

    runner = JobRunner()
    failures: list[str] = []
    try:
        company_id: int | None = None
        try:
            if args.company:
                company_id = companies.find_company(db, args.company).id
            else:
                current = companies.current_company(db)
                company_id = current.id if current is not None else None
        except BookkeeperError as error:
            presenter.present(error)
        services = AppServices(db, demo=args.demo)
        ctx = AppContext(services, runner, loaded.settings, company_id=company_id,
                         demo=args.demo, settings_saver=store)
        ctx.error_presenter = presenter
        runner.default_error_handler = ctx.show_error

        env = dict(os.environ)
        window = MainWindow(ctx, database_label=db.label, integration_flows=integration_flows(
            services, lambda: ctx.settings, env), save_client_secret=save_client_secret,
            has_client_secret=has_client_secret, published_apps=published_apps(env))
        window.show()
        if args.demo and company_id is None and not args.smoke_test:
            # A demo opens ready to try: the sample company, whose chart and contacts the demo's
            # first QBO company and Xero organisation hold too (sandbox.sample_seed), so Connect
            # and Sync Now send its books with no mapping step.
            window.switcher.open_sample_company()
        # What start-up built lives as long as the app: keep it out of the garbage collector's
        # full scans, which otherwise pause scrolling a 100k-entry ledger (benchmarks/RESULTS.md).
        gc.freeze()
        if args.smoke_test:
            presenter.dialog_opened.connect(
                lambda dialog: failures.append(f"error dialog: {dialog.text()} "
                                               f"{dialog.informativeText()}"))
            for key, pane in window.panes.items():
                if isinstance(pane, PlaceholderPane):
                    failures.append(f"the {key} pane is a placeholder (its package is missing)")
            _smoke_sequence(window, runner, failures)

            def too_slow() -> None:
                failures.append("start-up jobs did not finish in time")
                app.quit()

            QTimer.singleShot(SMOKE_TIMEOUT_MS, too_slow)
        elif args.exit_when_ready:
            _exit_when_ready(window, runner)
        status = int(app.exec())
        if failures:
            for failure in failures:
                sys.stderr.write(f"smoke test failed: {failure}\n")
            return 1
        if args.smoke_test:
            sys.stdout.write(f"smoke test OK: {', '.join(window.panes)} built\n")
        return status
    finally:
        stopped = runner.shutdown(SHUTDOWN_WAIT_MS)
        demo_stack.close()
        uninstall_hook()
        if not stopped:
            # A worker ignores its cancel flag (stuck in a call that cannot be interrupted).
            # Destroying a running QThread aborts the process, and closing the database under
            # it is worse: leave now; SQLite's journal keeps the file consistent.
            log.error("A background job did not stop within %d ms; exiting without it.",
                      SHUTDOWN_WAIT_MS)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(1)
        db.close()


def integration_flows(services: AppServices, settings: Callable[[], Settings],
                      env: Mapping[str, str], *, keychain: Any = None,
                      open_browser: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """The Connect / Sync Now / Disconnect callables for the Integrations pane
    (`gui.integrations.controller.IntegrationsController`).

    - `make_flow(company_id, provider, choose_tenant)`: a `providers.connect.ConnectFlow` with
      the configuration of `providers.config.load_config` (environment over Settings, the client
      secret from the keychain), the OS keychain and the `connections` table;
    - `disconnect(company_id, provider)`: revoke, delete the keychain entry, mark disconnected;
    - `sync(company_id, provider, progress) -> LastSync`: one pull-and-push run
      (`services.sync.run_sync`) in the network lane, its one-line result for the card;
    - `create_remote(company_id, provider, account_ids, progress) -> CreateOutcome`: Create in
      QuickBooks Online / Xero (`services.remote_accounts.create_remote_accounts`);
    - `plan_undo(company_id, provider, run_id, progress) -> UndoPlan` and `undo(company_id,
      provider, plan, progress) -> UndoResult`: Undo this sync (`services.undo`).

    All of them share **one `TokenManager` per (company, provider)** for the life of the window
    (`providers.tokens.TokenManagers`): a Sync Now, an auto-sync and a Disconnect of the same
    connection go through one single-flight refresh lock, so an expired access token is refreshed
    once, and a Disconnect waits for a refresh in flight and then revokes the token it saved
    (the vendors rotate refresh tokens: API_NOTES.md "lifetimes"). A finished Connect puts its
    new manager in place of the old one (`ConnectFlow(managers=...)`); a Disconnect drops it, so a
    stale refresh token held in memory is never used again. A manager made with configuration
    that Settings has changed since is replaced at the next use.

    `keychain` (a `providers.keychain.Keychain`; default: the OS keychain) and `open_browser`
    (default: `webbrowser.open`) are for tests.
    A configuration problem (no client id, no keychain) becomes the card's error state. The
    providers (httpx, authlib, keyring) are imported on the first Connect or Disconnect, not at
    start-up (PRODUCT.md §7 start-up budget)."""
    loaded: dict[str, Any] = {}

    def parts() -> dict[str, Any]:
        if not loaded:
            # Deferred imports: see the docstring.
            from bookkeeper_desktop.providers.config import load_config  # noqa: PLC0415
            from bookkeeper_desktop.providers.connect import ConnectFlow  # noqa: PLC0415
            from bookkeeper_desktop.providers.keychain import Keychain  # noqa: PLC0415
            from bookkeeper_desktop.providers.tokens import (  # noqa: PLC0415
                TokenManager,
                TokenManagers,
            )
            from bookkeeper_desktop.services.connection_store import (  # noqa: PLC0415
                DatabaseConnectionStore,
            )

            chain = keychain if keychain is not None else Keychain()
            store = DatabaseConnectionStore(services.db)

            def new_manager(company_id: int, which: Any) -> Any:
                return TokenManager(company_id, config_for(which), keychain=chain, store=store)

            loaded.update(load_config=load_config, ConnectFlow=ConnectFlow,
                          TokenManager=TokenManager, keychain=chain, store=store,
                          managers=TokenManagers(new_manager))
        return loaded

    def config_for(provider: Any) -> Any:
        p = parts()
        return p["load_config"](str(provider.value), settings(), env=env,
                                secret_lookup=p["keychain"].client_secret)

    def manager_for(company_id: int, provider: Any) -> Any:
        """The shared manager, replaced first if Settings changed its configuration."""
        p = parts()
        manager = p["managers"].get(company_id, provider)
        config = config_for(provider)
        if manager.config != config:
            manager = p["TokenManager"](company_id, config, keychain=p["keychain"],
                                        store=p["store"])
            p["managers"].put(manager)
        return manager

    def provider_access(company_id: int, provider: Any) -> dict[str, Any]:
        """What a sync, an undo or a remote create needs to call the provider, after refreshing
        a manager whose configuration changed (a configuration or connection problem is left to
        the service, which names it: "not connected" before "no client id")."""
        p = parts()
        with suppress(BookkeeperError):
            manager_for(company_id, provider)
        return {"settings": settings(), "env": env, "keychain": p["keychain"],
                "managers": p["managers"]}

    def make_flow(company_id: int, provider: Any, choose: Any) -> Any:
        p = parts()
        extra = {"open_browser": open_browser} if open_browser is not None else {}
        return p["ConnectFlow"](company_id, config_for(provider), keychain=p["keychain"],
                                store=p["store"], choose_tenant=choose,
                                managers=p["managers"], **extra)

    def disconnect(company_id: int, provider: Any) -> Any:
        p = parts()
        try:
            try:
                manager = manager_for(company_id, provider)
            except ConfigurationError as exc:
                # The provider cannot be called (its client id was removed from Settings): the
                # sign-in is still deleted here, and the result says the revoke did not happen.
                from bookkeeper_desktop.providers.tokens import (  # noqa: PLC0415
                    forget_locally,
                )

                return forget_locally(company_id, provider, keychain=p["keychain"],
                                      store=p["store"], why=exc.message)
            return manager.disconnect()
        finally:
            # The next Connect starts a fresh manager; nothing keeps the revoked token.
            p["managers"].forget(company_id, provider)

    def sync(company_id: int, provider: Any, progress: Any) -> Any:
        # Deferred imports: see the docstring.
        from bookkeeper_desktop.gui.integrations.state import LastSync  # noqa: PLC0415
        from bookkeeper_desktop.services.sync import run_sync  # noqa: PLC0415

        result = run_sync(services.db, company_id, str(provider.value), progress=progress,
                          **provider_access(company_id, provider))
        return LastSync(at=dt.datetime.now(dt.UTC), ok=result.ok, summary=result.summary,
                        result=result)

    def create_remote(company_id: int, provider: Any, account_ids: Any, progress: Any) -> Any:
        # Deferred import: see the docstring.
        from bookkeeper_desktop.services.remote_accounts import (  # noqa: PLC0415
            create_remote_accounts,
        )

        return create_remote_accounts(services.db, company_id, str(provider.value),
                                      list(account_ids), progress=progress,
                                      **provider_access(company_id, provider))

    def plan_undo(company_id: int, provider: Any, run_id: int, progress: Any) -> Any:
        # Deferred import: see the docstring.
        from bookkeeper_desktop.services.undo import preview_undo  # noqa: PLC0415

        return preview_undo(services.db, company_id, run_id, progress=progress,
                            **provider_access(company_id, provider))

    def undo(company_id: int, provider: Any, plan: Any, progress: Any) -> Any:
        # Deferred import: see the docstring.
        from bookkeeper_desktop.services.undo import undo_sync  # noqa: PLC0415

        return undo_sync(services.db, company_id, plan, progress=progress,
                         **provider_access(company_id, provider))

    return {"make_flow": make_flow, "disconnect": disconnect, "sync": sync,
            "create_remote": create_remote, "plan_undo": plan_undo, "undo": undo}


def save_client_secret(provider: str, secret: str) -> None:
    """Put a provider's client secret in the OS keychain (Settings → Client secret)."""
    from bookkeeper_desktop.providers.config import Provider  # noqa: PLC0415 - see above
    from bookkeeper_desktop.providers.keychain import Keychain  # noqa: PLC0415

    Keychain().save_client_secret(Provider(provider), secret)


def has_client_secret(provider: str) -> bool:
    """Whether the OS keychain holds a client secret for `provider` (Settings says so)."""
    from bookkeeper_desktop.providers.config import Provider  # noqa: PLC0415 - see above
    from bookkeeper_desktop.providers.keychain import Keychain  # noqa: PLC0415

    return Keychain().client_secret(Provider(provider)) is not None


def published_apps(env: Mapping[str, str]) -> dict[str, str]:
    """Provider ("qbo"/"xero") -> the publisher whose app Connect uses for it (the publisher
    file, `providers.publisher`). A broken publisher file is reported when Connect reads it,
    with the line; Settings then shows the developer fields."""
    from bookkeeper_desktop.providers.publisher import load_publisher  # noqa: PLC0415

    try:
        publisher = load_publisher(env)
    except ConfigurationError:
        return {}
    if publisher is None:
        return {}
    apps = {"qbo": publisher.qbo, "xero": publisher.xero}
    return {provider: publisher.name for provider, app in apps.items() if app is not None}


def _smoke_sequence(window: MainWindow, runner: JobRunner, failures: list[str]) -> None:
    """Open the sample company, visit every pane, and quit once the jobs have settled."""
    runner.job_ended.connect(
        lambda job: failures.append(f"job '{job.title}' failed: {job.error!r}")
        if job.error is not None else None)

    def visit_panes() -> None:
        for key in PANE_KEYS:
            window.show_pane(key)
        quit_when_idle()

    def quit_when_idle() -> None:
        if runner.busy:
            QTimer.singleShot(50, quit_when_idle)
        else:
            QApplication.quit()

    def start() -> None:
        window.switcher.open_sample_company()
        wait_for_company()

    def wait_for_company() -> None:
        if window.ctx.company_id is None and not failures:
            QTimer.singleShot(50, wait_for_company)
        else:
            visit_panes()

    QTimer.singleShot(0, start)


def _exit_when_ready(window: MainWindow, runner: JobRunner) -> None:
    """For benchmarks/bench_gui_start.py and the start-up tests: print "ready: <window title>"
    once the window is shown and its start-up reads are done, then quit."""

    def check() -> None:
        if runner.busy:
            QTimer.singleShot(5, check)
            return
        sys.stdout.write(f"ready: {window.windowTitle()}\n")
        sys.stdout.flush()
        QApplication.quit()

    QTimer.singleShot(0, check)


def _startup_failed(error: BookkeeperError, smoke_test: bool) -> int:
    """The books cannot be opened: say why and what to do, then exit 1."""
    report = describe_error(error)
    sys.stderr.write(f"{report.title}: {error}\n")
    if not smoke_test:
        box: QMessageBox = build_dialog(report)
        box.exec()  # nothing else runs yet: a blocking dialog is the whole app here
    return 1


if __name__ == "__main__":
    sys.exit(main())
