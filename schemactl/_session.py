"""A session: one connection to one database for one run, and everything the run owns.

``open_session`` connects (creating the database if asked), applies the session limits,
builds the tracking table and the migration lock, and on the way out, whatever happened:
drops an empty failures table, restores the limits on a connection that goes back to the
caller's pool (or discards that connection), and closes it. ``up``, ``migrate``,
``rollback``, ``resolve`` and ``status`` are walks over one session; later features (plan,
lint against a database, verify, fleets) are written on it too.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from ._errors import (
    ConfigurationError,
    LockTimeoutError,
    MigrationFileError,
    SchemactlError,
    StateError,
    StatementError,
)
from ._files import NOOP_MARKER, Migration, MigrationFile, checksum
from ._lock import held, migration_lock
from ._results import AppliedMigration, Progress, plural
from ._runner import Runner, refuse_transaction_control
from ._search_path import tracking_table
from ._tracking import TrackingTable
from .dialects import Failure, refuse_read_only

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from ._database import Database
    from ._options import Options
    from ._tracking import AppliedRow, FailureRow
    from .dialects import Dialect
    from .lint.gate import Verdict

log = logging.getLogger("schemactl")


@dataclass(frozen=True)
class State:
    """What the tracking tables say: applied rows by version, and part-way failures."""

    applied: dict[str, AppliedRow]
    failures: dict[str, FailureRow]


class Session:
    """One open connection of a run, with its tracking table and migration lock."""

    def __init__(
        self, db: Database, conn: AsyncConnection, driver: object, options: Options
    ) -> None:
        self.db = db
        self.options = options
        self.conn = conn
        self.driver = driver
        pinned = self._in_transaction if db.dialect.profile.pooled else None
        table = tracking_table(options.migrations_table, db.dialect.profile.search_path)
        self.tracking = TrackingTable(table, conn.dialect, pinned=pinned)
        self.runner = Runner(
            db, conn, driver, self.tracking, options.lock_retries, options.lock_timeout
        )
        self.recorded: set[str] = set()  # the versions recorded as applied, as last known
        self.restore: list[str] | None = None  # what undoes the session limits, once set

    @property
    def dialect(self) -> Dialect[Any]:
        return self.db.dialect

    @asynccontextmanager
    async def _in_transaction(self) -> AsyncIterator[None]:
        await self.dialect.execute(self.driver, "BEGIN")
        try:
            yield
        finally:
            await self.dialect.execute(self.driver, "COMMIT")

    async def state(self) -> State:
        """The tracking table as it is now (read without the lock)."""
        read = await self.tracking.read(self.conn)
        # (failures are read even when the tracking table is gone: `up` refuses on them)
        failures = await self.tracking.read_failures(self.conn)
        return State(read.rows if read else {}, failures)

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[None]:
        """Set the session limits, then hold the migration lock (for SQLite: nothing; each
        transaction takes the lock). Reads need neither: `status`, or `up` with nothing
        pending, cost one query."""
        if self.restore is None:
            self.restore = await self.dialect.configure_session(
                self.driver,
                self.options.ddl_lock_timeout,
                self.options.statement_timeout,
                remember=not self.db.owned,
            )
        if self.runner.lock is None:
            self.runner.lock = await migration_lock(
                self.dialect, self.driver, self.tracking, self.options.lock_strategy
            )
        database = str(self.db.url.database)
        async with held(self.runner.lock, self.options.lock_timeout, database, self._connect):
            yield

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[object]:
        """A second connection's driver (a lease's renewals while a migration runs)."""
        async with self.db.connection() as conn:
            yield await self.dialect.driver(conn)

    async def migrate(
        self, files: list[MigrationFile], *, single_transaction: bool = False
    ) -> list[AppliedMigration]:
        """Apply every pending migration, in order, under the lock. Nothing pending: no lock.

        The one query of an up-to-date run also asks whether the server is read-only (a
        standby, a replica): if it is, or anything is pending, the careful path asks again
        and refuses a read-only server before anything else."""
        probe = self.dialect.table_exists_sql(
            self.tracking.failures.schema, self.tracking.failures.name
        )
        if self.dialect.read_only_expression is not None:
            probe = f"({probe}) OR ({self.dialect.read_only_expression})"
        read = await self.tracking.read(self.conn, failures_probe=probe)
        self.recorded = set(read.rows) if read else set()
        if read is not None and not _pending(files, read.rows) and read.failures is False:
            self._refuse_unapproved([], read.rows)  # (nothing pending: no lock to take)
            if self.options.fail_on_drift:  # (reading every file costs the fast path: asked)
                self._refuse_or_warn_drift(files, read.rows)
            return []  # many app instances starting at once need not queue for the lock
        await refuse_read_only(self.dialect, self.driver, self.db.label)
        # every pending file is checked before the lock is taken and the tracking table made
        parsed = checked(self.dialect, _pending(files, read[0] if read else {}), single_transaction)
        async with self.locked():
            await self.runner.refuse_after_failures()  # (first: it may wait for another run)
            rows = await self.runner.ensure_tracking_table()
            pending = _pending(files, rows)
            self._refuse_unapproved(pending, rows)
            self._refuse_or_warn_out_of_order(pending, rows)
            self._refuse_or_warn_drift(files, rows)
            unread = [f for f in pending if f.path not in parsed]
            parsed.update(checked(self.dialect, unread, single_transaction))
            migrations = [parsed[file.path] for file in pending]
            for migration in migrations:
                if migration.up.is_empty:
                    self.runner.warnings.append(f"{migration.path.name}: its up section is empty")
            verdict = self._lint(files, rows, migrations)
            if verdict is not None and verdict.refused is not None:
                versions = [m.version for m in migrations]
                migrations = migrations[: versions.index(verdict.refused.version)]
            self.recorded = set(rows)
            applied: list[AppliedMigration] = []
            total = len(migrations)
            if single_transaction and migrations:
                self._progress(0, total, f"{plural(total, 'migration')} in one transaction")
                applied = await self.runner.apply_in_one_transaction(migrations)
                self.recorded |= {m.version for m in migrations}
            elif not single_transaction:
                for done, migration in enumerate(migrations):
                    self._progress(done, total, migration.path.name)
                    result = await self.runner.apply(migration)
                    if result is not None:
                        applied.append(result)
                    self.recorded.add(migration.version)  # (None: another run applied it)
            if migrations:
                self._progress(total, total, None)
            if verdict is not None and verdict.refused is not None:
                raise verdict.error(len(applied))
            return applied

    def _refuse_unapproved(self, pending: list[MigrationFile], rows: dict[str, AppliedRow]) -> None:
        """With a plan digest, refuse unless what would run is the approved plan."""
        if self.options.plan_digest is None:
            return
        from .planner.digest import Identity, refuse_unless_approved

        identity = Identity.of(self.dialect.name, self.db.url)
        refuse_unless_approved(self.options.plan_digest, identity, pending, rows)

    def _lint(
        self, files: list[MigrationFile], rows: dict[str, AppliedRow], pending: list[Migration]
    ) -> Verdict | None:
        """The lint policy's verdict on the pending migrations (None: no policy, no lint);
        the blocking findings it lets through become the run's warnings. Not enforced, a
        database with nothing applied yet is not linted: built from scratch, its tables are
        empty and nobody waits on their locks, so every warning would be noise (and the
        cost, a fifth of applying 1,000 small migrations, for nothing)."""
        policy = self.options.policy
        if policy is None or not pending or not (policy.enforce or rows):
            return None
        from .lint.gate import check_pending

        history = [f.read() for f in files if f.version in rows]
        verdict = check_pending(
            pending,
            history,
            dialect=self.dialect.name,  # type: ignore[arg-type]  # postgresql, mysql, sqlite
            policy=policy,
            applied={v: row.checksum for v, row in rows.items()},
            runner_lock_timeout=self.options.ddl_lock_timeout is not None,
        )
        self.runner.warnings.extend(verdict.warnings)
        return verdict

    def _refuse_or_warn_drift(
        self, files: list[MigrationFile], rows: dict[str, AppliedRow]
    ) -> None:
        """Applied migrations whose file changed since (their checksum differs): a warning, or
        a refusal with ``fail_on_drift``."""
        drifted = [
            f
            for f in files
            if (row := rows.get(f.version)) is not None
            and row.checksum is not None
            and checksum(f.content()) != row.checksum
        ]
        if drifted:
            message = (
                f"{plural(len(drifted), 'applied migration')} changed since applied "
                f"({_names(drifted)}; `schemactl status` shows them)"
            )
            if self.options.fail_on_drift:
                raise StateError(f"{message}; --fail-on-drift refuses to run")
            self.runner.warnings.append(message)

    def _refuse_or_warn_out_of_order(
        self, pending: list[MigrationFile], rows: dict[str, AppliedRow]
    ) -> None:
        """A pending migration older than one already applied (two branches merged): applied
        with a warning, or refused with ``strict`` (dbmate's ``--strict``)."""
        late = out_of_order(pending, rows)
        if not late:
            return
        message = (
            f"{plural(len(late), 'pending migration')} older than {max(rows)}, which is "
            f"applied already (out of order: {_names(late)})"
        )
        if self.options.strict:
            raise StateError(f"{message}; --strict refuses to apply them")
        self.runner.warnings.append(f"{message}; applied anyway (--strict refuses)")

    async def rollback(
        self, files: list[MigrationFile], *, steps: int | None, to: str | None
    ) -> list[AppliedMigration]:
        """Roll back the newest ``steps`` applied migrations, or all applied after ``to``."""
        by_version = {f.version: f for f in files}
        await refuse_read_only(self.dialect, self.driver, self.db.label)
        async with self.locked():
            await self.runner.refuse_after_failures()  # (first: it may wait for another run)
            read = await self.tracking.read(self.conn)
            rows = read.rows if read else {}
            targets = rollback_targets(rows, by_version, steps=steps, to=to)
            migrations = [
                down_migration(v, by_version.get(v), self.options.migrations_dirs) for v in targets
            ]
            for migration in migrations:
                refuse_transaction_control(self.dialect, migration, down=True)
            done: list[AppliedMigration | None] = []
            for migration in migrations:
                self._progress(len(done), len(migrations), migration.path.name, "down")
                done.append(await self.runner.apply(migration, down=True))
            if migrations:
                self._progress(len(done), len(migrations), None, "down")
        return [d for d in done if d]

    def _progress(self, done: int, total: int, current: str | None, direction: str = "up") -> None:
        if self.options.progress is not None:
            self.options.progress(Progress(done, total, current, direction))

    async def resolve(self, version: str, file: MigrationFile | None, *, applied: bool) -> None:
        """Clear a part-way failure, recording the migration as applied or as not applied."""
        dialect, driver = self.dialect, self.driver
        await refuse_read_only(self.dialect, self.driver, self.db.label)
        async with self.locked():
            failures = await self.tracking.read_failures(self.conn)
            if version not in failures:
                raise StateError(f"{version} has no recorded failure: nothing to resolve")
            rows = await self.runner.ensure_tracking_table()
            if applied and version not in rows:
                digest = checksum(file.content()) if file else None
                await dialect.execute(driver, self.tracking.insert_sql(version, digest))
            elif not applied and version in rows:
                await dialect.execute(driver, self.tracking.delete_sql(version))
            await dialect.execute(driver, self.tracking.clear_failure_sql(version))
            self.runner.failures_table_ready = True
        log.info("Marked %s as %s", version, "applied" if applied else "rolled back")

    async def baseline(self, files: list[MigrationFile]) -> list[str]:
        """Record ``files`` as applied without running them; the versions newly recorded."""
        await refuse_read_only(self.dialect, self.driver, self.db.label)
        recorded: list[str] = []
        async with self.locked():
            failures = await self.tracking.read_failures(self.conn)
            if failures:
                first = min(failures)
                raise StateError(
                    f"migration {first} failed part-way: settle it first "
                    f"(schemactl resolve {first} --applied or --rolled-back)"
                )
            rows = await self.runner.ensure_tracking_table()
            for file in files:
                if file.version in rows:
                    continue
                insert = self.tracking.insert_sql(file.version, checksum(file.content()))
                try:
                    await self.dialect.execute(self.driver, insert)
                except Exception as exc:  # (SQLite, no lock: another run recorded it first)
                    if self.dialect.classify(exc) is not Failure.DUPLICATE_KEY:
                        raise
                    continue
                recorded.append(file.version)
        log.info("Recorded %s as applied, without running them", plural(len(recorded), "migration"))
        return recorded

    async def close(self, *, interrupted: bool) -> None:
        """Leave the connection as it was given: no empty failures table, limits restored.

        ``interrupted``: the run was cancelled midway, the connection's state is unknown.
        """
        await self.runner.drop_empty_failures_table()
        if self.db.owned:
            return  # closed, not returned to anyone's pool
        try:
            if interrupted:
                raise RuntimeError("interrupted")
            for sql in self.restore or ():
                await self.dialect.execute(self.driver, sql)
        except Exception:  # not as it was: it must not go back into the caller's pool
            log.debug("discarding the connection: its settings are not restored", exc_info=True)
            with contextlib.suppress(Exception):
                await self.conn.invalidate()


def rollback_targets(
    rows: dict[str, AppliedRow],
    files: dict[str, MigrationFile],
    *,
    steps: int | None,
    to: str | None,
) -> list[str]:
    """The applied versions a rollback undoes, in the order it undoes them: the newest
    ``steps`` (default 1), or all applied after ``to`` ("0": all)."""
    applied = _newest_first(rows, files)
    if not applied:
        raise StateError("nothing to roll back: no migration has been applied")
    if to is None:
        return applied[: steps or 1]
    if to == "0":
        return applied
    if to in applied:
        targets = applied[: applied.index(to)]
        if not targets:
            raise StateError(
                f"nothing to roll back: {to} is the migration applied last "
                "(--to keeps it and rolls back what was applied after it)"
            )
        return targets
    raise StateError(f"--to {to}: no applied migration has that version")


def down_migration(version: str, file: MigrationFile | None, dirs: tuple[Path, ...]) -> Migration:
    """The migration ``version`` as a rollback reads it; a missing file, or a down section
    missing or empty (and not marked no-op), is a MigrationFileError."""
    if file is None:
        raise MigrationFileError(
            f"cannot roll back {version}: its migration file is missing from "
            + ", ".join(map(str, dirs))
        )
    migration = file.read()
    if migration.down is None:
        raise MigrationFileError(
            f"cannot roll back {file.path.name}: it has no '-- migrate:down' section"
        )
    if migration.down.is_empty and not migration.down.marked_noop:
        # rolled back, it would be recorded as undone while everything it did stays
        raise MigrationFileError(
            f"{file.path}:{migration.down.line - 1}: cannot roll back: the down section "
            f"is empty; write the SQL that undoes the migration, or the line "
            f"'{NOOP_MARKER}' in it if nothing needs undoing"
        )
    return migration


def checked(
    dialect: Dialect[Any], files: list[MigrationFile], single_transaction: bool = False
) -> dict[Path, Migration]:
    """Parse the files to apply and run every check that needs no database, so that a bad
    file stops a run before it changes anything (the lock, the tracking table, a database
    `up` would create)."""
    parsed: dict[Path, Migration] = {}
    for file in files:
        migration = parsed[file.path] = file.read()
        refuse_transaction_control(dialect, migration, down=False)
        if single_transaction and not migration.up.transaction:
            raise ConfigurationError(
                f"--single-transaction: {file.path.name} has transaction:false"
            )
    return parsed


def all_checked(
    dialect: Dialect[Any], files: list[MigrationFile], single_transaction: bool
) -> Callable[[], None]:
    """For ``before_create``: a database `up` would create is created only once every file
    checks out, so a broken file leaves no empty database behind."""

    def check() -> None:
        checked(dialect, files, single_transaction)

    return check


@asynccontextmanager
async def open_session(
    db: Database,
    options: Options,
    *,
    create_missing: bool = False,
    before_create: Callable[[], None] | None = None,
) -> AsyncIterator[Session]:
    """A session on ``db``; ``before_create``: see ``Database.connection``."""
    async with db.connection(create_missing=create_missing, before_create=before_create) as conn:
        session = Session(db, conn, await db.dialect.driver(conn), options)
        finished = False
        try:
            yield session
            finished = True
        except SchemactlError:
            finished = True  # an orderly failure: the connection is usable
            raise
        except Exception as exc:
            kind = db.dialect.classify(exc)
            if not kind.statement:
                raise
            # one of schemactl's own statements, refused: the link is fine
            finished = True
            if kind is Failure.LOCK_TIMEOUT:  # SQLite: another process holds the database
                option = "--ddl-lock-timeout" if db.dialect.has_server else "--lock-timeout"
                raise LockTimeoutError(
                    f"{db.label}: gave up waiting for a lock another connection holds "
                    f"({db.reason(exc)}); retry later, or wait longer with {option}"
                ) from exc
            raise StatementError(
                f"{db.label}: a statement on the tracking table failed: {db.reason(exc)}"
            ) from exc
        finally:
            with anyio.CancelScope(shield=True):
                await session.close(interrupted=not finished)


def _pending(files: list[MigrationFile], rows: dict[str, AppliedRow]) -> list[MigrationFile]:
    return [f for f in files if f.version not in rows]


def out_of_order(files: list[MigrationFile], rows: dict[str, AppliedRow]) -> list[MigrationFile]:
    """The pending ``files`` older than the newest applied version (versions compare as
    text, as dbmate compares them)."""
    if not rows:
        return []
    newest = max(rows)
    return [f for f in files if f.version not in rows and f.version < newest]


def _newest_first(rows: dict[str, AppliedRow], files: dict[str, MigrationFile]) -> list[str]:
    """The applied versions, the one applied last first: by ``applied_at`` when schemactl
    recorded it for every row (a merged branch's older migration applied today is undone
    first); otherwise, as dbmate orders them, by file name (or by version for a missing file)
    — a row without the time (dbmate applied it) may be older or newer than the others."""

    def name(version: str) -> str:
        return files[version].path.name if version in files else version

    times = {v: row.applied_at for v, row in rows.items()}
    if all(times.values()):
        return sorted(rows, key=lambda v: (times[v], name(v)), reverse=True)
    return sorted(rows, key=name, reverse=True)


def _names(files: list[MigrationFile]) -> str:
    """The first few files' names, for a message."""
    return ", ".join(f.path.name for f in files[:3]) + (" ..." if len(files) > 3 else "")


def through(files: list[MigrationFile], to: str | None) -> list[MigrationFile]:
    """The migration files up to and including version ``to`` (all of them for None)."""
    if to is None:
        return files
    versions = [f.version for f in files]
    if to not in versions:
        raise ConfigurationError(f"--to {to}: no migration file has that version")
    return files[: versions.index(to) + 1]
