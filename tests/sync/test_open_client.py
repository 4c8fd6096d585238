"""`services.sync.open_client(parallel=…)`: how many requests a sync keeps in flight reaches the
client (the benchmarks compare our client with itself at one request at a time), within the
provider's concurrency limit (QBO 10 per realm, Xero 5 per tenant)."""

from __future__ import annotations

from bookkeeper_desktop.services.sync import open_client
from tests.sync.conftest import TIME_SCALE, Books


def _parallel(books: Books, parallel: int | None) -> int:
    with open_client(books.db, books.company_id, books.provider, keychain=books.keychain,
                     env=books.env, time_scale=TIME_SCALE, parallel=parallel) as client:
        return client.parallel


def test_qbo_parallel_defaults_to_the_limit_and_is_capped(qbo: Books) -> None:
    assert [_parallel(qbo, p) for p in (None, 1, 4, 50)] == [10, 1, 4, 10]


def test_xero_parallel_defaults_to_the_limit_and_is_capped(xero: Books) -> None:
    assert [_parallel(xero, p) for p in (None, 1, 3, 50)] == [5, 1, 3, 5]
