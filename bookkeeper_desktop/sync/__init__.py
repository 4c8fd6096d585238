"""Pull and push with QBO and Xero: payload conversion, cursors, outbox, conflicts. No Qt."""
