"""The Ledger pane: chart of accounts tree, chart import by drag and drop, the lazy journal-entry
table with filters, the entry editor, bulk approve/post and the trial balance."""
