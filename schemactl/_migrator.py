"""`Migrator`: one database and one set of migrations, the reusable object behind the
one-shot functions of ``_api``, as ``httpx.Client`` is behind ``httpx.get``. It never prints,
never starts an event loop, and returns frozen dataclasses."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ._errors import ConfigurationError, StateError
from ._files import discover
from ._options import (
    DEFAULT_DIR,
    DEFAULT_LINK_TIMEOUT,
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_SCHEMA_FILE,
    DEFAULT_TABLE,
    DEFAULT_WAIT_TIMEOUT,
    Dirs,
    Options,
    check_wait_timeout,
)
from ._password import Password, refuse_for_engine
from ._preflight import compared, discover_first_run, existing_files, refuse_pending
from ._results import (
    BaselineResult,
    CheckResult,
    DatabaseResult,
    DumpResult,
    LoadResult,
    MigrateResult,
    Progress,
    RedoResult,
    ResolveResult,
    RollbackResult,
    Status,
    WaitResult,
)
from ._status import status_entries

if TYPE_CHECKING:
    from sqlalchemy import MetaData
    from sqlalchemy.ext.asyncio import AsyncEngine

    from ._files import MigrationFile
    from .autogen import Diff
    from .autogen.filters import IncludeObject, ObjectFilter
    from .lint.policy import Policy

    Target = str | AsyncEngine

log = logging.getLogger("schemactl")


class Migrator:
    """One database and one set of migrations, for applications that call schemactl often.

    Options are validated here, once; every method opens what it needs and closes it again
    (with an ``AsyncEngine`` the connection goes back to your pool as it was). With a lint
    ``policy``, ``up`` and ``migrate`` lint the pending migrations before they apply
    anything: with ``policy.enforce``, a ``PolicyError`` refuses the first one with a
    blocking finding (the ones before it are applied); without, its findings are warnings.
    With a ``plan_digest`` (``schemactl.plan(...).digest``), ``up`` and ``migrate`` apply
    only when the migrations that would run are still that plan's: a ``PlanDigestError``
    (exit 8) naming what changed otherwise, checked under the migration lock. ``progress``
    is called with a ``Progress`` before each migration ``up``, ``migrate`` and ``rollback``
    run, and once after the last (a progress bar, a log line). ``password``: a str, or a
    function or coroutine function called for each new connection (a cloud IAM token), for a
    URL only: your own ``AsyncEngine`` authenticates as you set it up.

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
        policy: Policy | None = None,
        plan_digest: str | None = None,
        progress: Callable[[Progress], None] | None = None,
        password: Password | None = None,
    ) -> None:
        refuse_for_engine(target, password)
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
            policy=policy,
            plan_digest=plan_digest,
            progress=progress,
            password=password,
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

    async def redo(self, *, steps: int = 1) -> RedoResult:
        """Roll back the last ``steps`` applied migrations, then apply the pending ones again
        up to the newest of them (dbmate's ``redo``): a migration being written, tried
        again."""
        back = await self.rollback(steps=steps)
        newest = max(m.version for m in back.rolled_back)
        again = await self._migrate(False, False, False, DEFAULT_WAIT_TIMEOUT, newest)
        return RedoResult(back.rolled_back, again.applied, back.warnings + again.warnings)

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

    async def baseline(self, version: str) -> BaselineResult:
        """Record every migration up to ``version`` as applied without running it: the
        database already has their changes (made by hand, or by another tool)."""
        from ._database import open_database
        from ._session import open_session

        files, _ = discover(self.options.migrations_dirs)  # (in the order up applies them)
        last = next((i for i, f in enumerate(files) if f.version == version), None)
        if last is None:
            raise StateError(
                f"no migration file has version {version!r} in "
                f"{', '.join(map(str, self.options.migrations_dirs))}"
            )
        async with (
            open_database(self.target, self.options) as db,
            open_session(db, self.options) as session,
        ):
            recorded = await session.baseline(files[: last + 1])
        return BaselineResult(version=version, recorded=tuple(recorded))

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

    async def dump(
        self, schema_file: str | os.PathLike[str] = DEFAULT_SCHEMA_FILE, *, builtin: bool = False
    ) -> DumpResult:
        """Write the database's schema and its applied versions to ``schema_file``: with a
        client binary that can dump the server when one is on PATH, else (or with
        ``builtin``) through this connection."""
        from ._database import open_database
        from ._dump.dumper import dump_database

        path = Path(schema_file)
        async with open_database(self.target, self.options) as db:
            return await dump_database(db, self.options.migrations_table, path, builtin=builtin)

    async def load(self, schema_file: str | os.PathLike[str] = DEFAULT_SCHEMA_FILE) -> LoadResult:
        """Apply ``schema_file`` to the database, which must be empty (or missing: it is
        created)."""
        from ._database import open_database
        from ._dump.loader import load_database

        async with open_database(self.target, self.options) as db:
            return await load_database(db, self.options.migrations_table, Path(schema_file))

    async def wait(
        self,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        migrated: bool = False,
        version: str | None = None,
    ) -> WaitResult:
        """Wait until the server accepts and authenticates a connection; with ``migrated``,
        until the database exists and every migration file is applied (without the lock);
        with ``version`` (implies ``migrated``), until that migration is applied."""
        from ._database import open_database

        check_wait_timeout(timeout)
        migrated = migrated or version is not None
        files = discover(self.options.migrations_dirs)[0] if migrated else []
        if version is not None:
            files = [_file_of(files, version)]
        async with open_database(self.target, self.options) as db:
            if migrated:
                from ._readiness import wait_migrated

                attempts, elapsed = await wait_migrated(db, self.options, files, timeout)
            else:
                attempts, elapsed = await db.wait(timeout)
        return WaitResult(attempts=attempts, elapsed=elapsed, migrated=migrated, version=version)


def _file_of(files: list[MigrationFile], version: str) -> MigrationFile:
    """The migration file of ``version``: waiting for one that no file has would last until
    the timeout, so a typo is a configuration error at once."""
    for file in files:
        if file.version == version:
            return file
    raise ConfigurationError(f"--version {version}: no migration file has that version")


def _logged(warnings: list[str]) -> tuple[str, ...]:
    """A result's warnings, also logged at WARNING on the ``schemactl`` logger: an application
    that never reads the result (``await schemactl.up(url)`` at start-up) sees them in its
    logs. The CLI prints them from the result instead (``RESULT_WARNING`` marks them)."""
    for warning in warnings:
        log.warning("%s", warning, extra={RESULT_WARNING: True})
    return tuple(warnings)


RESULT_WARNING = "schemactl_result_warning"
