"""Where the books live: the platform's user data folder, or BOOKKEEPER_DATA_DIR."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from bookkeeper_desktop import paths


def test_data_dir_override_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "nested" / "data"
    monkeypatch.setenv("BOOKKEEPER_DATA_DIR", str(target))
    assert paths.data_dir() == target
    assert target.is_dir()
    assert paths.default_database_url() == f"sqlite:///{target / 'books.sqlite'}"
    assert paths.state_file() == target / "state.json"


def test_without_override_the_platform_folder_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOOKKEEPER_DATA_DIR", raising=False)
    expected = platformdirs.user_data_path("bookkeeper-desktop", appauthor=False)
    assert paths.data_dir(create=False) == expected


def test_database_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOKKEEPER_DB_URL", "postgresql+psycopg://firm@db/books")
    assert paths.database_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"
    assert paths.database_url(None) == "postgresql+psycopg://firm@db/books"
    monkeypatch.delenv("BOOKKEEPER_DB_URL")
    assert paths.database_url(None) == paths.default_database_url()
