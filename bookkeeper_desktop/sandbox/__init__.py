"""QBO- and Xero-compatible sandbox servers on loopback, for tests and `--demo`.

Built from the vendors' published specs (see `shared/API_NOTES.md`), not from what our client
sends. No Qt here.
"""
