"""Fault injection for the sandboxes (test-only).

A `FaultPlan` holds rules; every request that reaches "the service" asks it what to do: OAuth
endpoints at once, accounting API calls after their token, tenant and rate limits were checked (a
request refused by those gates leaves the rules untouched). `/__sandbox__/` calls never. Kinds:

- `latency`: wait `seconds` before handling (all matching latency rules add up); a fixed delay
  for a test's timing — the realistic spread of the real services is `sandbox.latency`, slept
  with `latency_after` in `SandboxServer.serve`;
- `latency_after`: handle (its changes are committed), then wait `seconds` before answering — the
  window in which a client killed or cut off has lost an answer the server already acted on (a
  rotated refresh token; the crash tests kill there);
- `error`: answer `status` (5xx) without handling;
- `rate_limit`: answer 429 with `Retry-After: seconds` in the vendor's shape, without handling;
- `drop_before`: close the socket without a response, before the handler runs (nothing changed);
- `drop_after`: run the handler (its changes are committed), then close the socket without a
  response — the case where a client must not assume its request failed.

Each rule applies to the next `count` matching requests (`None`: until cleared), optionally only to
paths matching the regular expression `path` (searched, so `"tokens/bearer"` or `"^/connections"`)
and to one HTTP `method`, optionally only to requests whose query string matches the regular
expression `query` (searched in its decoded `name=value` pairs, so `"from Customer"` singles out
QBO's customer queries, which share the `/query` path with every other); with `probability`
below 1 only to that share of them, drawn at random
(`FaultPlan.seed` makes the draws repeatable) — the "10 % of requests faulted" of the fault
benchmark (benchmarks/bench_sync_faults.py). Expiring access tokens early and revoking grants are
immediate actions on the OAuth store, not rules (see `SandboxServer.expire_access_tokens`).
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast, get_args

from bookkeeper_desktop.sandbox.http import Request

FaultKind = Literal["latency", "latency_after", "error", "rate_limit", "drop_before",
                   "drop_after"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)


@dataclass
class Fault:
    kind: FaultKind
    count: int | None = 1
    path: str | None = None
    method: str | None = None
    #: A regular expression searched in the request's decoded query string (`name=value&…`).
    query: str | None = None
    status: int = 503
    seconds: float = 0.0
    #: Xero's `X-Rate-Limit-Problem` for a `rate_limit` fault (minute, day, concurrent, appminute).
    problem: str = "minute"
    #: The share of matching requests the rule applies to (a draw per request).
    probability: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1 (or null for 'until cleared')")
        if self.kind == "error" and not 500 <= self.status <= 599:
            raise ValueError("an error fault needs a 5xx status")
        if self.seconds < 0:
            raise ValueError("seconds cannot be negative")
        if not 0.0 < self.probability <= 1.0:
            raise ValueError("probability must be above 0 and at most 1")
        for pattern in (self.path, self.query):
            if pattern is not None:
                re.compile(pattern)

    def matches(self, request: Request) -> bool:
        if self.method is not None and self.method.upper() != request.method:
            return False
        if self.query is not None and re.search(self.query, "&".join(
                f"{name}={value}" for name, values in request.query.items()
                for value in values)) is None:
            return False
        return self.path is None or re.search(self.path, request.path) is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        """Build from the JSON the `/__sandbox__/faults` endpoint accepts; `ValueError` if bad."""
        if not isinstance(data, dict):
            raise ValueError("a fault is a JSON object")
        known = {"kind", "count", "path", "method", "query", "status", "seconds", "problem",
                 "probability"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        kind = data.get("kind")
        if not isinstance(kind, str):
            raise ValueError("a fault needs a 'kind'")
        try:
            return cls(
                kind=cast(FaultKind, kind),
                count=None if data.get("count", 1) is None else int(data.get("count", 1)),
                path=data.get("path"),
                method=data.get("method"),
                query=data.get("query"),
                status=int(data.get("status", 503)),
                seconds=float(data.get("seconds", 0.0)),
                problem=str(data.get("problem", "minute")),
                probability=float(data.get("probability", 1.0)),
            )
        except (TypeError, re.error) as exc:
            raise ValueError(str(exc)) from exc


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request: wait `latency` seconds, then `action` (None: handle it), then
    wait `latency_after` seconds before answering."""

    latency: float = 0.0
    action: Fault | None = None
    #: Seconds to wait after handling, before answering (`latency_after` rules).
    latency_after: float = 0.0


@dataclass
class FaultPlan:
    """The active fault rules of one sandbox. Thread-safe."""

    _rules: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _random: random.Random = field(default_factory=random.Random)

    def seed(self, value: int) -> None:
        """Make the draws of rules with a `probability` repeatable."""
        with self._lock:
            self._random.seed(value)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._rules.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[Fault]:
        with self._lock:
            return list(self._rules)

    def take(self, request: Request) -> FaultDecision:
        """Consume the rules that apply to `request` and say what to do."""
        latency = latency_after = 0.0
        action: Fault | None = None
        with self._lock:
            for rule in list(self._rules):
                if not rule.matches(request):
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                if rule.kind == "latency":
                    latency += rule.seconds
                elif rule.kind == "latency_after":
                    latency_after += rule.seconds
                elif action is None:
                    action = rule
                else:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
        return FaultDecision(latency, action, latency_after)
