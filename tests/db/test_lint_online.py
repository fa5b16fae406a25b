"""`lint` against a real database: the live catalog and each touched table's live size.

The same risky statement on a 20-row table and on a 300,000-row one must not score the same,
and the sizes are in the JSON. Rows are loaded with one INSERT ... SELECT (generate_series on
PostgreSQL, a recursive CTE on MariaDB and SQLite), then the statistics refreshed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

import schemactl
from schemactl._options import Options
from schemactl._urls import to_sqlalchemy_url
from schemactl.lint import live
from schemactl.lint.run import LintResult, lint_with_options
from tests.cli.test_cli import Cli
from tests.conftest import DIALECTS, MYSQL_BASE, PG_BASE, MigrationsDir

BIG = 300_000
SMALL = 20
ROWS_SQL = {
    "postgresql": "INSERT INTO {t} SELECT g, 'user' || g FROM generate_series(1, {n}) AS g",
    "mysql": "INSERT INTO {t} WITH RECURSIVE s (g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
    "WHERE g < {n}) SELECT g, CONCAT('user', g) FROM s",
    "sqlite": "INSERT INTO {t} WITH RECURSIVE s (g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
    "WHERE g < {n}) SELECT g, 'user' || g FROM s",
}
ANALYZE = {"postgresql": "ANALYZE {t}", "mysql": "ANALYZE TABLE {t}", "sqlite": "ANALYZE"}
# one statement that scans or rewrites the table under a blocking lock, on each database
RISKY = {
    "postgresql": "CREATE INDEX {t}_name ON {t} (name)",
    "mysql": "ALTER TABLE {t} MODIFY name varchar(30) NOT NULL, ALGORITHM=COPY",
    "sqlite": "CREATE INDEX {t}_name ON {t} (name)",
}


@pytest.fixture
async def database(dialect: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database (prefix hlint_) with `small` (20 rows) and `big` (300,000 rows),
    applied through a migration so the tracking table knows them."""
    name = f"hlint_{uuid.uuid4().hex[:10]}"
    url = {
        "postgresql": f"{PG_BASE}/{name}",
        "mysql": f"{MYSQL_BASE}/{name}",
        "sqlite": f"sqlite:{tmp_path / name}.db",
    }[dialect]
    migrations = MigrationsDir(tmp_path / "migrations")
    tables = "CREATE TABLE small (id integer PRIMARY KEY, name varchar(20));\n"
    tables += "CREATE TABLE big (id integer PRIMARY KEY, name varchar(20));"
    migrations.add("1", "tables", tables, "DROP TABLE small;\nDROP TABLE big;")
    await schemactl.up(url, migrations_dir=migrations.path)
    engine = create_async_engine(to_sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            if dialect == "mysql":  # MariaDB stops a recursive CTE at 1,000 rows by default
                await conn.execute(text("SET SESSION max_recursive_iterations = 1000000"))
            for table, count in (("small", SMALL), ("big", BIG)):
                await conn.execute(text(ROWS_SQL[dialect].format(t=table, n=count)))
                await conn.execute(text(ANALYZE[dialect].format(t=table)))
        yield url
    finally:
        await engine.dispose()
        await schemactl.drop(url)


def add_risky(tmp_path: Path, dialect: str) -> None:
    migrations = MigrationsDir(tmp_path / "migrations")
    for version, table in (("2", "small"), ("3", "big")):
        sql = RISKY[dialect].format(t=table)
        migrations.add(version, f"risky_{table}", f"{sql};", "-- schemactl: no-op")


async def lint(url: str, tmp_path: Path, *, all: bool = False) -> LintResult:
    options = Options(migrations_dirs=(tmp_path / "migrations",))
    return await lint_with_options(url, options, all=all)


@pytest.mark.anyio
@pytest.mark.parametrize("dialect", DIALECTS)
async def test_the_same_statement_scores_higher_on_the_bigger_table(
    database: str, dialect: str, tmp_path: Path
) -> None:
    add_risky(tmp_path, dialect)
    result = await lint(database, tmp_path)
    assert result.dialect == dialect
    on_small, on_big = result.migrations  # version 1 is applied: not linted
    assert (on_small.version, on_big.version) == ("2", "3")
    (small,) = on_small.tables
    (big,) = on_big.tables
    assert (small.name, small.rows) == ("small", SMALL)
    assert big.name == "big"
    assert big.rows is not None
    assert 0.8 * BIG <= big.rows <= 1.2 * BIG
    if dialect != "sqlite":
        assert small.bytes is not None
        assert big.bytes is not None
        assert big.bytes > small.bytes
    assert on_big.risk.score >= on_small.risk.score + 15
    assert result.risk.score >= on_big.risk.score


@pytest.mark.anyio
@pytest.mark.parametrize("dialect", DIALECTS)
async def test_all_lints_applied_files_too_and_finds_edited_ones(
    database: str, dialect: str, tmp_path: Path
) -> None:
    first = tmp_path / "migrations" / "1_tables.sql"
    first.write_text(first.read_text() + "\n")  # edited after it was applied
    result = await lint(database, tmp_path, all=True)
    assert [m.version for m in result.migrations] == ["1"]
    assert "IN101" in {f.rule for f in result.findings}
    assert (await lint(database, tmp_path)).migrations == ()


@pytest.mark.anyio
@pytest.mark.parametrize("dialect", ["postgresql"])
async def test_the_cli_shows_sizes_in_json_and_text(
    database: str, dialect: str, tmp_path: Path
) -> None:
    add_risky(tmp_path, dialect)
    cli = Cli(tmp_path)
    result = cli("lint", "--url", database, "--json")
    assert result.code in (0, 1), result
    data = json.loads(result.out)
    tables = {t["name"]: t for m in data["migrations"] for t in m["tables"]}
    assert tables["small"]["rows"] == SMALL
    assert tables["big"]["rows"] > 0.8 * BIG
    assert tables["big"]["bytes"] > 1_000_000
    risks = {m["version"]: m["risk"]["score"] for m in data["migrations"]}
    assert risks["3"] > risks["2"]
    text_result = cli("lint", "--url", database)
    assert "small (20 rows, " in text_result.out
    assert "big (" in text_result.out
    assert " MiB)" in text_result.out


@pytest.mark.anyio
@pytest.mark.parametrize("dialect", DIALECTS)
async def test_the_live_schema(database: str, dialect: str) -> None:
    """Columns with the parsers' type spellings, constraints (validated or not), indexes."""
    engine = create_async_engine(to_sqlalchemy_url(database), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await _add_constraints(conn, dialect)
            schema = await live.read_schema(conn, dialect)
            never_analysed = await live.table_sizes(conn, dialect, ["fresh"])
    finally:
        await engine.dispose()
    small = schema.table("small")
    assert small is not None
    assert small.columns["id"].type == ("int" if dialect == "mysql" else "integer")
    assert small.columns["name"].type == "varchar(20)"
    assert small.columns["name"].nullable
    assert not small.columns["id"].nullable
    assert "primary" in {c.kind for c in small.constraints.values()}
    assert any("name" in name for name in small.indexes)
    fresh = schema.table("fresh")
    assert fresh is not None
    assert fresh.column("at") is not None
    # never analysed: PostgreSQL's reltuples is -1, InnoDB's estimate 0: counted
    assert never_analysed["fresh"].rows == 3
    if dialect == "postgresql":
        check = schema.tables["small"].constraints["name_present"]
        assert (check.kind, check.validated, check.proves_not_null) == ("check", False, "name")
        assert schema.enums["mood"] == ["ok", "sad"]
        assert fresh.columns["at"].type == "timestamptz"


async def _add_constraints(conn: AsyncConnection, dialect: str) -> None:
    if dialect == "postgresql":
        for sql in (
            "ALTER TABLE small ADD CONSTRAINT name_present CHECK (name IS NOT NULL) NOT VALID",
            "CREATE TYPE mood AS ENUM ('ok', 'sad')",
            "CREATE TABLE fresh (id integer, at timestamp with time zone)",
        ):
            await conn.execute(text(sql))
    else:
        await conn.execute(text("CREATE TABLE fresh (id integer, at timestamp NULL)"))
    await conn.execute(text("CREATE INDEX small_name ON small (name)"))
    await conn.execute(text("INSERT INTO fresh (id) VALUES (1), (2), (3)"))
