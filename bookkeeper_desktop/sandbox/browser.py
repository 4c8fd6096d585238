"""A scripted browser for the sandboxes' consent pages (tests and end-to-end checks).

It does what a person does in the system browser: open the authorization URL, read the consent
form, tick the company or organisations, press Allow or Cancel, and report the redirect the
sandbox answers with (the URL the real browser would open next — our loopback listener). Plain
httpx and `html.parser`; nothing sandbox-internal, so it proves the page works as a page.

    location = ConsentBrowser().consent(authorize_url, decision="allow",
                                        choose=["Demo Company (NZ)"])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx


class ConsentPageError(Exception):
    """The page was not a consent form, or a choice asked for is not offered."""


@dataclass
class Choice:
    kind: str
    name: str
    value: str
    label: str
    checked: bool


@dataclass
class ConsentForm:
    """The parsed consent form. `choices` are the company/organisation inputs."""

    url: str
    action: str
    method: str
    hidden: dict[str, str] = field(default_factory=dict)
    choices: list[Choice] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""

    def fields(self, decision: str, choose: Sequence[str] | None) -> list[tuple[str, str]]:
        if (("decision", decision)) not in self.buttons:
            raise ConsentPageError(f"no button decision={decision!r} on the consent page")
        data = list(self.hidden.items())
        if choose is None:
            picked = [c for c in self.choices if c.checked] or self.choices[:1]
        else:
            picked = []
            for wanted in choose:
                found = [c for c in self.choices if wanted in (c.value, c.label)]
                if not found:
                    offered = ", ".join(c.label for c in self.choices)
                    raise ConsentPageError(f"{wanted!r} is not offered (offered: {offered})")
                picked.extend(found)
            if picked and picked[0].kind == "radio" and len(picked) > 1:
                raise ConsentPageError("only one company can be chosen")
        data.extend((c.name, c.value) for c in picked)
        data.append(("decision", decision))
        return data


@dataclass
class _RawForm:
    action: str
    method: str
    hidden: dict[str, str] = field(default_factory=dict)
    choices: list[Choice] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_RawForm] = []
        self._label: Choice | None = None
        self.text_parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(_RawForm(values.get("action", ""),
                                       values.get("method", "get").upper()))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        if tag == "input":
            kind = values.get("type", "text").lower()
            if kind == "hidden":
                form.hidden[values.get("name", "")] = values.get("value", "")
            elif kind in ("radio", "checkbox"):
                choice = Choice(kind, values.get("name", ""), values.get("value", "on"), "",
                                "checked" in values)
                form.choices.append(choice)
                self._label = choice
        elif tag == "button":
            form.buttons.append((values.get("name", ""), values.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label = None

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        if self._label is not None:
            self._label.label = (self._label.label + data).strip()


class ConsentBrowser:
    """Drives a sandbox consent page over real HTTP. Cookies persist across calls."""

    def __init__(self, client: httpx.Client | None = None, *, timeout: float = 10.0) -> None:
        self.client = client or httpx.Client(timeout=timeout)
        self._owns_client = client is None

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> ConsentBrowser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self, authorize_url: str) -> httpx.Response | ConsentForm:
        """GET the authorization URL: the consent form, or the raw response (an error page or an
        immediate error redirect)."""
        response = self.client.get(authorize_url, follow_redirects=False)
        if response.status_code != 200:
            return response
        parser = _FormParser()
        parser.feed(response.text)
        if not parser.forms:
            return response
        raw = parser.forms[0]
        return ConsentForm(
            url=str(response.url), action=urljoin(str(response.url), raw.action),
            method=raw.method, hidden=raw.hidden, choices=raw.choices, buttons=raw.buttons,
            text=" ".join(" ".join(parser.text_parts).split()))

    def submit(self, form: ConsentForm, decision: str = "allow",
               choose: Sequence[str] | None = None) -> httpx.Response:
        """Press a button with the choices ticked (None: what the page pre-selects, else the
        first offered)."""
        return self.client.request(form.method, form.action, data=_pairs(form.fields(decision,
                                                                                     choose)),
                                   follow_redirects=False)

    def consent(self, authorize_url: str, decision: str = "allow",
                choose: Sequence[str] | None = None) -> str:
        """Open, decide, and return the redirect `Location` (where the browser goes next).

        Raises `ConsentPageError` when no consent form is shown or no redirect follows.
        """
        page = self.open(authorize_url)
        if isinstance(page, httpx.Response):
            if page.status_code in (301, 302, 303, 307) and "location" in page.headers:
                return page.headers["location"]
            raise ConsentPageError(f"no consent form: HTTP {page.status_code} {page.text[:200]}")
        answer = self.submit(page, decision, choose)
        if answer.status_code not in (301, 302, 303) or "location" not in answer.headers:
            raise ConsentPageError(f"no redirect after consent: HTTP {answer.status_code} "
                                   f"{answer.text[:200]}")
        return answer.headers["location"]


def _pairs(items: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in items:
        grouped.setdefault(name, []).append(value)
    return grouped
