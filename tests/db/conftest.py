"""Database tests run in their own empty directory: what a test reads by default (the
``migrations`` directory, ``pyproject.toml``, ``.env``) is what it made, never the checkout's
own (the repository's example ``migrations/`` would be pending on every test database)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _in_an_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
