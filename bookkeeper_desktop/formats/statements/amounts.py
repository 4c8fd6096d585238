"""Amounts and dates as banks write them: `1,234.56`, `1.234,56`, `-12,50`, `(12.50)`, `12.50-`,
`12.50 CR`, `£12.50`; `2026-03-01`, `01/03/2026`, `03/01/2026`, `01.03.26`, `1 Mar 2026`..."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from bookkeeper_desktop.core.money import money

_CURRENCY = re.compile(r"[\s$£€¤\u00a0'’]|[A-Z]{3}(?=\s*[-+(\d])|(?<=\d)\s*[A-Z]{3}$")
_COMMA_DECIMAL = re.compile(r"^[-+(]?[\d.]*\d,\d{1,2}\)?-?$")
_POINT_DECIMAL = re.compile(r"^[-+(]?[\d,]*\d\.\d{1,2}\)?-?$")


def looks_decimal_comma(samples: Sequence[str]) -> bool:
    """True when the amounts are written with a decimal comma (`1.234,56`, `-12,5`): some value
    ends in a comma and one or two digits and none in a point and one or two digits."""
    cleaned = [_CURRENCY.sub("", s).removesuffix("CR").removesuffix("DR") for s in samples if s]
    comma = any(_COMMA_DECIMAL.match(s) for s in cleaned)
    point = any(_POINT_DECIMAL.match(s) for s in cleaned)
    return comma and not point


def parse_bank_amount(text: str, *, decimal_comma: bool = False) -> Decimal:
    """A signed amount; `ValueError` with the text when it is not one."""
    raw = text.strip()
    value = raw.upper()
    negative = False
    if value.endswith(("CR", "DR")):
        negative = value.endswith("DR")
        value = value[:-2]
    value = _CURRENCY.sub("", value)
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.endswith("-"):
        negative, value = True, value[:-1]
    if value.startswith("+"):
        value = value[1:]
    if value.startswith("-"):
        negative, value = not negative, value[1:]
    value = value.replace(".", "").replace(",", ".") if decimal_comma else value.replace(",", "")
    if not value or not re.fullmatch(r"\d+(\.\d+)?|\.\d+", value):
        raise ValueError(f"'{raw}' is not an amount")
    try:
        amount = money(Decimal(value).quantize(Decimal("0.01")) if _exact(value) else value)
    except (ValueError, InvalidOperation) as exc:
        raise ValueError(f"'{raw}' is not an amount of whole cents") from exc
    return -amount if negative else amount


def _exact(value: str) -> bool:
    """More than two decimals that are all zeros (`12.50000`) are still whole cents."""
    _, _, decimals = value.partition(".")
    return len(decimals) > 2 and set(decimals[2:]) == {"0"}


#: Date layouts banks use, as strptime formats with how we name them to the user.
DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("%Y-%m-%d", "YYYY-MM-DD"), ("%d/%m/%Y", "DD/MM/YYYY"), ("%m/%d/%Y", "MM/DD/YYYY"),
    ("%d.%m.%Y", "DD.MM.YYYY"), ("%d-%m-%Y", "DD-MM-YYYY"), ("%m-%d-%Y", "MM-DD-YYYY"),
    ("%Y/%m/%d", "YYYY/MM/DD"), ("%Y%m%d", "YYYYMMDD"), ("%d/%m/%y", "DD/MM/YY"),
    ("%m/%d/%y", "MM/DD/YY"), ("%d.%m.%y", "DD.MM.YY"), ("%d %b %Y", "D Mon YYYY"),
    ("%d-%b-%Y", "D-Mon-YYYY"), ("%d %B %Y", "D Month YYYY"), ("%b %d, %Y", "Mon D, YYYY"),
    ("%d-%b-%y", "D-Mon-YY"), ("%d %b %y", "D Mon YY"),
)
_FORMAT_NAMES = dict(DATE_FORMATS)


def date_format_label(fmt: str) -> str:
    return _FORMAT_NAMES.get(fmt, fmt)


def parse_date(text: str, fmt: str) -> dt.date:
    value = text.strip()
    if fmt == "%Y-%m-%d" and "T" in value:  # ISO date-times: 2026-03-01T00:00:00
        value = value.split("T", 1)[0]
    return dt.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a date, no time zone


def detect_date_format(samples: Sequence[str], *, day_first: bool = False) -> str | None:
    """The layout that reads the most samples (at least 80% of them: a mistyped date is refused
    later with its line number); when several read as many (01/02/2026 is either), the one whose
    dates span the shortest time (statements cover weeks, not years), then day-first when the
    file writes decimal commas (`day_first`)."""
    values = [s.strip() for s in samples if s.strip()]
    if not values:
        return None
    fits: list[tuple[int, int, int, str]] = []
    for order, (fmt, _name) in enumerate(DATE_FORMATS):
        dates: list[dt.date] = []
        for value in values:
            try:
                dates.append(parse_date(value, fmt))
            except ValueError:
                continue
        if len(dates) < max(1, int(len(values) * 0.8)):
            continue
        span = (max(dates) - min(dates)).days
        prefers = 0 if (fmt.startswith("%d") == day_first or fmt.startswith("%Y")) else 1
        fits.append((-len(dates), span, prefers * 100 + order, fmt))
    return min(fits)[3] if fits else None
