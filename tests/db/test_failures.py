"""What a failing migration leaves behind, on each real database, and what the error says."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio


async def tables(url: str) -> set[str]:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names)


def three_migrations(migrations: MigrationsDir) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    migrations.add(
        "2",
        "b",
        "CREATE TABLE b1 (id INTEGER PRIMARY KEY);\n"
        "INSERT INTO b1 (id) VALUES (1);\n"
        "\n"
        "INSERT INTO no_such_table (id) VALUES (1);\n"  # line 5 of the file
        "CREATE TABLE b3 (id INTEGER);",
        "DROP TABLE b1;",
    )
    migrations.add("3", "c", "CREATE TABLE c (id INTEGER PRIMARY KEY);", "DROP TABLE c;")


async def test_failing_statement_stops_the_run(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    three_migrations(migrations)
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(db_url, migrations_dir=str(migrations))
    error = caught.value
    assert error.version == "2"
    assert error.line == 5
    first_line = str(error).splitlines()[0]
    assert first_line.startswith(f"{migrations.path / '2_b.sql'}:5: ")
    assert "no_such_table" in first_line

    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [m.version for m in status.applied] == ["1"]  # nothing after the failure
    present = await tables(db_url)
    assert "c" not in present
    assert "b3" not in present
    if dialect == "mysql":
        # DDL commits implicitly: the first CREATE stays, the INSERT after it is rolled
        # back, and the error says so.
        assert "b1" in present
        assert "statement 1 of 4 stays applied" in str(error)
        assert "statement 2 was rolled back" in str(error)
        assert error.statements_run == 2
        engine = create_async_engine(to_sqlalchemy_url(db_url))
        try:
            async with engine.connect() as conn:
                assert (await conn.execute(text("SELECT count(*) FROM b1"))).scalar() == 0
        finally:
            await engine.dispose()
    else:
        assert "b1" not in present
        assert "nothing of this migration was applied" in str(error)


async def test_single_transaction_is_all_or_nothing(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    three_migrations(migrations)
    if dialect == "mysql":
        with pytest.raises(schemactl.ConfigurationError, match="not possible on mysql"):
            await schemactl.up(db_url, migrations_dir=str(migrations), single_transaction=True)
        return
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(db_url, migrations_dir=str(migrations), single_transaction=True)
    assert caught.value.line == 5
    assert "nothing was applied" in str(caught.value)
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert status.applied == ()
    assert not {"a", "b1", "c"} & await tables(db_url)


async def test_single_transaction_applies_everything(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    for i in range(1, 6):
        migrations.add(str(i), f"t{i}", f"CREATE TABLE t{i} (id INTEGER);", f"DROP TABLE t{i};")
    if dialect == "mysql":  # DDL commits implicitly there: refuse rather than pretend
        with pytest.raises(schemactl.ConfigurationError, match="DDL commits implicitly"):
            await schemactl.up(db_url, migrations_dir=str(migrations), single_transaction=True)
        assert not (await schemactl.drop(db_url)).changed  # refused before creating anything
        return
    result = await schemactl.up(db_url, migrations_dir=str(migrations), single_transaction=True)
    assert [m.version for m in result.applied] == ["1", "2", "3", "4", "5"]
    assert {"t1", "t5"} <= await tables(db_url)
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert all(m.applied and m.checksum_ok for m in status.migrations)


async def test_transaction_false_runs_statement_by_statement(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    migrations.add("1", "t", "CREATE TABLE t (id INTEGER, name VARCHAR(20));", "DROP TABLE t;")
    index = {
        "postgresql": "CREATE INDEX CONCURRENTLY ix_t_name ON t (name);",
        "mysql": "CREATE INDEX ix_t_name ON t (name);",
        "sqlite": "CREATE INDEX ix_t_name ON t (name);\nVACUUM;",
    }[dialect]
    migrations.add(
        "2",
        "ix",
        index,
        "DROP INDEX ix_t_name" + (" ON t;" if dialect == "mysql" else ";"),
        up_options="transaction:false",
        down_options="transaction:false",
    )
    result = await schemactl.up(db_url, migrations_dir=str(migrations))
    assert len(result.applied) == 2
    back = await schemactl.rollback(db_url, migrations_dir=str(migrations))
    assert [m.version for m in back.rolled_back] == ["2"]


async def test_rollback_errors(db_url: str, migrations: MigrationsDir) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    migrations.add("2", "b", "CREATE TABLE b (id INTEGER);", None)
    await schemactl.create(db_url)
    with pytest.raises(schemactl.StateError, match="nothing to roll back"):
        await schemactl.rollback(db_url, migrations_dir=str(migrations))
    await schemactl.up(db_url, migrations_dir=str(migrations))
    with pytest.raises(schemactl.StateError, match="--to 7"):
        await schemactl.rollback(db_url, migrations_dir=str(migrations), to="7")
    with pytest.raises(schemactl.MigrationFileError, match="no '-- migrate:down' section"):
        await schemactl.rollback(db_url, migrations_dir=str(migrations))
    (migrations.path / "2_b.sql").unlink()
    with pytest.raises(schemactl.MigrationFileError, match="file is missing"):
        await schemactl.rollback(db_url, migrations_dir=str(migrations))
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [(m.version, m.file_missing) for m in status.migrations] == [("1", False), ("2", True)]
    assert [m.version for m in status.drifted] == ["2"]


async def test_status_flags_changed_files(db_url: str, migrations: MigrationsDir) -> None:
    path = migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    path.write_text(path.read_text() + "-- edited after it was applied\n")
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert status.migrations[0].checksum_ok is False
    assert [m.version for m in status.drifted] == ["1"]


async def test_migrate_needs_an_existing_database(db_url: str, migrations: MigrationsDir) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    with pytest.raises(schemactl.DatabaseConnectionError, match="does not exist"):
        await schemactl.migrate(db_url, migrations_dir=str(migrations))


async def test_parse_errors_stop_before_anything_runs(
    db_url: str, migrations: MigrationsDir
) -> None:
    migrations.add("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    (migrations.path / "2_bad.sql").write_text("CREATE TABLE x (id int);\n-- migrate:up\n")
    await schemactl.create(db_url)  # (a database `up` would create is not created at all)
    with pytest.raises(schemactl.MigrationFileError, match=r"2_bad.sql:1: statement before"):
        await schemactl.up(db_url, migrations_dir=str(migrations))
    assert "a" not in await tables(db_url)


async def test_partial_failure_is_recorded_and_resolved(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """A migration that fails after some of its statements committed (MySQL DDL, or a
    transaction:false section anywhere) is recorded, blocks the next run, and is resolved."""
    options = "" if dialect == "mysql" else "transaction:false"
    path = migrations.add(
        "1",
        "partial",
        "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\n"
        "INSERT INTO nowhere VALUES (1);",
        "DROP TABLE b;\nDROP TABLE a;",
        up_options=options,
    )
    with pytest.raises(schemactl.MigrationFailedError, match="recorded as failed"):
        await schemactl.up(db_url, migrations_dir=str(migrations))
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    entry = status.migrations[0]
    assert (entry.applied, entry.state) == (False, "failed")
    assert "failed at line 4 with 2 statement(s) applied" in (entry.failure or "")
    assert "nowhere" in (entry.failure or "")

    with pytest.raises(schemactl.StateError, match="refusing to continue") as caught:
        await schemactl.up(db_url, migrations_dir=str(migrations))
    assert (  # the whole command, both ways
        "`schemactl resolve 1 --applied` if you completed it, "
        "or `schemactl resolve 1 --rolled-back` if you undid it"
    ) in str(caught.value)
    with pytest.raises(schemactl.StateError, match="nothing to resolve"):
        await schemactl.resolve(db_url, "2", applied=True, migrations_dir=str(migrations))

    # A human finishes the migration by hand and records it as applied.
    path.write_text(path.read_text().replace("INSERT INTO nowhere VALUES (1);", ""))
    await schemactl.resolve(db_url, "1", applied=True, migrations_dir=str(migrations))
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [(m.applied, m.state) for m in status.migrations] == [(True, "applied")]
    assert "schema_migrations_failures" not in await tables(db_url)
    back = await schemactl.rollback(db_url, migrations_dir=str(migrations))
    assert len(back.rolled_back) == 1
    assert not {"a", "b"} & await tables(db_url)


async def test_resolve_as_rolled_back(db_url: str, dialect: str, migrations: MigrationsDir) -> None:
    options = "" if dialect == "mysql" else "transaction:false"
    migrations.add(
        "1",
        "partial",
        "CREATE TABLE a (id INTEGER);\nINSERT INTO nowhere VALUES (1);",
        "DROP TABLE a;",
        up_options=options,
    )
    with pytest.raises(schemactl.MigrationFailedError):
        await schemactl.up(db_url, migrations_dir=str(migrations))
    engine = create_async_engine(to_sqlalchemy_url(db_url))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE a"))  # the human undoes what had run
    finally:
        await engine.dispose()
    result = await schemactl.resolve(db_url, "1", applied=False, migrations_dir=str(migrations))
    assert result == schemactl.ResolveResult("1", applied=False)
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert [(m.applied, m.state) for m in status.migrations] == [(False, "pending")]


async def test_a_down_that_failed_part_way_is_never_up_to_date(
    db_url: str, migrations: MigrationsDir, tmp_path: object
) -> None:
    """The failure is shown (also once its file is gone, or the tracking table), `status
    --exit-code` exits 1, and `up` refuses instead of saying "up to date"."""
    import sys

    import anyio

    path = migrations.add(
        "1",
        "a",
        "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);",
        "DROP TABLE b;\nSELECT * FROM no_such_table;",
        down_options="transaction:false",
    )
    await schemactl.up(db_url, migrations_dir=str(migrations))
    with pytest.raises(schemactl.MigrationFailedError):
        await schemactl.rollback(db_url, migrations_dir=str(migrations))

    def states() -> list[tuple[str, str]]:
        return [(m.version, m.state) for m in status.migrations]

    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert states() == [("1", "failed")]
    with pytest.raises(schemactl.StateError, match="refusing to continue"):
        await schemactl.up(db_url, migrations_dir=str(migrations))
    cli = await anyio.run_process(
        [sys.executable, "-m", "schemactl", "status", "--exit-code", "--url", db_url],
        cwd=migrations.path.parent,
        check=False,
    )
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert b"[F] 1_a.sql" in cli.stdout

    path.unlink()  # its file deleted: still shown
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert states() == [("1", "failed")]
    assert status.migrations[0].file_missing

    engine = create_async_engine(to_sqlalchemy_url(db_url))
    try:
        async with engine.begin() as conn:  # the tracking table dropped by hand: still shown
            await conn.execute(text("DROP TABLE schema_migrations"))
    finally:
        await engine.dispose()
    status = await schemactl.status(db_url, migrations_dir=str(migrations))
    assert states() == [("1", "failed")]
    with pytest.raises(schemactl.StateError, match="refusing to continue"):
        await schemactl.up(db_url, migrations_dir=str(migrations))
