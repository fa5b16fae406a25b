"""Autogenerate leaves its host process as it found it.

A FastAPI process that calls ``await schemactl.check(...)`` must not notice: Alembic's and
SQLAlchemy's classes and functions are the same objects afterwards, the garbage collector is
as the host set it, and the host's other tasks find it so while the calls run.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import anyio
import anyio.lowlevel
import greenlet  # type: ignore[import-untyped]
import pytest
from sqlalchemy import Column, Enum, Integer, MetaData, String, Table, UniqueConstraint
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url

pytestmark = pytest.mark.anyio

PACKAGES = ("alembic.operations", "alembic.autogenerate", "alembic.ddl", "alembic.runtime")
MODULES = ("alembic.migration", "sqlalchemy.sql.schema", "sqlalchemy.engine.base")


def models(version: int) -> MetaData:
    """v1 -> v2 needs SQLite's table rebuild (a type change, a new unique constraint) and
    PostgreSQL enum types (a new enum column, a new table with another enum)."""
    metadata = MetaData(naming_convention={"uq": "uq_%(table_name)s_%(column_0_N_name)s"})
    if version == 1:
        Table(
            "people", metadata, Column("id", Integer, primary_key=True), Column("name", String(20))
        )
        return metadata
    Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        Column("mood", Enum("happy", "sad", name="mood")),
        UniqueConstraint("name"),
    )
    Table(
        "diary",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("weather", Enum("sun", "rain", name="weather")),
    )
    return metadata


def watched_modules() -> list[ModuleType]:
    names = list(MODULES)
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        names.extend(
            info.name for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}.")
        )
    return [importlib.import_module(name) for name in sorted(set(names))]


def namespaces() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every watched module's namespace, and that of every class it defines or imports."""
    classes: dict[int, type] = {}
    for module in watched_modules():
        yield module.__name__, vars(module)
        for value in vars(module).values():
            if isinstance(value, type):
                classes[id(value)] = value
    for cls in classes.values():
        yield f"{cls.__module__}.{cls.__qualname__}", dict(vars(cls))


def snapshot() -> dict[str, dict[str, Any]]:
    return {name: dict(namespace) for name, namespace in namespaces()}


def changed_since(before: dict[str, dict[str, Any]]) -> list[str]:
    after = snapshot()
    changed = [f"{name}: appeared" for name in after.keys() - before.keys()]
    for name, namespace in before.items():
        now = after.get(name, {})
        for attribute in namespace.keys() | now.keys():
            if attribute not in namespace and _memoised_by_sqlalchemy(name, attribute):
                continue
            if namespace.get(attribute, KeyError) is not now.get(attribute, KeyError):
                changed.append(f"{name}.{attribute}")
    return sorted(changed)


def _memoised_by_sqlalchemy(name: str, attribute: str) -> bool:
    """SQLAlchemy sets a class's cache-key traversal on the class the first time it is used."""
    return name.startswith("sqlalchemy.") and attribute.startswith("_generated_")


def foreign_functions() -> list[str]:
    """Functions in Alembic's and SQLAlchemy's namespaces that schemactl defined: a patch,
    whenever it was made in this process."""
    found = []
    for name, namespace in namespaces():
        for attribute, value in namespace.items():
            function = getattr(value, "__func__", value)
            if isinstance(function, FunctionType) and (function.__module__ or "").startswith(
                "schemactl"
            ):
                found.append(f"{name}.{attribute} = {function.__module__}.{function.__qualname__}")
    return found


@pytest.fixture(params=[True, False], ids=["gc-enabled", "gc-disabled"])
def host_gc(request: pytest.FixtureRequest) -> Iterator[bool]:
    """The host's setting of the garbage collector, restored after the test."""
    collecting = gc.isenabled()
    wanted = bool(request.param)
    if wanted:
        gc.enable()
    else:
        gc.disable()
    try:
        yield wanted
    finally:
        if collecting:
            gc.enable()
        else:
            gc.disable()


async def prepare(url: str) -> None:
    """The database at v1, made without schemactl's autogenerate."""
    await schemactl.create(url)
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(models(1).create_all)
    finally:
        await engine.dispose()


async def test_new_and_check_leave_alembic_and_gc_as_they_were(
    db_url: str, dialect: str, tmp_path: Path, host_gc: bool
) -> None:
    await prepare(db_url)
    before = snapshot()
    tracing = greenlet.gettrace()
    seen: set[bool] = set()  # gc.isenabled() as another task of the event loop sees it
    done = anyio.Event()
    host_filters = warnings.filters
    filters_seen: set[bool] = set()  # the host's own filters, and none of autogenerate's
    added: list[str] = []  # filters the host adds while a compare waits for the database

    async def other_task() -> None:
        while not done.is_set():
            seen.add(gc.isenabled())
            filters_seen.add(warnings.filters is host_filters and not ignored_by_autogen())
            comparing = greenlet.gettrace() is not tracing  # (its hook is in place)
            if comparing and len(added) < 20:
                added.append(f"a host's own filter {len(added)}")
                warnings.filterwarnings("ignore", added[-1])
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(other_task)
        try:
            result = await schemactl.new(
                "x",
                auto=True,
                dry_run=True,
                url=db_url,
                models=models(2),
                migrations_dir=str(tmp_path / "migrations"),
            )
            check = await schemactl.check(
                db_url, models=models(2), migrations_dir=str(tmp_path / "migrations")
            )
        finally:
            done.set()

    # the calls did what exercises the risky paths
    assert not check.clean
    if dialect == "sqlite":
        assert "CREATE TABLE _alembic_tmp_people" in result.up_sql
        assert "CREATE TABLE _alembic_tmp_people" in result.down_sql
    if dialect == "postgresql":
        assert "CREATE TYPE mood AS ENUM" in result.up_sql
        assert "DROP TYPE weather" in result.down_sql

    assert changed_since(before) == []
    assert foreign_functions() == []
    assert greenlet.gettrace() is tracing
    assert gc.isenabled() is host_gc
    assert seen == {host_gc}
    assert warnings.filters is host_filters
    assert filters_seen == {True}
    patterns = {f[1].pattern for f in warnings.filters if f[1] is not None}
    assert added
    assert set(added) <= patterns  # kept, whenever the host added them
    assert not ignored_by_autogen()


def ignored_by_autogen() -> bool:
    """Whether the warning filters in force ignore what autogenerate ignores while it runs."""
    from schemactl.autogen.compare import _EXPECTED_WARNINGS

    patterns = {f[1].pattern for f in warnings.filters if f[1] is not None}
    return bool(patterns & set(_EXPECTED_WARNINGS))


@pytest.mark.parametrize("server", ["postgresql", "mysql"])
async def test_cancelled_compare_leaves_gc_as_it_was(
    server: str, tmp_path: Path, host_gc: bool
) -> None:
    """Cancelled after 1, 2, 4, ... turns of the event loop, at every stage of the compare,
    until it outruns the cancellation. (SQLite is left out: aiosqlite, cancelled in the
    middle of a query, leaves a task of its own pending.)"""
    from schemactl.autogen import compare
    from tests.conftest import fresh_url

    url = fresh_url(server, tmp_path)
    await prepare(url)
    engine = create_async_engine(to_sqlalchemy_url(url))
    tracing = greenlet.gettrace()
    seen: set[bool | str] = set()

    host_filters = warnings.filters

    async def cancel_after(turns: int, scope: anyio.CancelScope) -> None:
        for _ in range(turns):
            seen.add(gc.isenabled() if warnings.filters is host_filters else "not the host's")
            await anyio.lowlevel.checkpoint()
        scope.cancel()

    cancelled = 0
    try:
        for turns in (2**n for n in range(16)):
            conn = await engine.connect()
            with anyio.CancelScope() as scope:
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(cancel_after, turns, scope)
                    await compare(conn, models(2), migrations_table="schema_migrations")
                    tasks.cancel_scope.cancel()
            if scope.cancelled_caught:
                await conn.invalidate()  # a query may have been cut short
            await conn.close()
            assert gc.isenabled() is host_gc
            assert warnings.filters is host_filters
            assert greenlet.gettrace() is tracing
            if not scope.cancelled_caught:
                break
            cancelled += 1
    finally:
        await engine.dispose()
        await schemactl.drop(url)
    assert not scope.cancelled_caught  # the last compare finished
    assert cancelled >= 2
    assert seen == {host_gc}
