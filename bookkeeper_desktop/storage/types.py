"""Column types that keep money exact and times in UTC on every database we support.

- `Money`: `Numeric(18, 2)` on PostgreSQL. SQLite has no decimal type (it would store 2.50 as a
  REAL and add REALs with binary rounding), so there the column holds **integer cents**; sums in
  SQL stay exact and come back as `Decimal` through `money()` either way.
- `UTCDateTime`: stored as naive UTC, always returned timezone-aware (UTC).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.types import TypeDecorator, TypeEngine

from bookkeeper_desktop.core.money import money

UTC = dt.UTC


class Money(TypeDecorator[Decimal]):
    """An amount in the currency's unit with two places; integer cents on SQLite."""

    impl = Numeric(18, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite" and type(value) is Decimal and value.is_finite():
            # Whole cents already (nearly every amount): the integer without `money()`'s
            # checks, which a first pull's 100,000 amounts paid for one by one.
            cents = value.scaleb(2)
            if cents == cents.to_integral_value():
                return int(cents)
        amount = money(value)
        if dialect.name == "sqlite":
            return int(amount.scaleb(2))
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            # Exact and fast: 250 → Decimal("2.50") (this runs for every amount read).
            return Decimal(int(value)).scaleb(-2)
        return value if isinstance(value, Decimal) else money(Decimal(value))

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A point in time, stored as naive UTC and read back as aware UTC."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use datetime.now(UTC)")
        if value.tzinfo is not UTC:  # already UTC (most are): one call fewer for every row
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=UTC)

    @property
    def python_type(self) -> type[dt.datetime]:
        return dt.datetime


def utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)
