"""The whole lifecycle on each real database: new, up (creating it), status, migrate,
rollback, drop."""

from __future__ import annotations

import pytest

import schemactl
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio


async def test_lifecycle(db_url: str, migrations: MigrationsDir) -> None:
    new = await schemactl.new("Create users!", migrations_dir=str(migrations))
    assert new.path is not None
    assert new.path.parent == migrations.path
    assert new.path.name.endswith("_create_users.sql")
    new.path.write_text(
        "-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50));\n"
        "INSERT INTO users (id, name) VALUES (1, 'it''s; fine');\n"
        "-- migrate:down\nDROP TABLE users;\n"
    )
    migrations.add(
        "29990101000000",
        "posts",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
        "DROP TABLE posts;",
    )

    result = await schemactl.up(db_url, migrations_dir=str(migrations))
    assert result.created_database
    assert [m.name for m in result.applied] == ["create_users", "posts"]

    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.applied for m in status.migrations] == [True, True]
    assert all(m.checksum_ok for m in status.migrations)
    assert not status.pending

    again = await schemactl.migrate(db_url, migrations_dir=str(migrations))
    assert again.applied == ()

    back = await schemactl.rollback(db_url, migrations_dir=str(migrations))
    assert [m.version for m in back.rolled_back] == ["29990101000000"]
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.version for m in status.pending] == ["29990101000000"]

    result = await schemactl.migrate(db_url, migrations_dir=str(migrations))
    assert [m.version for m in result.applied] == ["29990101000000"]

    back = await schemactl.rollback(db_url, migrations_dir=str(migrations), to="0")
    assert len(back.rolled_back) == 2
    assert len((await schemactl.status(db_url, migrations_dir=str(migrations))).pending) == 2

    dropped = await schemactl.drop(db_url)
    assert dropped.changed
    assert not (await schemactl.drop(db_url)).changed
