"""Contacts: the customers and suppliers a company deals with (PRODUCT.md §1 "Contact").

Lines name their contact by name (as IIF's `NAME`, QBO CSV's `Name` and Xero's Contact do); the
company's list says who each name is, whether a customer, a supplier or both, and which QBO
Customer/Vendor and Xero Contact it is. Names are matched to the providers' contacts by a key that
ignores case, spacing, punctuation and the usual company suffixes, and only ever **proposed**:
two contacts are never merged silently.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

NAME_MAX = 200
#: Company-form words that do not tell two contacts apart ("Acme Ltd" is "ACME LIMITED").
_SUFFIXES = frozenset({"inc", "incorporated", "ltd", "limited", "llc", "plc", "co", "corp",
                       "corporation", "company", "pty", "gmbh", "sa", "sarl", "bv", "the"})


@dataclass(frozen=True)
class Contact:
    name: str
    is_customer: bool = False
    is_supplier: bool = False
    email: str = ""
    active: bool = True
    #: "manual", "sample", "qbo", "xero" or "entry" (first named on a line).
    source: str = "manual"
    qbo_customer_id: str | None = None
    qbo_vendor_id: str | None = None
    xero_id: str | None = None
    id: int | None = None
    company_id: int | None = field(default=None, compare=False)

    @property
    def roles(self) -> str:
        """"Customer", "Supplier", "Customer and supplier" or "" for the list's Role column."""
        if self.is_customer and self.is_supplier:
            return "Customer and supplier"
        return "Customer" if self.is_customer else "Supplier" if self.is_supplier else ""

    def with_changes(self, **changes: object) -> Contact:
        return replace(self, **changes)  # type: ignore[arg-type]


def clean_name(name: str) -> str:
    """A name as stored: surrounding and repeated spaces removed."""
    return " ".join(name.split())


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a contact's name, or None."""
    cleaned = clean_name(name)
    if not cleaned:
        return "A contact needs a name."
    if len(cleaned) > NAME_MAX:
        return f"A contact's name has at most {NAME_MAX} characters; '{cleaned[:40]}…' has " \
               f"{len(cleaned)}."
    return None


def contact_key(name: str) -> str:
    """The key two names are compared by: accents, case, punctuation and company-form words
    dropped ("The Acme Co., Ltd." and "acme" match)."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"['\u2019`]", "", text.replace("&", " and "))  # "Amy's" is "Amys"
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in _SUFFIXES]
    return " ".join(words)


@dataclass(frozen=True)
class ContactMatch:
    """A proposal that our contact `ours` is the provider's contact `remote_id` (`reason`:
    "same name" or "similar name")."""

    ours: Contact
    remote_id: str
    remote_name: str
    reason: str


def propose_contact_matches(ours: Iterable[Contact], remote: Mapping[str, str]
                            ) -> list[ContactMatch]:
    """Proposals for contacts of ours without a link, against the provider's contacts
    (`remote`: id → name): the same name first, then the same `contact_key`. A remote contact is
    proposed once at most, and an ambiguous key (two remote contacts alike) proposes nothing."""
    exact: dict[str, list[str]] = {}
    keyed: dict[str, list[str]] = {}
    for remote_id, name in remote.items():
        exact.setdefault(clean_name(name).lower(), []).append(remote_id)
        keyed.setdefault(contact_key(name), []).append(remote_id)
    taken: set[str] = set()
    found: list[ContactMatch] = []
    for contact in ours:
        for candidates, reason in ((exact.get(contact.name.lower(), []), "same name"),
                                   (keyed.get(contact_key(contact.name), []), "similar name")):
            free = [c for c in candidates if c not in taken]
            if len(candidates) == 1 and free:
                taken.add(free[0])
                found.append(ContactMatch(contact, free[0], remote[free[0]], reason))
                break
    return found
