"""Regressions found by the model corpus (``tests/db/test_corpus.py``), one test per cause,
each on every database it applies to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    inspect,
    text,
)
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import functions
from sqlalchemy.sql.compiler import SQLCompiler

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MigrationsDir, fresh_url, latest_version

pytestmark = pytest.mark.anyio


def _items(*, with_tag: bool) -> MetaData:
    metadata = MetaData()
    Table("items", metadata, Column("id", Integer, primary_key=True), Column("name", String(40)))
    if with_tag:
        Table("tags", metadata, Column("id", Integer, primary_key=True))
        metadata.tables["items"].append_column(Column("tag_id", Integer, ForeignKey("tags.id")))
    return metadata


async def test_foreign_key_on_a_new_column_rolls_back(
    db_url: str, migrations: MigrationsDir
) -> None:
    """Corpus: PowerDNS-Admin on MariaDB. A foreign key on a column the same migration adds
    to an existing table: going down, dropping the column drops the index MariaDB made for
    the foreign key, so the down section must not drop that index again (it did: 1091,
    "Can't DROP INDEX `items_tag_id_fkey`")."""
    before, after = _items(with_tag=False), _items(with_tag=True)
    await schemactl.create(db_url)
    versions = []
    for name, models in (("v1", before), ("v2", after)):
        versions.append(latest_version(migrations))
        await schemactl.new(
            name, auto=True, url=db_url, models=models, migrations_dir=str(migrations)
        )
        await schemactl.up(db_url, migrations_dir=str(migrations))
    assert (await schemactl.check(db_url, models=after)).clean
    # every file of v2 (PostgreSQL validates the foreign key in a file of its own)
    await schemactl.rollback(db_url, migrations_dir=str(migrations), to=versions[1])
    check = await schemactl.check(db_url, models=before)
    assert check.clean, [c.detail for c in check.changes]


class Seven(functions.FunctionElement[int]):
    """A server default compiled per dialect only, with no generic form (like Prefect's
    ``GenerateUUID``)."""

    name = "seven"
    inherit_cache = True


@compiles(Seven, "postgresql")
@compiles(Seven, "mysql")
@compiles(Seven, "sqlite")
def _seven(element: Seven, compiler: SQLCompiler, **kw: Any) -> str:
    return "(7)"


def _counter(default: Any) -> MetaData:
    metadata = MetaData()
    Table(
        "counters",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("n", Integer, nullable=False, server_default=default),
    )
    return metadata


async def test_a_default_without_a_generic_form_is_described(
    db_url: str, migrations: MigrationsDir
) -> None:
    """Corpus: Prefect. Describing a changed server default compiled per dialect only raised
    ``UnsupportedCompilationError`` (an internal error) instead of naming it."""
    await schemactl.create(db_url)
    await schemactl.new(
        "v1", auto=True, url=db_url, models=_counter(text("1")), migrations_dir=str(migrations)
    )
    await schemactl.up(db_url, migrations_dir=str(migrations))
    check = await schemactl.check(db_url, models=_counter(Seven()))
    assert [c.detail for c in check.changes] == ["~ column counters.n: default Seven()"]


def _documents() -> MetaData:
    metadata = MetaData()
    documents = Table(
        "documents",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("title", String(100)),
        Column("body", String(100)),
    )
    Index("ix_documents_title", documents.c.title).ddl_if(dialect="postgresql")
    # a tuple of names works at run time (DDLIf checks it), though typed ``str | None``
    Index("ix_documents_body", documents.c.body).ddl_if(dialect=("mysql", "sqlite"))  # type: ignore[arg-type]
    return metadata


async def test_indexes_for_other_databases_are_left_out(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    """Corpus: Prefect on SQLite. An index made only on some databases
    (``.ddl_if(dialect=...)``) was created on all of them, and ``check`` wanted it there;
    ``create_all`` makes it only on those."""
    models = _documents()
    await schemactl.create(db_url)
    await schemactl.new("v1", auto=True, url=db_url, models=models, migrations_dir=str(migrations))
    await schemactl.up(db_url, migrations_dir=str(migrations))
    check = await schemactl.check(db_url, models=models)
    assert check.clean, [c.detail for c in check.changes]
    engine = create_async_engine(to_sqlalchemy_url(db_url))
    try:
        async with engine.connect() as conn:
            indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("documents"))
    finally:
        await engine.dispose()
    expected = "ix_documents_title" if dialect == "postgresql" else "ix_documents_body"
    assert [i["name"] for i in indexes] == [expected]


def _runs(*, with_index: bool) -> MetaData:
    metadata = MetaData()
    runs = Table(
        "runs",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("start_time", Integer),
        Column("expected_start_time", Integer),
    )
    if with_index:
        Index("ix_runs_coalesce", func.coalesce(runs.c.start_time, runs.c.expected_start_time))
    return metadata


async def index_names(url: str, table: str) -> set[str]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            rows = await conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
            )
            return {row[0] for row in rows}
    finally:
        await engine.dispose()


async def test_sqlite_expression_indexes_are_created(
    tmp_path: Path, migrations: MigrationsDir
) -> None:
    """Corpus: Prefect on SQLite. SQLAlchemy cannot reflect SQLite's expression-based indexes,
    so Alembic skipped them on both sides: a new table came without its ``coalesce()`` index
    (``create_all`` makes it), and so did an index added later. Now both are created, and
    the down section drops the one added to an existing table."""
    url = fresh_url("sqlite", tmp_path)
    await schemactl.create(url)
    await schemactl.new(
        "v1", auto=True, url=url, models=_runs(with_index=True), migrations_dir=str(migrations)
    )
    await schemactl.up(url, migrations_dir=str(migrations))
    assert "ix_runs_coalesce" in await index_names(url, "runs")
    assert (await schemactl.check(url, models=_runs(with_index=True))).clean

    await schemactl.rollback(url, migrations_dir=str(migrations), to="0")
    (migrations.path / next(iter(p.name for p in migrations.path.iterdir()))).unlink()
    await schemactl.new(
        "v1", auto=True, url=url, models=_runs(with_index=False), migrations_dir=str(migrations)
    )
    await schemactl.up(url, migrations_dir=str(migrations))
    result = await schemactl.new(
        "v2", auto=True, url=url, models=_runs(with_index=True), migrations_dir=str(migrations)
    )
    assert [c.detail for c in result.changes] == ["+ index ix_runs_coalesce on runs"]
    await schemactl.up(url, migrations_dir=str(migrations))
    assert "ix_runs_coalesce" in await index_names(url, "runs")
    await schemactl.rollback(url, migrations_dir=str(migrations))
    assert "ix_runs_coalesce" not in await index_names(url, "runs")
