"""Build the plan against a database, changing nothing: no database is created, no lock
taken, nothing written to it (the pre-flight checks run in read-only transactions).

Up: the pending migrations, in the order ``up`` applies them (through ``to``). Down: the
applied migrations a rollback of ``steps`` (or ``to``) would undo, newest first, each down
section read by the linter as if it were an up section, against the schema the rollbacks
before it leave.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError
from .._files import Migration, MigrationFile, discover
from .._options import Options
from ..lint import ops
from ..lint.engine import parse_section
from ..lint.policy import Policy
from ..lint.run import check_dialect, lint_session
from . import digest as digests
from .model import Direction, DownSection, PlannedMigration, PlanResult
from .preflight import Collector
from .preflight_run import run_checks

if TYPE_CHECKING:
    from .._session import Session
    from ..lint.run import LintResult

_NOT_CHECKED_IN_ROLLBACK = {"RB101"}  # a down section's own down: `down.present` says it


async def build_plan(
    target: Any,
    options: Options,
    *,
    policy: Policy | None = None,
    preflight: bool = False,
    statement_timeout: float | None = None,
    rollback: bool = False,
    steps: int | None = None,
    to: str | None = None,
) -> PlanResult:
    """The plan of ``up`` (through version ``to``), or with ``rollback`` of a rollback of
    ``steps`` (default 1) or to ``to``; ``preflight`` runs the checks, each bounded by
    ``statement_timeout`` seconds."""
    from .._database import open_database
    from .._session import open_session

    _check_arguments(rollback, steps, to, statement_timeout)
    policy = policy or Policy()
    files, warnings = discover(options.migrations_dirs)
    async with open_database(target, options) as db, open_session(db, options) as session:
        dialect = check_dialect(db.dialect.name)
        state = await session.state()
        identity = digests.Identity.of(dialect, db.url)
        if rollback:
            chosen, targets = _rollback_targets(session, files, state.applied, steps, to)
        else:
            chosen, targets = _pending(session, files, state.applied, to)
        collector = Collector(dialect)
        linted = await lint_session(
            session,
            targets,
            dataclasses.replace(policy, start_after=None),  # every migration that would run
            files=files,
            applied=state.applied,
            warnings=warnings,
            observer=collector,
        )
        checks = {v: tuple(found) for v, found in collector.checks.items()}
        if preflight:
            for version, found in checks.items():
                checks[version] = tuple(await run_checks(session, found, statement_timeout))
    direction: Direction = "down" if rollback else "up"
    entries = [digests.Entry.of(f) for f in chosen]
    down_steps = steps if rollback else None
    down_to = to if rollback else None
    value = digests.digest(identity, direction, entries, steps=down_steps, to=down_to)
    digests.remember(value, identity, direction, entries, down_steps, down_to)
    return PlanResult(
        digest=value,
        direction=direction,
        database=linted.database or db.label,
        dialect=dialect,
        migrations=_planned(linted, chosen, checks, rollback, policy),
        risk=linted.risk,
        policy=policy,
        preflight_run=preflight,
        steps=down_steps,
        to=down_to,
        warnings=linted.warnings,
    )


def _check_arguments(
    rollback: bool, steps: int | None, to: str | None, statement_timeout: float | None
) -> None:
    if steps is not None and not rollback:
        raise ConfigurationError("steps is for a rollback's plan (rollback --dry-run --steps N)")
    if steps is not None and to is not None:
        raise ConfigurationError("give either steps or to (--steps or --to), not both")
    if steps is not None and steps < 1:
        raise ConfigurationError(f"steps must be 1 or more, not {steps}")
    if rollback and to is not None and not (to.isascii() and to.isdigit()):
        raise ConfigurationError(f"--to takes a migration version (digits) or 0, not {to!r}")
    if statement_timeout is not None:
        Options(statement_timeout=statement_timeout)  # the same rules as everywhere


def _pending(
    session: Session, files: list[MigrationFile], applied: Any, to: str | None
) -> tuple[list[MigrationFile], list[Migration]]:
    from .._session import checked, through

    pending = [f for f in through(files, to) if f.version not in applied]
    parsed = checked(session.dialect, pending)  # what `up` refuses before it runs anything
    return pending, [parsed[f.path] for f in pending]


def _rollback_targets(
    session: Session,
    files: list[MigrationFile],
    applied: Any,
    steps: int | None,
    to: str | None,
) -> tuple[list[MigrationFile], list[Migration]]:
    """The files a rollback would undo, and their down sections as migrations to lint."""
    from .._runner import refuse_transaction_control
    from .._session import down_migration, rollback_targets

    by_version = {f.version: f for f in files}
    versions = rollback_targets(applied, by_version, steps=steps, to=to)
    dirs = session.options.migrations_dirs
    migrations = [down_migration(v, by_version.get(v), dirs) for v in versions]
    for migration in migrations:
        refuse_transaction_control(session.dialect, migration, down=True)
    # the down section read as the linter reads an up section; its "down" is the up
    as_up = [dataclasses.replace(m, up=m.down, down=m.up) for m in migrations if m.down]
    return [by_version[v] for v in versions], as_up


def _planned(
    linted: LintResult,
    chosen: Sequence[MigrationFile],
    checks: dict[str, tuple[Any, ...]],
    rollback: bool,
    policy: Policy,
) -> tuple[PlannedMigration, ...]:
    by_version = {f.version: f for f in chosen}
    dialect = linted.dialect
    planned = []
    for migration in linted.migrations:
        parsed = by_version[migration.version].read()
        findings = migration.findings
        if rollback:
            findings = tuple(f for f in findings if f.rule not in _NOT_CHECKED_IN_ROLLBACK)
        if policy.start_after is not None and migration.version <= policy.start_after:
            findings = ()  # the policy leaves it alone (it runs all the same)
        planned.append(
            PlannedMigration(
                version=migration.version,
                file=migration.file,
                transaction=migration.transaction,
                statements=migration.statements,
                findings=findings,
                risk=migration.risk,
                tables=migration.tables,
                down=_down_section(parsed, dialect),
                preflight=checks.get(migration.version, ()),
            )
        )
    return tuple(planned)


def _down_section(migration: Migration, dialect: Any) -> DownSection:
    down = migration.down
    present = down is not None and (not down.is_empty or down.marked_noop)
    if down is None or down.is_empty:
        return DownSection(present, ())
    return DownSection(present, tuple(losses(parse_section(down, dialect))))


def losses(statements: Sequence[Any]) -> list[str]:
    """What a section's statements destroy: tables, columns, schemas dropped, rows emptied."""
    lost: dict[str, None] = {}
    for statement in statements:
        for op in statement.ops:
            if isinstance(op, ops.DropTable) and op.table:
                lost[f"table {op.table}"] = None
            elif isinstance(op, ops.DropColumn) and op.table:
                lost[f"column {op.table}.{op.column}"] = None
            elif isinstance(op, ops.Truncate) and op.table:
                lost[f"rows of table {op.table}"] = None
            elif isinstance(op, ops.DataChange) and op.kind == "delete" and op.table:
                lost[f"{'some ' if op.has_where else ''}rows of table {op.table}"] = None
            elif isinstance(op, ops.DropSchema):
                lost[f"{op.kind} {op.name}"] = None
    return list(lost)
