"""Wire formats of Xero's api.xro/2.0, for the Xero-compatible sandbox.

- Timestamps and dates travel as Microsoft JSON dates: `UpdatedDateUTC` as
  `/Date(1700000000000+0000)/`, the envelope's `DateTimeUTC` as `/Date(1700000000000)/`, and a
  transaction `Date` as midnight UTC of that day (API_NOTES.md "change capture": dates come back as
  `/Date(ms+offset)/`; api-research.md §2.2 "JSON dates"). Invoices and bank transactions also carry
  `DateString` (`2026-11-24T00:00:00`).
- Amounts are JSON numbers written digit for digit from `Decimal` (never through float).
- `If-Modified-Since` is accepted as an HTTP date (`Tue, 24 Nov 2026 08:00:00 GMT`) or as the ISO
  form xero-python sends (`datetime.isoformat()`, naive = UTC; api-research.md §2.2).
- `where` supports the common part of Xero's filter language (comparisons, `DateTime(…)`,
  `Guid("…")`, `.Contains/.StartsWith/.EndsWith`, `AND`/`OR`; see `where_filter`), and `order`
  takes `Field [ASC|DESC], …`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any
from xml.sax.saxutils import escape

_MS_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class QueryError(ValueError):
    """A `where` or `order` the sandbox cannot parse (Xero answers QueryParseException)."""


# --- dates ---------------------------------------------------------------------------------------


def millis(moment: dt.datetime) -> int:
    """Milliseconds since the epoch of an aware datetime."""
    return (moment - _EPOCH) // dt.timedelta(milliseconds=1)


def from_millis(ms: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(milliseconds=ms)


def ms_datetime(ms: int) -> str:
    """`/Date(1700000000000+0000)/`: how Xero writes `UpdatedDateUTC`."""
    return f"/Date({ms}+0000)/"


def ms_envelope(ms: int) -> str:
    """`/Date(1700000000000)/`: how Xero writes the envelope's `DateTimeUTC`."""
    return f"/Date({ms})/"


def ms_of(value: str) -> int:
    """The milliseconds inside a `/Date(…)/` string (the offset is informational: the number is
    already UTC)."""
    if value.startswith("/Date(") and value.endswith("+0000)/") and value[6:-7].isdigit():
        return int(value[6:-7])  # the form the sandbox stores, without a regex (hot path)
    found = _MS_DATE.fullmatch(value.strip())
    if not found:
        raise ValueError(f"{value!r} is not a /Date(…)/ value")
    return int(found.group(1))


def day_ms(day: dt.date) -> int:
    return millis(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))


def ms_date(day: dt.date) -> str:
    """A transaction date the way Xero returns it: midnight UTC as `/Date(ms+0000)/`."""
    return ms_datetime(day_ms(day))


def date_string(day: dt.date) -> str:
    """Xero's `DateString`: `2026-11-24T00:00:00`."""
    return f"{day.isoformat()}T00:00:00"


def day_of(value: str) -> dt.date:
    """A stored `/Date(…)/` transaction date back to a date."""
    return from_millis(ms_of(value)).date()


def parse_input_date(value: object) -> dt.date:
    """A date a client sent: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS` or `/Date(ms…)/`."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a date")
    text = value.strip()
    if text.startswith("/Date("):
        return from_millis(ms_of(text)).date()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date") from exc


def parse_if_modified_since(value: str) -> int:
    """`If-Modified-Since` → epoch milliseconds; `ValueError` when it is not a date.

    HTTP dates (RFC 9110) and ISO timestamps are both accepted; a timestamp without an offset is
    UTC, as xero-python sends it."""
    text = value.strip()
    if not text:
        raise ValueError("empty If-Modified-Since")
    if text[0].isalpha():
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{value!r} is not a date") from exc
    else:
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a date") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return millis(moment)


# --- amounts -------------------------------------------------------------------------------------

CENT = Decimal("0.01")


def parse_amount(value: object) -> Decimal:
    """A JSON amount (number, or numeric text) as a Decimal; `ValueError` otherwise. A float (from
    JSON parsed without `parse_float=Decimal`) is read through its shortest repr."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int | float | str):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError(f"{value!r} is not an amount") from exc
    else:
        raise ValueError(f"{value!r} is not an amount")
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    return amount


def cents(value: Decimal) -> Decimal:
    """Rounded to the cent, half away from zero (how Xero rounds line and tax amounts)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP) + 0


# --- JSON ----------------------------------------------------------------------------------------


def dumps(payload: Any) -> bytes:
    """JSON bytes with each Decimal written as a JSON number digit for digit."""
    marker = f"dec-{secrets.token_hex(6)}:"

    def encode(value: object) -> str:
        if isinstance(value, Decimal) and value.is_finite():
            return f"{marker}{value}"
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")

    text = json.dumps(payload, default=encode, separators=(",", ":"))
    pattern = re.compile('"' + re.escape(marker) + r'(-?[0-9]+(?:\.[0-9]+)?(?:E[+-]?[0-9]+)?)"')
    return pattern.sub(r"\1", text).encode("utf-8")


def loads(data: bytes) -> Any:
    """A request body as JSON, numbers with a fraction read as Decimal."""
    return json.loads(data.decode("utf-8"), parse_float=Decimal)


def to_plain(value: Any) -> Any:
    """Stored records → JSON-serialisable state: Decimals become `{"$decimal": "1.00"}`.
    (Exact type checks: the ABC checks of `isinstance(x, Mapping)` cost seconds on 20,000
    journals.)"""
    kind = type(value)
    if kind is dict:
        return {k: to_plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [to_plain(v) for v in value]
    if kind is Decimal:
        return {"$decimal": str(value)}
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    return value


def from_plain(value: Any) -> Any:
    """The inverse of `to_plain`."""
    kind = type(value)
    if kind is dict:
        if len(value) == 1 and "$decimal" in value:
            return Decimal(str(value["$decimal"]))
        return {k: from_plain(v) for k, v in value.items()}
    if kind is list:
        return [from_plain(v) for v in value]
    return value


# --- XML (Xero's default when the client does not ask for JSON) ---------------------------------

#: Element names of list items, where the singular is not just the plural without its "s".
_SINGULAR = {
    "Addresses": "Address", "Elements": "DataContractBase", "Tracking": "TrackingCategory",
    "TrackingCategories": "TrackingCategory", "ValidationErrors": "ValidationError",
    "Warnings": "Warning", "TaxComponents": "TaxComponent", "Options": "TrackingOption",
}


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and _MS_DATE.fullmatch(value):
        return from_millis(ms_of(value)).replace(tzinfo=None).isoformat()
    return escape(str(value))


def _xml(name: str, value: Any, out: list[str]) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        out.append(f"<{name}>")
        for key, child in value.items():
            _xml(str(key), child, out)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        item_name = _SINGULAR.get(name, name[:-1] if name.endswith("s") else name)
        out.append(f"<{name}>")
        for child in value:
            _xml(item_name, child, out)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{_xml_value(value)}</{name}>")


def to_xml(payload: Mapping[str, Any], root: str = "Response") -> bytes:
    """A response as Xero's XML (`<Response><Id>…</Id><Status>OK</Status>…</Response>`); dates as
    ISO timestamps, as Xero writes them in XML."""
    out: list[str] = []
    _xml(root, {k: v for k, v in payload.items() if k != "pagination"}, out)
    return "".join(out).encode("utf-8")


# --- where / order -------------------------------------------------------------------------------

_VALUE = r"""(?:"(?P<text>[^"]*)"|(?P<word>true|false|null)|(?P<number>-?\d+(?:\.\d+)?)
             |DateTime\((?P<datetime>[\d,\s]+)\)|Guid\("(?P<guid>[^"]*)"\))"""
_COMPARISON = re.compile(
    r"^\s*(?P<field>[A-Za-z][A-Za-z0-9.]*?)\s*(?P<op>==|!=|<>|>=|<=|=|>|<)\s*" + _VALUE + r"\s*$",
    re.VERBOSE | re.IGNORECASE,
)
_METHOD = re.compile(
    r"""^\s*(?P<field>[A-Za-z][A-Za-z0-9.]*?)(?P<lower>\.ToLower\(\))?
        \.(?P<method>Contains|StartsWith|EndsWith)\(\s*"(?P<text>[^"]*)"\s*\)\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_QUOTED = re.compile(r'"[^"]*"')
_OR = re.compile(r"\s+OR\s+|\|\|", re.IGNORECASE)
_AND = re.compile(r"\s+AND\s+|&&", re.IGNORECASE)

Predicate = Callable[[Mapping[str, Any]], bool]


def _field_value(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        match = next((k for k in value if k.lower() == part.lower()), None)
        value = value.get(match) if match is not None else None
    return value


def _comparable(value: Any) -> Any:
    """A field value in a form that compares with a parsed literal: dates as milliseconds,
    numbers as Decimal, the rest unchanged."""
    if isinstance(value, str) and _MS_DATE.fullmatch(value):
        return ms_of(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _literal(found: re.Match[str]) -> Any:
    if found.group("text") is not None:
        return found.group("text")
    if found.group("guid") is not None:
        return found.group("guid").lower()
    if found.group("word") is not None:
        return {"true": True, "false": False, "null": None}[found.group("word").lower()]
    if found.group("datetime") is not None:
        parts = [int(p) for p in found.group("datetime").split(",") if p.strip()]
        if not 3 <= len(parts) <= 6:
            raise QueryError("DateTime() needs a year, month and day")
        try:
            year, month, day, *clock = parts
            hour, minute, second = (*clock, 0, 0, 0)[:3]
            return millis(dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC))
        except ValueError as exc:
            raise QueryError(f"DateTime{tuple(parts)} is not a date") from exc
    return Decimal(found.group("number"))


def _condition(text: str) -> Predicate:
    method = _METHOD.match(text)
    if method:
        path, name = method.group("field"), method.group("method").lower()
        needle, lower = method.group("text"), method.group("lower") is not None

        def test_method(record: Mapping[str, Any]) -> bool:
            actual = _field_value(record, path)
            if not isinstance(actual, str):
                return False
            haystack = actual.lower() if lower else actual
            if name == "contains":
                return needle in haystack
            return haystack.startswith(needle) if name == "startswith" else \
                haystack.endswith(needle)

        return test_method
    found = _COMPARISON.match(text)
    if not found:
        raise QueryError(f"Unable to parse the where clause near '{text.strip()}'")
    path, op = found.group("field"), found.group("op")
    wanted = _literal(found)
    is_guid = found.group("guid") is not None

    def test(record: Mapping[str, Any]) -> bool:
        actual = _comparable(_field_value(record, path))
        if is_guid and isinstance(actual, str):
            actual = actual.lower()
        if op in ("==", "="):
            return bool(actual == wanted)
        if op in ("!=", "<>"):
            return bool(actual != wanted)
        if actual is None or wanted is None or isinstance(actual, str) != isinstance(wanted,
                                                                                     str):
            return False
        ordering = {">": actual > wanted, "<": actual < wanted, ">=": actual >= wanted,
                    "<=": actual <= wanted}
        return bool(ordering[op])

    return test


def where_filter(clause: str) -> Predicate:
    """A predicate for Xero's `where` parameter: comparisons (`==`, `!=`, `>`, `>=`, `<`, `<=`)
    with text, numbers, `true`/`false`/`null`, `DateTime(2026,11,01)` and `Guid("…")`, and
    `Field.Contains("…")`, `.StartsWith`, `.EndsWith` (optionally after `.ToLower()`), joined by
    `AND`/`&&` and `OR`/`||` (no parentheses)."""
    quoted: list[str] = []

    def hide(found: re.Match[str]) -> str:
        quoted.append(found.group(0))
        return f"\x00{len(quoted) - 1}\x00"

    def show(text: str) -> str:
        return re.sub(r"\x00(\d+)\x00", lambda m: quoted[int(m.group(1))], text)

    masked = _QUOTED.sub(hide, clause)
    alternatives = [[_condition(show(part)) for part in _AND.split(branch)]
                    for branch in _OR.split(masked)]

    def test(record: Mapping[str, Any]) -> bool:
        return any(all(cond(record) for cond in conds) for conds in alternatives)

    return test


def order_records(records: Sequence[Mapping[str, Any]], clause: str) -> list[Mapping[str, Any]]:
    """Records sorted by Xero's `order` parameter (`Name`, `Code DESC`, `UpdatedDateUTC ASC,…`)."""
    ordered = list(records)
    keys = [part.strip() for part in clause.split(",") if part.strip()]
    for part in reversed(keys):
        words = part.split()
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise QueryError(f"Unable to parse the order clause near '{part}'")
        path, descending = words[0], len(words) == 2 and words[1].upper() == "DESC"

        def sort_key(record: Mapping[str, Any], path: str = path) -> tuple[int, Any]:
            value = _field_value(record, path)
            if value is None:
                return (0, "")
            if isinstance(value, str) and _MS_DATE.fullmatch(value):
                return (1, ms_of(value))
            if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
                return (1, Decimal(str(value)))
            return (2, str(value).lower())

        ordered.sort(key=sort_key, reverse=descending)
    return ordered
