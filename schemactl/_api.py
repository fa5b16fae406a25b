"""The coroutines users call. They never print, never start an event loop, and return
frozen dataclasses. The CLI is a thin layer over exactly these calls.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._config import SessionSettings
from ._errors import (
    ConfigurationError,
    MigrationFileError,
    StateError,
)
from ._files import (
    MigrationFile,
    checksum,
    discover,
    slugify,
    write_migration,
    write_new,
)
from ._results import (
    CheckResult,
    DatabaseResult,
    MigrateResult,
    MigrationStatus,
    NewResult,
    ResolveResult,
    RollbackResult,
    Status,
    WaitResult,
)

if TYPE_CHECKING:
    from sqlalchemy import MetaData
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from ._autogen import Diff
    from ._database import Database
    from ._runner import Runner
    from ._tracking import AppliedRow, TrackingTable

    Target = str | AsyncEngine

log = logging.getLogger("schemactl")

Dirs = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
DEFAULT_DIR = "migrations"
DEFAULT_TABLE = "schema_migrations"
DEFAULT_LOCK_TIMEOUT = 120.0
DEFAULT_WAIT_TIMEOUT = 60.0


def _dirs(value: Dirs) -> list[Path]:
    if isinstance(value, str | os.PathLike):
        return [Path(value)]
    return [Path(item) for item in value]


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
) -> NewResult:
    """Write a migration file into the first migrations directory: empty, or with ``auto``
    the SQL that takes the database at ``url`` to the ``models``' schema, and back.

    >>> await schemactl.new("add users")  # migrations/20260101120000_add_users.sql
    >>> await schemactl.new("add users", auto=True, url=url, models="app.models")
    """
    directory = _dirs(migrations_dir)[0]
    if not auto:
        return NewResult(path=write_new(name, directory))
    slug = slugify(name)
    metadata = _models(models)
    if url is None:
        raise ConfigurationError("--auto compares with a database: give --url")
    diff = await _compare(url, metadata, migrations_table, include_schemas, name=slug)
    if diff.is_empty:
        return NewResult(path=None)
    content = f"-- migrate:up\n{diff.up_sql}\n-- migrate:down\n{diff.down_sql}"
    path = None if dry_run else write_migration(name, directory, content)
    return NewResult(path, diff.changes, diff.up_sql, diff.down_sql)


async def check(
    target: Target,
    *,
    models: str | MetaData,
    migrations_table: str = DEFAULT_TABLE,
    include_schemas: bool = False,
) -> CheckResult:
    """Compare the database with the models: the CI gate for "models match the schema".

    >>> result = await schemactl.check("postgresql://app@db/app", models="app.models")
    >>> result.clean
    """
    metadata = _models(models)
    diff = await _compare(target, metadata, migrations_table, include_schemas, name="")
    return CheckResult(changes=diff.changes)


def _models(models: str | MetaData | None) -> MetaData:
    if models is None:
        raise ConfigurationError(
            "no models: pass --models app.models (or set models in [tool.schemactl])"
        )
    if isinstance(models, str):
        from ._models import load_metadata

        return load_metadata(models)
    return models


async def _compare(
    target: Target, metadata: MetaData, migrations_table: str, include_schemas: bool, *, name: str
) -> Diff:
    from ._autogen import compare

    async with _open(target, DEFAULT_LOCK_TIMEOUT) as db, db.connection() as conn:
        return await compare(
            conn,
            metadata,
            migrations_table=migrations_table,
            include_schemas=include_schemas,
            name=name,
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
) -> MigrateResult:
    """Create the database if it is missing, then apply every pending migration.

    >>> result = await schemactl.up("postgresql://app@db/app")
    >>> [m.version for m in result.applied]
    """
    return await _migrate(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        single_transaction=single_transaction,
        lock_timeout=lock_timeout,
        wait=wait,
        wait_timeout=wait_timeout,
        create_missing=True,
        settings=SessionSettings(ddl_lock_timeout, statement_timeout),
        lock_retries=lock_retries,
        lock_strategy=lock_strategy,
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
) -> MigrateResult:
    """Apply every pending migration to an existing database.

    >>> await schemactl.migrate("sqlite:app.db", migrations_dir="db/migrations")
    """
    return await _migrate(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        single_transaction=single_transaction,
        lock_timeout=lock_timeout,
        wait=wait,
        wait_timeout=wait_timeout,
        create_missing=False,
        settings=SessionSettings(ddl_lock_timeout, statement_timeout),
        lock_retries=lock_retries,
        lock_strategy=lock_strategy,
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
) -> RollbackResult:
    """Roll back the last ``steps`` applied migrations (default 1), or all applied after ``to``.

    ``to="0"`` rolls back everything.

    >>> await schemactl.rollback("sqlite:app.db", to="20260101120000")
    """
    if steps is not None and to is not None:
        raise ConfigurationError("give either steps or to, not both")
    if steps is not None and steps < 1:
        raise ConfigurationError(f"steps must be 1 or more, not {steps}")
    if to is not None and not to.isdigit():
        raise ConfigurationError(f"--to takes a migration version (digits) or 0, not {to!r}")
    files, warnings = discover(_dirs(migrations_dir))
    by_version = {f.version: f for f in files}
    async with _open(target, lock_timeout) as db, db.connection() as conn:
        tracking = _tracking(migrations_table, conn, db)
        settings = SessionSettings(ddl_lock_timeout, statement_timeout)
        runner = await _runner(db, conn, tracking, settings, lock_retries, lock_strategy)
        async with runner.lock(lock_timeout):
            state = await tracking.read(conn)
            if state is not None:
                await runner.refuse_after_failures()
            # Newest first, in dbmate's order: by file name, or by version for a missing file.
            applied = sorted(
                state[0] if state else {},
                key=lambda v: by_version[v].path.name if v in by_version else v,
                reverse=True,
            )
            if not applied:
                raise StateError("nothing to roll back: no migration has been applied")
            if to is None:
                targets = applied[: steps or 1]
            elif to == "0":
                targets = applied
            elif to in applied:
                targets = applied[: applied.index(to)]
            else:
                raise StateError(f"--to {to}: no applied migration has that version")
            migrations = []
            for version in targets:
                file = by_version.get(version)
                if file is None:
                    raise MigrationFileError(
                        f"cannot roll back {version}: its migration file is missing "
                        f"from {', '.join(map(str, _dirs(migrations_dir)))}"
                    )
                migration = file.read()
                if migration.down is None:
                    raise MigrationFileError(
                        f"cannot roll back {file.path.name}: it has no '-- migrate:down' section"
                    )
                migrations.append(migration)
            try:
                done = [await runner.apply(migration, down=True) for migration in migrations]
            finally:
                await runner.finish()
    return RollbackResult(rolled_back=tuple(d for d in done if d), warnings=tuple(warnings))


async def status(
    target: Target,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
) -> Status:
    """Every migration, applied or pending, and applied ones whose file changed or is missing.

    >>> s = await schemactl.status("sqlite:app.db")
    >>> [m.version for m in s.pending]
    """
    files, warnings = discover(_dirs(migrations_dir))
    async with _open(target, DEFAULT_LOCK_TIMEOUT) as db, db.connection() as conn:
        tracking = _tracking(migrations_table, conn, db)
        state = await tracking.read(conn)
        failures = await tracking.read_failures(conn) if state is not None else {}
    rows = state[0] if state else {}
    entries: list[MigrationStatus] = []
    for file in files:
        row = rows.get(file.version)
        checksum_ok = None
        if row is not None and row.checksum is not None:
            checksum_ok = checksum(file.path.read_bytes()) == row.checksum
        failure = failures.get(file.version)
        entries.append(
            MigrationStatus(
                version=file.version,
                name=file.name,
                path=file.path,
                applied=row is not None,
                applied_at=row.applied_at if row else None,
                checksum_ok=checksum_ok,
                state="failed" if failure else "applied" if row else "pending",
                failure=failure.describe() if failure else None,
            )
        )
    known = {f.version for f in files}
    for version, row in rows.items():
        if version not in known:
            entries.append(
                MigrationStatus(version, None, None, True, row.applied_at, None, "applied")
            )
    entries.sort(key=lambda m: m.path.name if m.path else m.version)
    return Status(migrations=tuple(entries), warnings=tuple(warnings))


async def resolve(
    target: Target,
    version: str,
    *,
    applied: bool,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    lock_strategy: str = "auto",
) -> ResolveResult:
    """Mark a migration that failed part-way as applied (you finished it by hand) or as rolled
    back (you undid it), after fixing the database. Like Prisma's `migrate resolve`.

    >>> await schemactl.resolve(url, "20260101120000", applied=False)
    """
    files, _ = discover(_dirs(migrations_dir))
    file = next((f for f in files if f.version == version), None)
    async with _open(target, lock_timeout) as db, db.connection() as conn:
        tracking = _tracking(migrations_table, conn, db)
        runner = await _runner(db, conn, tracking, SessionSettings(), 0, lock_strategy)
        async with runner.lock(lock_timeout):
            failures = await tracking.read_failures(conn)
            if version not in failures:
                raise StateError(f"{version} has no recorded failure: nothing to resolve")
            rows = await runner.ensure_tracking_table()
            if applied and version not in rows:
                digest = checksum(file.path.read_bytes()) if file else None
                await db.dialect.execute(runner.driver, tracking.insert_sql(version, digest))
            elif not applied and version in rows:
                await db.dialect.execute(runner.driver, tracking.delete_sql(version))
            await db.dialect.execute(runner.driver, tracking.clear_failure_sql(version))
            runner.uses_failures_table()
            await runner.finish()
    log.info("Marked %s as %s", version, "applied" if applied else "rolled back")
    return ResolveResult(version=version, applied=applied)


async def create(target: Target) -> DatabaseResult:
    """Create the database named by the URL; ``changed`` is False if it already existed.

    >>> await schemactl.create("postgresql://postgres@localhost/app")
    """
    async with _open(target, DEFAULT_LOCK_TIMEOUT) as db:
        return DatabaseResult(database=db.label, changed=await db.create())


async def drop(target: Target) -> DatabaseResult:
    """Drop the database named by the URL, disconnecting other sessions on PostgreSQL.

    >>> await schemactl.drop("postgresql://postgres@localhost/app_test")
    """
    async with _open(target, DEFAULT_LOCK_TIMEOUT) as db:
        return DatabaseResult(database=db.label, changed=await db.drop())


async def wait(target: Target, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> WaitResult:
    """Wait until the server accepts and authenticates a connection (the database may not
    exist yet). Raises WaitTimeoutError after ``timeout`` seconds.

    >>> await schemactl.wait("postgresql://app@db/app", timeout=60)
    """
    async with _open(target, DEFAULT_LOCK_TIMEOUT) as db:
        attempts, elapsed = await db.wait(timeout)
    return WaitResult(attempts=attempts, elapsed=elapsed)


# -- the work behind up and migrate ---------------------------------------------------------


def _open(target: Any, lock_timeout: float) -> Any:
    from ._database import open_database

    return open_database(target, lock_timeout=lock_timeout)


def _tracking(name: str, conn: AsyncConnection, db: Database) -> TrackingTable:
    from ._tracking import TrackingTable

    return TrackingTable(name, conn.dialect, pinned=db.dialect.pin_reads)


def _pending(files: list[MigrationFile], rows: dict[str, AppliedRow]) -> list[MigrationFile]:
    return [f for f in files if f.version not in rows]


async def _migrate(
    target: Target,
    *,
    migrations_dir: Dirs,
    migrations_table: str,
    single_transaction: bool,
    lock_timeout: float,
    wait: bool,
    wait_timeout: float,
    create_missing: bool,
    settings: SessionSettings,
    lock_retries: int,
    lock_strategy: str,
) -> MigrateResult:
    files, warnings = discover(_dirs(migrations_dir))
    async with _open(target, lock_timeout) as db:
        if single_transaction and not db.dialect.transactional_ddl:
            raise ConfigurationError(
                f"--single-transaction is not possible on {db.dialect.name}: "
                "DDL commits implicitly there"
            )
        if wait:
            await db.wait(wait_timeout)
        async with db.connection(create_missing=create_missing) as conn:
            tracking = _tracking(migrations_table, conn, db)
            state = await tracking.read(conn)
            if state is not None and not _pending(files, state[0]):
                return MigrateResult((), db.created, tuple(warnings))  # fast path: no lock needed
            parsed = {f.path: f.read() for f in _pending(files, state[0] if state else {})}
            runner = await _runner(db, conn, tracking, settings, lock_retries, lock_strategy)
            async with runner.lock(lock_timeout):
                rows = await runner.ensure_tracking_table()
                await runner.refuse_after_failures()
                migrations = []
                for file in _pending(files, rows):
                    migrations.append(parsed.get(file.path) or file.read())
                    if single_transaction and not migrations[-1].up.transaction:
                        raise ConfigurationError(
                            f"--single-transaction: {file.path.name} has transaction:false"
                        )
                try:
                    if single_transaction:
                        applied = await runner.apply_in_one_transaction(migrations)
                    else:
                        applied = []
                        for migration in migrations:
                            result = await runner.apply(migration)
                            if result is not None:
                                applied.append(result)
                finally:
                    await runner.finish()
    return MigrateResult(tuple(applied), db.created, tuple(warnings))


async def _runner(
    db: Database,
    conn: AsyncConnection,
    tracking: TrackingTable,
    settings: SessionSettings,
    lock_retries: int,
    lock_strategy: str = "auto",
) -> Runner:
    from ._runner import Runner

    if lock_retries < 0:
        raise ConfigurationError(f"lock retries must be 0 or more, not {lock_retries}")
    for name, value in (
        ("ddl lock timeout", settings.ddl_lock_timeout),
        ("statement timeout", settings.statement_timeout),
    ):
        if value is not None and value <= 0:
            raise ConfigurationError(f"{name} must be more than 0 seconds, not {value:g}")
    driver = await db.dialect.driver(conn)
    await db.dialect.configure_session(driver, settings)
    return Runner(
        db, conn, driver, tracking, lock_retries=lock_retries, lock_strategy=lock_strategy
    )
