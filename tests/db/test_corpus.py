"""Autogenerate on five real model sets (``tests/models/corpus/``), on each database they support.

Each case runs the whole chain: generate on an empty database, apply, ``check`` clean, a
second generate writes nothing, the schema equals the one ``metadata.create_all`` makes on
another fresh database, a rollback to version 0 leaves only the tracking table, and an
evolution round trip (a table gains a column with a server default, an index and an unnamed
foreign key to a new table, and loses a column, with rows in the tables) applies, checks clean
and rolls back to the same schema with the rows still there.
"""

from __future__ import annotations

import datetime
import difflib
import importlib.util
import json
import pprint
import re
import sys
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.schema import ColumnCollectionConstraint

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MigrationsDir, drop_quietly, fresh_url

pytestmark = pytest.mark.anyio
CORPUS = Path(__file__).resolve().parents[1] / "models" / "corpus"
TRACKING = "schema_migrations"


@dataclass(frozen=True)
class CorpusSet:
    """A model set, the databases it supports, and how its evolution round trip goes."""

    name: str
    dialects: tuple[str, ...]
    evolve: str  # the table that gains and loses columns
    drop: str  # the (nullable) column it loses
    fill: tuple[str, ...]  # tables given rows before the evolution, parents first


SETS = (
    CorpusSet(
        "powerdns_admin", ("sqlite", "postgresql", "mysql"), "domain", "master", ("role", "domain")
    ),
    CorpusSet("bodhi", ("sqlite", "postgresql"), "users", "email", ("groups", "users")),
    CorpusSet("redash", ("postgresql",), "events", "object_id", ("organizations", "events")),
    CorpusSet("ckan", ("postgresql",), "system_info", "value", ("vocabulary", "system_info")),
    CorpusSet("prefect", ("sqlite", "postgresql"), "flow", "labels", ("csrf_token", "flow")),
)
CASES = [
    pytest.param(corpus, dialect, id=f"{corpus.name}-{dialect}")
    for corpus in SETS
    for dialect in corpus.dialects
]


def load(name: str) -> sa.MetaData:
    """A fresh copy of a corpus module's ``MetaData``: the module runs again, under its own
    name, so editing the copy leaves the imported models (and the other tests) alone."""
    spec = importlib.util.spec_from_file_location(
        f"corpus_copy_{name}_{uuid.uuid4().hex}", CORPUS / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # declarative resolves ``Mapped[...]`` annotations through sys.modules while the classes
    # are made; the entry goes once they are
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    metadata = module.metadata
    assert isinstance(metadata, sa.MetaData)
    return metadata


@pytest.fixture
def fresh() -> Iterator[list[str]]:
    """URLs made by the test (``fresh_url`` names), all dropped afterwards."""
    urls: list[str] = []
    yield urls
    for url in urls:
        drop_quietly(url)


# --- the schema as the database reports it -------------------------------------------------


def _names_in(metadata: sa.MetaData) -> set[str]:
    """Constraint names the models give (explicitly or through a naming convention): only
    those are compared; the others are the server's choice."""
    names: set[str] = set()
    for table in metadata.tables.values():
        names.update(str(c.name) for c in table.constraints if isinstance(c.name, str))
    return names


def _squash(text: str | None) -> str | None:
    # SQLite keeps CHECK text and defaults exactly as the CREATE TABLE wrote them: only runs of
    # whitespace are made one space (two renderings of one expression may wrap differently).
    return None if text is None else re.sub(r"\s+", " ", text).strip()


def _table_shape(inspector: Any, table: str, named: set[str]) -> dict[str, Any]:
    dialect = inspector.dialect
    columns = {
        c["name"]: (
            str(c["type"].compile(dialect=dialect)),
            c["nullable"],
            _squash(c.get("default")),
        )
        for c in inspector.get_columns(table)
    }
    pk = inspector.get_pk_constraint(table)
    fks = sorted(
        (
            tuple(fk["constrained_columns"]),
            fk["referred_table"],
            tuple(fk["referred_columns"]),
            json.dumps(fk.get("options") or {}, sort_keys=True),
            fk["name"] if fk.get("name") in named else None,
        )
        for fk in inspector.get_foreign_keys(table)
    )
    with warnings.catch_warnings():
        # SQLite's unique constraints are read through its indexes, and SQLAlchemy warns
        # about the expression-based ones it skips: those are compared below, as SQL
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        uniques = sorted(
            (tuple(u["column_names"]), u["name"] if u.get("name") in named else None)
            for u in inspector.get_unique_constraints(table)
        )
    if dialect.name == "sqlite":
        # SQLAlchemy cannot reflect SQLite's expression-based indexes (it warns and skips
        # them): read each index as SQLite keeps it, its CREATE INDEX statement
        rows = inspector.bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL",
            (table,),
        )
        indexes = sorted(str(_squash(row[0])) for row in rows)
    else:
        indexes = sorted(
            json.dumps(
                {
                    k: v
                    for k, v in ix.items()
                    if k not in ("duplicates_constraint", "include_columns")
                },
                sort_keys=True,
                default=str,
            )
            for ix in inspector.get_indexes(table)
            if "duplicates_constraint" not in ix
        )
    checks = sorted(
        (c["name"] if c.get("name") in named else None, _squash(c["sqltext"]))
        for c in inspector.get_check_constraints(table)
    )
    return {
        "columns": columns,
        "primary_key": tuple(pk["constrained_columns"]),
        "foreign_keys": fks,
        "unique": uniques,
        "indexes": indexes,
        "checks": checks,
    }


def _enums(inspector: Any) -> list[Any]:
    """PostgreSQL's enum types (``PGInspector.get_enums``)."""
    enums: list[Any] = inspector.get_enums()
    return enums


def _shape(conn: Connection, named: set[str]) -> dict[str, Any]:
    inspector = sa.inspect(conn)
    shape: dict[str, Any] = {
        table: _table_shape(inspector, table, named)
        for table in sorted(inspector.get_table_names())
        if table != TRACKING
    }
    if conn.dialect.name == "postgresql":
        shape["<enums>"] = sorted((e["name"], tuple(e["labels"])) for e in _enums(inspector))
    return shape


async def shape_of(url: str, metadata: sa.MetaData) -> dict[str, Any]:
    """Tables, columns (type as the server reports it, nullability, default), keys, unique
    constraints, indexes, check constraints and PostgreSQL enum types of a live database."""
    named = _names_in(metadata)
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_shape, named)
    finally:
        await engine.dispose()


def assert_same_shape(got: dict[str, Any], expected: dict[str, Any], what: str) -> None:
    """Equal, or an assertion that shows a unified diff of the two shapes."""
    if got != expected:
        diff = difflib.unified_diff(
            pprint.pformat(expected, width=120).splitlines(),
            pprint.pformat(got, width=120).splitlines(),
            "expected",
            "got",
            lineterm="",
        )
        pytest.fail(f"{what}:\n" + "\n".join(diff))


async def table_names(url: str) -> tuple[set[str], set[str]]:
    """Tables, and PostgreSQL enum types, in the database."""
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:

            def read(c: Connection) -> tuple[set[str], set[str]]:
                inspector = sa.inspect(c)
                enums = set()
                if c.dialect.name == "postgresql":
                    enums = {e["name"] for e in _enums(inspector)}
                return set(inspector.get_table_names()), enums

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def create_all(url: str, metadata: sa.MetaData) -> None:
    await schemactl.create(url)
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()


# --- rows ----------------------------------------------------------------------------------


def _value(column: sa.Column[Any], i: int, conn: Connection) -> Any:
    """A value for ``column`` in row ``i``, from its type; a parent row's key for a
    foreign key."""
    for fk in column.foreign_keys:
        if column.nullable:
            return None
        target = fk.column
        return conn.execute(sa.select(target).order_by(target).limit(1)).scalar_one()
    kind = column.type
    if isinstance(kind, sa.Enum):
        return next(iter(kind.enum_class)) if kind.enum_class else kind.enums[0]
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.ARRAY):
        return []
    python: type = kind.python_type
    if python is str:
        length = getattr(kind, "length", None) or 50
        return f"r{i}"[:length]
    key = uuid.UUID(int=i + 1)
    zone = datetime.UTC if getattr(kind, "timezone", False) else None
    by_type: dict[type, Any] = {
        bool: i % 2 == 0,
        int: i + 1,
        float: i + 0.5,
        datetime.datetime: datetime.datetime(2024, 1, 1 + i, 12, 0, tzinfo=zone),
        datetime.date: datetime.date(2024, 1, 1 + i),
        datetime.timedelta: datetime.timedelta(seconds=i),
        # a UUID column elsewhere than PostgreSQL is a CHAR(36) variant (Prefect): a string
        uuid.UUID: key if conn.dialect.name == "postgresql" else str(key),
        bytes: b"row",
    }
    return by_type[python]


def _fill(conn: Connection, metadata: sa.MetaData, tables: tuple[str, ...]) -> None:
    """Three rows in each table; columns with a server default or an autoincrement key
    are left to the server."""
    for name in tables:
        table = metadata.tables[name]
        for i in range(3):
            row = {
                c.name: _value(c, i, conn)
                for c in table.columns
                if c.server_default is None and c is not table.autoincrement_column
            }
            conn.execute(table.insert().values(row))


def _rows(conn: Connection, metadata: sa.MetaData, tables: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in tables:
        table = metadata.tables[name]
        key = list(table.primary_key.columns) or list(table.columns)
        rows = conn.execute(sa.select(table).order_by(*key)).mappings().all()
        out[name] = [dict(row) for row in rows]
    return out


async def fill(url: str, metadata: sa.MetaData, tables: tuple[str, ...]) -> None:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_fill, metadata, tables)
    finally:
        await engine.dispose()


async def rows_of(url: str, metadata: sa.MetaData, tables: tuple[str, ...]) -> dict[str, Any]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_rows, metadata, tables)
    finally:
        await engine.dispose()


# --- the evolved copy of the models --------------------------------------------------------


def _rebuilt_without(metadata: sa.MetaData, name: str, drop: str) -> sa.Table:
    """``name`` again, without its column ``drop``. SQLAlchemy has no public way to remove a
    column from a ``Table`` or to copy a ``Column`` (``Column.copy()`` is deprecated for
    ``_copy()``, which ``Table.to_metadata`` itself uses), so this is the one private call."""
    old = metadata.tables[name]
    metadata.remove(old)
    columns = [c._copy() for c in old.columns if c.name != drop]
    table = sa.Table(name, metadata, *columns, schema=old.schema)
    derived = {c.name for c in columns if c.unique}  # remade by the copied columns
    for constraint in old.constraints:
        assert isinstance(constraint, ColumnCollectionConstraint)
        names = [c.name for c in constraint.columns]
        if isinstance(constraint, sa.ForeignKeyConstraint):
            # an attached Column's copy leaves its foreign keys out (to_metadata copies them
            # as constraints): the same here, through the public constructor
            if drop not in names:
                table.append_constraint(
                    sa.ForeignKeyConstraint(
                        names,
                        [element.target_fullname for element in constraint.elements],
                        name=constraint.name,
                        onupdate=constraint.onupdate,
                        ondelete=constraint.ondelete,
                        deferrable=constraint.deferrable,
                        initially=constraint.initially,
                        use_alter=constraint.use_alter,
                        match=constraint.match,
                    )
                )
        elif isinstance(constraint, sa.UniqueConstraint) and not (
            len(names) == 1 and names[0] in derived
        ):
            assert drop not in names, f"{name}.{drop} is in {constraint!r}: choose another"
            table.append_constraint(sa.UniqueConstraint(*names, name=constraint.name))
        elif isinstance(constraint, sa.CheckConstraint) and not any(
            constraint in c.constraints for c in old.columns
        ):
            raise AssertionError(f"{name} has a table-level CHECK: choose another table")
    for index in old.indexes:
        names = [c.name for c in index.columns]
        if len(names) == 1 and old.c[names[0]].index:
            continue  # remade by the copied column's index=True
        assert not index.expressions or all(isinstance(e, sa.Column) for e in index.expressions)
        assert drop not in names, f"{name}.{drop} is in {index!r}: choose another"
        sa.Index(index.name, *(table.c[n] for n in names), unique=index.unique)
    return table


def evolved(corpus: CorpusSet) -> sa.MetaData:
    """A copy of the models where ``corpus.evolve`` gains a column with a server default,
    an index on it and an unnamed foreign key to a new table, and loses ``corpus.drop``."""
    metadata = load(corpus.name)
    extra = sa.Table(
        "corpus_extra",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(40)),
    )
    table = _rebuilt_without(metadata, corpus.evolve, corpus.drop)
    table.append_column(
        sa.Column("corpus_rank", sa.Integer, nullable=False, server_default=sa.text("7"))
    )
    table.append_column(sa.Column("corpus_extra_id", sa.Integer, sa.ForeignKey(extra.c.id)))
    sa.Index(f"ix_corpus_{corpus.evolve}_rank", table.c.corpus_rank)
    return metadata


# --- the test ------------------------------------------------------------------------------


async def _new(url: str, models: sa.MetaData, migrations: MigrationsDir, name: str) -> Path | None:
    result = await schemactl.new(
        name, auto=True, url=url, models=models, migrations_dir=str(migrations)
    )
    return result.path


async def _assert_clean(url: str, models: sa.MetaData) -> None:
    check = await schemactl.check(url, models=models)
    assert check.clean, [c.detail for c in check.changes]


@pytest.mark.parametrize(("corpus", "dialect"), CASES)
async def test_corpus(
    corpus: CorpusSet,
    dialect: str,
    tmp_path: Path,
    migrations: MigrationsDir,
    fresh: list[str],
) -> None:
    url, reference = fresh_url(dialect, tmp_path), fresh_url(dialect, tmp_path)
    fresh.extend([url, reference])
    models = load(corpus.name)
    await schemactl.create(url)

    # generate on an empty database, apply, check clean, nothing left to generate
    assert await _new(url, models, migrations, "initial") is not None
    await schemactl.up(url, migrations_dir=str(migrations))
    await _assert_clean(url, models)
    assert await _new(url, models, migrations, "again") is None

    # the schema is the one create_all makes
    await create_all(reference, models)
    shape = await shape_of(url, models)
    assert_same_shape(shape, await shape_of(reference, models), "migrated vs create_all")

    # rollback to version 0 leaves only the tracking table
    await schemactl.rollback(url, migrations_dir=str(migrations), to="0")
    assert await table_names(url) == ({TRACKING}, set())

    # the evolution round trip, with rows in the tables
    await schemactl.up(url, migrations_dir=str(migrations))
    await fill(url, models, corpus.fill)
    rows = await rows_of(url, models, corpus.fill)
    after = evolved(corpus)
    before_evolution = max(p.name.split("_")[0] for p in migrations.path.iterdir())
    assert await _new(url, after, migrations, "evolve") is not None
    await schemactl.up(url, migrations_dir=str(migrations))
    await _assert_clean(url, after)
    assert await _new(url, after, migrations, "evolve_again") is None
    # (the evolution may be several files: PostgreSQL's concurrent index builds)
    await schemactl.rollback(url, migrations_dir=str(migrations), to=before_evolution)
    await _assert_clean(url, models)
    assert_same_shape(await shape_of(url, models), shape, "rolled back vs before the evolution")
    assert await rows_of(url, models, corpus.fill) == _without_dropped(rows, corpus)


def _without_dropped(rows: dict[str, Any], corpus: CorpusSet) -> dict[str, Any]:
    """The rows as a rollback can give them back: the dropped column returns empty."""
    return {
        table: [
            {
                k: (None if table == corpus.evolve and k == corpus.drop else v)
                for k, v in row.items()
            }
            for row in table_rows
        ]
        for table, table_rows in rows.items()
    }
