"""A schema per tenant on the real PostgreSQL: `--schemas`, `--schemas-from`, `?search_path=`.

Each tenant's migrations run with its schema as the search_path and are recorded in its own
``<schema>.schema_migrations`` (where dbmate, given the same URL, reads them); one tenant
failing stops none of the others; tenants of one database migrate at the same time (each
takes a lock of its own); shards of the listed schemas are disjoint and cover them."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import schemactl
from tests.cli.test_cli import Cli
from tests.conftest import MigrationsDir, drop_quietly, fresh_url
from tests.db.test_dbmate_interop import Dbmate, dbmate_url, query, sqlalchemy_url

TENANTS = ["tenant_a", "Tenant-B", "tenant_c"]  # (one that must be quoted)


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    url = fresh_url("postgresql", tmp_path)
    yield url
    drop_quietly(url)


@pytest.fixture
def three(migrations: MigrationsDir) -> MigrationsDir:
    for n in (1, 2, 3):
        migrations.add(str(n), f"t{n}", f"CREATE TABLE t{n} (id INTEGER);", f"DROP TABLE t{n};")
    return migrations


async def tables_of(url: str) -> set[tuple[str, str]]:
    sql = (
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    )
    return {(s, t) for s, t in await query(url, sql)}


def tables(url: str) -> set[tuple[str, str]]:
    return anyio.run(tables_of, url)


def applied(url: str, schema: str) -> list[str]:
    quoted = '"' + schema.replace('"', '""') + '"'
    sql = f"SELECT version FROM {quoted}.schema_migrations ORDER BY version"
    return [v for (v,) in anyio.run(query, url, sql)]


async def execute(url: str, *statements: str) -> None:
    await schemactl.create(url)
    engine = create_async_engine(sqlalchemy_url(url), poolclass=NullPool)
    async with engine.begin() as connection:
        for sql in statements:
            await connection.exec_driver_sql(sql)
    await engine.dispose()


def run_sql(url: str, *statements: str) -> None:
    anyio.run(execute, url, *statements)


def test_up_in_each_schema_one_broken(tmp_path: Path, pg_url: str, three: MigrationsDir) -> None:
    run_sql(pg_url, 'CREATE SCHEMA "Tenant-B"', 'CREATE TABLE "Tenant-B".t3 (x INTEGER)')
    cli = Cli(tmp_path)
    args = ("up", "--url", pg_url, "--schemas", ",".join(TENANTS), "-d", str(three))
    result = cli(*args, "--json")
    assert result.code == 6, result  # the broken tenant's: its migration failed
    document = json.loads(result.out)
    assert (document["ok"], document["failed"]) == (2, 1)
    assert [d["schema"] for d in document["databases"]] == TENANTS
    assert [d["url"] for d in document["databases"]] == [
        f"{pg_url}?search_path=tenant_a",
        f"{pg_url}?search_path=%22Tenant-B%22",
        f"{pg_url}?search_path=tenant_c",
    ]
    broken = document["databases"][1]
    assert not broken["ok"]
    assert "t3" in broken["error"]
    assert broken["exit_code"] == 6
    for schema in ("tenant_a", "tenant_c"):
        assert applied(pg_url, schema) == ["1", "2", "3"]
    assert applied(pg_url, "Tenant-B") == ["1", "2"]
    found = tables(pg_url)
    assert not {t for s, t in found if s == "public"}  # nothing landed in public
    for schema in ("tenant_a", "tenant_c"):
        assert {t for s, t in found if s == schema} == {"schema_migrations", "t1", "t2", "t3"}
    again = cli(*args)  # the others are up to date; the broken one fails again, in a line
    assert again.code == 6, again
    rows = again.out.splitlines()
    assert [r.split()[1] for r in rows[1:-1]] == ["ok", "FAILED", "ok"]
    assert rows[-1] == "2 ok, 1 failed, 3 in all"


def test_status_rollback_and_shards_of_listed_schemas(
    tmp_path: Path, pg_url: str, three: MigrationsDir
) -> None:
    names = [f"shop_{n}" for n in range(7)]
    cli = Cli(tmp_path)
    created = cli("up", "--url", pg_url, "--schemas", ",".join(names), "-d", str(three), "-j", "4")
    assert created.code == 0, created
    listing = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'shop\\_%'"
    common = ("--url", pg_url, "--schemas-from", listing, "-d", str(three), "--json")
    parts = []
    for k in (1, 2, 3):
        status = cli("status", *common, "--shard", f"{k}/3")
        assert status.code == 0, status
        parts.append([d["schema"] for d in json.loads(status.out)["databases"]])
    assert sorted(s for part in parts for s in part) == names  # disjoint, and they cover it
    assert [len(p) for p in parts] == [3, 2, 2]
    # roll back one tenant only: the others keep every migration
    undone = cli("rollback", "--url", pg_url, "--schemas", "shop_3", "-d", str(three))
    assert undone.code == 0, undone
    status = cli("status", *common)
    pending = {d["schema"]: d["pending"] for d in json.loads(status.out)["databases"]}
    assert pending == {n: (1 if n == "shop_3" else 0) for n in names}
    linted = cli("lint", *common)  # lint reads each tenant's own schema and tracking table
    assert linted.code == 0, linted
    counts = {d["schema"]: len(d["migrations"]) for d in json.loads(linted.out)["databases"]}
    assert counts == pending
    # the query runs read-only: one that writes is refused, and nothing is written
    writing = cli("status", "--url", pg_url, "--schemas-from", "CREATE TABLE x (a int)")
    assert writing.code == 6, writing
    assert "read-only transaction" in writing.out
    assert ("public", "x") not in tables(pg_url)


def test_tenants_of_one_database_migrate_at_the_same_time(
    pg_url: str, migrations: MigrationsDir
) -> None:
    """Each tenant takes a lock of its own: four tenants whose migration takes 0.6 s finish
    at concurrency 4 well before one after another."""
    migrations.add(
        "1", "slow", "SELECT pg_sleep(0.6); CREATE TABLE t (id INTEGER);", "DROP TABLE t;"
    )

    async def run(names: list[str], concurrency: int) -> float:
        started = time.perf_counter()
        fleet = await schemactl.up_many(
            [pg_url], schemas=names, concurrency=concurrency, migrations_dir=str(migrations)
        )
        assert fleet.failed == 0, [d.error for d in fleet.databases]
        assert [d.schema for d in fleet.databases] == names
        return time.perf_counter() - started

    anyio.run(schemactl.create, pg_url)
    one_by_one = anyio.run(run, [f"serial_{n}" for n in range(4)], 1)
    together = anyio.run(run, [f"parallel_{n}" for n in range(4)], 4)
    assert one_by_one >= 2.4
    assert together * 2 < one_by_one, (together, one_by_one)


@pytest.mark.anyio
async def test_a_search_path_url_is_dbmates(
    tmp_path: Path, pg_url: str, three: MigrationsDir
) -> None:
    """`?search_path=` as dbmate reads it: the first schema holds the tracking table (created
    when missing), the path is every connection's; dbmate sees what schemactl applied."""
    url = f"{pg_url}?search_path=billing,public"
    result = await schemactl.up(url, migrations_dir=str(three), to="2")
    assert [m.version for m in result.applied] == ["1", "2"]
    found = await tables_of(pg_url)
    assert {t for s, t in found if s == "billing"} == {"schema_migrations", "t1", "t2"}
    assert not {t for s, t in found if s == "public"}
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    dbmate = Dbmate(dbmate_url(url), three, workdir)
    files, code = await dbmate.status()
    assert (files, code) == ({"1_t1.sql": True, "2_t2.sql": True, "3_t3.sql": False}, 1)
    await dbmate.ok("up")  # and schemactl sees what dbmate applied
    assert (await schemactl.status(url, migrations_dir=str(three))).pending == ()
    assert ("billing", "t3") in await tables_of(pg_url)


@pytest.mark.anyio
async def test_dump_of_a_search_path_url_is_its_schemas(
    tmp_path: Path, pg_url: str, three: MigrationsDir
) -> None:
    """As dbmate dumps it (pg_dump --schema for each entry), through pg_dump and built in: the
    path's schemas only, no other tenant's, no extension; each dump loads into an empty
    database that is then up to date in that schema."""
    await execute(pg_url, "CREATE EXTENSION citext", "CREATE TABLE public.shared (id INTEGER)")
    acme, tenant_b = f"{pg_url}?search_path=acme", f'{pg_url}?search_path="Tenant-B",public'
    await schemactl.up(acme, migrations_dir=str(three))
    await schemactl.up(tenant_b, migrations_dir=str(three), to="2")
    expected = {
        acme: {"acme.t1", "acme.t2", "acme.t3", "acme.schema_migrations"},
        tenant_b: {'"Tenant-B".t1', '"Tenant-B".t2', '"Tenant-B".schema_migrations'}
        | {"public.shared"},
    }
    for url, tables_dumped in expected.items():
        for builtin in (True, False):
            schema_file = tmp_path / f"{len(tables_dumped)}-{builtin}.sql"
            result = await schemactl.dump(url, schema_file=schema_file, builtin=builtin)
            assert result.tool == ("builtin" if builtin else "pg_dump")
            dumped = schema_file.read_text()
            assert set(re.findall(r"^CREATE TABLE (\S+) \(", dumped, re.M)) == tables_dumped
            assert "EXTENSION" not in dumped
            target = fresh_url("postgresql", tmp_path)
            try:
                await schemactl.load(target + url.removeprefix(pg_url), schema_file=schema_file)
                status = await schemactl.status(
                    target + url.removeprefix(pg_url), migrations_dir=str(three)
                )
                assert [m.version for m in status.pending] == ([] if url == acme else ["3"])
            finally:
                await schemactl.drop(target)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--url", "sqlite:x.db", "--schemas", "a"), "a schema per tenant is PostgreSQL's"),
        (("--schemas", "a", "--schemas-from", "SELECT 'a'"), "not both"),
        (("--schemas", "a,,b"), "--schemas must be names separated by commas"),
        (("--schemas", "a", "--plan-digest", "sha256:" + "0" * 64), "not with --schemas"),
    ],
)
def test_tenant_mistakes_are_one_line(
    tmp_path: Path, pg_url: str, args: tuple[str, ...], message: str
) -> None:
    cli = Cli(tmp_path)
    given = args if "--url" in args else ("--url", pg_url, *args)
    result = cli("up", *given)
    assert result.code == 3, result
    assert result.err_lines == [f"error: {result.err_lines[0].removeprefix('error: ')}"]
    assert message in result.err


def test_a_malformed_search_path_is_one_line(
    tmp_path: Path, pg_url: str, three: MigrationsDir
) -> None:
    for value in ("a,,b", '"unclosed', "a,%20,b"):
        url = f"{pg_url}?search_path={value}"
        result = Cli(tmp_path)("status", "--url", url, "-d", str(three))
        assert result.code == 3, result
        assert len(result.err_lines) == 1, result
        assert "search_path" in result.err, result


@pytest.mark.anyio
async def test_a_tenant_schema_the_role_may_not_create_is_one_line(
    pg_url: str, three: MigrationsDir
) -> None:
    """A role without CREATE on the database cannot make a missing tenant schema: the error
    names the tracking table and the server's reason; a schema made for it by its owner works."""
    from tests.db.test_foreign_tables import run_sql as as_owner
    from tests.db.test_privileges import limited_login

    await schemactl.create(pg_url)
    async with limited_login(pg_url, "postgresql") as login:
        with pytest.raises(schemactl.ConfigurationError) as refused:
            await schemactl.up(f"{login}?search_path=acme", migrations_dir=str(three))
        message = str(refused.value)
        assert message.startswith("cannot create the tracking table 'acme.schema_migrations': ")
        assert "permission denied" in message
        assert "\n" not in message
        user = login.split("//", 1)[1].split("@", 1)[0]
        await as_owner(pg_url, f"CREATE SCHEMA acme AUTHORIZATION {user}")
        result = await schemactl.up(f"{login}?search_path=acme", migrations_dir=str(three))
        assert [m.version for m in result.applied] == ["1", "2", "3"]
        await as_owner(pg_url, "DROP SCHEMA acme CASCADE")


@pytest.mark.anyio
async def test_autogenerate_compares_in_the_tenant_schema(
    pg_url: str, three: MigrationsDir
) -> None:
    """The models against one tenant's schema: its tables (not public's, not another
    tenant's), its tracking table left out, and the result names the search path."""
    from sqlalchemy import Column, Integer, MetaData, Table

    await schemactl.up(f"{pg_url}?search_path=other", migrations_dir=str(three))
    url = f"{pg_url}?search_path=billing"
    await schemactl.up(url, migrations_dir=str(three), to="2")
    metadata = MetaData()
    for name in ("t1", "t2", "t3"):
        Table(name, metadata, Column("id", Integer))
    result = await schemactl.check(
        url, models=metadata, migrations_dir=str(three), allow_pending=True
    )
    assert result.database is not None
    assert result.database.endswith("?search_path=billing")
    assert [(c.kind, c.table) for c in result.changes] == [("add_table", "t3")]


def test_a_failed_canary_tenant_stops_the_others(
    tmp_path: Path, pg_url: str, three: MigrationsDir
) -> None:
    """`--canary 1`: the first tenant runs alone first; it fails, so no other tenant is
    touched (their schemas are not even created); fixed, the next run migrates them all."""
    run_sql(pg_url, "CREATE SCHEMA alpha", "CREATE TABLE alpha.t2 (x INTEGER)")
    cli = Cli(tmp_path)
    args = ("up", "--url", pg_url, "--schemas", "alpha,beta,gamma", "-d", str(three))
    result = cli(*args, "--canary", "1", "--json")
    assert result.code == 6, result
    entries = json.loads(result.out)["databases"]
    assert [(d["schema"], d["ok"], d["skipped"]) for d in entries] == [
        ("alpha", False, False),
        ("beta", False, True),
        ("gamma", False, True),
    ]
    assert entries[1]["error"] == f"not run: the canary {pg_url}?search_path=alpha failed"
    assert {s for s, _ in tables(pg_url)} == {"alpha"}
    assert applied(pg_url, "alpha") == ["1"]
    run_sql(pg_url, "DROP TABLE alpha.t2")
    again = cli(*args, "--canary", "1")
    assert again.code == 0, again
    assert again.out.splitlines()[-1] == "3 ok, 0 failed, 3 in all"
    for schema in ("alpha", "beta", "gamma"):
        assert applied(pg_url, schema) == ["1", "2", "3"]
