"""The coroutines users call, and :class:`Migrator`, the reusable object behind them.

They never print, never start an event loop, and return frozen dataclasses. The CLI is a thin
layer over exactly these calls. Each function is one :class:`Migrator` call, as
``httpx.get`` is one ``httpx.Client`` call.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._errors import ConfigurationError, MigrationFileError
from ._files import discover, slugify, write_migration, write_new
from ._options import (
    DEFAULT_DIR,
    DEFAULT_LINK_TIMEOUT,
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_TABLE,
    DEFAULT_WAIT_TIMEOUT,
    Dirs,
    Options,
    check_wait_timeout,
)
from ._preflight import compared, discover_first_run, existing_files, refuse_pending
from ._results import (
    CheckResult,
    DatabaseResult,
    MigrateResult,
    NewResult,
    ResolveResult,
    RollbackResult,
    ShowResult,
    Status,
    WaitResult,
)
from ._status import status_entries

if TYPE_CHECKING:
    from sqlalchemy import MetaData
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .autogen import Diff
    from .autogen.filters import IncludeObject, ObjectFilter

    Target = str | AsyncEngine

log = logging.getLogger("schemactl")


class Migrator:
    """One database and one set of migrations, for applications that call schemactl often.

    Options are validated here, once; every method opens what it needs and closes it again
    (with an ``AsyncEngine`` the connection goes back to your pool as it was).

    >>> migrator = schemactl.Migrator(engine, migrations_dir="db/migrations")
    >>> (await migrator.status()).pending
    >>> await migrator.up()
    """

    def __init__(
        self,
        target: Target,
        *,
        migrations_dir: Dirs = DEFAULT_DIR,
        migrations_table: str = DEFAULT_TABLE,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        lock_strategy: str = "auto",
        lock_retries: int = 0,
        ddl_lock_timeout: float | None = None,
        statement_timeout: float | None = None,
        link_timeout: float = DEFAULT_LINK_TIMEOUT,
        strict: bool = False,
        fail_on_drift: bool = False,
    ) -> None:
        self.target = target
        self.options = Options.build(
            migrations_dir=migrations_dir,
            migrations_table=migrations_table,
            lock_timeout=lock_timeout,
            lock_strategy=lock_strategy,
            lock_retries=lock_retries,
            ddl_lock_timeout=ddl_lock_timeout,
            statement_timeout=statement_timeout,
            link_timeout=link_timeout,
            strict=strict,
            fail_on_drift=fail_on_drift,
        )

    async def up(
        self,
        *,
        single_transaction: bool = False,
        wait: bool = False,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        to: str | None = None,
    ) -> MigrateResult:
        """Create the database if it is missing, then apply every pending migration (up to
        and including version ``to``)."""
        return await self._migrate(True, single_transaction, wait, wait_timeout, to)

    async def migrate(
        self,
        *,
        single_transaction: bool = False,
        wait: bool = False,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        to: str | None = None,
    ) -> MigrateResult:
        """Apply every pending migration (up to and including ``to``) to an existing database."""
        return await self._migrate(False, single_transaction, wait, wait_timeout, to)

    async def _migrate(
        self,
        create_missing: bool,
        single_transaction: bool,
        wait: bool,
        wait_timeout: float,
        to: str | None,
    ) -> MigrateResult:
        from ._database import open_database
        from ._session import all_checked, open_session, through

        check_wait_timeout(wait_timeout)
        if create_missing:
            files, warnings = discover_first_run(self.options.migrations_dirs)
        else:
            files, warnings = discover(self.options.migrations_dirs)
        found, files = files, through(files, to)
        async with open_database(self.target, self.options) as db:
            if single_transaction and not db.dialect.transactional_ddl:
                raise ConfigurationError(
                    f"--single-transaction is not possible on {db.dialect.name}: "
                    "DDL commits implicitly there"
                )
            if wait:
                await db.wait(wait_timeout)
            check_all = all_checked(db.dialect, files, single_transaction)  # before creating
            async with open_session(
                db, self.options, create_missing=create_missing, before_create=check_all
            ) as session:
                applied = await session.migrate(files, single_transaction=single_transaction)
                warnings = [*warnings, *session.runner.warnings]
                pending = sum(f.version not in session.recorded for f in found)
        return MigrateResult(tuple(applied), db.created, _logged(warnings), len(found), pending)

    async def rollback(self, *, steps: int | None = None, to: str | None = None) -> RollbackResult:
        """Roll back the last ``steps`` applied migrations (default 1), or all applied after
        ``to`` (``"0"``: everything)."""
        from ._database import open_database
        from ._session import open_session

        # (bad values of both are configuration errors, exit 3, as every option's)
        if steps is not None and to is not None:
            raise ConfigurationError("give either steps or to (--steps or --to), not both")
        if steps is not None and steps < 1:
            raise ConfigurationError(f"steps must be 1 or more, not {steps}")
        if to is not None and not (to.isascii() and to.isdigit()):
            raise ConfigurationError(f"--to takes a migration version (digits) or 0, not {to!r}")
        files, warnings = discover(self.options.migrations_dirs)
        async with (
            open_database(self.target, self.options) as db,
            open_session(db, self.options) as session,
        ):
            done = await session.rollback(files, steps=steps, to=to)
        return RollbackResult(rolled_back=tuple(done), warnings=_logged(warnings))

    async def status(self) -> Status:
        """Every migration, applied or pending, and applied ones whose file changed or is
        missing."""
        from ._database import open_database
        from ._session import open_session

        files, warnings = discover(self.options.migrations_dirs)
        async with (
            open_database(self.target, self.options) as db,
            open_session(db, self.options) as session,
        ):
            state = await session.state()
        entries = status_entries(files, state)
        return Status(migrations=entries, warnings=_logged(warnings))

    async def resolve(self, version: str, *, applied: bool) -> ResolveResult:
        """Mark a migration that failed part-way as applied or as rolled back."""
        from ._database import open_database
        from ._session import open_session

        files, _ = discover(self.options.migrations_dirs)
        file = next((f for f in files if f.version == version), None)
        async with (
            open_database(self.target, self.options) as db,
            open_session(db, self.options) as session,
        ):
            await session.resolve(version, file, applied=applied)
        return ResolveResult(version=version, applied=applied)

    async def check(
        self,
        models: str | MetaData,
        *,
        include_schemas: bool = False,
        allow_pending: bool = False,
        exclude_tables: Iterable[str] | str = (),
        exclude_schemas: Iterable[str] | str = (),
        include_object: IncludeObject | None = None,
    ) -> CheckResult:
        """Compare the database with the models.

        A ``StateError`` while the migrations directories hold migrations the database has
        not applied (unless ``allow_pending``): their changes would show as differences.
        ``exclude_tables``/``exclude_schemas`` (names or globs, ``audit.*``) and
        ``include_object`` (Alembic's signature) leave tables out on both sides.
        """
        from ._models import metadata_of
        from .autogen.filters import ObjectFilter

        objects = ObjectFilter.build(exclude_tables, exclude_schemas, include_object)
        diff, database = await self._compare(
            metadata_of(models),
            include_schemas,
            name="",
            allow_pending=allow_pending,
            objects=objects,
        )
        return CheckResult(diff.changes, database, diff.notes)

    async def _compare(
        self,
        metadata: MetaData,
        include_schemas: bool,
        *,
        name: str,
        allow_pending: bool,
        objects: ObjectFilter,
    ) -> tuple[Diff, str]:
        """The diff, and the database it was taken against (its URL, password hidden)."""
        from ._database import open_database
        from ._session import open_session
        from .autogen import compare

        files = [] if allow_pending else existing_files(self.options.migrations_dirs)
        async with (
            open_database(self.target, self.options) as db,
            open_session(db, self.options) as session,
        ):
            if files:
                refuse_pending(files, await session.state())
            diff = await compare(
                session.conn,
                metadata,
                migrations_table=self.options.migrations_table,
                include_schemas=include_schemas,
                name=name,
                objects=objects,
            )
        return diff, compared(db)

    async def create(self) -> DatabaseResult:
        """Create the database; ``changed`` is False if it already existed."""
        from ._database import open_database

        async with open_database(self.target, self.options) as db:
            return DatabaseResult(database=db.label, changed=await db.create())

    async def drop(self) -> DatabaseResult:
        """Drop the database, disconnecting other sessions on PostgreSQL."""
        from ._database import open_database

        async with open_database(self.target, self.options) as db:
            return DatabaseResult(database=db.label, changed=await db.drop())

    async def wait(self, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> WaitResult:
        """Wait until the server accepts and authenticates a connection."""
        from ._database import open_database

        check_wait_timeout(timeout)
        async with open_database(self.target, self.options) as db:
            attempts, elapsed = await db.wait(timeout)
        return WaitResult(attempts=attempts, elapsed=elapsed)


def _logged(warnings: list[str]) -> tuple[str, ...]:
    """A result's warnings, also logged at WARNING on the ``schemactl`` logger: an application
    that never reads the result (``await schemactl.up(url)`` at start-up) sees them in its
    logs. The CLI prints them from the result instead (``RESULT_WARNING`` marks them)."""
    for warning in warnings:
        log.warning("%s", warning, extra={RESULT_WARNING: True})
    return tuple(warnings)


RESULT_WARNING = "schemactl_result_warning"


# -- the one-shot functions ------------------------------------------------------------------


async def new(
    name: str,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    auto: bool = False,
    url: Target | None = None,
    models: str | MetaData | None = None,
    migrations_table: str = DEFAULT_TABLE,
    include_schemas: bool = False,
    dry_run: bool = False,
    allow_pending: bool = False,
    exclude_tables: Iterable[str] | str = (),
    exclude_schemas: Iterable[str] | str = (),
    include_object: IncludeObject | None = None,
) -> NewResult:
    """Write a migration file into the first migrations directory: empty, or with ``auto``
    the SQL that takes the database at ``url`` to the ``models``' schema, and back.

    With ``auto``: a ``StateError`` while the database lacks migrations of the migrations
    directories (unless ``allow_pending``), since their changes would be copied into this
    one; the tables and schemas excluded (see ``check``) are neither created nor dropped.
    A database that does not exist yet is a ``DatabaseConnectionError`` naming
    `schemactl create`: comparing needs the server (its version, how it stores defaults
    and names), and creating a database is not a side effect `new` should have.

    >>> await schemactl.new("add users")  # migrations/20260101120000_add_users.sql
    >>> await schemactl.new("add users", auto=True, url=url, models="app.models")
    """
    options = Options.build(migrations_dir=migrations_dir, migrations_table=migrations_table)
    directory = options.migrations_dirs[0]
    if not auto:
        return NewResult(path=write_new(name, directory))
    from ._models import metadata_of
    from .autogen.filters import ObjectFilter

    slug = slugify(name)
    metadata = metadata_of(models)
    if url is None:
        raise ConfigurationError("--auto compares with a database: give --url")
    objects = ObjectFilter.build(exclude_tables, exclude_schemas, include_object)
    migrator = Migrator(url, migrations_dir=migrations_dir, migrations_table=migrations_table)
    diff, database = await migrator._compare(
        metadata, include_schemas, name=slug, allow_pending=allow_pending, objects=objects
    )
    if diff.is_empty:
        return NewResult(path=None, database=database)
    result = NewResult(
        None,
        diff.changes,
        diff.up_sql,
        diff.down_sql,
        diff.up_transaction,
        database=database,
        notes=diff.notes,
    )
    if dry_run:
        return result
    return dataclasses.replace(result, path=write_migration(name, directory, result.content))


async def show(
    version: str, *, migrations_dir: Dirs = DEFAULT_DIR, down: bool = False
) -> ShowResult:
    """A migration's up (or ``down``) section as it would run; reads no database.

    >>> print((await schemactl.show("20250101000000")).sql)
    """
    options = Options.build(migrations_dir=migrations_dir)
    files, _ = discover(options.migrations_dirs)
    file = next((f for f in files if f.version == version), None)
    if file is None:
        raise ConfigurationError(f"no migration file has version {version}")
    migration = file.read()
    section = migration.down if down else migration.up
    if section is None:
        raise MigrationFileError(f"{file.path}: it has no '-- migrate:down' section")
    direction = "down" if down else "up"
    sql = section.sql.lstrip("\r\n")
    line = section.line + section.sql[: len(section.sql) - len(sql)].count("\n")
    return ShowResult(version, file.path, direction, section.transaction, line, sql.rstrip() + "\n")


async def check(
    target: Target,
    *,
    models: str | MetaData,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    include_schemas: bool = False,
    allow_pending: bool = False,
    exclude_tables: Iterable[str] | str = (),
    exclude_schemas: Iterable[str] | str = (),
    include_object: IncludeObject | None = None,
) -> CheckResult:
    """Compare the database with the models: the CI gate for "models match the schema".

    Refuses (``StateError``) while migrations in ``migrations_dir`` are not applied, unless
    ``allow_pending``; see ``Migrator.check`` for the exclusions.

    >>> result = await schemactl.check("postgresql://app@db/app", models="app.models")
    >>> result.clean
    """
    migrator = Migrator(target, migrations_dir=migrations_dir, migrations_table=migrations_table)
    return await migrator.check(
        models,
        include_schemas=include_schemas,
        allow_pending=allow_pending,
        exclude_tables=exclude_tables,
        exclude_schemas=exclude_schemas,
        include_object=include_object,
    )


async def up(
    target: Target,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    single_transaction: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    wait: bool = False,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    ddl_lock_timeout: float | None = None,
    statement_timeout: float | None = None,
    lock_retries: int = 0,
    lock_strategy: str = "auto",
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    strict: bool = False,
    fail_on_drift: bool = False,
    to: str | None = None,
) -> MigrateResult:
    """Create the database if it is missing, then apply every pending migration.

    >>> result = await schemactl.up("postgresql://app@db/app")
    >>> [m.version for m in result.applied]
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        lock_timeout=lock_timeout,
        lock_strategy=lock_strategy,
        lock_retries=lock_retries,
        ddl_lock_timeout=ddl_lock_timeout,
        statement_timeout=statement_timeout,
        link_timeout=link_timeout,
        strict=strict,
        fail_on_drift=fail_on_drift,
    )
    return await migrator.up(
        single_transaction=single_transaction, wait=wait, wait_timeout=wait_timeout, to=to
    )


async def migrate(
    target: Target,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    single_transaction: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    wait: bool = False,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    ddl_lock_timeout: float | None = None,
    statement_timeout: float | None = None,
    lock_retries: int = 0,
    lock_strategy: str = "auto",
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    strict: bool = False,
    fail_on_drift: bool = False,
    to: str | None = None,
) -> MigrateResult:
    """Apply every pending migration to an existing database.

    >>> await schemactl.migrate("sqlite:app.db", migrations_dir="db/migrations")
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        lock_timeout=lock_timeout,
        lock_strategy=lock_strategy,
        lock_retries=lock_retries,
        ddl_lock_timeout=ddl_lock_timeout,
        statement_timeout=statement_timeout,
        link_timeout=link_timeout,
        strict=strict,
        fail_on_drift=fail_on_drift,
    )
    return await migrator.migrate(
        single_transaction=single_transaction, wait=wait, wait_timeout=wait_timeout, to=to
    )


async def rollback(
    target: Target,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    steps: int | None = None,
    to: str | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ddl_lock_timeout: float | None = None,
    statement_timeout: float | None = None,
    lock_retries: int = 0,
    lock_strategy: str = "auto",
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
) -> RollbackResult:
    """Roll back the last ``steps`` applied migrations (default 1), or all applied after ``to``.

    ``to="0"`` rolls back everything.

    >>> await schemactl.rollback("sqlite:app.db", to="20260101120000")
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        lock_timeout=lock_timeout,
        lock_strategy=lock_strategy,
        lock_retries=lock_retries,
        ddl_lock_timeout=ddl_lock_timeout,
        statement_timeout=statement_timeout,
        link_timeout=link_timeout,
    )
    return await migrator.rollback(steps=steps, to=to)


async def status(
    target: Target,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Status:
    """Every migration, applied or pending, and applied ones whose file changed or is missing.
    ``lock_timeout``: how long to wait for an SQLite database another process has locked.

    >>> s = await schemactl.status("sqlite:app.db")
    >>> [m.version for m in s.pending]
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        link_timeout=link_timeout,
        lock_timeout=lock_timeout,
    )
    return await migrator.status()


async def resolve(
    target: Target,
    version: str,
    *,
    applied: bool,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    lock_strategy: str = "auto",
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
) -> ResolveResult:
    """Mark a migration that failed part-way as applied (you finished it by hand) or as rolled
    back (you undid it), after fixing the database. Like Prisma's `migrate resolve`.

    >>> await schemactl.resolve(url, "20260101120000", applied=False)
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        lock_timeout=lock_timeout,
        lock_strategy=lock_strategy,
        link_timeout=link_timeout,
    )
    return await migrator.resolve(version, applied=applied)


async def create(target: Target) -> DatabaseResult:
    """Create the database named by the URL; ``changed`` is False if it already existed.

    >>> await schemactl.create("postgresql://postgres@localhost/app")
    """
    return await Migrator(target).create()


async def drop(target: Target) -> DatabaseResult:
    """Drop the database named by the URL, disconnecting other sessions on PostgreSQL.

    >>> await schemactl.drop("postgresql://postgres@localhost/app_test")
    """
    return await Migrator(target).drop()


async def wait(target: Target, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> WaitResult:
    """Wait until the server accepts and authenticates a connection (the database may not
    exist yet). Raises WaitTimeoutError after ``timeout`` seconds.

    >>> await schemactl.wait("postgresql://app@db/app", timeout=60)
    """
    return await Migrator(target).wait(timeout=timeout)
