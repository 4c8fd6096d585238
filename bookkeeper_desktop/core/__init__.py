"""The ledger core: pure Python, no Qt, no SQLAlchemy. Everything else builds on these types."""
