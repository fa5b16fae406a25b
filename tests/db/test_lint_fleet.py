"""`lint --url-file` and `schemactl.lint_many` on the real servers: five databases of
PostgreSQL, MariaDB and SQLite, one of them missing (it alone fails, and is not created), one
with a blocking finding pending (exit 1 once every database is reachable); shards disjoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

import schemactl
from schemactl._fleet import run_many
from tests.cli.test_cli import Cli
from tests.conftest import MigrationsDir, fresh_url, server

SECRET = "L1nt-Fl33t-Pw"


@pytest.fixture
def fleet(tmp_path: Path, migrations: MigrationsDir) -> Iterator[list[str]]:
    """[PostgreSQL (a password in its URL: the test server trusts, the URL shows it), MariaDB
    with the second migration pending (it drops a column: DS102, blocking), SQLite, MariaDB,
    SQLite]: every database but the second up to date."""
    migrations.add(
        "1", "users", "CREATE TABLE users (id integer PRIMARY KEY, name varchar(20));", "-- x"
    )
    migrations.add("2", "drop_name", "ALTER TABLE users DROP COLUMN name;", "-- x")
    pg = server("postgresql")
    name = fresh_url("postgresql", tmp_path).rsplit("/", 1)[1]
    urls = [f"postgresql://{pg.username}:{SECRET}@{pg.hostname}:{pg.port}/{name}"]
    urls += [fresh_url("mysql", tmp_path), fresh_url("sqlite", tmp_path)]
    urls += [fresh_url("mysql", tmp_path), fresh_url("sqlite", tmp_path)]

    async def prepare() -> None:
        for url in urls:
            await schemactl.up(
                url, migrations_dir=migrations.path, to=None if url != urls[1] else "1"
            )

    try:
        anyio.run(prepare)
        yield urls
    finally:

        async def drop() -> None:
            await run_many(schemactl.drop, [u for u in urls if not u.startswith("sqlite")])

        anyio.run(drop)


def write_urls(path: Path, urls: list[str]) -> Path:
    path.write_text("# the fleet\n\n" + "".join(f"{u}\n" for u in urls), encoding="utf-8")
    return path


def test_lint_a_fleet_one_missing_one_blocking(tmp_path: Path, fleet: list[str]) -> None:
    missing = fresh_url("postgresql", tmp_path)  # never created
    shown = [u.replace(SECRET, "***") for u in fleet]
    urls = write_urls(tmp_path / "urls.txt", [*fleet[:3], missing, *fleet[3:]])
    cli = Cli(tmp_path)

    result = cli("lint", "--url-file", str(urls), "--json", "-j", "3")

    assert result.code == 5, result  # the missing database's: it alone failed
    assert SECRET not in result.output
    document = json.loads(result.out)
    assert (document["ok"], document["failed"]) == (5, 1)
    entries = document["databases"]
    assert [d["url"] for d in entries] == [*shown[:3], missing, *shown[3:]]
    assert [d["ok"] for d in entries] == [True, True, True, False, True, True]
    assert "does not exist" in entries[3]["error"]
    assert entries[3]["exit_code"] == 5
    linted = [d for d in entries if d["ok"]]
    assert {d["format"] for d in linted} == {"schemactl.lint/1"}  # each its own lint document
    assert [d["dialect"] for d in linted] == ["postgresql", "mysql", "sqlite", "mysql", "sqlite"]
    assert [d["summary"]["blocking"] for d in linted] == [0, 1, 0, 0, 0]
    blocking = [f for f in entries[1]["findings"] if f["rule"] == "DS102"]
    assert [(f["file"], f["severity"]) for f in blocking] == [
        ("migrations/2_drop_name.sql", "error")
    ]
    assert [[m["version"] for m in d["migrations"]] for d in linted] == [[], ["2"], [], [], []]

    reachable = write_urls(tmp_path / "reachable.txt", fleet)
    text = cli("lint", "--url-file", str(reachable))
    assert text.code == 1, text  # every database linted; one has a blocking finding
    rows = text.out.splitlines()
    assert rows[0].split() == ["DATABASE", "RESULT", "DETAIL"]
    assert [row.split()[:2] for row in rows[1:-1]] == [[u, "ok"] for u in shown]
    assert "1 pending, 1 blocking (DS102), risk " in rows[2]
    assert rows[-1] == "5 ok, 0 failed, 5 in all"
    assert sorted(line.split()[1] for line in text.err_lines) == sorted(shown)  # as each ends

    sarif = cli("lint", "--url-file", str(reachable), "--format", "sarif")
    assert (sarif.code, sarif.err_lines) == (
        3,
        ["error: --format sarif applies to one database: not with --url-file"],
    )
    offline = cli("lint", "--url-file", str(reachable), "--dialect", "sqlite")
    assert offline.code == 2, offline


def test_lint_fleet_shards_are_disjoint(tmp_path: Path, fleet: list[str]) -> None:
    urls = write_urls(tmp_path / "urls.txt", fleet)
    runs = Cli(tmp_path).many(
        *(("lint", "--url-file", str(urls), "--shard", f"{k}/2", "--json") for k in (1, 2))
    )
    parts = [[d["url"] for d in json.loads(r.out)["databases"]] for r in runs]
    shown = [u.replace(SECRET, "***") for u in fleet]
    assert parts == [shown[0::2], shown[1::2]]  # disjoint, covering
    assert [r.code for r in runs] == [0, 1]  # the blocking one is in the second part


@pytest.mark.anyio
async def test_lint_many_from_python(
    tmp_path: Path, fleet: list[str], migrations: MigrationsDir
) -> None:
    missing = f"sqlite:{tmp_path / 'missing.db'}"
    done: list[str] = []
    result = await schemactl.lint_many(
        [*fleet, missing],
        concurrency=2,
        migrations_dir=migrations.path,
        all=True,
        on_done=lambda database: done.append(database.url),
    )
    assert [d.ok for d in result.databases] == [True] * 5 + [False]
    assert (result.ok, result.failed, result.exit_code) == (5, 1, 5)
    assert sorted(done) == sorted(d.url for d in result.databases)
    assert not (tmp_path / "missing.db").exists()  # linting creates nothing
    for database in result.databases[:5]:
        assert database.result is not None
        assert [m.version for m in database.result.migrations] == ["1", "2"]  # all=True
        assert [f.rule for f in database.result.blocking] == ["DS102"]
