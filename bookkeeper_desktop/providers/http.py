"""The HTTP helper the QBO and Xero API clients (and the sync) build on.

`ApiClient` wraps one `httpx.Client` for one connection:
- adds `Authorization: Bearer …` from the token manager (`providers.tokens.TokenManager`), and
  Xero's `xero-tenant-id` header (API_NOTES.md, Xero "API base"); QBO calls get
  `minorversion=75` unless the caller gives one (lower ones are ignored since 1 Aug 2025);
- on **401** refreshes once (single-flight: only if nobody refreshed already) and replays the
  request once; a second 401 means the grant is gone → `ReconnectNeeded` (API_NOTES.md, QBO
  "errors": "401 → refresh once, then reconnect");
- timeouts on every call (`DEFAULT_API_TIMEOUT`);
- waits for a slot of the realm's/tenant's `RateBudget` (`providers.ratelimit`) when given one and
  pauses it on 429;
- maps failures to the typed errors of `core.errors` (`api_error`): 429 → `RateLimited` with
  `Retry-After` (QBO's 429 body is often XML `ThrottleExceeded` even when JSON was asked for; Xero
  sends `X-Rate-Limit-Problem`, and `day` → `DailyLimitReached`); 5xx and dropped connections →
  `NetworkError` (`NoResponse` when the request may have been processed, `Unreachable` when the
  connection could not even be made); Intuit
  `{"Fault":{"Error":[{"Message","Detail","code"}]}}` and Xero
  `{"ErrorNumber","Type","Message","Elements":[{"ValidationErrors":[{"Message"}]}]}` →
  `RemoteError` with the vendor's code.
Retries of 5xx/429 belong to the caller (the sync engine knows what is idempotent).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import re
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Protocol

import httpx

from bookkeeper_desktop.core.errors import (
    BookkeeperError,
    DailyLimitReached,
    NetworkError,
    RateLimited,
    ReconnectNeeded,
    RemoteError,
)
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.providers.config import Provider, ProviderConfig
from bookkeeper_desktop.providers.oauth import NoResponse, Unreachable, tls_context
from bookkeeper_desktop.providers.ratelimit import RateBudget

DEFAULT_API_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
#: QBO's minimum honoured minor version since 1 Aug 2025 (API_NOTES.md, QBO "API base").
QBO_MINOR_VERSION = "75"


class AccessTokenSource(Protocol):
    """What `ApiClient` needs from a token manager."""

    provider: Provider

    def access_token(self) -> str: ...

    def refresh_after_rejection(self, rejected: str) -> str: ...


class ApiClient:
    """Authenticated calls to one QBO realm or Xero tenant. Thread-safe.

    `base_url`: QBO `{api_base}/company/{realmId}`, Xero `{api_base}` (the `api.xro/2.0` root);
    relative paths are joined to it, absolute URLs used as they are.
    """

    def __init__(self, tokens: AccessTokenSource, *, base_url: str,
                 tenant_id: str | None = None, http: httpx.Client | None = None,
                 budget: RateBudget | None = None,
                 timeout: httpx.Timeout = DEFAULT_API_TIMEOUT) -> None:
        self.tokens = tokens
        self.provider = tokens.provider
        self.base_url = base_url.rstrip("/")
        self.tenant_id = tenant_id
        self.budget = budget
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=timeout, verify=tls_context())

    @classmethod
    def for_connection(cls, tokens: AccessTokenSource, config: ProviderConfig, tenant_id: str,
                       **kwargs: Any) -> ApiClient:
        """The client for one connection: QBO `{api}/company/{realmId}`, Xero `{api}` with the
        `xero-tenant-id` header."""
        if config.provider is Provider.QBO:
            return cls(tokens, base_url=f"{config.endpoints.api_base}/company/{tenant_id}",
                       **kwargs)
        return cls(tokens, base_url=config.endpoints.api_base, tenant_id=tenant_id, **kwargs)

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, content: bytes | str | None = None,
                headers: Mapping[str, str] | None = None,
                progress: Progress | None = None) -> httpx.Response:
        """Send one call; the 2xx/3xx response, or a typed error."""
        token = self.tokens.access_token()
        call = {"params": params, "json": json, "content": content, "headers": headers,
                "progress": progress}
        response = self._send(method, path, token, **call)
        if response.status_code == 401:
            token = self.tokens.refresh_after_rejection(token)
            response = self._send(method, path, token, **call)
            if response.status_code == 401:
                detail = _error_detail(response)
                raise ReconnectNeeded(
                    f"{self.provider.display_name} refused a freshly renewed sign-in"
                    + (f" ({detail})" if detail else "") + ".",
                    hint=f"Reconnect to {self.provider.display_name}.",
                )
        if response.status_code >= 400:
            error = api_error(response, self.provider)
            if isinstance(error, RateLimited) and self.budget is not None:
                self.budget.pause(error.retry_after or 1.0)
            raise error
        return response

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return _json_of(self.request("GET", path, **kwargs), self.provider)

    def post_json(self, path: str, payload: Any, **kwargs: Any) -> Any:
        return _json_of(self.request("POST", path, json=payload, **kwargs), self.provider)

    def _send(self, method: str, path: str, token: str, *, params: Mapping[str, Any] | None,
              json: Any, content: bytes | str | None, headers: Mapping[str, str] | None,
              progress: Progress | None) -> httpx.Response:
        all_headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
        if self.tenant_id and self.provider is Provider.XERO:
            all_headers["xero-tenant-id"] = self.tenant_id
        all_headers.update(headers or {})
        if self.provider is Provider.QBO and not any(
                k.lower() == "minorversion" for k in (params or {})):
            params = {**(params or {}), "minorversion": QBO_MINOR_VERSION}
        if self.budget is not None:
            self.budget.acquire(progress)
        try:
            return self.http.request(method, self.url(path), params=params, json=json,
                                     content=content, headers=all_headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Unreachable(f"Cannot reach {self.provider.display_name} ({exc}).",
                              hint="Check the internet connection; sync will try again.") from exc
        except httpx.TransportError as exc:
            raise NoResponse(
                f"The connection to {self.provider.display_name} dropped before it answered "
                f"({type(exc).__name__}).",
                hint="Check the internet connection; sync will try again.") from exc
        finally:
            if self.budget is not None:
                self.budget.release()


def _json_of(response: httpx.Response, provider: Provider) -> Any:
    try:
        return response.json()
    except ValueError:
        raise RemoteError(f"{provider.display_name} answered with something that is not JSON.",
                          status=response.status_code) from None


def retry_after_seconds(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


_XML_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)
_XML_DETAIL = re.compile(r"<Detail>(.*?)</Detail>", re.S)
_XML_CODE = re.compile(r"""<Error[^>]*\scode=["']([^"']+)["']""")


def _error_detail(response: httpx.Response) -> str:
    code, message = _parse_fault(response)
    return " ".join(part for part in (message, f"code {code}" if code else "") if part)


def _parse_fault(response: httpx.Response) -> tuple[str | None, str]:
    """(code, message) from an Intuit Fault (JSON or XML) or a Xero error document."""
    try:
        body = response.json()
    except ValueError:
        text = response.text
        found = [_XML_MESSAGE.search(text), _XML_DETAIL.search(text)]
        words = [html.unescape(m.group(1).strip()) for m in found if m]
        xml_code = _XML_CODE.search(text)
        return (xml_code.group(1) if xml_code else None), ": ".join(w for w in words if w)
    if not isinstance(body, dict):
        return None, ""
    fault = body.get("Fault") or body.get("fault")
    if isinstance(fault, dict):
        errors = fault.get("Error") or fault.get("error") or []
        first = errors[0] if isinstance(errors, list) and errors else {}
        if isinstance(first, dict):
            message = str(first.get("Message") or "")
            detail = str(first.get("Detail") or "")
            text = f"{message}: {detail}" if detail and detail != message else message or detail
            code = first.get("code")
            return (str(code) if code is not None else None), text
    if "Type" in body or "ErrorNumber" in body or "Title" in body:
        messages: list[str] = []
        for element in body.get("Elements") or []:
            if isinstance(element, dict):
                messages += [str(v.get("Message")) for v in element.get("ValidationErrors") or []
                             if isinstance(v, dict) and v.get("Message")]
        text = "; ".join(messages) or str(body.get("Message") or body.get("Detail")
                                           or body.get("Title") or "")
        code = body.get("Type") or body.get("Title") or body.get("ErrorNumber")
        return (str(code) if code is not None else None), text
    if "error" in body:
        return str(body["error"]), str(body.get("error_description") or "")
    return None, ""


def api_error(response: httpx.Response, provider: Provider) -> BookkeeperError:
    """The typed error for a failed API response (status ≥ 400, not the 401 replay)."""
    title = provider.display_name
    status = response.status_code
    if status == 429:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        problem = (response.headers.get("X-Rate-Limit-Problem") or "").lower()
        if problem == "day":
            return DailyLimitReached(
                f"{title}'s daily limit of API calls is used up.", retry_after=retry_after,
                hint="Sync resumes automatically when the limit resets; nothing was lost.")
        wait = f" for {retry_after:g} seconds" if retry_after is not None else ""
        return RateLimited(f"{title} asked us to slow down{wait}.", retry_after=retry_after,
                           hint="Sync waits and continues by itself.")
    if status >= 500:
        return NetworkError(f"{title} had a problem answering (HTTP {status}).",
                            hint="Sync will try again shortly.")
    code, message = _parse_fault(response)
    if status == 401:
        return ReconnectNeeded(f"{title} refused the sign-in" + (f": {message}" if message else ""),
                               hint=f"Reconnect to {title}.")
    if status == 403 and provider is Provider.XERO:
        return RemoteError(
            "This Xero organisation is no longer connected to the app"
            + (f" ({message})" if message else "") + ".",
            code=code, status=status, hint="Reconnect to Xero and choose the organisation.")
    if status == 404 and not message:
        message = "not found"
    return RemoteError(f"{title} refused the request: {message or f'HTTP {status}'}.",
                       code=code, status=status)
