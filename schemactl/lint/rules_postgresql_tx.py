"""PostgreSQL rules about transactions (TX), timeouts (OP) and enum values used too soon (BC105).

A dbmate-format file runs in one transaction unless it says ``transaction:false``; an explicit
BEGIN ... COMMIT inside a file opens and closes a block of its own. ``_blocks`` follows both.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import ops
from ._pg_text import string_constants
from .catalog import POSTGRESQL, Severity, migration_rule, op_rule
from .engine import Hit, MigrationContext, OpContext, ParsedStatement
from .locks import lock_of

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
PG = POSTGRESQL


def _blocks(ctx: MigrationContext) -> Iterator[tuple[ParsedStatement, ops.Op, int | None]]:
    """Each operation of the up section with the transaction block it runs in (a number that
    changes at each BEGIN, COMMIT or ROLLBACK), or None when it runs on its own."""
    block: int | None = 0 if ctx.transactional else None
    count = 0
    for statement, op in ctx.up_ops():
        if isinstance(op, ops.Transaction) and op.kind == "begin":
            count += 1
            block = block if block is not None else count
        elif isinstance(op, ops.Transaction) and op.kind in ("commit", "rollback"):
            block = None
        yield statement, op, block


def _needs_no_transaction(op: ops.Op, server_version: int | None) -> str | None:
    """What in ``op`` cannot run inside a transaction block, if anything."""
    if isinstance(op, ops.CreateIndex | ops.DropIndex) and op.concurrently:
        verb = "CREATE" if isinstance(op, ops.CreateIndex) else "DROP"
        return f"{verb} INDEX CONCURRENTLY"
    if isinstance(op, ops.Reindex) and op.concurrently:
        return "REINDEX CONCURRENTLY"
    if isinstance(op, ops.TableMaintenance):
        if op.kind == "detach_partition" and op.concurrently:
            return "DETACH PARTITION CONCURRENTLY"
        if op.kind == "vacuum_full":
            return "VACUUM"
    if isinstance(op, ops.Other) and op.kind == "vacuum":
        return "VACUUM"
    if isinstance(op, ops.EnumAddValue) and server_version is not None and server_version < 120000:
        return "ALTER TYPE ... ADD VALUE (before PostgreSQL 12)"
    return None


@migration_rule(
    "TX101",
    "concurrently-in-transaction",
    ERROR,
    PG,
    detects="CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION "
    "CONCURRENTLY or VACUUM in a migration that runs in a transaction: PostgreSQL refuses it",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="put the statement alone in a migration marked `-- migrate:up "
    "transaction:false`",
)
def _concurrently_in_transaction(ctx: MigrationContext) -> Iterator[Hit]:
    for statement, op, block in _blocks(ctx):
        what = _needs_no_transaction(op, ctx.settings.server_version)
        if what is not None and block is not None:
            yield Hit(statement.line, statement.sql, f"{what} cannot run inside a transaction")


def _is_setting(statement: ParsedStatement) -> bool:
    return statement.error is None and all(isinstance(op, ops.SetOption) for op in statement.ops)


@migration_rule(
    "TX107",
    "concurrently-beside-other-statements",
    ERROR,
    PG,
    detects="a CONCURRENTLY statement (or VACUUM) in a section with other statements: sent as "
    "one script it runs in an implicit transaction and fails; run one by one, a failure leaves "
    "the section half applied and an INVALID index behind",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="one CONCURRENTLY statement per migration (SET statements beside it are fine)",
)
def _concurrently_beside(ctx: MigrationContext) -> Iterator[Hit]:
    others = [s for s in ctx.up if not _is_setting(s)]
    if len(others) < 2:
        return
    for statement, op in ctx.up_ops():
        what = _needs_no_transaction(op, None)
        if what is not None:
            yield Hit(
                statement.line,
                statement.sql,
                f"{what} shares its section with {len(others) - 1} other statement(s)",
            )


@migration_rule(
    "TX103",
    "validate-in-locking-transaction",
    ERROR,
    PG,
    detects="VALIDATE CONSTRAINT in the same transaction as a statement that locked the table "
    "against writes (the ADD ... NOT VALID itself): the lock is held through the whole scan",
    lock="SHARE ROW EXCLUSIVE or ACCESS EXCLUSIVE, held until commit",
    blocks="writes",
    rewrite=True,
    safe_alternative="VALIDATE CONSTRAINT in a later migration, so the ADD's lock is released "
    "first",
)
def _validate_while_locked(ctx: MigrationContext) -> Iterator[Hit]:
    created: set[str] = set()
    locked: dict[tuple[int, str], str] = {}  # (block, table) -> the locking statement's lock
    for statement, op, block in _blocks(ctx):
        table = (op.table or "").lower()
        if isinstance(op, ops.CreateTable):
            created.add(table)
        if block is None or not table or table in created:
            continue
        if isinstance(op, ops.ValidateConstraint) and (block, table) in locked:
            yield Hit(
                statement.line,
                statement.sql,
                f"validates {op.name} while this transaction holds {locked[block, table]} on "
                f"{op.table}",
            )
        fact = lock_of(op, "postgresql")
        if fact.level >= 2:
            locked.setdefault((block, table), fact.lock)


@migration_rule(
    "TX104",
    "transaction-nesting",
    ERROR,
    PG,
    detects="BEGIN, COMMIT or ROLLBACK in a migration the runner already wraps in a transaction: "
    "COMMIT ends the runner's transaction early and the rest is no longer all or nothing",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="remove them (the runner wraps the file), or mark the file "
    "transaction:false and manage the transaction yourself",
)
def _nesting(ctx: MigrationContext) -> Iterator[Hit]:
    if not ctx.transactional:
        return
    for statement, op in ctx.up_ops():
        if isinstance(op, ops.Transaction) and op.kind != "savepoint":
            yield Hit(
                statement.line, statement.sql, f"{op.kind.upper()} inside the runner's transaction"
            )


@migration_rule(
    "TX105",
    "uncommitted-transaction",
    ERROR,
    PG,
    detects="BEGIN without a later COMMIT or ROLLBACK",
    lock="every lock taken after BEGIN, until the connection closes",
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="end the block with COMMIT",
)
def _uncommitted(ctx: MigrationContext) -> Iterator[Hit]:
    opened: tuple[int, str] | None = None
    for statement, op in ctx.up_ops():
        if isinstance(op, ops.Transaction) and op.kind == "begin":
            opened = opened or (statement.line, statement.sql)
        elif isinstance(op, ops.Transaction) and op.kind in ("commit", "rollback"):
            opened = None
    if opened is not None:
        yield Hit(opened[0], opened[1], "BEGIN is never committed")


@migration_rule(
    "BC105",
    "enum-value-rename-or-early-use",
    WARNING,
    PG,
    detects="ALTER TYPE ... RENAME VALUE (running code still writes the old label), or ALTER "
    "TYPE ... ADD VALUE whose new value a later statement of the same transaction uses "
    "(PostgreSQL refuses: the value is unusable until the transaction commits)",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="ADD VALUE in a migration of its own (use it in a later one); for a "
    "rename: add the new value, accept both in the code, backfill, stop writing the old one",
)
def _enum_values(ctx: MigrationContext) -> Iterator[Hit]:
    added: dict[str, tuple[int, ops.EnumAddValue]] = {}  # value -> (block, op)
    for statement, op, block in _blocks(ctx):
        if isinstance(op, ops.EnumRenameValue):
            yield Hit(
                statement.line,
                statement.sql,
                f"renames {op.name} value {op.value!r} to {op.new_value!r}: code still "
                "running writes the old one",
            )
        elif isinstance(op, ops.EnumAddValue) and block is not None:
            added[op.value] = (block, op)
        elif added and block is not None:
            for value in string_constants(statement.sql) & added.keys():
                if added[value][0] == block:
                    enum = added[value][1].name
                    yield Hit(
                        statement.line,
                        statement.sql,
                        f"uses {value!r}, added to {enum} in the same transaction",
                    )


# -- timeouts ----------------------------------------------------------------------------------


def _setting_in_force(ctx: OpContext, name: str) -> bool:
    value: str | None = None
    for op in ctx.before():
        if isinstance(op, ops.SetOption) and op.name in (name, "all"):
            value = op.value if op.name == name else None
    return value is not None and value.strip().lower() not in ("default", "0", "")


def _target_is_new(ctx: OpContext, op: ops.Op) -> bool:
    table = op.table
    if isinstance(op, ops.DropIndex):
        table = ctx.schema.index_tables.get(op.name)
    return table is not None and ctx.schema.is_new(table)


def _first_locking(ctx: OpContext, op: ops.Op, lock: str | None, level: int) -> bool:
    """``op`` takes the lock (or one of at least ``level``) on an existing table, and no earlier
    operation of the migration did: one finding per migration, at the first such statement."""

    def locks(candidate: ops.Op) -> bool:
        fact = lock_of(candidate, "postgresql")
        hit = fact.lock == lock if lock is not None else fact.level >= level
        return hit and not _target_is_new(ctx, candidate)

    return locks(op) and not any(locks(earlier) for earlier in ctx.before())


@op_rule(
    "OP101",
    "missing-lock-timeout",
    WARNING,
    PG,
    detects="a statement that takes a lock blocking writes (SHARE, SHARE ROW EXCLUSIVE, "
    "EXCLUSIVE, ACCESS EXCLUSIVE) on an existing table with no lock_timeout set (in the file, "
    "or by the runner's ddl_lock_timeout): while it waits for the lock, every query its lock "
    "conflicts with queues behind it",
    lock="SHARE and stronger",
    blocks="writes, or reads and writes",
    rewrite=False,
    safe_alternative="SET lock_timeout = '2s' at the top of the migration (or run with "
    "--ddl-lock-timeout), and retry when it expires",
)
def _lock_timeout(ctx: OpContext, op: ops.Op) -> str | None:
    if ctx.settings.runner_lock_timeout or _setting_in_force(ctx, "lock_timeout"):
        return None
    if _first_locking(ctx, op, None, 2):
        fact = lock_of(op, "postgresql")
        return f"takes {fact.lock} on {op.table or 'its table'} with no lock_timeout"
    return None


@op_rule(
    "OP102",
    "missing-statement-timeout",
    INFO,
    PG,
    detects="a statement that locks an existing table against writes with no statement_timeout "
    "set: nothing bounds how long the lock is held",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="SET statement_timeout at the top of the migration (generous for index "
    "builds)",
)
def _statement_timeout(ctx: OpContext, op: ops.Op) -> str | None:
    if _setting_in_force(ctx, "statement_timeout"):
        return None
    if _first_locking(ctx, op, None, 2):
        return f"locks {op.table or 'a table'} with no statement_timeout"
    return None
