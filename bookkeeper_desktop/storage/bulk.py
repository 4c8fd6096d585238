"""Many new rows in one driver call, for the paths that store tens of thousands at once (a first
pull, an import, the sample company).

SQLAlchemy's `connection.execute(table.insert(), [dict, ...])` builds a parameter dictionary for
every row and then a list from it, through generic machinery, before the driver sees a value: for
a first pull of 20,000 transactions (20,000 entries, their lines and the providers' objects) that
cost about as much as SQLite's own inserting (benchmarks/RESULTS.md, "Sync at real-world
latency": the pull was bound by storing, not by the network). `insert_rows` takes plain tuples
and passes each value through its column type's own bind processing, the same function
SQLAlchemy would call (Money as integer cents on SQLite, UTC datetimes as naive UTC, JSON columns
through the engine's serializer), so the stored form is the one every other write gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase

#: The placeholder of each DB-API parameter style we run on (sqlite3: qmark; psycopg: format).
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def insert_rows(connection: Connection, model: type[DeclarativeBase], columns: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> int:
    """Insert `rows` of `model`'s table, each a sequence of values in `columns`' order, in one
    executemany inside the connection's transaction; the number of rows inserted. Values are
    given as the ORM takes them (Decimal amounts, aware datetimes, dicts for JSON)."""
    table = cast(Table, model.__table__)
    dialect = connection.dialect
    placeholder = _PLACEHOLDER.get(dialect.paramstyle)
    if placeholder is None:
        raise NotImplementedError(f"bulk insert with the {dialect.paramstyle!r} parameter style")
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            converters.append((index, _last_remembered(processor)))

    def stored(row: Sequence[Any]) -> tuple[Any, ...]:
        if not converters:
            return tuple(row)
        values = list(row)
        for index, processor in converters:
            values[index] = processor(values[index])
        return tuple(values)

    params = [stored(row) for row in rows]
    if params:
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(name) for name in columns)
        marks = ", ".join([placeholder] * len(columns))
        connection.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", params)
    return len(params)


def _last_remembered(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`processor`, answering again without a call when given the very same object as the last
    time: the rows of one insert mostly share their times (`created_at`, `fetched_at`) and
    flags, and a datetime's stored form costs several calls to make."""
    last: list[Any] = [_NOTHING, None]

    def remembered(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, processor(value)
        return last[1]
    return remembered


_NOTHING = object()
