"""Details of our requests checked against the vendors' published specs (issue #13 §5)."""

from __future__ import annotations

import datetime as dt

from bookkeeper_desktop.sync.clients import if_modified_since


def test_xero_if_modified_since_is_an_rfc3339_date_time_with_its_offset() -> None:
    """Xero's OpenAPI document: `If-Modified-Since` is `format: date-time`, e.g.
    "2020-02-06T12:17:43.202-08:00" (XeroAPI/Xero-OpenAPI xero_accounting.yaml)."""
    in_paris = dt.datetime(2026, 12, 3, 10, 0, 0, 123_456,
                           tzinfo=dt.timezone(dt.timedelta(hours=1)))
    header = if_modified_since(in_paris)
    assert header == "2026-12-03T09:00:00.123+00:00"
    parsed = dt.datetime.fromisoformat(header)
    assert parsed.utcoffset() == dt.timedelta(0)
    assert parsed == in_paris.replace(microsecond=123_000)
