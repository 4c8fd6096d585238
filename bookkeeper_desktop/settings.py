"""Every user setting in one declarative schema (STYLE.md practice 10), with no Qt here.

The schema gives each setting a key, type, default, label, group and limits; from it come the typed
`Settings` value, a storage-agnostic loader (`load_settings` from any mapping of raw values: a
QSettings store in the GUI, a dict in tests or the CLI) and the GUI's Settings dialog.

Secrets are NOT settings: client secrets and OAuth tokens live only in the OS keychain
(PRODUCT.md §3). Client ids, redirect ports and base URLs are not secret and live here; the
environment variables named in PRODUCT.md §3 (`QBO_CLIENT_ID`, ...) override them at the point of
use (`providers/`), not here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from bookkeeper_desktop.core.errors import ValidationError

SettingValue = str | int | bool


class SettingKind(Enum):
    TEXT = "text"
    INT = "int"
    BOOL = "bool"
    CHOICE = "choice"
    FOLDER = "folder"
    URL = "url"


@dataclass(frozen=True)
class SettingSpec:
    """One setting: what it is called, what type it has, what it defaults to, where it shows."""

    key: str
    kind: SettingKind
    default: SettingValue
    label: str
    group: str
    help: str = ""
    #: (stored value, label shown) pairs for CHOICE settings.
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    def coerce(self, raw: object) -> SettingValue:
        """Turn a stored raw value (often a string from an INI file) into this setting's type.

        Raises `ValueError` with a readable message when it cannot."""
        if self.kind is SettingKind.BOOL:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("true", "1", "yes", "on"):
                return True
            if text in ("false", "0", "no", "off"):
                return False
            raise ValueError(f"{self.label}: {raw!r} is not yes or no")
        if self.kind is SettingKind.INT:
            if isinstance(raw, bool):
                raise ValueError(f"{self.label}: {raw!r} is not a whole number")
            try:
                number = int(str(raw).strip()) if not isinstance(raw, int) else raw
            except ValueError:
                raise ValueError(f"{self.label}: {raw!r} is not a whole number") from None
            if self.minimum is not None and number < self.minimum:
                raise ValueError(f"{self.label}: {number} is below the minimum of {self.minimum}")
            if self.maximum is not None and number > self.maximum:
                raise ValueError(f"{self.label}: {number} is above the maximum of {self.maximum}")
            return number
        text = str(raw).strip() if raw is not None else ""
        if self.kind is SettingKind.CHOICE:
            allowed = [value for value, _ in self.choices]
            if text not in allowed:
                raise ValueError(f"{self.label}: {text!r} is not one of {', '.join(allowed)}")
            return text
        if self.kind is SettingKind.URL and text and not _URL.match(text):
            raise ValueError(f"{self.label}: {text!r} is not an http(s) address")
        return text


_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")

DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("MM/DD/YYYY", "MM/DD/YYYY (United States)"),
    ("DD/MM/YYYY", "DD/MM/YYYY (UK, Australia, New Zealand)"),
)
EXPORT_FORMATS: tuple[tuple[str, str], ...] = (
    ("iif", "QuickBooks Desktop (IIF)"),
    ("qbo-csv", "QuickBooks Online (CSV)"),
    ("xero-csv", "Xero manual journals (CSV)"),
    ("xlsx", "Excel workbook (XLSX)"),
)
EXPORT_STATUSES: tuple[tuple[str, str], ...] = (
    ("posted", "Posted"),
    ("approved", "Approved"),
    ("approved+posted", "Approved and posted"),
)

GENERAL = "General"
EXPORT = "Export"
SYNC = "Sync"
QBO = "QuickBooks Online"
XERO = "Xero"
STATEMENTS = "Statements"

#: THE schema. Order is the order of the Settings dialog.
SCHEMA: tuple[SettingSpec, ...] = (
    SettingSpec(
        "export/date_format", SettingKind.CHOICE, "MM/DD/YYYY",
        "Date format in QuickBooks Online CSV files", EXPORT,
        "How dates are written in QuickBooks Online CSV exports (QuickBooks US uses MM/DD/YYYY). "
        "Other files do not use it: IIF files are always MM/DD/YYYY and Xero CSV files always "
        "DD/MM/YYYY, as QuickBooks Desktop and Xero require.", choices=DATE_FORMATS,
    ),
    SettingSpec(
        "export/format", SettingKind.CHOICE, "iif", "Default export format", EXPORT,
        choices=EXPORT_FORMATS,
    ),
    SettingSpec(
        "export/status", SettingKind.CHOICE, "posted", "Entries to export by default", EXPORT,
        choices=EXPORT_STATUSES,
    ),
    SettingSpec(
        "export/folder", SettingKind.FOLDER, "", "Default export folder", EXPORT,
        "Where Save As starts. Empty: your Documents folder.",
    ),
    SettingSpec(
        "export/xero_tax_rate", SettingKind.TEXT, "Tax Exempt", "Xero tax rate name", EXPORT,
        "The *TaxRate column of Xero manual-journal CSV files; it must match a tax rate name "
        "in your Xero organisation exactly.",
    ),
    SettingSpec(
        "sync/auto_interval_minutes", SettingKind.INT, 15, "Auto-sync every (minutes)", SYNC,
        "How often a connected company is synced in the background. 0 turns auto-sync off.",
        minimum=0, maximum=1440,
    ),
    SettingSpec(
        "statements/on_accept", SettingKind.CHOICE, "approved", "Accepted statement lines are",
        STATEMENTS, "What an accepted line's entry becomes; both go out with the next sync.",
        choices=(("approved", "Approved"), ("posted", "Posted")),
    ),
    SettingSpec(
        "statements/accept_above", SettingKind.INT, 90, "Accept all at or above (%)",
        STATEMENTS, "The confidence \"Accept all\" starts from in the statement review.",
        minimum=0, maximum=100,
    ),
    SettingSpec(
        "qbo/use_own_app", SettingKind.BOOL, False, "Advanced: use my own developer app", QBO,
        "Connect with an Intuit app you registered yourself (the fields below) instead of the "
        "one this installer's publisher registered. Without a publisher, your own app is always "
        "used.",
    ),
    SettingSpec(
        "qbo/client_id", SettingKind.TEXT, "", "Client ID", QBO,
        "From your app's Keys & credentials page at developer.intuit.com. The client secret is "
        "kept in the system keychain, not here.",
    ),
    SettingSpec(
        "qbo/redirect_port", SettingKind.INT, 8765, "Redirect port", QBO,
        "Registered as http://localhost:PORT/callback (development keys only).",
        minimum=1024, maximum=65535,
    ),
    SettingSpec(
        "qbo/redirect_uri", SettingKind.URL, "", "Redirect URI (production)", QBO,
        "Production keys only: your https page that forwards code, state and realmId to "
        "http://localhost:PORT/callback (Intuit accepts http://localhost only for development "
        "keys). Empty: http://localhost:PORT/callback.",
    ),
    SettingSpec(
        "qbo/environment", SettingKind.CHOICE, "sandbox", "Environment", QBO,
        choices=(("sandbox", "Sandbox"), ("production", "Production")),
    ),
    SettingSpec(
        "qbo/sandbox_base_url", SettingKind.URL, "https://sandbox-quickbooks.api.intuit.com",
        "Sandbox API address", QBO,
    ),
    SettingSpec(
        "qbo/production_base_url", SettingKind.URL, "https://quickbooks.api.intuit.com",
        "Production API address", QBO,
    ),
    SettingSpec(
        "xero/use_own_app", SettingKind.BOOL, False, "Advanced: use my own developer app", XERO,
        "Connect with a Xero app you registered yourself (the fields below) instead of the one "
        "this installer's publisher registered. Without a publisher, your own app is always "
        "used.",
    ),
    SettingSpec(
        "xero/client_id", SettingKind.TEXT, "", "Client ID", XERO,
        "From your app at developer.xero.com (a PKCE app has no client secret).",
    ),
    SettingSpec(
        "xero/redirect_port", SettingKind.INT, 8766, "Redirect port", XERO,
        "Registered as http://localhost:PORT/callback.", minimum=1024, maximum=65535,
    ),
    SettingSpec(
        "xero/base_url", SettingKind.URL, "https://api.xero.com", "API address", XERO,
    ),
)

SPECS: dict[str, SettingSpec] = {spec.key: spec for spec in SCHEMA}


def groups() -> list[str]:
    """Group names in schema order (the tabs of the Settings dialog)."""
    seen: list[str] = []
    for spec in SCHEMA:
        if spec.group not in seen:
            seen.append(spec.group)
    return seen


@dataclass(frozen=True)
class Settings:
    """Typed values of every setting in `SCHEMA`. Immutable: `with_values()` returns a new one."""

    values: Mapping[str, SettingValue] = field(
        default_factory=lambda: {spec.key: spec.default for spec in SCHEMA})

    def get(self, key: str) -> SettingValue:
        if key not in SPECS:
            raise KeyError(f"No setting named {key!r}")
        return self.values.get(key, SPECS[key].default)

    def with_values(self, changes: Mapping[str, object]) -> Settings:
        """Return a copy with `changes` applied, each coerced and checked against the schema.

        Raises `ValidationError` listing every value that does not fit."""
        values = dict(self.values)
        problems: list[str] = []
        for key, raw in changes.items():
            spec = SPECS.get(key)
            if spec is None:
                problems.append(f"{key}: no such setting")
                continue
            try:
                values[key] = spec.coerce(raw)
            except ValueError as error:
                problems.append(str(error))
        if problems:
            raise ValidationError("Some settings are not valid.", problems,
                                  hint="Correct them and save again.")
        return Settings(values)

    def changed_keys(self, other: Settings) -> set[str]:
        return {spec.key for spec in SCHEMA if self.get(spec.key) != other.get(spec.key)}

    # -- typed accessors for the settings code reads ---------------------------------------------
    @property
    def date_format(self) -> str:
        """``"MM/DD/YYYY"`` or ``"DD/MM/YYYY"``."""
        return str(self.get("export/date_format"))

    @property
    def strftime_date_format(self) -> str:
        """`date_format` for `date.strftime` (``%m/%d/%Y`` or ``%d/%m/%Y``)."""
        return "%m/%d/%Y" if self.date_format == "MM/DD/YYYY" else "%d/%m/%Y"

    @property
    def export_format(self) -> str:
        return str(self.get("export/format"))

    @property
    def export_status(self) -> str:
        return str(self.get("export/status"))

    @property
    def export_folder(self) -> str:
        return str(self.get("export/folder"))

    @property
    def xero_tax_rate_name(self) -> str:
        return str(self.get("export/xero_tax_rate"))

    @property
    def auto_sync_minutes(self) -> int:
        return int(self.get("sync/auto_interval_minutes"))

    def use_own_app(self, provider: str) -> bool:
        """"Advanced: use my own developer app" for `provider` ("qbo" or "xero")."""
        return bool(self.get(f"{provider}/use_own_app"))

    @property
    def qbo_client_id(self) -> str:
        return str(self.get("qbo/client_id"))

    @property
    def qbo_redirect_port(self) -> int:
        return int(self.get("qbo/redirect_port"))

    @property
    def qbo_redirect_uri(self) -> str:
        """The registered QBO redirect URI when it is not http://localhost:PORT/callback."""
        return str(self.get("qbo/redirect_uri"))

    @property
    def qbo_environment(self) -> str:
        return str(self.get("qbo/environment"))

    @property
    def qbo_base_url(self) -> str:
        """The QBO API address for the chosen environment."""
        key = "qbo/production_base_url" if self.qbo_environment == "production" \
            else "qbo/sandbox_base_url"
        return str(self.get(key))

    @property
    def xero_client_id(self) -> str:
        return str(self.get("xero/client_id"))

    @property
    def xero_redirect_port(self) -> int:
        return int(self.get("xero/redirect_port"))

    @property
    def xero_base_url(self) -> str:
        return str(self.get("xero/base_url"))


@dataclass(frozen=True)
class LoadResult:
    settings: Settings
    #: Stored values that did not fit the schema and were replaced by defaults.
    problems: tuple[str, ...] = ()


def load_settings(raw: Mapping[str, Any]) -> LoadResult:
    """Build `Settings` from stored raw values, from any storage.

    Unknown keys are ignored (an older app reading a newer store); a value that does not fit its
    setting falls back to the default and is reported in `problems`, so a hand-edited file never
    stops the app from starting."""
    values: dict[str, SettingValue] = {}
    problems: list[str] = []
    for spec in SCHEMA:
        if spec.key not in raw or raw[spec.key] is None:
            values[spec.key] = spec.default
            continue
        try:
            values[spec.key] = spec.coerce(raw[spec.key])
        except ValueError as error:
            problems.append(f"{error}; using {spec.default!r}")
            values[spec.key] = spec.default
    return LoadResult(Settings(values), tuple(problems))


def dump_settings(settings: Settings) -> dict[str, SettingValue]:
    """Every setting as a plain value, ready for any storage."""
    return {spec.key: settings.get(spec.key) for spec in SCHEMA}
