"""The request/response values every sandbox handler speaks.

The sandbox servers are split by responsibility: `server` owns sockets, routing, OAuth, rate
limits and fault injection; the accounting APIs (`qbo_api`, `xero_api`) are plain objects with a
`handle(request) -> Response` method and JSON-serialisable state. This module is the contract
between them, so an API can be tested without a socket and served by the real server unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    """An HTTP request as the handlers see it. Header names are lower-case."""

    method: str
    path: str
    query: Mapping[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def from_target(
        cls, method: str, target: str, headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Request:
        """Build from a request target such as `/v3/company/1/query?query=select...`."""
        parts = urlsplit(target)
        return cls(
            method=method.upper(),
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in (headers or {}).items()},
            body=body,
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter `name` (names compared case-insensitively)."""
        for key, values in self.query.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return default

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        """The body parsed as JSON; `ValueError` when it is not JSON."""
        return json.loads(self.body.decode("utf-8") or "null")

    def form(self) -> dict[str, str]:
        """The body parsed as `application/x-www-form-urlencoded` (first value of each field)."""
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8"), True).items()}


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None,
    ) -> Response:
        return cls(
            status,
            json.dumps(payload, separators=(",", ":"), default=str).encode("utf-8"),
            {"Content-Type": "application/json;charset=UTF-8", **(headers or {})},
        )

    @classmethod
    def text(
        cls, text: str, status: int = 200, content_type: str = "text/plain;charset=UTF-8",
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return cls(status, text.encode("utf-8"), {"Content-Type": content_type, **(headers or {})})

    def parsed(self) -> Any:
        """The body parsed as JSON (for tests)."""
        return json.loads(self.body.decode("utf-8"))
