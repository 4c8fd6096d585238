"""A keyring backend that keeps entries in a JSON file, so that a test and the sync processes it
starts share one "OS keychain" (the rotated refresh token each process saves is the one the next
process reads). Tests only: secrets in a plain file are exactly what the app must never do."""

from __future__ import annotations

import json
from pathlib import Path

import keyring.errors
from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _load(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        data: dict[str, str] = json.loads(self.path.read_text())
        return data

    def _save(self, data: dict[str, str]) -> None:
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(data))
        partial.replace(self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\n{username}"] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if f"{service}\n{username}" not in data:
            raise keyring.errors.PasswordDeleteError("not found")
        del data[f"{service}\n{username}"]
        self._save(data)
