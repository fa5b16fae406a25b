"""Throwaway databases for the pytest plugin, migrated or to migrate a step at a time: which
server they are made on, how they are named, the project's migrations, and the async work run
from pytest's sync code.

Nothing here knows pytest: the plugin (``pytest_plugin``) turns these values and errors into
fixtures, tests and failure messages.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from ._config import resolve
from ._errors import ConfigurationError
from ._urls import describe, to_sqlalchemy_url

if TYPE_CHECKING:
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncEngine

    from ._files import MigrationFile

T = TypeVar("T")
SERVER_ENV = "SCHEMACTL_TEST_SERVER"
DEFAULT_PREFIX = "test_"
NO_SERVER = (
    "no database server for the schemactl fixtures: pass --schemactl-server, set "
    f"schemactl_server in the pytest configuration or {SERVER_ENV} "
    "(a URL without a database, like postgresql://postgres@localhost:5432, or sqlite)"
)


@dataclass(frozen=True)
class ScratchServer:
    """Where the plugin makes its databases, and what it applies to them.

    ``server``: "sqlite" (a file per database in ``sqlite_dir``) or a URL without a
    database name; every database is called ``prefix`` + 12 hex digits."""

    server: str
    sqlite_dir: Path
    migrations_dirs: tuple[Path, ...]
    migrations_table: str = "schema_migrations"
    prefix: str = DEFAULT_PREFIX
    models: str | None = None
    exclude_tables: tuple[str, ...] = ()
    exclude_schemas: tuple[str, ...] = ()
    rootdir: Path = Path()

    def fresh_url(self) -> str:
        """The URL of a database that does not exist yet."""
        name = f"{self.prefix}{secrets.token_hex(6)}"
        if self.server == "sqlite":
            return f"sqlite:{self.sqlite_dir / name}.db"
        parts = urlsplit(self.server)
        return urlunsplit(parts._replace(path=f"/{name}"))


def scratch_server(
    *,
    server: str | None,
    sqlite_dir: Path,
    rootdir: Path,
    migrations_dirs: Sequence[Path] = (),
    prefix: str = DEFAULT_PREFIX,
    environ: Mapping[str, str] | None = None,
) -> ScratchServer:
    """The settings of a test run, checked before anything connects. ``migrations_dirs``
    (the plugin's own setting) replace the project's; the rest comes from the project's
    configuration in ``rootdir`` (``[tool.schemactl]``, the environment, ``.env``), as the
    CLI resolves it there."""
    if not server:
        raise ConfigurationError(NO_SERVER)
    server = _checked_server(server.strip())
    if not prefix or not prefix.replace("_", "").isalnum() or not prefix[0].isalpha():
        raise ConfigurationError(
            f"schemactl_database_prefix {prefix!r}: use letters, digits and _, starting "
            "with a letter"
        )
    config = resolve(environ=environ, cwd=rootdir)
    dirs = tuple(migrations_dirs) or tuple(rootdir / d for d in config.migrations_dirs)
    return ScratchServer(
        server=server,
        sqlite_dir=sqlite_dir,
        migrations_dirs=dirs,
        migrations_table=config.migrations_table,
        prefix=prefix,
        models=config.models,
        exclude_tables=config.exclude_tables,
        exclude_schemas=config.exclude_schemas,
        rootdir=rootdir,
    )


def _checked_server(server: str) -> str:
    if server.lower() == "sqlite":
        return "sqlite"
    parts = urlsplit(server)
    if parts.scheme.lower().startswith("sqlite"):
        raise ConfigurationError(
            f"schemactl test server {server!r}: write just sqlite (each test database is a "
            "file in pytest's temporary directory)"
        )
    if parts.path not in ("", "/"):
        raise ConfigurationError(
            f"schemactl test server {describe(to_sqlalchemy_url(server))!r} names a database: "
            "give the server only (the plugin makes a database of its own for each use)"
        )
    to_sqlalchemy_url(urlunsplit(parts._replace(path="/x")))  # a bad scheme or URL, now
    return server


def label(url: str) -> str:
    """A database's name for messages, without the password."""
    return describe(to_sqlalchemy_url(url))


def run_async(function: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """Run ``function(*args)`` to its end on an event loop of its own, in a worker thread.

    A thread, not ``anyio.run`` here: pytest-asyncio (or the test's own code) may have set
    an event loop in this thread, and a new loop run here would set and then clear it."""
    import anyio

    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = anyio.run(function, *args, backend="asyncio")
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="schemactl-pytest")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


async def create_migrated(server: ScratchServer) -> str:
    """Create a fresh database and apply every migration to it; its URL. A database whose
    migrations fail is dropped before the error goes on."""
    import anyio

    from ._api import drop, up

    url = server.fresh_url()
    try:
        await up(
            url, migrations_dir=server.migrations_dirs, migrations_table=server.migrations_table
        )
    except BaseException:
        with anyio.CancelScope(shield=True):
            await drop(url)
        raise
    return url


async def create_empty(server: ScratchServer) -> str:
    """Create a fresh database with no migration applied; its URL."""
    from ._api import create

    url = server.fresh_url()
    await create(url)
    return url


@dataclass(frozen=True)
class MigrationSteps:
    """A fresh database that a test migrates a step at a time, to seed rows before a
    migration and check what it made of them (pytest-alembic's ``at_revision_data``).
    ``engine`` has no pool, as ``migrated_engine``. Each method returns the versions it
    applied or rolled back, in order."""

    url: str
    engine: AsyncEngine
    server: ScratchServer

    async def up_before(self, version: str) -> tuple[str, ...]:
        """Apply the pending migrations that come before ``version`` (not it)."""
        files = self._files()
        at = next((i for i, f in enumerate(files) if f.version == version), None)
        if at is None:
            raise ConfigurationError(f"no migration file has version {version!r}")
        return await self.up_to(files[at - 1].version) if at > 0 else ()

    async def up_to(self, version: str) -> tuple[str, ...]:
        """Apply the pending migrations up to and including ``version``."""
        return await self.up(to=version)

    async def up(self, *, to: str | None = None) -> tuple[str, ...]:
        """Apply the pending migrations (up to ``to``, when given)."""
        from ._api import up

        result = await up(self.url, to=to, **self._options())
        return tuple(m.version for m in result.applied)

    async def rollback_to(self, version: str) -> tuple[str, ...]:
        """Roll back every migration applied after ``version`` ("0": all of them)."""
        from ._api import rollback

        result = await rollback(self.url, to=version, **self._options())
        return tuple(m.version for m in result.rolled_back)

    def _options(self) -> dict[str, Any]:
        return {
            "migrations_dir": self.server.migrations_dirs,
            "migrations_table": self.server.migrations_table,
        }

    def _files(self) -> list[MigrationFile]:
        from ._files import discover

        return discover(self.server.migrations_dirs)[0]


async def drop_database(url: str) -> None:
    """Drop a test database, ending the sessions a test left in it first."""
    from ._api import drop

    parsed = to_sqlalchemy_url(url)
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        await _end_mysql_sessions(parsed)
    await drop(url)


async def _end_mysql_sessions(url: URL) -> None:
    """End the other sessions in ``url``'s database. MySQL's DROP DATABASE waits (by default
    for a year) on a session with a transaction open there, such as one a failed test left
    behind; PostgreSQL's drop ends them itself (WITH (FORCE)). A test database only: a real
    one's sessions are never ended by schemactl."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(url.set(database=None), poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(
                text(
                    "SELECT id FROM information_schema.processlist "
                    "WHERE db = :name AND id <> CONNECTION_ID()"
                ),
                {"name": url.database},
            )
            for session in found.scalars().all():
                with contextlib.suppress(DBAPIError):  # it ended meanwhile
                    await conn.execute(text(f"KILL {int(session)}"))
    finally:
        await engine.dispose()


def engine_for(url: str) -> AsyncEngine:
    """An AsyncEngine on ``url`` that belongs to no event loop: with no pool, each
    ``connect()`` opens a connection on the loop running then, and closing it closes it. So it
    serves tests run by anyio's plugin or by pytest-asyncio, whatever their loop's scope."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    return create_async_engine(to_sqlalchemy_url(url), poolclass=NullPool)
