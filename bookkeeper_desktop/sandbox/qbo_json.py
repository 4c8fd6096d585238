"""JSON for the QBO sandbox: amounts as exact JSON numbers in, `Decimal` inside, exact numbers out.

Intuit sends amounts as JSON numbers (`"Amount": 100.0`). The sandbox reads every number with a
fraction as `Decimal` and writes each `Decimal` digit for digit. It has its own few lines for this
rather than borrowing the client's `sync.payloads`, on purpose: the sandbox stands in for Intuit,
so a bug in our client's JSON must not be mirrored on the server side and hide itself.

Writing: `json` cannot emit a Decimal as a bare number, so each one is first written as a string
carrying a marker chosen at random once per process, and the quotes around those strings are then
removed by one precompiled pattern (text in a request cannot guess the marker).
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any

_MARKER = f"qbo-dec-{secrets.token_hex(12)}:"
_MARKED = re.compile('"' + re.escape(_MARKER) + r'(-?[0-9]+(?:\.[0-9]+)?(?:E[+-]?[0-9]+)?)"')


def _encode(value: object) -> str:
    if isinstance(value, Decimal) and value.is_finite():
        return f"{_MARKER}{value}"
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(payload: Any) -> bytes:
    """Compact JSON bytes; every Decimal an exact JSON number."""
    text = json.dumps(payload, default=_encode, separators=(",", ":"), ensure_ascii=False)
    return _MARKED.sub(r"\1", text).encode("utf-8")


def loads(data: bytes | str) -> Any:
    """JSON with fractional numbers read as Decimal (never through float)."""
    return json.loads(data, parse_float=Decimal)
