"""`DROP INDEX name` (and `REINDEX INDEX name`) names no table: its lock, its size and its risk
are those of the table the index is on, as the schema knows it (the files before it offline,
the live catalog online)."""

from __future__ import annotations

from pathlib import Path

import pytest

import schemactl
from tests.conftest import fresh_url

SETUP = (
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"
    "CREATE INDEX users_name ON users (name);\n"
    "INSERT INTO users SELECT g, 'user' || g FROM generate_series(1, 5000) AS g;\n"
    "ANALYZE users;"
)


def write(directory: Path, version: str, up: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    text = f"-- migrate:up\n{up}\n\n-- migrate:down\n-- schemactl: no-op\n"
    (directory / f"{version}_m.sql").write_text(text, encoding="utf-8")


def test_offline_the_index_is_on_the_table_the_files_made(tmp_path: Path) -> None:
    write(tmp_path, "1", SETUP)
    write(tmp_path, "2", "DROP INDEX users_name;")
    result = schemactl.lint_files([tmp_path / "2_m.sql"], "postgresql", migrations_dirs=[tmp_path])
    (migration,) = result.migrations
    assert [t.name for t in migration.tables] == ["users"]
    assert migration.statements[0].tables == ("users",)
    assert migration.risk.score > 0
    assert "LK102" in {f.rule for f in migration.findings}


@pytest.mark.parametrize(
    ("dialect", "setup", "sql"),
    [
        ("postgresql", SETUP, "REINDEX INDEX users_name;"),
        ("sqlite", SETUP.split("INSERT")[0], "REINDEX users_name;"),
        ("sqlite", SETUP.split("INSERT")[0], "DROP INDEX users_name;"),
    ],
)
def test_siblings_name_the_index_alone(tmp_path: Path, dialect: str, setup: str, sql: str) -> None:
    write(tmp_path, "1", setup)
    write(tmp_path, "2", sql)
    result = schemactl.lint_files([tmp_path / "2_m.sql"], dialect, migrations_dirs=[tmp_path])
    assert result.migrations[0].statements[0].tables == ("users",)


@pytest.mark.anyio
async def test_online_the_live_catalog_says_whose_index_it_is(tmp_path: Path) -> None:
    url = fresh_url("postgresql", tmp_path)
    directory = tmp_path / "migrations"
    write(directory, "1", SETUP)
    try:
        await schemactl.up(url, migrations_dir=str(directory))
        write(directory, "2", "DROP INDEX users_name;")
        result = await schemactl.lint_database(url, migrations_dir=str(directory))
        (migration,) = result.migrations
        assert [(t.name, t.rows) for t in migration.tables] == [("users", 5000)]
        offline = schemactl.lint_files(
            [directory / "2_m.sql"], "postgresql", migrations_dirs=[directory]
        )
        assert migration.risk.score != offline.migrations[0].risk.score  # a known size
        assert migration.risk.score > 0
    finally:
        await schemactl.drop(url)
