"""The keychain: only the refresh token is stored, entries stay within Windows' 1,280-character
limit (a 3,000-character token set), oversized values split cleanly, no keychain is a clear error
and never a file. The `keychain`-marked tests run the same against a real Secret Service
(gnome-keyring on a private D-Bus session: `.ci/with-keyring`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from bookkeeper_desktop.core.errors import KeychainUnavailable
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.providers.keychain import (
    ENTRY_LIMIT,
    SERVICE,
    SPLIT_PREFIX,
    Keychain,
    KeychainCorrupt,
    StoredToken,
)
from bookkeeper_desktop.providers.oauth import TokenSet

from .conftest import MemoryKeyring


def three_thousand_character_token_set() -> TokenSet:
    """A token set of 3,000 characters in all: a JWT-sized access token and id-token-like bulk."""
    return TokenSet(access_token="eyJ" + "a" * 2_880, refresh_token="AB11" + "r" * 60,
                    expires_at=0.0, refresh_expires_at=None, scopes=("openid",) * 8)


def test_a_3000_character_token_set_stores_only_the_refresh_token(
        memory_keyring: MemoryKeyring) -> None:
    tokens = three_thousand_character_token_set()
    assert len(tokens.access_token) + len(tokens.refresh_token or "") >= 2_900
    keychain = Keychain(memory_keyring)
    assert tokens.refresh_token is not None
    keychain.save_token(3, Provider.XERO, StoredToken(tokens.refresh_token, {"tenant_id": "t"}))
    assert list(memory_keyring.entries) == [(SERVICE, "company-3/xero")]
    value = memory_keyring.entries[(SERVICE, "company-3/xero")]
    assert len(value) <= ENTRY_LIMIT
    assert tokens.access_token not in value
    assert keychain.load_token(3, Provider.XERO) == StoredToken(tokens.refresh_token,
                                                                {"tenant_id": "t"})


def test_the_whole_token_set_would_not_fit_one_windows_entry(
        memory_keyring: MemoryKeyring) -> None:
    """Why we store only the refresh token: the backend refuses the full set like Windows does."""
    tokens = three_thousand_character_token_set()
    with pytest.raises(keyring.errors.PasswordSetError):
        memory_keyring.set_password(SERVICE, "whole", tokens.access_token)


def test_an_oversized_refresh_token_is_split_and_read_back(memory_keyring: MemoryKeyring) -> None:
    keychain = Keychain(memory_keyring)
    long_token = "".join(chr(ord("a") + i % 26) for i in range(3_000))
    keychain.save_token(1, Provider.QBO, StoredToken(long_token, {"tenant_id": "42"}))
    entries = memory_keyring.entries
    header = entries[(SERVICE, "company-1/qbo")]
    assert header.startswith(SPLIT_PREFIX)
    parts = sorted(u for s, u in entries if u.startswith("company-1/qbo#"))
    assert len(parts) == 3
    assert all(len(v) <= ENTRY_LIMIT for v in entries.values())
    assert keychain.load_token(1, Provider.QBO) == StoredToken(long_token, {"tenant_id": "42"})

    # Saving a short value again removes the old parts; nothing is left behind.
    keychain.save_token(1, Provider.QBO, StoredToken("short", {}))
    assert list(entries) == [(SERVICE, "company-1/qbo")]
    assert keychain.load_token(1, Provider.QBO) == StoredToken("short", {})

    # And a new long value replaces an old long one under a fresh generation.
    keychain.save_token(1, Provider.QBO, StoredToken(long_token, {}))
    first_parts = {u for _, u in entries if "#" in u}
    keychain.save_token(1, Provider.QBO, StoredToken(long_token[::-1], {}))
    second_parts = {u for _, u in entries if "#" in u}
    assert first_parts.isdisjoint(second_parts)
    assert len(second_parts) == 3
    stored = keychain.load_token(1, Provider.QBO)
    assert stored is not None
    assert stored.refresh_token == long_token[::-1]

    assert keychain.delete_token(1, Provider.QBO)
    assert entries == {}
    assert not keychain.delete_token(1, Provider.QBO)


def test_a_missing_or_altered_part_reads_as_corrupt(memory_keyring: MemoryKeyring) -> None:
    keychain = Keychain(memory_keyring)
    keychain.save_token(1, Provider.QBO, StoredToken("x" * 2_000, {}))
    part = next(k for k in memory_keyring.entries if "#" in k[1])
    memory_keyring.entries[part] = "y" * 10
    with pytest.raises(KeychainCorrupt, match="checksum"):
        keychain.load_token(1, Provider.QBO)
    del memory_keyring.entries[part]
    with pytest.raises(KeychainCorrupt, match="missing"):
        keychain.load_token(1, Provider.QBO)
    memory_keyring.entries[(SERVICE, "company-1/qbo")] = "not json"
    with pytest.raises(KeychainCorrupt, match="format"):
        keychain.load_token(1, Provider.QBO)


def test_entries_are_per_company_and_provider(memory_keyring: MemoryKeyring) -> None:
    keychain = Keychain(memory_keyring)
    keychain.save_token(1, Provider.QBO, StoredToken("one-qbo"))
    keychain.save_token(1, Provider.XERO, StoredToken("one-xero"))
    keychain.save_token(2, Provider.QBO, StoredToken("two-qbo"))
    assert {u for _, u in memory_keyring.entries} == {"company-1/qbo", "company-1/xero",
                                                      "company-2/qbo"}
    keychain.delete_token(1, Provider.QBO)
    assert keychain.load_token(1, Provider.QBO) is None
    assert keychain.load_token(2, Provider.QBO) == StoredToken("two-qbo")


def test_client_secrets_live_in_the_keychain(memory_keyring: MemoryKeyring) -> None:
    keychain = Keychain(memory_keyring)
    assert keychain.client_secret(Provider.QBO) is None
    keychain.save_client_secret(Provider.QBO, "s3cret")
    assert memory_keyring.entries[(SERVICE, "client-secret/qbo")] == "s3cret"
    assert keychain.client_secret(Provider.QBO) == "s3cret"
    assert keychain.delete_client_secret(Provider.QBO)
    assert keychain.client_secret(Provider.QBO) is None


def test_repr_of_a_stored_token_hides_it() -> None:
    assert "secret-refresh" not in repr(StoredToken("secret-refresh-token", {"a": "b"}))


@pytest.mark.parametrize("operation", ["save", "load", "delete", "check", "secret"])
def test_no_keychain_is_a_clear_error(operation: str) -> None:
    keychain = Keychain(fail.Keyring())
    calls = {
        "save": lambda: keychain.save_token(1, Provider.QBO, StoredToken("t")),
        "load": lambda: keychain.load_token(1, Provider.QBO),
        "delete": lambda: keychain.delete_token(1, Provider.QBO),
        "check": keychain.check,
        "secret": lambda: keychain.client_secret(Provider.XERO),
    }
    with pytest.raises(KeychainUnavailable) as caught:
        calls[operation]()
    assert "system keychain is not available" in caught.value.message
    assert caught.value.hint
    assert "Secret Service" in caught.value.hint


def test_a_locked_keychain_is_a_clear_error(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.fail_writes = True
    with pytest.raises(KeychainUnavailable, match="KeyringLocked"):
        Keychain(memory_keyring).save_token(1, Provider.QBO, StoredToken("t"))


def test_default_backend_without_a_secret_service_is_refused_not_a_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """keyring's own fallback (fail.Keyring) is refused, and nothing is written anywhere."""
    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
    monkeypatch.setenv("HOME", str(tmp_path))
    keychain = Keychain()
    with pytest.raises(KeychainUnavailable, match=r"fail\.Keyring"):
        keychain.save_token(1, Provider.QBO, StoredToken("t"))
    assert list(tmp_path.rglob("*")) == []


def test_a_plaintext_backend_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    monkeypatch.setattr(keyring.core, "_keyring_backend", PlaintextKeyring())
    with pytest.raises(KeychainUnavailable, match=r"keyrings\.alt"):
        Keychain().check()


# -- a real Secret Service ----------------------------------------------------------------------


@pytest.fixture
def secret_service() -> Iterator[KeyringBackend]:
    """keyring's Secret Service backend on the session bus, or a clean skip."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.skip("no D-Bus session (run under .ci/with-keyring)")
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    try:
        backend.get_password("bookkeeper-desktop-test", "probe")
    except Exception as exc:  # no daemon, locked, not activatable
        pytest.skip(f"no Secret Service answers on this D-Bus session: {exc}")
    return backend


@pytest.mark.keychain
def test_real_secret_service_round_trip_with_split(secret_service: KeyringBackend) -> None:
    keychain = Keychain(secret_service, service="bookkeeper-desktop-test")
    tokens = three_thousand_character_token_set()
    assert tokens.refresh_token is not None
    keychain.save_token(11, Provider.XERO, StoredToken(tokens.refresh_token, {"tenant_id": "t"}))
    stored = keychain.load_token(11, Provider.XERO)
    assert stored == StoredToken(tokens.refresh_token, {"tenant_id": "t"})
    # A value over the Windows limit splits here too, so it is portable as stored.
    long_token = "z" * 3_000
    keychain.save_token(12, Provider.QBO, StoredToken(long_token))
    header = secret_service.get_password("bookkeeper-desktop-test", "company-12/qbo")
    assert header is not None
    assert header.startswith(SPLIT_PREFIX)
    loaded = keychain.load_token(12, Provider.QBO)
    assert loaded is not None
    assert loaded.refresh_token == long_token
    assert keychain.delete_token(11, Provider.XERO)
    assert keychain.delete_token(12, Provider.QBO)
    assert keychain.load_token(12, Provider.QBO) is None
    generation = header[len(SPLIT_PREFIX):].split(":")[0]
    assert secret_service.get_password("bookkeeper-desktop-test",
                                       f"company-12/qbo#{generation}.1") is None


@pytest.mark.keychain
def test_real_secret_service_is_the_default_backend(secret_service: KeyringBackend) -> None:
    keychain = Keychain(service="bookkeeper-desktop-test")
    keychain.check()
    keychain.save_client_secret(Provider.QBO, "s3cret")
    try:
        assert keychain.client_secret(Provider.QBO) == "s3cret"
        chosen = keychain.backend()
        names = [type(b).__module__ for b in getattr(chosen, "backends", [chosen])]
        assert "keyring.backends.SecretService" in names
    finally:
        keychain.delete_client_secret(Provider.QBO)


def test_an_unreachable_secret_service_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    """The real Secret Service backend with no daemon behind the bus address."""
    from keyring.backends import SecretService

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    keychain = Keychain(SecretService.Keyring())
    with pytest.raises(KeychainUnavailable) as caught:
        keychain.save_token(1, Provider.QBO, StoredToken("t"))
    assert caught.value.hint
    assert "Nothing was saved to a file" in caught.value.hint
    assert list(tmp_path.iterdir()) == []
