"""Start-up stays light: what `--help`, `--version` and a plain command import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sqlalchemy", "alembic", "asyncpg", "aiomysql", "aiosqlite", "pymysql")

PROBE = """
import json, sys
from schemactl.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads({heavy!r})))
print(json.dumps(loaded))
"""


def loaded_modules(args: list[str], cwd: Path) -> list[str]:
    code = PROBE.replace("{heavy!r}", repr(json.dumps(HEAVY)))
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )
    last_line = result.stdout.strip().splitlines()[-1]
    loaded: list[str] = json.loads(last_line)
    return loaded


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["up", "--help"]])
def test_help_and_version_import_no_database_code(args: list[str], tmp_path: Path) -> None:
    assert loaded_modules(args, tmp_path) == []


def test_commands_do_not_import_alembic(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "1_a.sql").write_text("-- migrate:up\nCREATE TABLE a (id INTEGER);\n")
    url = f"sqlite:{tmp_path / 'app.db'}"
    assert loaded_modules(["up", "--url", url], tmp_path) == [
        "aiosqlite",
        "sqlalchemy",
    ]
    assert "alembic" not in loaded_modules(["status", "--url", url], tmp_path)
