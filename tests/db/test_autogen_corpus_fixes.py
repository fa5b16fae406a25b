"""Regressions found by the model corpus (``tests/db/test_corpus.py``), one test per cause,
each on every database it applies to."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import functions
from sqlalchemy.sql.compiler import SQLCompiler

import schemactl
from tests.conftest import MigrationsDir

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
    for name, models in (("v1", before), ("v2", after)):
        await schemactl.new(
            name, auto=True, url=db_url, models=models, migrations_dir=str(migrations)
        )
        await schemactl.up(db_url, migrations_dir=str(migrations))
    assert (await schemactl.check(db_url, models=after)).clean
    await schemactl.rollback(db_url, migrations_dir=str(migrations))
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
