"""Talking to QuickBooks Online and Xero. No Qt here.

- `config`: `load_config(provider, settings, env=, secret_lookup=)` -> `ProviderConfig`
  (endpoints, scopes, redirect URI), `ProviderConfig.for_sandbox(url)`, `demo_environment(...)`.
- `loopback`: `CallbackListener`, the 127.0.0.1 redirect listener (and how to set up redirect URIs,
  including the HTTPS forwarding page production QBO needs).
- `oauth`: `OAuthClient` (authorization URL with state + PKCE S256, code exchange, refresh,
  revoke), `TokenSet`, typed errors `InvalidGrant` / `NoResponse`.
- `connect`: `ConnectFlow(company_id, config, keychain=, store=, open_browser=, choose_tenant=)`
  with `start()` / `wait()` / `cancel()` / `choose(tenant)` / `abandon()`, `tenant_by_name`.
- `keychain`: `Keychain` (refresh tokens and client secrets in the OS keychain, split entries).
- `tokens`: `TokenManager` (single-flight refresh, rotation saved first, reconnect marking,
  `disconnect()`), `TokenManagers`, `forget_locally`.
- `connections`: the `ConnectionStore` protocol and `MemoryConnectionStore`
  (`services.connection_store.DatabaseConnectionStore` is the database one).
- `http`: `ApiClient` for the API clients (bearer, 401 refresh-and-replay, typed errors).
- `ratelimit`: per-realm/tenant call budgets.
"""
