"""Applying and rolling back migrations on one open connection: transactions, the tracking
row, failure marks, lock-timeout retries, and the errors a user reads."""

from __future__ import annotations

import logging
import random
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from ._errors import (
    ConfigurationError,
    DatabaseConnectionError,
    LockTimeoutError,
    MigrationFailedError,
    MigrationFileError,
    SchemactlError,
    StateError,
)
from ._results import AppliedMigration
from ._tracking import EXTRA_COLUMNS
from .dialects import ScriptError, locked_table, transaction_control
from .dialects._base import rollback_quietly, split

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from ._database import Database
    from ._files import Migration, Section
    from ._lock import MigrationLock
    from ._tracking import AppliedRow, TrackingTable
    from .dialects import Dialect

log = logging.getLogger("schemactl")


@dataclass
class Runner:
    """Applies and rolls back migrations for a Session that holds the migration lock."""

    db: Database
    conn: AsyncConnection
    driver: object
    tracking: TrackingTable
    lock_retries: int = 0
    lock_timeout: float = 0.0  # without a lock across runs: how long another run is waited for
    lock: MigrationLock | None = field(default=None, init=False)  # set when first taken
    failures_table_ready: bool = field(default=False, init=False)
    warnings: list[str] = field(default_factory=list, init=False)  # for the run's result

    async def ensure_tracking_table(self) -> dict[str, AppliedRow]:
        """Create the tracking table, or add schemactl's columns to one dbmate made; return the
        applied rows as they are now."""
        state = await self.tracking.read(self.conn)
        if state is None:
            await self._create_tracking_table()
            state = await self.tracking.read(self.conn)
            assert state is not None
        missing = [c for c in EXTRA_COLUMNS if c not in state.columns]
        if missing:
            await self._add_columns(missing)
        return state.rows

    async def _create_tracking_table(self) -> None:
        """Create the tracking table. When that fails and it is named in a schema, the schema
        is created (PostgreSQL, as dbmate does) and the table again: creating a schema first,
        even one that exists, asks for a privilege the run may not have."""
        schema = self.tracking.name.rpartition(".")[0]
        create_schema = self.db.dialect.create_schema_sql(schema) if schema else None
        try:
            await self._create(self.tracking.create_sql())
        except ConfigurationError:
            if create_schema is None:
                raise
            await self._create(create_schema)
            await self._create(self.tracking.create_sql())

    async def _create(self, sql: str) -> None:
        try:
            await self.db.dialect.execute(self.driver, sql)
        except SchemactlError:
            raise  # (the write lock past the lock timeout, on SQLite)
        except Exception as exc:
            if not self.db.dialect.classify(exc).statement:
                raise
            raise ConfigurationError(
                f"cannot create the tracking table {self.tracking.name!r}: {self.db.reason(exc)}"
            ) from exc

    async def _add_columns(self, missing: list[str]) -> None:
        """Add schemactl's columns to a table dbmate made; where that is refused (a role that
        may not ALTER it, a read-only database) work without them and say so once. Another
        run adding the same column at the same time is no failure: when an ALTER fails, the
        table is read again, and a column that is there now counts."""
        refused: BaseException | None = None
        for column in missing:
            try:
                await self._execute(self.tracking.add_column_sql(column))
            except SchemactlError:
                raise  # (the write lock past the lock timeout, on SQLite)
            except Exception as exc:
                if not self.db.dialect.classify(exc).statement:
                    raise
                refused = exc
        present = set(EXTRA_COLUMNS)
        if refused is not None:
            state = await self.tracking.read(self.conn)
            present = state.columns if state is not None else set()
        self.tracking.extra_columns = tuple(c for c in EXTRA_COLUMNS if c in present)
        lacking = [c for c in EXTRA_COLUMNS if c not in present]
        if lacking and refused is not None:
            self.warnings.append(
                f"the tracking table {self.tracking.name!r} has no column "
                f"{' or '.join(lacking)} and schemactl may not add it "
                f"({self.db.reason(refused)}): migrations are recorded without checksums, "
                "so a later change to an applied migration's file goes unnoticed"
            )

    async def refuse_after_failures(self) -> None:
        """A migration that failed part-way left the database in a state a blind re-run would
        make worse: stop until a human resolved it.

        Without a lock across runs (SQLite), a migration marked running by a run that still
        runs, or may (on another host), is most likely being applied at this moment: it is
        waited for, up to the lock timeout."""
        deadline = time.monotonic() + self.lock_timeout
        while True:
            failures = await self.tracking.read_failures(self.conn)
            if not failures:
                return
            busy = not self.db.dialect.has_session_lock and all(
                f.state == "running" and f.alive() is not False for f in failures.values()
            )
            if not busy or time.monotonic() >= deadline:
                first = failures[sorted(failures)[0]]
                raise StateError(
                    f"refusing to continue: migration {first.describe()}"
                    f"{' (or is still running in another run)' if busy else ''}\n"
                    f"fix the database by hand, then {resolve_hint(first.version)}"
                )
            await anyio.sleep(0.2)

    async def drop_empty_failures_table(self) -> None:
        """Drop the failures table this run used if no failure is left in it, so that a
        healthy database holds no table but the tracking table."""
        if not self.failures_table_ready:
            return
        try:
            if not await self.tracking.read_failures(self.conn):
                await self._execute(self.tracking.drop_failures_sql())
        except Exception:  # the connection may be gone; the table is harmless
            log.debug("could not drop the empty failures table", exc_info=True)

    # -- one migration ---------------------------------------------------------------------

    async def apply(self, migration: Migration, *, down: bool = False) -> AppliedMigration | None:
        """Run one direction of one migration with its tracking change; None if another run
        did it first (SQLite, where the lock is each migration's transaction)."""
        section = migration.down if down else migration.up
        assert section is not None
        tracking = self.tracking
        version = migration.version
        tracking_sql = (
            tracking.delete_sql(version)
            if down
            else tracking.insert_sql(version, migration.checksum)
        )
        guard_sql = None
        if not self.db.dialect.has_session_lock:
            guard_sql = (
                tracking.is_applied_sql(version) if down else tracking.is_pending_sql(version)
            )
        atomic = section.transaction and self.db.dialect.transactional_ddl
        assert self.lock is not None, "migrations run under the lock"
        await self.lock.renew()
        log.info("%s %s", "Rolling back" if down else "Applying", migration.path.name)
        started = time.perf_counter()
        for attempt in range(self.lock_retries + 1):
            try:
                if not atomic:  # (on a retry: its own mark, set again)
                    claim = guard_sql if attempt == 0 else None
                    if not await self._mark_running(migration, "down" if down else "up", claim):
                        return None  # another run did it meanwhile
                if section.transaction:
                    done = await self.db.dialect.run_transaction(
                        self.driver, section.sql, tracking_sql, guard_sql
                    )
                else:
                    await self.db.dialect.run_script(self.driver, section.sql)
                    await self._refuse_open_transaction(migration, section)
                    await self._record_applied(section, tracking_sql)
                    done = True
                if not atomic:
                    await self._execute(tracking.clear_failure_sql(version))
                break
            except LockTimeoutError as exc:  # SQLite's write lock stayed taken: nothing ran
                if not (atomic and attempt < self.lock_retries):
                    raise
                await self._back_off(attempt, str(exc))
                continue
            except SchemactlError:
                raise
            except Exception as exc:
                failure = self._failure(migration, section, exc)
                script_error = _script_error(exc)
                if not atomic and self.db.dialect.classify(exc).statement:
                    await self._record(version, failure, script_error)
                retry = (
                    script_error is not None
                    and script_error.lock_timeout
                    and attempt < self.lock_retries
                    and (atomic or _kept(script_error) == 0)
                )
                if not retry:
                    raise failure from exc
                await self._back_off(attempt, str(failure))
        if not done:
            return None
        duration = time.perf_counter() - started
        log.info(
            "%s %s in %.0f ms",
            "Rolled back" if down else "Applied",
            migration.path.name,
            duration * 1000,
        )
        return AppliedMigration(version, migration.name, migration.path, duration)

    async def _refuse_open_transaction(self, migration: Migration, section: Section) -> None:
        """A transaction:false section that ends inside a transaction it began: what ran
        since its BEGIN is not committed. Roll that back and say so, rather than record the
        migration in a transaction that closing the connection would roll back."""
        dialect = self.db.dialect
        if not await dialect.in_transaction(self.driver):
            return
        await rollback_quietly(dialect, self.driver)
        statements = split(dialect, section.sql)
        begins = [
            i
            for i, s in enumerate(statements)
            if transaction_control(s.sql) in ("begin", "start transaction")
        ]
        before = begins[-1] if begins else 0
        line = section.line + (statements[before].line - 1 if statements else 0)
        opened = f"{migration.path}:{line}: the section ended inside the transaction begun here"
        if before == 0:
            await self._execute(self.tracking.clear_failure_sql(migration.version))
            outcome = "it was rolled back: nothing of this migration was applied"
        else:
            outcome = (
                f"what ran after it was rolled back; the {before} statement(s) before it stay "
                f"applied (the section is transaction:false); recorded as failed: fix the "
                f"database by hand, then {resolve_hint(migration.version)}"
            )
            await self._execute(
                self.tracking.mark_failed_sql(migration.version, line, before, opened)
            )
        raise MigrationFailedError(
            f"{opened}: add its COMMIT; {outcome}",
            version=migration.version,
            line=line,
            statements_run=before,
            path=migration.path,
        )

    async def _back_off(self, attempt: int, reason: str) -> None:
        delay = min(30.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.0)
        log.info(
            "%s; retrying in %.1f s (%d of %d)",
            reason.splitlines()[0],
            delay,
            attempt + 1,
            self.lock_retries,
        )
        await anyio.sleep(delay)

    async def apply_in_one_transaction(self, migrations: list[Migration]) -> list[AppliedMigration]:
        """All pending migrations, one transaction, one commit (PostgreSQL, SQLite)."""
        dialect = self.db.dialect
        applied: list[AppliedMigration] = []
        await dialect.execute(self.driver, dialect.begin_sql)
        try:
            if not dialect.has_session_lock:  # now that we hold the write lock, look again
                state = await self.tracking.read(self.conn)
                done = state[0] if state else {}
                migrations = [m for m in migrations if m.version not in done]
            for migration in migrations:
                log.info("Applying %s", migration.path.name)
                started = time.perf_counter()
                insert = self.tracking.insert_sql(migration.version, migration.checksum)
                try:
                    await dialect.run_batch(self.driver, migration.up.sql, insert)
                except SchemactlError:
                    raise
                except Exception as exc:
                    raise self._failure(migration, migration.up, exc, whole_run=True) from exc
                duration = time.perf_counter() - started
                applied.append(
                    AppliedMigration(migration.version, migration.name, migration.path, duration)
                )
            await dialect.execute(self.driver, "COMMIT")
        except BaseException:
            with anyio.CancelScope(shield=True):
                await rollback_quietly(dialect, self.driver)
            raise
        return applied

    # -- failure marks (where a failure can leave part of a migration applied) ----------

    async def _execute(self, sql: str) -> None:
        await self.db.dialect.execute(self.driver, sql)

    async def _mark_running(
        self, migration: Migration, direction: str, guard_sql: str | None = None
    ) -> bool:
        """Mark the migration as running in the failures table, before any of it runs (a
        refusal here is the run's failure, not a lost connection: nothing of it ran).

        With ``guard_sql`` (no lock across runs: SQLite), the mark is written in the write
        transaction that finds the migration still to do and marked by no other run, so two
        runs cannot both start it; a run that finds another's mark waits for that run. False:
        another run did it."""
        version = migration.version
        mark = self.tracking.mark_running_sql(version, direction)
        try:
            if not self.failures_table_ready:
                await self._execute(self.tracking.create_failures_sql())
                self.failures_table_ready = True
            if guard_sql is None:
                await self._execute(self.tracking.clear_failure_sql(version))
                await self._execute(mark)
                return True
            unmarked = self.tracking.unmarked_sql(guard_sql, version)
            while not await self.db.dialect.run_transaction(self.driver, "", mark, unmarked):
                await self.refuse_after_failures()  # (waits while the other run runs)
                if await self.db.dialect.fetch_row(self.driver, guard_sql) is None:
                    return False
            return True
        except SchemactlError:
            raise
        except Exception as exc:
            if not self.db.dialect.classify(exc).statement:
                raise
            raise MigrationFailedError(
                f"{migration.path}: cannot mark it as running in "
                f"{self.tracking.failures.name!r}, where schemactl records a migration that "
                f"cannot be rolled back: {self.db.reason(exc)}\n"
                "no statement of this migration had run; it is not recorded as applied",
                version=version,
                line=None,
                path=migration.path,
            ) from exc

    async def _record_applied(self, section: Section, tracking_sql: str) -> None:
        """The tracking row of a transaction:false section, all of whose statements ran."""
        try:
            await self._execute(tracking_sql)
        except SchemactlError:
            raise
        except Exception as exc:
            if not self.db.dialect.classify(exc).statement:
                raise
            ran = len(split(self.db.dialect, section.sql))
            raise ScriptError(
                self.db.dialect.error_message(exc), None, ran, recording=True
            ) from exc

    async def _record(
        self, version: str, failure: SchemactlError, error: ScriptError | None
    ) -> None:
        """Keep the mark when statements stay applied (or what stays is unknown: ``error``
        None, a statement of schemactl's own failed); drop it when nothing stays."""
        try:
            if error is None or _kept(error):
                line = getattr(failure, "line", None)
                message = error.message if error else str(failure).splitlines()[0]
                ran = _kept(error) if error else 0
                await self._execute(
                    self.tracking.mark_failed_sql(version, line, ran, self.db.redact(message))
                )
            else:
                await self._execute(self.tracking.clear_failure_sql(version))
        except Exception:  # the connection may be gone: the "running" mark then stays
            log.debug("could not record the failure of %s", version, exc_info=True)

    # -- errors ----------------------------------------------------------------------------

    def _failure(
        self, migration: Migration, section: Section, exc: Exception, *, whole_run: bool = False
    ) -> SchemactlError:
        error = _script_error(exc)
        db = self.db
        atomic = section.transaction and db.dialect.transactional_ddl
        resolve = (
            f"recorded as failed: fix the database by hand, then {resolve_hint(migration.version)}"
        )
        if error is None:
            if not db.dialect.classify(exc).statement:
                return DatabaseConnectionError(
                    f"lost the connection to {db.label} while running {migration.path.name}: "
                    f"{db.reason(exc)}"
                )
            # one of schemactl's own statements around the migration (its tracking row,
            # BEGIN, COMMIT) was refused: the link is fine, and what ran is known only when
            # the migration was one transaction
            if whole_run:
                outcome = "nothing was applied: the whole run was one transaction"
            elif atomic:
                outcome = "nothing of this migration was applied: its transaction rolled back"
            else:
                outcome = f"what of it had run may stay applied; {resolve}"
            return MigrationFailedError(
                f"{migration.path}: {db.reason(exc)}\n{outcome}",
                version=migration.version,
                line=None,
                path=migration.path,
            )
        line = section.line
        if error.offset is not None:
            line += section.sql.count("\n", 0, error.offset)
        message = f"{migration.path}:{line}: {self.db.redact(error.message)}"
        if error.recording:
            message = (
                f"{migration.path}: it ran, but recording it in {self.tracking.name!r} "
                f"failed: {self.db.redact(error.message)}"
            )
        total = len(split(db.dialect, section.sql))
        kept = _kept(error)
        if whole_run:
            outcome = "nothing was applied: the whole run was one transaction"
        elif atomic:
            outcome = "nothing of this migration was applied"
        elif kept:
            why = (
                "the section is transaction:false"
                if not section.transaction
                else "DDL commits implicitly, and with it what ran before it"
            )
            stay = "stays" if kept == 1 else "stay"
            outcome = f"{_statements(kept)} of {total} {stay} applied ({why})"
            if kept < error.statements_run:
                undone = _statements(error.statements_run, kept + 1)
                outcome += f"; {undone} {'was' if kept + 1 == error.statements_run else 'were'} "
                outcome += "rolled back"
            outcome += f"; {resolve}"
        elif error.statements_run:
            outcome = (
                f"{_statements(error.statements_run)} of {total} had run and "
                f"{'was' if error.statements_run == 1 else 'were'} rolled back "
                "(no DDL among them committed them): nothing of this migration stays; "
                "it is not recorded as applied"
            )
        else:
            outcome = "no statement of this migration had run; it is not recorded as applied"
        if error.lock_timeout:
            table = locked_table(error.statement)
            target = f"table {table}" if table else "a table"
            return LockTimeoutError(
                f"{migration.path}:{line}: gave up waiting for a lock on {target} that another "
                f"session holds ({self.db.redact(error.message)})\n{outcome}; retry later, or with "
                "--lock-retries N"
            )
        return MigrationFailedError(
            f"{message}\n{outcome}",
            version=migration.version,
            line=line,
            statements_run=error.statements_run,
            path=migration.path,
        )


def _script_error(exc: BaseException) -> ScriptError | None:
    return exc if isinstance(exc, ScriptError) else None


def _kept(error: ScriptError) -> int:
    """How many leading statements of a failed section stay applied, when its transaction
    did not hold them all: those the database committed (MySQL's implicit commits, when the
    dialect tells), else every one that ran (transaction:false)."""
    return error.statements_run if error.committed is None else error.committed


def _statements(last: int, first: int = 1) -> str:
    return f"statement {first}" if first == last else f"statements {first}-{last}"


def resolve_hint(version: str) -> str:
    """The whole command that ends a part-way failure, both ways."""
    return (
        f"run `schemactl resolve {version} --applied` if you completed it, or "
        f"`schemactl resolve {version} --rolled-back` if you undid it"
    )


def refuse_transaction_control(dialect: Dialect[Any], migration: Migration, *, down: bool) -> None:
    """A transactional section must not begin, commit or roll back a transaction itself:
    schemactl runs it in one with its tracking row, and a COMMIT inside would make part of it
    permanent while the rest could still fail (a ROLLBACK, record as applied what was undone).
    Checked for every migration of a run before any of them runs."""
    section = migration.down if down else migration.up
    if section is None or not section.transaction or not _MAY_CONTROL.search(section.sql):
        return
    for statement in split(dialect, section.sql):
        keyword = transaction_control(statement.sql)
        if keyword is not None:
            line = section.line + statement.line - 1
            direction = "down" if down else "up"
            raise MigrationFileError(
                f"{migration.path}:{line}: {keyword.upper()} inside a transactional section: "
                "schemactl runs each migration in a transaction of its own; remove it, or run "
                f"the section outside one with '-- migrate:{direction} transaction:false'"
            )


# a cheap test first: most sections name none of these words
_MAY_CONTROL = re.compile(r"\b(begin|start|commit|end|rollback|abort|prepare)\b", re.IGNORECASE)
