"""Network and service latency for the sandboxes, so that a sync is measured against something that
answers in tenths of a second, as QBO and Xero do, rather than in microseconds (issue 15).

Model: every request that reaches "the service" (the same requests fault rules apply to: after
authentication and rate limits) is answered after

    delay = (base + per_object × objects) × exp(N(0, spread)),  clipped to [low, high] × median

where `objects` is how many objects the answer carries (a page of a query, the items of a batch
or a Xero array write; 1 for everything else, OAuth included) and `per_object` is the read or the
write cost. The lognormal factor gives the long right tail real response times have; the clip
keeps one unlucky draw from dominating a benchmark. The draws come from one seeded
`random.Random`, so a benchmark run is repeatable (the *order* in which concurrent requests draw
still depends on thread scheduling).

The request is handled at once and its answer held until the delay is over (as a
`latency_after` fault does; `faults.FaultDecision.latency_after` and this delay are slept together
in `SandboxServer.serve`). The delay is the answer's whole time at the service, so the time the
sandbox itself spent handling it (about 0.1 s for a 1,000-object QBO page on a loaded 2-CPU
machine, serialised by the API lock and the GIL) is taken off what is slept. The concurrency slot
stays taken while the answer is held, so the providers' concurrent-request limits (`limits.py`)
bite as they do in production, and the sleep happens outside every lock, so concurrent requests
overlap. Requests the rate limiter refuses (429) and failed authentications are answered at once.

Figures (`PROFILES`), **estimates**, not measurements of the real services: issue 15 says "real QBO
answers a 1,000-object page in roughly 0.3–1 s and Xero in 0.2–0.6 s"; API_NOTES.md ("limits")
gives no latencies. Writes cost more per object than reads (QBO validates and posts every item of
a batch; Xero every journal of an array), so a QBO batch of 30 journal entries takes about 1 s and
a Xero write of 50 about 0.9 s, while a one-object read or a small write takes 0.1–0.2 s. Replace
the figures if anyone measures the real services.

Off by default: tests keep their speed. Set it from Python (`SandboxServer.configure_latency`,
or the `latency=` constructor keyword), over HTTP (`GET/POST /__sandbox__/latency`, see
`LatencyModel.configure_json`) or on the command line (`python -m bookkeeper_desktop.sandbox
--latency realistic|off|base=0.2,read=0.0004,...`, see `parse_latency`).
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from bookkeeper_desktop.sandbox.http import Response

#: Delays kept one by one for `snapshot(delays=True)` (a long demo with latency on must not
#: grow without end; a benchmark run draws a few hundred).
MAX_RECORDED = 100_000


@dataclass(frozen=True)
class Draw:
    """One modelled delay: its seconds, the objects the answer carried, whether a write, and
    the request's path (a benchmark tells batches from reads and sign-in renewals by it)."""

    seconds: float
    objects: int
    write: bool
    path: str = ""
    #: When it was drawn (the answer was ready to be held), seconds since the setting was made.
    at: float = 0.0


@dataclass(frozen=True)
class LatencyFigures:
    """The parameters of the model (seconds)."""

    base: float
    #: Extra seconds per object in a read's answer.
    read: float
    #: Extra seconds per object written (batch items, array items).
    write: float
    #: Standard deviation of the lognormal factor (0: always the median).
    spread: float = 0.35
    #: Clip of the factor: the delay stays within [low, high] × the median.
    low: float = 0.5
    high: float = 2.0

    def __post_init__(self) -> None:
        for name in ("base", "read", "write", "spread"):
            if getattr(self, name) < 0:
                raise ValueError(f"latency {name} cannot be negative")
        if not 0 < self.low <= 1 <= self.high:
            raise ValueError("latency clip needs 0 < low <= 1 <= high")

    def median(self, objects: int, *, write: bool) -> float:
        return self.base + (self.write if write else self.read) * max(objects, 0)


#: Estimates per vendor (see the module docstring for where they come from).
PROFILES: dict[str, LatencyFigures] = {
    # 1,000-object page: 0.15 + 0.40 = 0.55 s median, 5–95 % about 0.31–0.97 s; batch of 30: 0.90 s.
    "qbo": LatencyFigures(base=0.15, read=0.0004, write=0.025),
    # 1,000-object page: 0.12 + 0.23 = 0.35 s median, 5–95 % about 0.20–0.62 s; write of 50: 0.87 s.
    "xero": LatencyFigures(base=0.12, read=0.00023, write=0.015),
}


class LatencyModel:
    """One sandbox's latency setting and its seeded draws. Thread-safe.

    Attributes (read through `snapshot`): `enabled`, `figures`, `seed`, and the count and sum
    of the delays drawn since the last `configure`, and each delay drawn (the first
    `MAX_RECORDED`) with whether it was a write and how many objects it carried: the benchmarks'
    lower bound needs each request's own delay, not only their sum (`least_time`).
    """

    def __init__(self, vendor: str, *, enabled: bool = False,
                 figures: LatencyFigures | None = None, seed: int = 15) -> None:
        self.vendor = vendor
        self._lock = threading.Lock()
        self._enabled = enabled
        self._figures = figures or PROFILES.get(vendor, PROFILES["qbo"])
        self._seed = seed
        self._random = random.Random(seed)
        self._count = 0
        self._total = 0.0
        self._drawn: list[Draw] = []
        self._since = time.monotonic()
        self._holding = 0
        self._peak = 0

    @property
    def enabled(self) -> bool:
        return self._enabled

    def configure(self, *, enabled: bool | None = None, figures: LatencyFigures | None = None,
                  seed: int | None = None) -> None:
        """Change the setting; the draws restart from the seed and the totals from zero."""
        with self._lock:
            if enabled is not None:
                self._enabled = enabled
            if figures is not None:
                self._figures = figures
            if seed is not None:
                self._seed = seed
            self._random.seed(self._seed)
            self._count = 0
            self._total = 0.0
            self._drawn = []
            self._since = time.monotonic()
            self._peak = self._holding

    def configure_json(self, body: dict[str, Any]) -> None:
        """`POST /__sandbox__/latency`: `{"enabled": bool, "profile": "realistic"|"off"|"qbo"|
        "xero", "base", "read", "write", "spread", "low", "high" (seconds, any subset: the others
        keep their value), "seed": int}`. A profile or a figure without `enabled` turns the
        latency on ("off" turns it off). `ValueError` on anything else."""
        known = {"enabled", "profile", "seed", *LatencyFigures.__dataclass_fields__}
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown latency fields: {sorted(unknown)}")
        enabled = body.get("enabled")
        if enabled is not None and not isinstance(enabled, bool):
            raise ValueError("'enabled' must be true or false")
        figures = self.figures
        profile = body.get("profile")
        if profile is not None:
            on, chosen = _profile(str(profile), self.vendor)
            enabled = on if enabled is None else enabled
            figures = chosen or figures
        changes = {k: _number(k, body[k]) for k in LatencyFigures.__dataclass_fields__
                   if k in body}
        if changes:
            figures = replace(figures, **changes)
            enabled = True if enabled is None else enabled
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("'seed' must be an integer")
        self.configure(enabled=enabled, figures=figures, seed=seed)

    @property
    def figures(self) -> LatencyFigures:
        with self._lock:
            return self._figures

    def delay(self, objects: int, *, write: bool, path: str = "") -> float:
        """Seconds to hold one answer carrying `objects` objects (0 when off); counted, and
        kept with `path` for `snapshot(delays=True)`."""
        with self._lock:
            if not self._enabled:
                return 0.0
            figures = self._figures
            median = figures.median(objects, write=write)
            factor = math.exp(self._random.gauss(0.0, figures.spread)) if figures.spread else 1.0
            seconds = median * min(max(factor, figures.low), figures.high)
            self._count += 1
            self._total += seconds
            if len(self._drawn) < MAX_RECORDED:
                self._drawn.append(Draw(seconds, objects, write, path,
                                        time.monotonic() - self._since))
            return seconds

    def hold(self, seconds: float) -> None:
        """Sleep `seconds` (the caller holds no lock), counted as one answer in flight: the
        `peak_in_flight` of `snapshot` is how many answers were held at once, the overlap a
        client achieved (or, were the server to serialise, would not)."""
        if seconds <= 0:
            return
        with self._lock:
            self._holding += 1
            self._peak = max(self._peak, self._holding)
        try:
            time.sleep(seconds)
        finally:
            with self._lock:
                self._holding -= 1

    def snapshot(self, *, delays: bool = False) -> dict[str, Any]:
        """The setting, and since it was last set the number and total seconds of modelled
        delays and the most answers held at once; `delays`: also each delay drawn, in the order
        drawn, as `{"seconds", "objects", "write", "path", "at"}` (the first `MAX_RECORDED`;
        `delays_complete` says whether that is all of them). `GET /__sandbox__/latency`
        answers it with `delays`, `/__sandbox__/state` without."""
        with self._lock:
            answer = {"enabled": self._enabled, "seed": self._seed, **asdict(self._figures),
                      "requests": self._count, "total_seconds": round(self._total, 6),
                      "in_flight": self._holding, "peak_in_flight": self._peak}
            if delays:
                answer["delays"] = [{"seconds": round(d.seconds, 6), "objects": d.objects,
                                     "write": d.write, "path": d.path, "at": round(d.at, 6)}
                                    for d in self._drawn]
                answer["delays_complete"] = len(self._drawn) == self._count
            return answer


def least_time(delays: Sequence[float], *, per_window: int, concurrent: int,
               window: float = 60.0) -> float:
    """A lower bound on the seconds from the moment a client starts to the last answer, for any
    client that has these requests answered, when each request is answered `delays[i]` seconds
    after the service admits it, the service admits at most `per_window` requests in any
    `window` seconds (a sliding window; a fixed one admits no fewer) and holds at most
    `concurrent` at once:

        max over k = 0 … ⌊(n − 1) / per_window⌋ of  k · window + max(S_m / concurrent, d_m)

    with n requests, m = n − k · per_window, S_m the sum of the m shortest delays and d_m the
    m-th shortest.

    Why no client can beat it, however it orders and overlaps its requests: the first k windows,
    [0, k · window), admit at most k · per_window requests, so at least m requests are admitted
    at k · window or later. Each of them keeps one of the `concurrent` slots for its whole delay
    (the sandbox holds the slot while it holds the answer, as the providers count a request in
    flight until it is answered), so those m are all answered no sooner than k · window + (the
    sum of their delays) / concurrent, and that sum is at least S_m; and the longest of their m
    delays is at least d_m, so the one it belongs to is answered no sooner than k · window +
    d_m. k = 0 gives the latency bound alone (all delays ÷ concurrency), and the largest k the
    rate limit's whole windows plus what must still happen after the last one opens. The bound
    takes the delays as given: a client sending other requests (fewer, or other sizes) would
    have drawn others.

    >>> least_time([1.0] * 10, per_window=4, concurrent=2)  # k = 2: 120 s + the last 2 requests
    121.0
    >>> least_time([0.5] * 20 + [4.0] * 2, per_window=100, concurrent=2)  # k = 0: 18 s ÷ 2
    9.0
    >>> least_time([], per_window=4, concurrent=2)
    0.0
    """
    if per_window < 1 or concurrent < 1:
        raise ValueError("per_window and concurrent must be at least 1")
    shortest = sorted(delays)
    best = 0.0
    for k in range(0, (len(shortest) - 1) // per_window + 1 if shortest else 0):
        m = len(shortest) - k * per_window
        best = max(best, k * window + max(sum(shortest[:m]) / concurrent, shortest[m - 1]))
    return best


def _profile(name: str, vendor: str) -> tuple[bool, LatencyFigures | None]:
    """(on, figures) of a profile name: "off", "realistic" (this vendor's), or a vendor's."""
    if name == "off":
        return False, None
    if name == "realistic":
        return True, PROFILES.get(vendor, PROFILES["qbo"])
    if name in PROFILES:
        return True, PROFILES[name]
    raise ValueError(f"unknown latency profile {name!r}; expected realistic, off or "
                     f"{', '.join(PROFILES)}")


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"latency {name!r} must be a number of seconds")
    return float(value)


def parse_latency(text: str) -> dict[str, Any]:
    """The command line's `--latency` value as the JSON `configure_json` takes: `realistic`,
    `off`, or comma-separated `name=value` figures (`base=0.2,read=0.0004,write=0.02,spread=0.3,
    low=0.5,high=2,seed=7`; a figure left out keeps the vendor's realistic value), optionally
    after a profile (`realistic,seed=7`). `ValueError` with what is wrong."""
    body: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if "=" not in part:
            if "profile" in body:
                raise ValueError(f"two latency profiles in {text!r}")
            body["profile"] = part
            continue
        name, _, value = (s.strip() for s in part.partition("="))
        if name == "seed":
            try:
                body["seed"] = int(value)
            except ValueError:
                raise ValueError(f"latency seed {value!r} is not an integer") from None
        elif name in LatencyFigures.__dataclass_fields__:
            try:
                body[name] = float(value)
            except ValueError:
                raise ValueError(f"latency {name} {value!r} is not a number") from None
        else:
            raise ValueError(f"unknown latency figure {name!r}; expected base, read, write, "
                             "spread, low, high or seed")
    if not body:
        raise ValueError("empty latency setting")
    if "profile" not in body:
        body["profile"] = "realistic"
    _profile(str(body["profile"]), "qbo")  # the name is checked before any sandbox exists
    return body


def answer_json(response: Response) -> Any:
    """A sandbox `Response`'s body as JSON for counting its objects; None when it is not JSON
    (QBO's XML, an error page) or is an error."""
    if response.status >= 400 or response.body[:1] not in (b"{", b"["):
        return None
    try:
        return json.loads(response.body)
    except ValueError:
        return None
