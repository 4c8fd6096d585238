"""QBO- and Xero-compatible sandbox servers on loopback, for tests and `--demo`.

Built from the vendors' published specs (see `shared/API_NOTES.md`), not from what our client
sends. No Qt here. Everything listens on 127.0.0.1 only.

Public API
----------
Start a server (port 0 = a free one; both are context managers)::

    from bookkeeper_desktop.sandbox.qbo_server import QboSandbox, DEMO_QBO_CLIENT
    from bookkeeper_desktop.sandbox.xero_server import XeroSandbox, DEMO_XERO_CLIENT
    with QboSandbox() as qbo, XeroSandbox() as xero:
        qbo.base_url    # "http://127.0.0.1:PORT"; discovery at /.well-known/openid_configuration
        xero.base_url   # authorize /identity/connect/authorize, token /connect/token

Constructor keywords (both): `port`, `clock` (`clock.FakeClock` in tests: `advance(seconds)`),
`clients` (`oauth.ClientRegistration(client_id, client_secret|None, redirect_uris, name,
allowed_scopes)`; a redirect URI may contain `{port}` to accept any localhost port), `api` (the
accounting API object; default: `qbo_api.QboAccountingApi` / `xero_api.XeroAccountingApi` when
those modules exist, else a built-in CompanyInfo / Organisation stand-in, see `apis`),
`limits` (bool), `time_scale` (0.01 makes a minute 0.6 s), `on_change(urgent: bool)` (called
after each state-changing request, before its response; `urgent` for OAuth/connections).
QBO also takes `companies={realm_id: name}`, Xero `organisations={tenant_id: name}`;
`register_client()`, `add_company()` / `add_organisation()` add more later.

Demo credentials: `DEMO_QBO_CLIENT` (id + secret, redirect `http://localhost:{port}/callback`),
`DEMO_XERO_CLIENT` (PKCE, no secret, granular scopes only), `DEMO_XERO_WEB_CLIENT` (secret, broad
scopes allowed: an app from before 2 Mar 2026). Demo data: one QBO company
(`qbo_server.DEMO_COMPANIES`), three Xero organisations (`xero_server.DEMO_ORGANISATIONS`).

Consent in tests: `browser.ConsentBrowser().consent(authorize_url, "allow"|"deny",
choose=[name or id, ...]) -> redirect Location`.

Fault injection (Python, or JSON to `POST /__sandbox__/faults`, see `server` and `faults`):
`inject_latency(seconds, path=, count=)`, `fail_next(n, status=503, path=)`,
`throttle_next(n, retry_after=, problem=)`, `drop_next(n, after_commit=False|True, path=)`,
`expire_access_tokens()`, `revoke_all_grants()`, `clear_faults()`, `add_fault(faults.Fault(...))`.

State: `GET /__sandbox__/state` (or `state_snapshot()`): grants and tokens by SHA-256
fingerprint (`oauth.fingerprint(token)`), the API's `to_state()`, Xero connections,
`requests.by_path` and `requests.token_grants` (e.g. how many `refresh_token` requests arrived);
`request_counts()`, `token_grant_counts()` in Python. `to_state()` / `load_state()` persist.
`configure_limits(enabled=, time_scale=)` or `POST /__sandbox__/limits`.

Latency (off by default; issue 15): `latency="realistic"` on either constructor,
`configure_latency("realistic"|"off"|"base=0.2,read=0.0004,seed=7"|{...})`, or
`GET/POST /__sandbox__/latency`; answers are held for base + per-object cost × a seeded lognormal
spread, outside every lock, while the request keeps its concurrency slot (see `latency`).

Company settings a user changes in the service itself (test-only endpoints, see the servers):
Xero lock dates `xero.api.set_lock_dates(tenant_id, period=date|None, end_of_year=date|None)` or
`POST /__sandbox__/lock_dates {"tenant_id", "PeriodLockDate", "EndOfYearLockDate"}`; QBO closing
date and duplicate-number warning `qbo.api.set_preferences(realm_id, book_close_date=,
book_close_password=, warn_duplicate_journal_number=)` or `POST /__sandbox__/preferences
{"realm_id", "BookCloseDate", "BookClosePassword", "WarnDuplicateJournalNumber"}`.

Demo runner: `demo.DemoSandboxes(state_file).start() -> DemoEndpoints` (URLs, demo credentials,
label), `.stop()`, `.reset()`, `.owned` (False when it attached to a running demo of the same
state file), `.notice`; `demo.default_state_file()` is in the app's data folder. Standalone:
`python -m bookkeeper_desktop.sandbox [--port-qbo N] [--port-xero N] [--state FILE]
[--latency realistic|off|FIGURES]`.

The `/__sandbox__/` endpoints are test-only: no real QBO or Xero has them.
"""
