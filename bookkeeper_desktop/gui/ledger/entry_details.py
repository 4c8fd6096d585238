"""The line under the Ledger's entry table about the current entry: the contacts its lines name
and, when the sync holds it in "Waiting for a fix", why, per provider (the reason the sync
recorded: a receivable line without a customer, a mix of lines Xero has no transaction for...).

The table itself stays lean for 100k entries (entry_table.py): these details are read for one
entry at a time, in a job, a moment after the current row changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtWidgets import QLabel, QWidget

from bookkeeper_desktop.gui.ledger.source import EntryDetails
from bookkeeper_desktop.providers.config import Provider


def details_text(details: EntryDetails) -> str:
    """"Contacts: Acme Ltd, Bob" and one "Waiting for a fix at Xero: ..." line per provider."""
    lines = [f"Contacts: {', '.join(details.contacts)}" if details.contacts
             else "Contacts: none named on its lines"]
    for provider, reason in details.waiting:
        lines.append(f"Waiting for a fix at {Provider.name_of(provider)} (not sent "
                     f"until fixed): {reason}")
    return "\n".join(lines)


def held_message(held: Mapping[int, Sequence[str]], labels: Mapping[int, str]) -> str:
    """What a bulk approve or post adds when some of its entries name no contact on a
    receivable or payable line: they will wait instead of being sent."""
    if not held:
        return ""
    lines = [f"{len(held)} of these will not be sent to QBO or Xero until fixed:"]
    for entry_id, problems in held.items():
        name = labels.get(entry_id, f"entry #{entry_id}")
        lines.extend(f"{name}: {problem}" for problem in problems)
    return "\n".join(lines)


class EntryDetailsLabel(QLabel):
    """Shows `details_text` for the current entry; waiting entries in the warning colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("entryDetails")
        self.setWordWrap(True)
        self.details: EntryDetails | None = None

    def show_details(self, details: EntryDetails | None) -> None:
        self.details = details
        if details is None:
            self.setText("")
            self.setToolTip("")
            return
        text = details_text(details)
        self.setText(text)
        self.setToolTip(text)
        self.setStyleSheet("color: #b9770e;" if details.waiting else "")
