"""Migration 0003: the outbox gains `basis` and `refusals` (a refused push waits for a fix), on
SQLite and PostgreSQL, keeping the rows an older release left behind."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, select, text

from bookkeeper_desktop.storage.engine import alembic_config, open_database
from bookkeeper_desktop.storage.schema import OutboxRow


def test_upgrade_from_0002_keeps_outbox_rows_and_adds_the_refusal_columns(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0002_integrations")
        connection.execute(text(
            "INSERT INTO companies (name, currency, created_at, updated_at) "
            "VALUES ('Old Books', 'USD', '2025-01-01', '2025-01-01')"))
        company_id = connection.execute(text("SELECT id FROM companies")).scalar_one()
        connection.execute(text(
            "INSERT INTO outbox (company_id, provider, operation, idempotency_key, state, "
            "attempts, last_error, created_at, updated_at) VALUES "
            "(:c, 'qbo', 'create', 'qbo1-1-abc', 'failed', 2, 'no answer', "
            "'2025-01-01', '2025-01-01')"), {"c": company_id})
    engine.dispose()

    db = open_database(db_url)
    try:
        with db.session() as session:
            row = session.execute(select(OutboxRow)).scalar_one()
            assert (row.idempotency_key, row.state, row.attempts, row.last_error) == (
                "qbo1-1-abc", "failed", 2, "no answer")
            assert row.basis is None
            assert row.refusals == 0
            row.state, row.basis, row.refusals = "refused", "b" * 32, 1
        with db.read_session() as session:
            again = session.execute(select(OutboxRow)).scalar_one()
            assert (again.state, again.basis, again.refusals) == ("refused", "b" * 32, 1)
    finally:
        db.close()
