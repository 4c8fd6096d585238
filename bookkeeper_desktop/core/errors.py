"""The typed error tree. Every error a user can meet is a `BookkeeperError` with words a bookkeeper
understands (`message`) and, where we know it, what to do next (`hint`). One place in each face (the
CLI's exit handler, the GUI's error presenter) turns these into a message; nothing else catches them
just to print.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class BookkeeperError(Exception):
    """Base of every error we raise on purpose."""

    #: Exit status the command line uses for this kind of error.
    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class ValidationError(BookkeeperError):
    """Input that breaks a rule of the ledger. `problems` lists every broken rule at once."""

    def __init__(self, message: str, problems: Sequence[str] = (), *, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.problems: tuple[str, ...] = tuple(problems)

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        return super().__str__() + "\n" + "\n".join(f"- {p}" for p in self.problems)


class WorkflowError(BookkeeperError):
    """A status change the draft → approved → posted → void workflow does not allow."""


class NotFound(BookkeeperError):
    """A company, account, entry or other record that does not exist."""


class DuplicateError(BookkeeperError):
    """A record that would repeat one that must be unique (an account code, a company name)."""


@dataclass(frozen=True)
class LineProblem:
    """One problem in a file, with its 1-based line (None when it is about the whole file)."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class FileFormatError(BookkeeperError):
    """A file we cannot read as what it claims to be. Carries every problem with its line number."""

    def __init__(
        self,
        message: str,
        problems: Iterable[LineProblem] = (),
        *,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems: tuple[LineProblem, ...] = tuple(problems)
        self.path = path

    def __str__(self) -> str:
        text = super().__str__()
        if self.problems:
            text += "\n" + "\n".join(f"- {p}" for p in self.problems)
        return text


class ExportError(ValidationError):
    """Entries that cannot go into the chosen export format; nothing was written."""


class StorageError(BookkeeperError):
    """The database cannot be used as it is. Never answered by recreating it."""


class DatabaseLocked(StorageError):
    """Another program holds a write lock on the database."""


class DatabaseReadOnly(StorageError):
    """The database file or folder cannot be written."""


class DatabaseCorrupt(StorageError):
    """The file is not a database we can read."""


class DatabaseTooNew(StorageError):
    """The database was upgraded by a newer Bookkeeper Desktop."""


class MigrationFailed(StorageError):
    """A schema upgrade failed; `backup_path` says where the untouched copy is."""

    def __init__(self, message: str, *, backup_path: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.backup_path = backup_path


class ConfigurationError(BookkeeperError):
    """Settings that are missing or contradict each other (a client id, a redirect URI)."""

    exit_code = 2


class SettingsNeeded(ConfigurationError):
    """Something the user can fill in under Settings is missing (a client id or secret of their
    own app, a production redirect URI): the Integrations card offers **Open Settings**."""


class AuthError(BookkeeperError):
    """Anything that stops us from acting on the user's behalf at QBO or Xero."""


class ReconnectNeeded(AuthError):
    """Consent was revoked or the refresh token expired: the user must connect again."""


class AuthorizationDenied(AuthError):
    """The user pressed Deny (or the provider refused) on the consent page."""


class KeychainUnavailable(AuthError):
    """No OS keychain to keep tokens in; we never fall back to a plaintext file."""


class NetworkError(BookkeeperError):
    """The provider could not be reached or the connection dropped."""


class RemoteError(BookkeeperError):
    """The provider answered with a fault we cannot retry away."""

    def __init__(
        self, message: str, *, code: str | None = None, status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.status = status


class RateLimited(BookkeeperError):
    """The provider (or our own budget) says wait; `retry_after` is in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class DailyLimitReached(RateLimited):
    """The provider's daily call allowance is used up; sync resumes tomorrow."""


class SyncConflict(BookkeeperError):
    """An entry changed both here and at the provider; the user decides which side wins."""


class Cancelled(BookkeeperError):
    """The user cancelled; work stopped at a safe point."""

    exit_code = 130
