"""A down section without a statement: `rollback` refuses it (it would report success and
undo nothing) unless the section says ``-- schemactl: no-op``; `new` writes a down section
the user must fill in or mark; autogenerate marks a down section it can only explain.

On SQLite, PostgreSQL and MariaDB, against the real servers; dbmate reads a marked file as
an ordinary one (the marker is a comment).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Enum, Integer, MetaData, Table

import schemactl
from schemactl import MigrationFileError
from tests.conftest import MigrationsDir, fresh_url
from tests.db.test_dbmate_interop import Dbmate, dbmate_url, recorded, require_dbmate, tables

pytestmark = pytest.mark.anyio

CREATE = "CREATE TABLE kept (id INTEGER PRIMARY KEY);"


def fill_up_section(path: Path, sql: str) -> None:
    """What a user does with `new`'s file: write the up section, leave the down as it is."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("-- migrate:up\n", f"-- migrate:up\n{sql}\n", 1), "utf-8")


async def test_rollback_refuses_the_down_section_new_wrote(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    written = (await schemactl.new("create kept", migrations_dir=str(migrations))).path
    assert written is not None
    fill_up_section(written, CREATE)
    down_line = written.read_text().splitlines().index("-- migrate:down") + 1
    await schemactl.up(db_url, migrations_dir=str(migrations))

    with pytest.raises(MigrationFileError) as caught:
        await schemactl.rollback(db_url, migrations_dir=str(migrations))
    message = str(caught.value)
    assert message.startswith(f"{written}:{down_line}: cannot roll back: the down section is empty")
    assert "'-- schemactl: no-op'" in message
    assert "\n" not in message
    # nothing was rolled back: the migration is still recorded, its table still there
    assert await recorded(db_url) == [written.name.split("_")[0]]
    assert "kept" in await tables(db_url, dialect)


async def test_rollback_of_several_refuses_before_undoing_any(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    migrations.add("1", "empty_down", CREATE, "-- only a comment\n\n")
    migrations.add("2", "other", "CREATE TABLE other (id INTEGER);", "DROP TABLE other;")
    await schemactl.up(db_url, migrations_dir=str(migrations))

    with pytest.raises(MigrationFileError, match=r"1_empty_down\.sql:4: cannot roll back"):
        await schemactl.rollback(db_url, migrations_dir=str(migrations), to="0")
    assert sorted(await recorded(db_url)) == ["1", "2"]  # 2 was not rolled back first
    assert {"kept", "other"} <= await tables(db_url, dialect)


@pytest.mark.parametrize("marker", ["-- schemactl: no-op", "  --  schemactl:NO-OP  "])
async def test_a_marked_down_section_rolls_back_undoing_nothing(
    db_url: str, dialect: str, migrations: MigrationsDir, marker: str
) -> None:
    migrations.add("1", "noop_down", CREATE, f"-- the table is harmless\n{marker}")
    await schemactl.up(db_url, migrations_dir=str(migrations))

    result = await schemactl.rollback(db_url, migrations_dir=str(migrations))
    assert [m.version for m in result.rolled_back] == ["1"]
    assert await recorded(db_url) == []
    assert "kept" in await tables(db_url, dialect)  # as the section said: nothing undone


async def test_a_marker_quoted_in_a_comment_does_not_count(
    db_url: str, migrations: MigrationsDir
) -> None:
    """`new`'s own hint names the marker inside a longer comment line: that is no mark."""
    migrations.add("1", "hint_only", CREATE, "-- write '-- schemactl: no-op' if nothing to undo")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    with pytest.raises(MigrationFileError, match="the down section is empty"):
        await schemactl.rollback(db_url, migrations_dir=str(migrations))


async def test_dbmate_reads_a_marked_file_as_schemactl_does(
    db_url: str,
    dialect: str,
    migrations: MigrationsDir,
    tmp_path: Path,
) -> None:
    require_dbmate()
    dbmate = Dbmate(dbmate_url(db_url), migrations, tmp_path)  # no .env in tmp_path
    again = CREATE.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS")  # it is kept
    migrations.add("20240101000001", "noop_down", again, "-- schemactl: no-op")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    out = await dbmate.ok("rollback")
    assert "Rolled back: 20240101000001_noop_down.sql" in out
    assert await recorded(db_url) == []
    assert "kept" in await tables(db_url, dialect)
    out = await dbmate.ok("up")
    assert "Applied: 20240101000001_noop_down.sql" in out
    result = await schemactl.rollback(db_url, migrations_dir=str(migrations))
    assert [m.version for m in result.rolled_back] == ["20240101000001"]


def orders(*statuses: str) -> MetaData:
    metadata = MetaData()
    Table(
        "orders",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("status", Enum(*statuses, name="order_status"), nullable=False),
    )
    return metadata


async def test_autogenerated_down_without_a_statement_is_marked(
    tmp_path: Path, migrations: MigrationsDir
) -> None:
    """PostgreSQL cannot remove an enum value: the down section of a migration that only adds
    one can only explain, so it carries the marker and rolls back."""
    url = fresh_url("postgresql", tmp_path)
    await schemactl.create(url)
    try:
        where = str(migrations)
        first = await schemactl.new(
            "v1", auto=True, url=url, models=orders("new"), migrations_dir=where
        )
        assert first.path is not None
        assert "schemactl: no-op" not in first.path.read_text()  # a real down section
        await schemactl.up(url, migrations_dir=str(migrations))
        v2 = orders("new", "paid")
        second = await schemactl.new("v2", auto=True, url=url, models=v2, migrations_dir=where)
        assert second.path is not None
        down = second.path.read_text().split("-- migrate:down\n")[1]
        assert "PostgreSQL cannot remove an enum value" in down
        assert down.endswith("\n-- schemactl: no-op\n")
        await schemactl.up(url, migrations_dir=str(migrations))
        result = await schemactl.rollback(url, migrations_dir=str(migrations))
        assert [m.name for m in result.rolled_back] == ["v2"]

        # a rename needs a hand-written migration: both sections are left to the user, and
        # the down section is not marked (rollback refuses it until it is written)
        await schemactl.up(url, migrations_dir=str(migrations))
        v3 = orders("new", "sent")
        third = await schemactl.new("v3", auto=True, url=url, models=v3, migrations_dir=where)
        assert third.path is not None
        assert "needs a hand-written migration" in third.path.read_text()
        assert "schemactl: no-op" not in third.path.read_text()
        await schemactl.up(url, migrations_dir=str(migrations))
        with pytest.raises(MigrationFileError, match=r"v3\.sql:[0-9]+: cannot roll back"):
            await schemactl.rollback(url, migrations_dir=str(migrations))
    finally:
        await schemactl.drop(url)
