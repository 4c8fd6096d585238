"""The QuickBooks Online token relay: a small stateless web service the publisher of Bookkeeper
Desktop runs, so that end users connect QBO with the publisher's Intuit app and no secret of their
own (issue #13 §2, PRODUCT.md §3).

Intuit has no public-client flow: every token request needs the client secret (HTTP Basic,
API_NOTES.md "token"), and a secret inside a desktop program is not a secret. The relay holds it:

- `POST /qbo/token` and `POST /qbo/revoke` take the desktop app's calls (as a public client:
  `client_id`, no secret), check the client id is the publisher's, add HTTP Basic with the
  secret and forward them to Intuit's token and revoke endpoints, answering with Intuit's answer;
- `GET /qbo/callback` is the HTTPS redirect page registered with Intuit for production keys
  (Intuit refuses `http://localhost` for them): it forwards the browser, query string unchanged,
  to the app's loopback listener, whose port the app put at the front of `state`;
- `GET /healthz` answers health checks; every other path is refused (404/405).

It stores nothing and logs no token, code, `state` or secret (only method, path, status, time and
the client address; query strings are never logged), and limits requests per client address.

Built on Starlette (a small, typed ASGI toolkit: routing, requests and responses and nothing we
would not use; FastAPI adds validation and OpenAPI the four routes do not need) served by uvicorn
(the reference ASGI server, one process, `--proxy-headers` for a TLS-terminating proxy in front).
Its dependencies are the `relay` extra; it is never part of the desktop bundle.
"""
