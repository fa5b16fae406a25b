"""Fleets on the real servers: `up --url-file` over 40 SQLite databases and over PostgreSQL,
MariaDB and SQLite together, one database broken (a table its migration creates is there
already); `up_many` at concurrency 1 and 8 on PostgreSQL; shards that share a fleet."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

import schemactl
from schemactl._fleet import run_many
from tests.cli.test_cli import Cli, sqlite_tables
from tests.cli.test_progress import LOG_LINE, on_a_terminal
from tests.conftest import MigrationsDir, fresh_url, server

BROKEN_TABLE = "t3"


@pytest.fixture
def three(migrations: MigrationsDir) -> MigrationsDir:
    for n in (1, 2, 3):
        migrations.add(str(n), f"t{n}", f"CREATE TABLE t{n} (id INTEGER);", f"DROP TABLE t{n};")
    return migrations


def url_file(path: Path, urls: list[str]) -> Path:
    lines = ["# the fleet", ""]
    for url in urls:
        lines += [url, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def break_sqlite(url: str) -> None:
    connection = sqlite3.connect(url.removeprefix("sqlite:"))
    connection.execute(f"CREATE TABLE {BROKEN_TABLE} (x INTEGER)")
    connection.commit()
    connection.close()


@pytest.fixture
def dropped() -> Iterator[list[str]]:
    """URLs of server databases, dropped after the test."""
    urls: list[str] = []
    yield urls

    async def drop() -> None:
        await run_many(schemactl.drop, urls, concurrency=8)

    anyio.run(drop)


@pytest.mark.parametrize("concurrency", [1, 8])
def test_forty_sqlite_databases_one_broken(
    tmp_path: Path, three: MigrationsDir, concurrency: int
) -> None:
    urls = [fresh_url("sqlite", tmp_path) for _ in range(40)]
    broken = urls[17]
    break_sqlite(broken)
    fleet = url_file(tmp_path / "fleet.txt", urls)
    cli = Cli(tmp_path)
    args = ("up", "--url-file", str(fleet), "-d", str(three), "--concurrency", str(concurrency))
    result = cli(*args, "--json")
    assert result.code == 6, result  # the broken one's: its migration failed
    document = json.loads(result.out)
    assert (document["ok"], document["failed"]) == (39, 1)
    assert [d["url"] for d in document["databases"]] == urls
    failed = [d for d in document["databases"] if not d["ok"]]
    assert [d["url"] for d in failed] == [broken]
    assert f"{BROKEN_TABLE}" in failed[0]["error"]
    assert failed[0]["exit_code"] == 6
    for database in document["databases"]:
        if database["ok"]:
            assert [m["version"] for m in database["applied"]] == ["1", "2", "3"]
    for url in urls:
        expected = {"schema_migrations", "t1", "t2", "t3"}
        assert sqlite_tables(Path(url.removeprefix("sqlite:"))) == expected
    again = cli(*args)  # the others are up to date; the broken one fails again, said in a line
    assert again.code == 6, again
    assert again.err.count("ok    ") == 39
    assert [line for line in again.err_lines if line.startswith("FAIL")] == [
        f"FAIL  {broken}  {failed[0]['error']} (exit 6)"
    ]
    assert again.out.splitlines()[-1] == "39 ok, 1 failed, 40 in all"


def test_a_fleet_across_servers_with_passwords_redacted(
    tmp_path: Path, three: MigrationsDir, dropped: list[str]
) -> None:
    """PostgreSQL (whose test server trusts local connections: the password is not checked,
    only shown), MariaDB and SQLite in one fleet; the broken one is a MariaDB database."""
    pg, my = server("postgresql"), server("mysql")
    secret = "Sup3r-S3cret"
    urls = []
    for dialect, base in (("postgresql", pg), ("mysql", my)):
        for _ in range(2):
            name = fresh_url(dialect, tmp_path).rsplit("/", 1)[1]
            user = f"{base.username}:{secret}" if dialect == "postgresql" else base.username
            urls.append(f"{dialect}://{user}@{base.hostname}:{base.port}/{name}")
    urls += [fresh_url("sqlite", tmp_path) for _ in range(2)]
    dropped.extend(urls[:4])
    broken = urls[3]

    async def prepare() -> None:
        await schemactl.create(broken)
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(broken.replace("mysql://", "mysql+aiomysql://"))
        async with engine.begin() as connection:
            await connection.execute(text(f"CREATE TABLE {BROKEN_TABLE} (x INTEGER)"))
        await engine.dispose()

    anyio.run(prepare)
    fleet = url_file(tmp_path / "fleet.txt", urls)
    cli = Cli(tmp_path)
    result = cli("up", "--url-file", str(fleet), "-d", str(three), "-j", "6")
    assert result.code == 6, result
    assert secret not in result.output
    shown = [u.replace(secret, "***") for u in urls]
    table = result.out.splitlines()
    assert [line.split()[0] for line in table[1:-1]] == shown
    assert [line.split()[1] for line in table[1:-1]] == ["ok"] * 3 + ["FAILED"] + ["ok"] * 2
    assert "already exists" in table[4]
    status = cli("status", "--url-file", str(fleet), "-d", str(three), "--json", "--exit-code")
    assert status.code == 1, status  # each database reachable; the broken one has one pending
    pending = [d["pending"] for d in json.loads(status.out)["databases"]]
    assert pending == [0, 0, 0, 1, 0, 0]


def test_concurrency_eight_is_faster_on_postgresql(
    tmp_path: Path, migrations: MigrationsDir, dropped: list[str]
) -> None:
    """Eight PostgreSQL databases whose migrations wait on the server (as a migration that
    rewrites a table does): at concurrency 8 they wait together."""
    migrations.add("1", "t1", "CREATE TABLE t1 (id INTEGER);", "DROP TABLE t1;")
    migrations.add("2", "wait", "SELECT pg_sleep(0.6);", "SELECT 1;")
    migrations.add("3", "t3", "CREATE TABLE t3 (id INTEGER);", "DROP TABLE t3;")
    urls = [fresh_url("postgresql", tmp_path) for _ in range(8)]
    dropped.extend(urls)
    broken = urls[5]
    directory = str(migrations)

    async def prepare() -> None:
        created = await run_many(schemactl.create, urls, concurrency=8)
        assert created.failed == 0
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(broken.replace("postgresql://", "postgresql+asyncpg://"))
        async with engine.begin() as connection:
            await connection.execute(text(f"CREATE TABLE {BROKEN_TABLE} (x INTEGER)"))
        await engine.dispose()

    async def timed(concurrency: int) -> float:
        started = time.perf_counter()
        fleet = await schemactl.migrate_many(
            urls, concurrency=concurrency, migrations_dir=directory
        )
        seconds = time.perf_counter() - started
        assert [d.ok for d in fleet.databases] == [u != broken for u in urls]
        assert fleet.databases[5].exit_code == 6
        assert BROKEN_TABLE in str(fleet.databases[5].error)
        for database in fleet.databases:
            if database.ok:
                assert database.result is not None
                assert [m.version for m in database.result.applied] == ["1", "2", "3"]
        back = await schemactl.rollback_many(urls, concurrency=8, to="0", migrations_dir=directory)
        assert back.failed == 0
        return seconds

    async def main() -> tuple[float, float]:
        await prepare()
        return await timed(1), await timed(8)

    one, eight = anyio.run(main)
    # ideally 8x; each run's own start-up (about 0.15 s a database, measured in CI) does not
    # overlap as well as the waits: at least 2x leaves room for a loaded machine
    assert one / eight > 2, (one, eight)
    assert one > 8 * 0.6  # the databases really ran one after another


def test_shards_share_a_fleet(tmp_path: Path, three: MigrationsDir) -> None:
    urls = [fresh_url("sqlite", tmp_path) for _ in range(10)]
    fleet = url_file(tmp_path / "fleet.txt", [*urls, urls[0]])  # a repeat counts once
    cli = Cli(tmp_path)
    runs = cli.many(
        *(
            ("up", "--url-file", str(fleet), "-d", str(three), "--shard", f"{k}/3", "--json")
            for k in (1, 2, 3)
        )
    )
    parts = [[d["url"] for d in json.loads(r.out)["databases"]] for r in runs]
    assert all(r.code == 0 for r in runs), runs
    assert parts == [urls[0::3], urls[1::3], urls[2::3]]  # disjoint, covering
    for url in urls:
        assert "t3" in sqlite_tables(Path(url.removeprefix("sqlite:")))
    empty = cli("status", "--url-file", str(fleet), "-d", str(three), "--shard", "11/12")
    assert empty.code == 0, empty
    assert "holds no database" in empty.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--shard", "1/2"), "--shard applies to --url-file and --schemas"),
        (("--canary", "1"), "--canary applies to --url-file and --schemas"),
        (("--url-file", "missing.txt"), "cannot read the URL file 'missing.txt'"),
        (("--url-file", "fleet.txt", "--shard", "3/2"), "--shard K/N needs 1 <= K <= N"),
        (("--url-file", "fleet.txt", "--url", "sqlite:a.db"), "give --url or --url-file"),
        (("--url-file", "fleet.txt", "--plan-digest", "sha256:00"), "--plan-digest applies"),
    ],
)
def test_fleet_usage_errors_are_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    url_file(tmp_path / "fleet.txt", ["sqlite:a.db"])
    result = Cli(tmp_path)("up", *args)
    assert result.code == 3, result
    assert result.err_lines == [f"error: {message}" + result.err_lines[0].split(message, 1)[1]]
    assert not (tmp_path / "a.db").exists()


def test_a_bar_of_databases_on_a_terminal(tmp_path: Path, three: MigrationsDir) -> None:
    urls = [fresh_url("sqlite", tmp_path) for _ in range(5)]
    fleet = url_file(tmp_path / "fleet.txt", urls)
    code, out, shown = on_a_terminal(
        ["up", "--url-file", str(fleet), "-d", str(three), "-j", "2"], tmp_path
    )
    assert code == 0, shown
    assert "5/5" in shown  # Rich's M of N column: databases, not migrations
    assert "━" in shown
    assert shown.count("applied 3 migrations") == 5  # the lines print above the bar
    assert not LOG_LINE.search(shown)  # no per-migration log lines
    assert out.splitlines()[-1] == "5 ok, 0 failed, 5 in all"


def test_plan_of_a_fleet(tmp_path: Path, three: MigrationsDir) -> None:
    urls = [fresh_url("sqlite", tmp_path) for _ in range(3)]
    cli = Cli(tmp_path)
    for url in urls[:2]:
        assert cli("up", "--url", url, "-d", str(three), "--to", "2").code == 0
    fleet = url_file(tmp_path / "fleet.txt", urls)
    result = cli("plan", "--url-file", str(fleet), "-d", str(three), "--json")
    assert result.code == 5, result  # the third does not exist: plan creates nothing
    document = json.loads(result.out)
    assert (document["ok"], document["failed"]) == (2, 1)
    planned = document["databases"][:2]
    assert [[m["version"] for m in d["migrations"]] for d in planned] == [["3"], ["3"]]
    assert {d["decision"] for d in planned} == {"pass"}
    assert planned[0]["digest"] != planned[1]["digest"]  # a plan is one database's
    assert not Path(urls[2].removeprefix("sqlite:")).exists()
    markdown = cli("plan", "--url-file", str(fleet), "-f", "markdown")
    assert markdown.code == 3, markdown
    assert markdown.err_lines == [
        "error: --format markdown applies to one database: not with --url-file"
    ]
