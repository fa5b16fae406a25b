"""`verify` on PostgreSQL, MariaDB and SQLite: a correct history of 23 migrations passes; a
down that does not restore the schema, a missing one, one that fails and one that loses data
are each caught; an approval with a reason lets an irreversible migration pass, one without
does not; and the throwaway database is gone afterwards, after success, failure, a
cancellation, and Ctrl-C to the command."""

from __future__ import annotations

import json
import os
import signal
import sys
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from subprocess import PIPE

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import schemactl
from schemactl import VerifyResult
from tests.conftest import MYSQL_BASE, PG_BASE, MigrationsDir
from tests.db.verify_history import drop_index, history

pytestmark = pytest.mark.anyio


@pytest.fixture
def target(dialect: str, tmp_path: Path) -> Iterator[str]:
    """A URL whose database name starts with hver_: verify makes its throwaway database
    beside it, named after it. The database itself is never created."""
    name = f"hver_{uuid.uuid4().hex[:10]}"
    if dialect == "sqlite":
        yield f"sqlite:{tmp_path / name}.db"
    else:
        yield f"{PG_BASE if dialect == 'postgresql' else MYSQL_BASE}/{name}"


async def made(url: str) -> None:
    """Until the throwaway database of ``url`` exists."""
    for _ in range(400):
        if await leftovers(url):
            return
        await anyio.sleep(0.05)
    raise AssertionError("verify made no database")


async def leftovers(url: str) -> list[str]:
    """Databases (SQLite: files in temporary directories) named like ``url``'s throwaway ones."""
    name = url.rpartition("/")[2].removesuffix(".db")
    if url.startswith("sqlite:"):
        import tempfile

        return [str(p) for p in Path(tempfile.gettempdir()).glob(f"schemactl-verify-*/{name}*")]
    if url.startswith("postgresql"):
        base = PG_BASE.replace("postgresql://", "postgresql+asyncpg://") + "/postgres"
        query = "SELECT datname FROM pg_database WHERE datname LIKE :p"
    else:
        base = MYSQL_BASE.replace("mysql://", "mysql+aiomysql://") + "/"
        query = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE :p"
    engine = create_async_engine(base, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(query), {"p": f"{name}%"})
            return [str(r[0]) for r in rows]
    finally:
        await engine.dispose()


def add_history(migrations: MigrationsDir, dialect: str) -> None:
    for number, (name, up, down, options) in enumerate(history(dialect), start=1):
        migrations.add(f"{number:03d}", name, up, down, up_options=options, down_options=options)


def kinds(result: VerifyResult) -> dict[str, list[str]]:
    return {m.version: [p.kind for p in m.problems] for m in result.migrations if m.problems}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
async def test_a_correct_history_of_23_migrations_passes(
    dialect: str, target: str, migrations: MigrationsDir
) -> None:
    add_history(migrations, dialect)
    result = await schemactl.verify(target, migrations_dir=str(migrations))
    assert kinds(result) == {}, [m.problems for m in result.migrations if m.problems]
    assert len(result.migrations) == 23
    assert result.ok
    assert result.warnings == ()  # every table took its sentinel row (MySQL, SQLite)
    assert await leftovers(target) == []


def users_then(migrations: MigrationsDir, dialect: str) -> None:
    """1: users with a nullable column holding data; 2: teams; the migrations to verify
    come after these."""
    migrations.add(
        "001",
        "users",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(255));",
        "DROP TABLE users;",
    )
    migrations.add(
        "002", "teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);", "DROP TABLE teams;"
    )


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
async def test_each_wrong_down_is_caught(
    dialect: str, target: str, migrations: MigrationsDir
) -> None:
    users_then(migrations, dialect)
    # loses data: drops a column that existed before and adds it again, identical
    migrations.add(
        "003",
        "lossy_column",
        "CREATE TABLE t3 (id INTEGER);",
        "DROP TABLE t3;\nALTER TABLE users DROP COLUMN email;\n"
        "ALTER TABLE users ADD COLUMN email VARCHAR(255);",
    )
    # loses data: re-creates a table that existed before
    migrations.add(
        "004",
        "lossy_table",
        "CREATE TABLE t4 (id INTEGER);",
        "DROP TABLE t4;\nDROP TABLE teams;\nCREATE TABLE teams (id INTEGER PRIMARY KEY);",
    )
    # not restored: the index stays
    migrations.add("005", "index", "CREATE INDEX ix_a ON users (email);", "SELECT 1;")
    # no down section at all, and an empty one without the no-op marker
    migrations.add("006", "nick", "ALTER TABLE users ADD COLUMN nick VARCHAR(20);", None)
    migrations.add("007", "bio", "ALTER TABLE users ADD COLUMN bio VARCHAR(20);", "-- later")
    # fails
    migrations.add("008", "t8", "CREATE TABLE t8 (id INTEGER);", "DROP TABLE not_there;")
    # a no-op marker is a claim: the up must change no schema
    migrations.add("009", "claimed_noop", "CREATE TABLE t9 (id INTEGER);", "-- schemactl: no-op")
    # correct, after all those: verified on the schema its author expected
    migrations.add(
        "010", "last", "CREATE INDEX ix_b ON users (nick);", drop_index(dialect, "ix_b", "users")
    )
    result = await schemactl.verify(target, migrations_dir=str(migrations))
    assert kinds(result) == {
        "003": ["loses-data"],
        "004": ["loses-data"],
        "005": ["not-restored"],
        "006": ["missing-down"],
        "007": ["missing-down"],
        "008": ["down-fails"],
        "009": ["not-restored"],
    }
    problems = {m.version: m.problems for m in result.migrations}
    assert problems["003"][0].detail.startswith(
        "the down drops column users.email, which existed before the migration"
    )
    assert "teams" in problems["004"][0].detail
    assert problems["005"][0].detail == "index ix_a on users still exists"
    assert "not_there" in problems["008"][0].detail
    assert "008_t8.sql:" in problems["008"][0].detail
    assert "\n" not in problems["008"][0].detail
    assert problems["009"][0].detail == "marked no-op, but table t9 still exists"
    assert not result.ok
    assert [m.ok for m in result.migrations][-1] is True
    assert await leftovers(target) == []


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
async def test_an_approval_with_a_reason_lets_an_irreversible_migration_pass(
    dialect: str, target: str, migrations: MigrationsDir
) -> None:
    users_then(migrations, dialect)
    lossy = migrations.add(
        "003",
        "reset_emails",
        "CREATE TABLE t3 (id INTEGER);",
        "DROP TABLE t3;\nALTER TABLE users DROP COLUMN email;\n"
        "ALTER TABLE users ADD COLUMN email VARCHAR(255);",
    )
    content = lossy.read_text()
    lossy.write_text(
        content + '-- schemactl:approve irreversible reason="emails are re-imported by sync"\n'
    )
    result = await schemactl.verify(target, migrations_dir=str(migrations))
    assert result.ok
    (approved,) = [m for m in result.migrations if m.problems]
    assert approved.approved == "emails are re-imported by sync"
    assert [p.kind for p in approved.problems] == ["loses-data"]  # still reported

    lossy.write_text(content + "-- schemactl:approve irreversible\n")
    result = await schemactl.verify(target, migrations_dir=str(migrations))
    assert not result.ok
    assert any("gives no reason" in w for w in result.warnings)
    lossy.write_text(content + '-- schemactl:approve irreversible reason=""\n')
    assert not (await schemactl.verify(target, migrations_dir=str(migrations))).ok
    assert await leftovers(target) == []


def slow(dialect: str) -> str:
    if dialect == "postgresql":
        return "SELECT pg_sleep(30);"
    if dialect == "mysql":
        return "SELECT SLEEP(30);"
    return (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500000000) "
        "SELECT count(*) FROM c;"
    )


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
async def test_a_cancelled_verify_leaves_no_database(
    dialect: str, target: str, migrations: MigrationsDir
) -> None:
    users_then(migrations, dialect)
    migrations.add("003", "slow", slow(dialect), "SELECT 1;")
    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(partial(schemactl.verify, target, migrations_dir=str(migrations)))
            await made(target)
            await anyio.sleep(1.0)  # (into the slow statement)
            tg.cancel_scope.cancel()
    assert await leftovers(target) == []


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_ctrl_c_to_the_command_leaves_no_database(
    dialect: str, target: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    users_then(migrations, dialect)
    migrations.add("003", "slow", slow(dialect), "SELECT 1;")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SCHEMACTL"))}
    command = [sys.executable, "-m", "schemactl", "verify", "-u", target, "-d", str(migrations)]
    async with await anyio.open_process(command, stderr=PIPE, env=env, cwd=tmp_path) as process:
        with anyio.fail_after(20):
            await made(target)
            await anyio.sleep(1.0)
        process.send_signal(signal.SIGINT)
        with anyio.fail_after(20):
            await process.wait()
        assert process.stderr is not None
        stderr = (await process.stderr.receive()).decode()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert await leftovers(target) == []


@pytest.mark.parametrize("dialect", ["sqlite"])
def test_the_command_prints_json_and_exits_1(
    dialect: str, target: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    import subprocess

    users_then(migrations, dialect)
    migrations.add("003", "index", "CREATE INDEX ix_a ON users (email);", "SELECT 1;")
    migrations.add("004", "nick", "ALTER TABLE users ADD COLUMN nick VARCHAR(20);", None)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SCHEMACTL"))}
    command = [sys.executable, "-m", "schemactl", "verify", "-u", target, "-d", str(migrations)]
    done = subprocess.run(
        [*command, "--json"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["format"] == "schemactl.verify/1"
    assert [(m["version"], m["ok"]) for m in document["migrations"]] == [
        ("001", True),
        ("002", True),
        ("003", False),
        ("004", False),
    ]
    assert document["migrations"][2]["problems"] == [
        {"kind": "not-restored", "detail": "index ix_a on users still exists"}
    ]
    assert document["migrations"][3]["file"].endswith("004_nick.sql")
    assert document["migrations"][3]["problems"][0]["kind"] == "missing-down"

    human = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert human.returncode == 1
    assert "FAIL  003_index.sql" in human.stdout
    assert "not-restored: index ix_a on users still exists" in human.stdout
    assert "Traceback" not in human.stderr

    (migrations.path / "004_nick.sql").write_text("-- migrate:down\nSELECT 1;\n")
    broken = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert broken.returncode == 4  # a file that does not parse: one line, nothing created
    assert broken.stderr.count("\n") == 1, broken.stderr


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_the_dev_url_server_is_used_and_the_url_s_never_reached(
    dialect: str, target: str, migrations: MigrationsDir
) -> None:
    """`--dev-url`: the throwaway database is made on that server; the production URL (here
    a port nothing listens on) is never connected to."""
    users_then(migrations, dialect)
    name = target.rpartition("/")[2]
    unreachable = f"{dialect}://nobody@127.0.0.1:9/{name}"
    result = await schemactl.verify(unreachable, migrations_dir=str(migrations), dev_url=target)
    assert result.ok
    assert [m.version for m in result.migrations] == ["001", "002"]
    assert await leftovers(target) == []
