"""What an operation changed, so that each view refreshes just that (Anki's `OpChanges`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Changes:
    company: bool = False
    accounts: bool = False
    entries: bool = False
    mappings: bool = False
    connections: bool = False
    exports: bool = False
    sync_runs: bool = False
    settings: bool = False
    #: The company's contacts (customers and suppliers).
    contacts: bool = False

    def __or__(self, other: Changes) -> Changes:
        return Changes(**{
            name: getattr(self, name) or getattr(other, name)
            for name in self.__dataclass_fields__
        })

    @property
    def any(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)


NOTHING = Changes()
