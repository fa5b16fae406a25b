"""Odd database and tracking table names on the real servers: created, migrated and dropped
under exactly their own name, or rejected with a clear one-line error; never SQL injection,
never a different database.

Every database name starts with ``sct_id_<token>_`` (a token per test), so a test can find
everything it created, including under a wrong name, and drop it afterwards with plain
driver calls that do not depend on the code under test.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import anyio
import asyncpg
import pytest

import schemactl
from tests.conftest import MYSQL_BASE, PG_BASE, MigrationsDir

pytestmark = pytest.mark.anyio

SERVERS = ("postgresql", "mysql")
BASES = {"postgresql": PG_BASE, "mysql": MYSQL_BASE}
TABLE = "sct_probe"
SCRIPT = str(Path(sys.executable).parent / "schemactl")


# -- plain driver access, independent of schemactl ------------------------------------------


def _server(kind: str) -> tuple[str, int, str, str]:
    parts = urlsplit(BASES[kind])
    default_port = 5432 if kind == "postgresql" else 3306
    user = parts.username or ("postgres" if kind == "postgresql" else "root")
    return parts.hostname or "127.0.0.1", parts.port or default_port, user, parts.password or ""


async def _pg_connect(database: str) -> Any:
    host, port, user, password = _server("postgresql")
    return await asyncpg.connect(
        host=host, port=port, user=user, password=password or None, database=database
    )


async def _mysql_connect() -> Any:
    import aiomysql

    host, port, user, password = _server("mysql")
    return await aiomysql.connect(
        host=host, port=port, user=user, password=password, charset="utf8mb4", autocommit=True
    )


async def _mysql_rows(sql: str, *args: object) -> list[tuple[Any, ...]]:
    conn = await _mysql_connect()
    try:
        async with conn.cursor() as cursor:
            await cursor.execute(sql, args or None)
            return [tuple(row) for row in await cursor.fetchall()]
    finally:
        conn.close()


async def databases(kind: str) -> set[str]:
    """Every database on the server, by its exact name."""
    if kind == "postgresql":
        conn = await _pg_connect("postgres")
        try:
            return {str(row[0]) for row in await conn.fetch("SELECT datname FROM pg_database")}
        finally:
            await conn.close()
    rows = await _mysql_rows("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
    return {str(row[0]) for row in rows}


async def tables(kind: str, database: str) -> set[str]:
    """The tables of ``database`` (PostgreSQL: of its public schema), by exact name."""
    if kind == "postgresql":
        conn = await _pg_connect(database)
        try:
            rows = await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
            return {str(row[0]) for row in rows}
        finally:
            await conn.close()
    rows = await _mysql_rows(
        "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
        database,
    )
    # the comparison above follows the column's collation (case, trailing spaces): be exact
    return {str(row[1]) for row in rows if row[0] == database}


def sqlite_tables(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(row[0]) for row in rows}
    finally:
        connection.close()


async def force_drop(kind: str, name: str) -> None:
    if kind == "postgresql":
        conn = await _pg_connect("postgres")
        try:
            quoted = '"' + name.replace('"', '""') + '"'
            await conn.execute(f"DROP DATABASE {quoted} WITH (FORCE)")
        finally:
            await conn.close()
        return
    conn = await _mysql_connect()
    try:
        async with conn.cursor() as cursor:
            await cursor.execute("DROP DATABASE `" + name.replace("`", "``") + "`")
    finally:
        conn.close()


def outside(names: set[str]) -> set[str]:
    """The databases no schemactl test owns: these must never change."""
    return {name for name in names if not name.startswith("sct_")}


class Owned:
    """The databases of one test: all of them start with ``prefix``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.prefix = f"sct_id_{uuid.uuid4().hex[:8]}_"

    def name(self, suffix: str) -> str:
        return self.prefix + suffix

    def url(self, name: str) -> str:
        return f"{BASES[self.kind]}/{quote(name, safe='')}"

    async def existing(self) -> set[str]:
        return {name for name in await databases(self.kind) if name.startswith(self.prefix)}

    async def cleanup(self) -> None:
        for name in await self.existing():
            await force_drop(self.kind, name)


@pytest.fixture(params=SERVERS)
async def owned(request: pytest.FixtureRequest) -> AsyncIterator[Owned]:
    databases_owned = Owned(str(request.param))
    yield databases_owned
    await databases_owned.cleanup()


@pytest.fixture
def probe(migrations: MigrationsDir) -> MigrationsDir:
    migrations.add(
        "20240101000000",
        "probe",
        f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY);\nINSERT INTO {TABLE} (id) VALUES (1);",
        f"DROP TABLE {TABLE};",
    )
    return migrations


# -- names that must work --------------------------------------------------------------------

ODD_NAMES = {
    "double-quote-injection": 'x"; DROP DATABASE postgres; --',
    "single-quote-injection": "x'; DROP DATABASE mysql; --",
    "backtick-injection": "x`; DROP DATABASE mysql; --",
    "spaces": "with  two spaces",
    "leading-space": " lead",
    "semicolons": "a;b;;c",
    "unicode": "sct_\u00fcn\u00ef_\u30c7\u30fc\u30bf",
    "percent": "100%_sure",
    "percent-s": "x%s%%y",
    "backslash": "back\\slash\\",
    "url-delimiters": "q?h#s/p@c:",
    "mixed-case": "MiXeD",
}


@pytest.mark.parametrize("suffix", list(ODD_NAMES.values()), ids=list(ODD_NAMES))
async def test_odd_database_name_is_created_migrated_and_dropped_exactly(
    owned: Owned, probe: MigrationsDir, suffix: str
) -> None:
    name = owned.name(suffix)
    url = owned.url(name)
    before = await databases(owned.kind)

    result = await schemactl.up(url, migrations_dir=str(probe))
    assert result.created_database
    assert [m.version for m in result.applied] == ["20240101000000"]
    after = await databases(owned.kind)
    assert await owned.existing() == {name}, "created under another name"
    assert name in after
    assert outside(after) == outside(before)
    assert TABLE in await tables(owned.kind, name)

    status = await schemactl.status(url, migrations_dir=str(probe))
    assert [m.applied for m in status.migrations] == [True]
    again = await schemactl.create(url)
    assert not again.changed
    assert again.database.endswith(name)

    dropped = await schemactl.drop(url)
    assert dropped.changed
    assert await owned.existing() == set()
    assert outside(await databases(owned.kind)) == outside(before)
    assert not (await schemactl.drop(url)).changed


async def test_create_and_drop_without_migrating(owned: Owned) -> None:
    name = owned.name("a\"b`c'd; DROP DATABASE x")
    url = owned.url(name)
    created = await schemactl.create(url)
    assert created.changed
    assert await owned.existing() == {name}
    assert (await schemactl.drop(url)).changed
    assert await owned.existing() == set()


# -- names at and over the servers' limits -----------------------------------------------------


def pad(prefix: str, unit: str, *, chars: int | None = None, size: int | None = None) -> str:
    """``prefix`` followed by ``unit`` repeated up to ``chars`` characters or ``size`` bytes."""
    name = prefix
    while True:
        longer = name + unit
        if chars is not None and len(longer) > chars:
            return name
        if size is not None and len(longer.encode()) > size:
            return name
        name = longer


def assert_clear_rejection(exc: schemactl.SchemactlError, *fragments: str) -> None:
    message = str(exc)
    assert isinstance(exc, schemactl.ConfigurationError | schemactl.DatabaseConnectionError)
    assert len(message.splitlines()) == 1, message
    assert "Traceback" not in message
    assert any(fragment in message for fragment in fragments), message


@pytest.mark.parametrize("unit", ["a", "\u00fc", "\u30c7"], ids=["ascii", "2-byte", "3-byte"])
async def test_postgresql_name_of_63_bytes_works(probe: MigrationsDir, unit: str) -> None:
    owned = Owned("postgresql")
    try:
        name = pad(owned.prefix, unit, size=63)
        assert 61 <= len(name.encode()) <= 63
        result = await schemactl.up(owned.url(name), migrations_dir=str(probe))
        assert result.created_database
        assert await owned.existing() == {name}
        assert (await schemactl.drop(owned.url(name))).changed
        assert await owned.existing() == set()
    finally:
        await owned.cleanup()


@pytest.mark.parametrize("unit", ["a", "\u00fc", "\u30c7"], ids=["ascii", "2-byte", "3-byte"])
async def test_postgresql_name_over_63_bytes_is_rejected(probe: MigrationsDir, unit: str) -> None:
    owned = Owned("postgresql")
    try:
        name = pad(owned.prefix, unit, size=63) + unit
        assert len(name.encode()) > 63
        before = outside(await databases("postgresql"))
        for call in (schemactl.create, schemactl.drop):
            with pytest.raises(schemactl.ConfigurationError) as info:
                await call(owned.url(name))
            assert_clear_rejection(info.value, "63")
        with pytest.raises(schemactl.SchemactlError) as up_info:
            await schemactl.up(owned.url(name), migrations_dir=str(probe))
        assert_clear_rejection(up_info.value, "63")
        assert await owned.existing() == set()
        assert outside(await databases("postgresql")) == before
    finally:
        await owned.cleanup()


@pytest.mark.parametrize("command", ["up", "migrate", "status"])
async def test_postgresql_long_name_is_not_truncated_onto_another_database(
    probe: MigrationsDir, command: str
) -> None:
    """PostgreSQL cuts a database name in a connection request to 63 bytes: a 64-byte name
    must be refused, not silently connect to (and migrate) the database named by its first 63
    bytes."""
    owned = Owned("postgresql")
    try:
        short = pad(owned.prefix, "t", size=63)
        assert len(short.encode()) == 63
        assert (await schemactl.create(owned.url(short))).changed
        long_url = owned.url(short + "X")
        call: dict[str, Callable[..., Awaitable[object]]] = {
            "up": schemactl.up,
            "migrate": schemactl.migrate,
            "status": schemactl.status,
        }
        with pytest.raises(schemactl.SchemactlError) as info:
            await call[command](long_url, migrations_dir=str(probe))
        assert_clear_rejection(info.value, "63")
        assert await tables("postgresql", short) == set(), "the 63-byte database was migrated"
    finally:
        await owned.cleanup()


@pytest.mark.parametrize("unit", ["a", "\u00fc"], ids=["ascii", "2-byte"])
async def test_mysql_name_of_64_characters_works(probe: MigrationsDir, unit: str) -> None:
    owned = Owned("mysql")
    try:
        name = pad(owned.prefix, unit, chars=64)
        assert len(name) == 64
        result = await schemactl.up(owned.url(name), migrations_dir=str(probe))
        assert result.created_database
        assert await owned.existing() == {name}
        assert TABLE in await tables("mysql", name)
        assert (await schemactl.drop(owned.url(name))).changed
        assert await owned.existing() == set()
    finally:
        await owned.cleanup()


async def test_mysql_name_too_long_as_a_file_name_is_rejected_cleanly(
    probe: MigrationsDir,
) -> None:
    """64 CJK characters pass MySQL's length rule, but MariaDB stores each as "@30c7" in a
    directory name, over the file system's 255 bytes: the server's refusal must reach the
    user as one clear line, and leave nothing behind."""
    owned = Owned("mysql")
    try:
        name = pad(owned.prefix, "\u30c7", chars=64)
        assert len(name) == 64
        with pytest.raises(schemactl.SchemactlError) as info:
            await schemactl.up(owned.url(name), migrations_dir=str(probe))
        assert_clear_rejection(info.value, owned.prefix, "database name")
        assert await owned.existing() == set()
    finally:
        await owned.cleanup()


@pytest.mark.parametrize(
    ("unit", "suffix"),
    [("a", ""), ("\u00fc", ""), ("", "trailing space "), ("", "trailing spaces  ")],
    ids=["65-ascii", "65-unicode", "trailing-space", "trailing-spaces"],
)
async def test_mysql_invalid_name_is_rejected(probe: MigrationsDir, unit: str, suffix: str) -> None:
    owned = Owned("mysql")
    try:
        name = pad(owned.prefix, unit, chars=64) + unit if unit else owned.name(suffix)
        assert len(name) == 65 or name.endswith(" ")
        before = outside(await databases("mysql"))
        for call in (schemactl.create, schemactl.drop):
            with pytest.raises(schemactl.ConfigurationError) as info:
                await call(owned.url(name))
            assert_clear_rejection(info.value, "database name")
        with pytest.raises(schemactl.SchemactlError) as up_info:
            await schemactl.up(owned.url(name), migrations_dir=str(probe))
        assert_clear_rejection(up_info.value, "database name")
        assert await owned.existing() == set()
        assert outside(await databases("mysql")) == before
    finally:
        await owned.cleanup()


async def test_postgresql_trailing_space_is_a_distinct_name(probe: MigrationsDir) -> None:
    owned = Owned("postgresql")
    try:
        plain, spaced = owned.name("sp"), owned.name("sp ")
        assert (await schemactl.create(owned.url(plain))).changed
        result = await schemactl.up(owned.url(spaced), migrations_dir=str(probe))
        assert result.created_database
        assert await owned.existing() == {plain, spaced}
        assert TABLE in await tables("postgresql", spaced)
        assert TABLE not in await tables("postgresql", plain)
        assert (await schemactl.drop(owned.url(spaced))).changed
        assert await owned.existing() == {plain}
    finally:
        await owned.cleanup()


# -- SQLite paths ----------------------------------------------------------------------------

SQLITE_NAMES = {
    "spaces": "my  data base.db",
    "double-quotes": 'say "hi".db',
    "single-quotes": "it's.db",
    "backtick-and-semicolon": "a`b; DROP TABLE x;.db",
    "unicode": "\u00fcn\u00ef \u30c7\u30fc\u30bf.db",
}


@pytest.mark.parametrize("encoded", [True, False], ids=["percent-encoded", "as-written"])
@pytest.mark.parametrize("file_name", list(SQLITE_NAMES.values()), ids=list(SQLITE_NAMES))
async def test_sqlite_path_with_spaces_and_quotes(
    tmp_path: Path, probe: MigrationsDir, file_name: str, encoded: bool
) -> None:
    directory = tmp_path / "dir with 'odd' \"parts\""
    directory.mkdir()
    path = directory / file_name
    url = "sqlite:" + (quote(str(path), safe="/") if encoded else str(path))

    result = await schemactl.up(url, migrations_dir=str(probe))
    assert result.created_database
    assert sorted(p.name for p in directory.iterdir()) == [file_name]
    assert TABLE in sqlite_tables(path)
    status = await schemactl.status(url, migrations_dir=str(probe))
    assert [m.applied for m in status.migrations] == [True]

    assert (await schemactl.drop(url)).changed
    assert list(directory.iterdir()) == []
    assert (tmp_path / "migrations").is_dir()


# -- the tracking table's name ---------------------------------------------------------------

ODD_TABLES = {
    "quotes-and-space": 'odd "name"',
    "backtick-percent-comment": "odd `name` 100%; --",
    "single-quote": "it's a table",
}


@dataclass(frozen=True)
class Target:
    kind: str
    name: str  # the database name, or the SQLite file's path
    url: str

    async def tables(self) -> set[str]:
        if self.kind == "sqlite":
            return sqlite_tables(Path(self.name))
        return await tables(self.kind, self.name)


@pytest.fixture(params=("sqlite", *SERVERS))
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Target]:
    """A database that does not exist yet, on each of SQLite, PostgreSQL and MariaDB."""
    kind = str(request.param)
    if kind == "sqlite":
        path = tmp_path / "tracking.db"
        yield Target(kind, str(path), f"sqlite:{path}")
        return
    owned = Owned(kind)
    name = owned.name("tracking")
    yield Target(kind, name, owned.url(name))
    await owned.cleanup()


@pytest.mark.parametrize("table", list(ODD_TABLES.values()), ids=list(ODD_TABLES))
async def test_odd_migrations_table_name(target: Target, probe: MigrationsDir, table: str) -> None:
    url = target.url
    result = await schemactl.up(url, migrations_dir=str(probe), migrations_table=table)
    assert [m.version for m in result.applied] == ["20240101000000"]
    assert await target.tables() == {table, TABLE}

    status = await schemactl.status(url, migrations_dir=str(probe), migrations_table=table)
    assert [m.applied for m in status.migrations] == [True]
    other = await schemactl.status(url, migrations_dir=str(probe))
    assert [m.applied for m in other.migrations] == [False]

    back = await schemactl.rollback(url, migrations_dir=str(probe), migrations_table=table)
    assert [m.version for m in back.rolled_back] == ["20240101000000"]
    assert await target.tables() == {table}


async def test_odd_migrations_table_name_from_the_command_line(
    target: Target, probe: MigrationsDir, tmp_path: Path
) -> None:
    table = 'odd "name"'
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHEMACTL_", "DATABASE_"))}
    done = await anyio.run_process(
        [SCRIPT, "up", "--url", target.url, "-d", str(probe), "--migrations-table", table],
        cwd=tmp_path,
        env={**env, "NO_COLOR": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert await target.tables() == {table, TABLE}
    status = await schemactl.status(target.url, migrations_dir=str(probe), migrations_table=table)
    assert [m.applied for m in status.migrations] == [True]


async def test_migrations_table_in_a_missing_schema(target: Target, probe: MigrationsDir) -> None:
    """`--migrations-table nowhere.t`: on PostgreSQL the schema is created, as dbmate creates
    it; where a "schema" is a database (MariaDB) or an attached file (SQLite), it is a user's
    mistake: a schemactl error naming it, not the driver's exception escaping the API (which
    the CLI shows as an internal error)."""
    table = "sct_nowhere.t"
    if target.kind == "postgresql":
        result = await schemactl.up(target.url, migrations_dir=str(probe), migrations_table=table)
        assert [m.version for m in result.applied] == ["20240101000000"]
        status = await schemactl.status(
            target.url, migrations_dir=str(probe), migrations_table=table
        )
        assert status.pending == ()
        return
    with pytest.raises(schemactl.SchemactlError) as info:
        await schemactl.up(target.url, migrations_dir=str(probe), migrations_table=table)
    assert "sct_nowhere" in str(info.value)
    assert len(str(info.value).splitlines()) == 1
