"""Database tests run in their own empty directory: what a test reads by default (the
``migrations`` directory, ``pyproject.toml``, ``.env``) is what it made, never the checkout's
own (the repository's example ``migrations/`` would be pending on every test database)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _in_an_empty_directory(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (beside the test's tmp_path, not in it: tests lay out their tmp_path as they like)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
