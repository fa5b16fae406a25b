"""BEGIN, COMMIT and ROLLBACK written inside migration files: refused where schemactl holds
the transaction, and a transaction left open in a transaction:false section is caught."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from schemactl.dialects import transaction_control
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio


async def tables_and_rows(url: str) -> tuple[set[str], dict[str, int]]:
    """The tables of the database, and the rows of table ``a`` and of the tracking table."""
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            rows: dict[str, int] = {}
            for table in ("a", "schema_migrations"):
                if table in names:
                    result = await conn.execute(text(f"SELECT count(*) FROM {table}"))
                    rows[table] = int(result.scalar_one())
            return names, rows
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("statement", "keyword"),
    [("COMMIT;", "COMMIT"), ("ROLLBACK;", "ROLLBACK"), ("BEGIN;", "BEGIN"), ("END;", "END")],
)
async def test_transaction_control_in_a_transactional_section_is_refused_before_anything_runs(
    db_url: str, migrations: MigrationsDir, statement: str, keyword: str
) -> None:
    # (END alone is no MySQL statement: refused there all the same, before MySQL sees it)
    migrations.add(
        "1", "first", "CREATE TABLE first_table (id INTEGER);", "DROP TABLE first_table;"
    )
    migrations.add(
        "2",
        "second",
        f"CREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES (1);\n{statement}\n"
        "INSERT INTO a VALUES (2);",
        "DROP TABLE a;",
    )
    await schemactl.create(db_url)  # (a database `up` would create is not created at all)
    with pytest.raises(schemactl.MigrationFileError) as caught:
        await schemactl.up(db_url, migrations_dir=str(migrations))
    message = str(caught.value)
    assert f"2_second.sql:4: {keyword} inside a transactional section" in message
    assert "-- migrate:up transaction:false" in message
    names, _ = await tables_and_rows(db_url)
    assert not names & {"first_table", "a"}  # not even the migration before it ran


async def test_the_down_section_is_checked_before_rolling_back(
    db_url: str, migrations: MigrationsDir
) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;\nCOMMIT;")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    with pytest.raises(schemactl.MigrationFileError, match=r"1_a\.sql:6: COMMIT inside"):
        await schemactl.rollback(db_url, migrations_dir=str(migrations))
    names, rows = await tables_and_rows(db_url)
    assert "a" in names
    assert rows["schema_migrations"] == 1


async def test_statements_that_only_look_like_it_are_run(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    body = [
        "SAVEPOINT before_insert;",
        "INSERT INTO a VALUES (1);",
        "ROLLBACK TO SAVEPOINT before_insert;",
        "INSERT INTO a VALUES (CASE WHEN 1 = 1 THEN 2 ELSE 3 END);",
        "-- a comment that says COMMIT;",
    ]
    if dialect == "postgresql":
        body.append("DO $$ BEGIN PERFORM 1; END $$;")
    migrations.add("2", "rows", "\n".join(body), "DELETE FROM a;")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    _, rows = await tables_and_rows(db_url)
    assert rows == {"a": 1, "schema_migrations": 2}


async def test_an_unclosed_begin_in_a_non_transactional_section_fails_truthfully(
    db_url: str, migrations: MigrationsDir
) -> None:
    migrations.add(
        "1",
        "open",
        "CREATE TABLE a (id INTEGER);\nBEGIN;\nINSERT INTO a VALUES (1);",
        "DROP TABLE a;",
        up_options="transaction:false",
    )
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(db_url, migrations_dir=str(migrations))
    message = str(caught.value)
    assert "1_open.sql:3: the section ended inside the transaction begun here" in message
    assert "the 1 statement(s) before it stay applied" in message
    names, rows = await tables_and_rows(db_url)
    assert "a" in names
    assert rows["a"] == 0  # the INSERT after BEGIN was rolled back ...
    assert rows.get("schema_migrations", 0) == 0  # ... and nothing claims the migration ran
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.state for m in status.migrations] == ["failed"]
    with pytest.raises(schemactl.StateError, match="refusing to continue"):
        await schemactl.up(db_url, migrations_dir=str(migrations))


async def test_an_unclosed_begin_at_the_start_applies_nothing_and_a_fixed_file_runs(
    db_url: str, migrations: MigrationsDir
) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    path = migrations.add(
        "2",
        "open",
        "BEGIN;\nINSERT INTO a VALUES (1);",
        "DELETE FROM a;",
        up_options="transaction:false",
    )
    with pytest.raises(schemactl.MigrationFailedError, match="nothing of this migration"):
        await schemactl.up(db_url, migrations_dir=str(migrations))
    path.write_text(path.read_text().replace("VALUES (1);", "VALUES (1);\nCOMMIT;"))
    applied = await schemactl.up(db_url, migrations_dir=str(migrations))
    assert [m.version for m in applied.applied] == ["2"]
    _, rows = await tables_and_rows(db_url)
    assert rows == {"a": 1, "schema_migrations": 2}


@pytest.mark.parametrize(
    ("statement", "keyword"),
    [
        ("begin", "begin"),
        ("BEGIN TRANSACTION", "begin"),
        ("begin immediate", "begin"),
        ("Start  Transaction READ WRITE", "start transaction"),
        ("COMMIT WORK", "commit"),
        ("END TRANSACTION", "end"),
        ("ROLLBACK", "rollback"),
        ("rollback work", "rollback"),
        ("ABORT", "abort"),
        ("PREPARE TRANSACTION 'x'", "prepare transaction"),
        ("/* why */ COMMIT", "commit"),
        ("ROLLBACK TO SAVEPOINT a", None),
        ("ROLLBACK WORK TO a", None),
        ("BEGIN NOT ATOMIC SELECT 1; END", None),
        ("SELECT 'COMMIT'", None),
        ("COMMITTED_AT", None),
        ("ENDPOINT", None),
    ],
)
def test_transaction_control_words(statement: str, keyword: str | None) -> None:
    assert transaction_control(statement) == keyword
