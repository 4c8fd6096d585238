"""Bookkeeper Desktop: a local double-entry ledger kept in step with QuickBooks Online and Xero."""

__version__ = "0.1.0"
APP_NAME = "Bookkeeper Desktop"
APP_ID = "bookkeeper-desktop"
