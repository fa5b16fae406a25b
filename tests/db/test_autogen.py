"""Autogenerate on each real database: round trips, evolution, determinism, `check`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MigrationsDir, under_seeds

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
MODEL_SETS = ["tests.models.blog_v1", "tests.models.shop", "tests.models.tree"]


async def leftovers(url: str) -> tuple[set[str], set[str]]:
    """Tables, and PostgreSQL enum types, left in the database."""
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            enums: set[str] = set()
            if conn.dialect.name == "postgresql":
                result = await conn.execute(text("SELECT typname FROM pg_type WHERE typtype = 'e'"))
                enums = {row[0] for row in result}
    finally:
        await engine.dispose()
    return tables, enums


async def generate(url: str, models: str, migrations: MigrationsDir, name: str) -> Path | None:
    result = await schemactl.new(
        name, auto=True, url=url, models=models, migrations_dir=str(migrations)
    )
    return result.path


@pytest.mark.parametrize("models", MODEL_SETS)
async def test_round_trip(db_url: str, models: str, migrations: MigrationsDir) -> None:
    await schemactl.create(db_url)
    path = await generate(db_url, models, migrations, "initial")
    assert path is not None
    content = path.read_text()
    assert content.startswith("-- migrate:up\n-- Auto-generated migration: initial\n")
    assert "\n-- migrate:down\n-- Rollback: initial\n" in content

    applied = await schemactl.up(db_url, migrations_dir=str(migrations))
    assert len(applied.applied) == 1
    check = await schemactl.check(db_url, models=models, migrations_dir=str(migrations))
    assert check.clean, [c.detail for c in check.changes]
    assert await generate(db_url, models, migrations, "again") is None  # nothing written
    assert len(list(migrations.path.iterdir())) == 1

    await schemactl.rollback(db_url, migrations_dir=str(migrations))
    tables, enums = await leftovers(db_url)
    assert tables == {"schema_migrations"}
    assert enums == set()


async def test_evolution(db_url: str, migrations: MigrationsDir) -> None:
    await schemactl.create(db_url)
    assert await generate(db_url, "tests.models.blog_v1", migrations, "v1")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    v1 = max(p.name.split("_")[0] for p in migrations.path.iterdir())

    result = await schemactl.new(
        "v2", auto=True, url=db_url, models="tests.models.blog_v2", migrations_dir=str(migrations)
    )
    kinds = {change.kind for change in result.changes}
    assert {"add_table", "drop_table", "add_column", "drop_column", "alter_column"} <= kinds
    assert "add_index" in kinds
    assert any(kind.startswith("add_foreign") for kind in kinds), kinds
    assert any(c.destructive and c.kind == "drop_column" for c in result.changes)
    assert result.path is not None
    assert "-- WARNING: destructive" in result.path.read_text()

    await schemactl.up(db_url, migrations_dir=str(migrations))
    check = await schemactl.check(
        db_url, models="tests.models.blog_v2", migrations_dir=str(migrations)
    )
    assert check.clean, [c.detail for c in check.changes]

    await schemactl.rollback(db_url, migrations_dir=str(migrations), to=v1)  # every v2 file
    check = await schemactl.check(
        db_url, models="tests.models.blog_v1", migrations_dir=str(migrations), allow_pending=True
    )
    assert check.clean, [c.detail for c in check.changes]


async def test_check_reports_drift(db_url: str, migrations: MigrationsDir) -> None:
    await schemactl.create(db_url)
    await generate(db_url, "tests.models.blog_v1", migrations, "v1")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    check = await schemactl.check(
        db_url, models="tests.models.blog_v2", migrations_dir=str(migrations)
    )
    assert not check.clean
    details = "\n".join(c.detail for c in check.changes)
    assert "+ table" in details
    assert "- column users.nickname" in details


async def test_rename_is_flagged(db_url: str, migrations: MigrationsDir) -> None:
    from sqlalchemy import Column, Integer, MetaData, String, Table

    await schemactl.create(db_url)
    before = MetaData()
    Table("people", before, Column("id", Integer, primary_key=True), Column("name", String(50)))
    after = MetaData()
    Table("people", after, Column("id", Integer, primary_key=True), Column("full_name", String(50)))
    await schemactl.new("v1", auto=True, url=db_url, models=before, migrations_dir=str(migrations))
    await schemactl.up(db_url, migrations_dir=str(migrations))
    result = await schemactl.new(
        "rename", auto=True, url=db_url, models=after, migrations_dir=str(migrations), dry_run=True
    )
    assert result.path is None
    assert "drops name and adds full_name: if that is a rename" in result.up_sql


def runs_of_new(url: str, migrations: Path, seeds: tuple[str, ...]) -> list[dict[str, object]]:
    """`new --auto --dry-run --json` to blog_v2 under each PYTHONHASHSEED (at the same time)."""
    command = [
        sys.executable, "-m", "schemactl", "new", "--auto", "--dry-run", "--json",
        "--models", "tests.models.blog_v2", "--url", url, "-d", str(migrations), "evolve",
    ]  # fmt: skip
    return [json.loads(out) for out in under_seeds(command, seeds, cwd=ROOT)]


async def test_output_is_deterministic(db_url: str, migrations: MigrationsDir) -> None:
    """Byte-identical SQL under any PYTHONHASHSEED, and nothing run-specific inside it."""
    await schemactl.create(db_url)
    await generate(db_url, "tests.models.blog_v1", migrations, "v1")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    outputs = runs_of_new(db_url, migrations.path, ("0", "1", "2", "3"))
    first = outputs[0]
    assert first["up_sql"]
    assert first["down_sql"]
    for other in outputs[1:]:
        assert other["up_sql"] == first["up_sql"]
        assert other["down_sql"] == first["down_sql"]
    database = to_sqlalchemy_url(db_url).database or ""
    assert Path(database).name not in str(first["up_sql"]) + str(first["down_sql"])


def dropping(full: bool) -> MetaData:
    """With ``full``: five columns and seven tables (a chain of foreign keys and two on their
    own) that the models without it drop, so that the down section adds and creates them
    back; in the database's order, these are easily shuffled."""
    metadata = MetaData()
    extra = [Column(f"c{i}", String(10)) for i in range(5)] if full else []
    Table("kept", metadata, Column("id", Integer, primary_key=True), *extra)
    if full:
        for i in range(5):
            parent = [ForeignKey(f"chain_{i - 1}.id")] if i else []
            Table(
                f"chain_{i}",
                metadata,
                Column("id", Integer, primary_key=True),
                Column("parent_id", Integer, *parent, index=True),
            )
        for name in ("lone_b", "lone_a"):
            Table(name, metadata, Column("id", Integer, primary_key=True))
    return metadata


async def dropping_diff(url: str) -> list[str]:
    from schemactl.autogen import compare

    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            diff = await compare(conn, dropping(False), migrations_table="schema_migrations")
    finally:
        await engine.dispose()
    return [diff.up_sql, diff.down_sql]


DROPPING_DIFF = """
import asyncio, json, sys
from tests.db.test_autogen import dropping_diff
print(json.dumps(asyncio.run(dropping_diff(sys.argv[1]))))
"""


def dropping_diffs(url: str) -> list[list[str]]:
    """DROPPING_DIFF's sections under PYTHONHASHSEED 0, 1 and 2 (at the same time)."""
    outputs = under_seeds([sys.executable, "-c", DROPPING_DIFF, url], ("0", "1", "2"), cwd=ROOT)
    return [json.loads(out) for out in outputs]


def tables_in(sql: str, statement: str) -> list[str]:
    """The dropped tables named in ``statement``s, in order (not "kept", SQLite rebuilds it)."""
    names = (line.split()[2].rstrip(";") for line in sql.splitlines() if line.startswith(statement))
    return [name for name in names if name.startswith(("chain_", "lone_"))]


async def test_down_sections_are_deterministic(db_url: str, migrations: MigrationsDir) -> None:
    """Columns and tables the up section drops come back in one order under any
    PYTHONHASHSEED: columns where they were, tables in the reverse of the order the up
    section drops them in (children first, then by name)."""
    await schemactl.create(db_url)
    engine = create_async_engine(to_sqlalchemy_url(db_url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(dropping(True).create_all)
    finally:
        await engine.dispose()
    outputs = dropping_diffs(db_url)
    assert outputs[1] == outputs[0]
    assert outputs[2] == outputs[0]
    up, down = outputs[0]
    created = tables_in(down, "CREATE TABLE")
    assert created == ["lone_b", "lone_a", "chain_0", "chain_1", "chain_2", "chain_3", "chain_4"]
    assert tables_in(up, "DROP TABLE") == list(reversed(created))
    added = [line for line in down.splitlines() if "ADD COLUMN" in line]
    assert [line.split("ADD COLUMN ")[1].split()[0] for line in added] == [
        f"c{i}" for i in range(5)
    ]

    migrations.add("1", "drop", up, down)
    await schemactl.up(db_url, migrations_dir=str(migrations))
    await schemactl.rollback(db_url, migrations_dir=str(migrations))  # parents exist first
    tables, _ = await leftovers(db_url)
    assert tables >= {"kept", "lone_a", "lone_b", *(f"chain_{i}" for i in range(5))}


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ("tests.models.no_such_module", "no module named 'tests.models.no_such_module'"),
        ("tests.models.broken", "RuntimeError: models exploded"),
        ("tests.models.nothing", "defines no SQLAlchemy MetaData"),
        ("tests.models.several", "defines several MetaData"),
        ("tests.models.blog_v1:Nope", "has no attribute 'Nope'"),
        ("tests/models/missing.py", "no such file"),
    ],
)
async def test_bad_models(models: str, message: str, tmp_path: Path) -> None:
    url = f"sqlite:{tmp_path / 'x.db'}"
    await schemactl.create(url)
    with pytest.raises(schemactl.ConfigurationError) as caught:
        await schemactl.check(url, models=models)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_models_by_path_and_attribute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).parents[2])  # the path below is the checkout's
    url = f"sqlite:{tmp_path / 'x.db'}"
    await schemactl.create(url)
    for spec in ("tests/models/shop.py", "tests.models.shop:Base", "tests.models.shop:metadata"):
        result = await schemactl.check(url, models=spec, migrations_dir=str(tmp_path))
        assert not result.clean  # the empty database lacks every table
        assert {c.kind for c in result.changes} >= {"add_table"}


async def compare_both_ways(url: str, models: str) -> tuple[object, object]:
    from schemactl._models import load_metadata
    from schemactl.autogen import compare

    metadata = load_metadata(models)
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            fast = await compare(conn, metadata, migrations_table="schema_migrations")
            slow = await compare(
                conn, metadata, migrations_table="schema_migrations", skip_unchanged=False
            )
    finally:
        await engine.dispose()
    return fast, slow


@pytest.mark.parametrize(
    ("applied", "target"),
    [
        ("tests.models.blog_v1", "tests.models.blog_v2"),
        ("tests.models.blog_v2", "tests.models.blog_v1"),
        ("tests.models.blog_v1", "tests.models.blog_v1"),
        ("tests.models.shop", "tests.models.shop"),
        ("tests.models.tree", "tests.models.tree"),
    ],
)
async def test_skipping_unchanged_tables_gives_the_same_diff(
    db_url: str, migrations: MigrationsDir, applied: str, target: str
) -> None:
    await schemactl.create(db_url)
    await generate(db_url, applied, migrations, "applied")
    await schemactl.up(db_url, migrations_dir=str(migrations))
    fast, slow = await compare_both_ways(db_url, target)
    assert fast == slow


async def test_unchanged_tables_are_recognised(migrations: MigrationsDir, tmp_path: Path) -> None:
    """The fast path does skip identical tables, and only those (PostgreSQL, the benchmark's
    database)."""
    from sqlalchemy import Column, Integer, String, Table

    from schemactl.autogen.unchanged import unchanged_tables
    from tests.conftest import fresh_url
    from tests.models.wide import build

    url = fresh_url("postgresql", tmp_path)
    wide = build(20)
    try:
        await schemactl.create(url)
        await schemactl.new("wide", auto=True, url=url, models=wide, migrations_dir=str(migrations))
        await schemactl.up(url, migrations_dir=str(migrations))
        changed = build(20)
        changed.remove(changed.tables["wide_0005"])
        Table(
            "wide_0005",
            changed,
            Column("id", Integer, primary_key=True),
            Column("name", String(200)),
        )
        engine = create_async_engine(to_sqlalchemy_url(url))
        try:
            async with engine.connect() as conn:
                same = await conn.run_sync(unchanged_tables, wide, {None})
                some = await conn.run_sync(unchanged_tables, changed, {None})
        finally:
            await engine.dispose()
        assert len(same) == 20
        assert (None, "wide_0005") not in some
        assert len(some) == 19
    finally:
        await schemactl.drop(url)


async def test_other_schemas_are_ignored_unless_included(tmp_path: Path) -> None:
    from tests.conftest import fresh_url

    url = fresh_url("postgresql", tmp_path)
    try:
        await schemactl.create(url)
        engine = create_async_engine(to_sqlalchemy_url(url))
        try:
            async with engine.begin() as conn:
                await conn.execute(text("CREATE SCHEMA audit"))
                await conn.execute(text("CREATE TABLE audit.events (id integer primary key)"))
        finally:
            await engine.dispose()
        from sqlalchemy import MetaData

        where = str(tmp_path / "migrations")
        assert (await schemactl.check(url, models=MetaData(), migrations_dir=where)).clean
        wider = await schemactl.check(
            url, models=MetaData(), include_schemas=True, migrations_dir=where
        )
        assert [(c.kind, c.table) for c in wider.changes] == [("drop_table", "events")]
    finally:
        await schemactl.drop(url)
