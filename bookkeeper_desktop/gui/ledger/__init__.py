"""The Ledger pane: chart of accounts tree, chart import by drag and drop, the lazy journal-entry
table with filters, the entry editor, bulk approve/post and the trial balance.

`LedgerPane(ctx)` is what the main window hosts; File → Import calls
`pane.open_import_dialog(path=None)`.
"""

from bookkeeper_desktop.gui.ledger.pane import LedgerPane

__all__ = ["LedgerPane"]
