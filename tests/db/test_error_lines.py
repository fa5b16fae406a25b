"""A failing statement is named by its own line, also when the server gives no position."""

from __future__ import annotations

import pytest

import schemactl
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio

# (the section, the line of the file where the failing statement starts, the error's words)
NO_POSITION = [
    (
        "CREATE TABLE a (id integer);\nCREATE TABLE b (id integer);\n\nCREATE TABLE a (x integer);",
        5,
        'relation "a" already exists',
    ),
    (
        "CREATE TABLE c (id integer);\nINSERT INTO c VALUES (NULL);\n"
        "ALTER TABLE c ALTER COLUMN id SET NOT NULL;",
        4,
        'column "id" of relation "c" contains null values',
    ),
    (
        "CREATE TABLE d (id integer);\n-- a comment\nDROP ROLE sct_no_such_role_at_all;",
        4,
        'role "sct_no_such_role_at_all" does not exist',
    ),
]


@pytest.mark.parametrize("dialect", ["postgresql"])
@pytest.mark.parametrize(("section", "line", "words"), NO_POSITION)
async def test_the_statement_the_server_gives_no_position_for_is_found(
    db_url: str, migrations: MigrationsDir, section: str, line: int, words: str
) -> None:
    migrations.add("1", "broken", section, "SELECT 1;")
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(db_url, migrations_dir=str(migrations))
    first = str(caught.value).splitlines()[0]
    assert first == f"{migrations.path / '1_broken.sql'}:{line}: {words}"
    assert caught.value.line == line
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.state for m in status.migrations] == ["pending"]  # (the search was rolled back)


@pytest.mark.parametrize("dialect", ["postgresql"])
async def test_a_statement_that_cannot_run_in_a_transaction_says_what_to_do(
    db_url: str, migrations: MigrationsDir
) -> None:
    migrations.add(
        "1",
        "index",
        "CREATE TABLE e (id integer);\nCREATE INDEX CONCURRENTLY e_id ON e (id);",
        "DROP TABLE e;",
    )
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(db_url, migrations_dir=str(migrations))
    first = str(caught.value).splitlines()[0]
    assert first.startswith(f"{migrations.path / '1_index.sql'}:3: CREATE INDEX CONCURRENTLY")
    assert first.endswith("(mark the section transaction:false to run it outside a transaction)")
