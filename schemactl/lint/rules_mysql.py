"""MySQL and MariaDB rules: online DDL (INSTANT / INPLACE / COPY), implicit commits, metadata
locks. Facts: the MySQL 8 "Online DDL Operations" tables and the MariaDB InnoDB online DDL
pages (research/safety.md 5.2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from . import ops
from .catalog import MYSQL, Severity, migration_rule, op_rule
from .engine import Hit, MigrationContext, OpContext

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
_MDL = "metadata lock at start and end; COPY blocks writes for the whole copy"

# Operations that take a table's metadata lock and run an online-DDL algorithm
_ONLINE_DDL = (
    ops.AddColumn,
    ops.DropColumn,
    ops.RenameColumn,
    ops.AlterColumnType,
    ops.SetNotNull,
    ops.DropNotNull,
    ops.SetDefault,
    ops.DropDefault,
    ops.CreateIndex,
    ops.DropIndex,
    ops.AddConstraint,
    ops.DropConstraint,
)
_SCHEMA_OPS = (*_ONLINE_DDL, ops.TableMaintenance, ops.RenameTable, ops.DropTable, ops.Truncate)


def _existing(ctx: OpContext, op: ops.Op) -> bool:
    return op.table is not None and ctx.exists_before(op.table)


def _setting(ctx: OpContext, name: str) -> str | None:
    """The value a SET earlier in the section left ``name`` at (None: not set)."""
    value = None
    for op in ctx.before():
        if isinstance(op, ops.SetOption) and op.name.lower().lstrip("@") == name:
            value = op.value.upper()
    return value


def _copies_anyway(op: ops.Op) -> bool:
    """Operations LOCK=NONE cannot keep online (LK120 reports them)."""
    if isinstance(op, ops.CreateIndex):
        return op.method in ("fulltext", "spatial")
    return isinstance(op, ops.TableMaintenance) and op.kind == "convert_charset"


def _needs_online_clause(op: ops.Op) -> bool:
    if isinstance(op, ops.TableMaintenance):
        return op.kind == "rebuild"
    return isinstance(op, _ONLINE_DDL) and not _copies_anyway(op)


def _first_of_statement(ctx: OpContext, op: ops.Op, test: Callable[[ops.Op], bool]) -> bool:
    """``op`` is the statement's first operation passing ``test``: one finding per statement."""
    return next((o for o in ctx.statement.ops if test(o)), None) is op


@op_rule(
    "LK109",
    "mysql-unsafe-algorithm",
    WARNING,
    MYSQL,
    detects="MySQL/MariaDB DDL on an existing table without ALGORITHM=INSTANT, or "
    "ALGORITHM=INPLACE|NOCOPY with LOCK=NONE: the server silently falls back to a copy or a "
    "lock when the change cannot run online",
    lock=_MDL,
    blocks="writes, when the server falls back to COPY",
    rewrite=False,
    safe_alternative="state the algorithm: `ALTER TABLE t ..., ALGORITHM=INPLACE, LOCK=NONE` "
    "(or ALGORITHM=INSTANT); the server then refuses instead of locking",
)
def _unsafe_algorithm(ctx: OpContext, op: ops.Op) -> str | None:
    if not (_existing(ctx, op) and _needs_online_clause(op)):
        return None
    if not _first_of_statement(ctx, op, _needs_online_clause):
        return None
    online = ctx.statement.online
    algorithm = online.algorithm if online else None
    algorithm = algorithm or _setting(ctx, "alter_algorithm")
    lock = online.lock if online else None
    if algorithm == "INSTANT" or (algorithm in ("INPLACE", "NOCOPY") and lock == "NONE"):
        return None
    if algorithm == "COPY" or lock in ("SHARED", "EXCLUSIVE"):
        return None  # LK120
    return f"ALTER of {op.table} without ALGORITHM=INSTANT|INPLACE and LOCK=NONE"


@op_rule(
    "LK120",
    "mysql-copy-or-blocking-ddl",
    ERROR,
    MYSQL,
    detects="MySQL/MariaDB DDL that copies the table or blocks writes: an explicit "
    "ALGORITHM=COPY or LOCK=SHARED|EXCLUSIVE, CONVERT TO CHARACTER SET, a FULLTEXT or SPATIAL "
    "index added to an existing table",
    lock="COPY / LOCK=SHARED",
    blocks="writes for the whole copy or build",
    rewrite=True,
    safe_alternative="an online schema change tool (gh-ost, pt-online-schema-change) or a "
    "maintenance window; for a character set, new columns converted and backfilled in batches",
)
def _copy_or_blocking(ctx: OpContext, op: ops.Op) -> str | None:
    if not _existing(ctx, op):
        return None
    if _copies_anyway(op):
        if isinstance(op, ops.CreateIndex):
            return f"a {op.method} index on {op.table} blocks writes while it is built"
        return f"converting {op.table} to another character set copies every row"
    if not isinstance(op, _SCHEMA_OPS):
        return None
    online = ctx.statement.online
    if online is None or not _first_of_statement(ctx, op, lambda o: isinstance(o, _SCHEMA_OPS)):
        return None
    if online.algorithm == "COPY":
        return f"ALGORITHM=COPY copies {op.table}, blocking writes"
    if online.lock in ("SHARED", "EXCLUSIVE"):
        return f"LOCK={online.lock} blocks {'writes' if online.lock == 'SHARED' else 'every query'}"
    return None


@op_rule(
    "LK103",
    "foreign-key-validating",
    ERROR,
    MYSQL,
    detects="MySQL/MariaDB: a foreign key added to an existing table copies it (INPLACE only "
    "with foreign_key_checks=0)",
    lock="COPY (MY)",
    blocks="writes",
    rewrite=True,
    safe_alternative="MySQL/MariaDB: SET foreign_key_checks = 0 before the ALTER (then INPLACE, "
    "but existing rows are not checked: check them first), and 1 after",
)
def _foreign_key(ctx: OpContext, op: ops.Op) -> str | None:
    if not (isinstance(op, ops.AddConstraint) and op.constraint.kind == "fk"):
        return None
    if not _existing(ctx, op) or _setting(ctx, "foreign_key_checks") in ("0", "OFF"):
        return None
    return f"adding a foreign key to {op.table} with foreign_key_checks on copies the table"


@op_rule(
    "LK104",
    "check-validating",
    ERROR,
    MYSQL,
    detects="MySQL/MariaDB: a CHECK constraint added to an existing table copies it and checks "
    "every row",
    lock="COPY (MY)",
    blocks="writes",
    rewrite=True,
    safe_alternative="MySQL/MariaDB: enforce it in the application, or add it in a maintenance "
    "window (there is no NOT VALID)",
)
def _check(ctx: OpContext, op: ops.Op) -> str | None:
    if isinstance(op, ops.AddConstraint) and op.constraint.kind == "check" and _existing(ctx, op):
        return f"adding a CHECK to {op.table} copies it and reads every row"
    return None


@op_rule(
    "LK105",
    "set-not-null-scan",
    ERROR,
    MYSQL,
    detects="MySQL/MariaDB: MODIFY ... NOT NULL on a nullable column of an existing table, "
    "without ALGORITHM=INPLACE, LOCK=NONE: the server may rebuild it by copying, blocking "
    "writes, and outside strict mode turns a NULL into 0 or ''",
    lock="INPLACE rebuild (MY)",
    blocks="nothing, for the length of a rebuild",
    rewrite=True,
    safe_alternative="MySQL/MariaDB: backfill the NULLs in batches first, then MODIFY ... NOT "
    "NULL with ALGORITHM=INPLACE, LOCK=NONE in strict mode",
)
def _set_not_null(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.SetNotNull) or not _existing(ctx, op):
        return None
    table = ctx.schema.table(op.table)
    column = table.column(op.column) if table else None
    if column is not None and not column.nullable:
        return None  # NOT NULL already: MODIFY restates it
    online = ctx.statement.online
    if online is not None and online.algorithm in ("INPLACE", "NOCOPY") and online.lock == "NONE":
        return None  # rebuilt in place with writes going on, or refused (DD101: NULLs fail it)
    return f"makes {op.table}.{op.column} NOT NULL: the table is rebuilt and every row checked"


@op_rule(
    "LK106",
    "unique-constraint-built-in-place",
    ERROR,
    MYSQL,
    detects="MySQL/MariaDB: a primary key added to or dropped from an existing table rebuilds "
    "it (a dropped one without a new one: COPY)",
    lock="INPLACE rebuild / COPY (MY)",
    blocks="writes, for a COPY",
    rewrite=True,
    safe_alternative="MySQL/MariaDB: choose the primary key when the table is created; "
    "otherwise drop and add it in one ALTER with ALGORITHM=INPLACE, LOCK=NONE",
)
def _primary_key(ctx: OpContext, op: ops.Op) -> str | None:
    if not _existing(ctx, op):
        return None
    if isinstance(op, ops.AddConstraint) and op.constraint.kind == "primary":
        return f"adding a primary key rebuilds {op.table}"
    if isinstance(op, ops.DropConstraint) and op.kind == "primary":
        return f"dropping the primary key of {op.table} rebuilds it"
    return None


def _enum_values(type_: str) -> list[str] | None:
    for base in ("enum(", "set("):
        if type_.startswith(base) and type_.endswith(")"):
            return [v.strip() for v in type_[len(base) : -1].split(",")]
    return None


def _type_change_online(old: str, new: str, ctx: OpContext, op: ops.Op) -> bool:
    if old.lower() == new.lower():
        return True  # MODIFY restating the type: no change
    old_values, new_values = _enum_values(old.lower()), _enum_values(new.lower())
    if old_values is not None and new_values is not None and old[:3] == new[:3]:
        return new_values[: len(old_values)] == old_values  # values appended: INSTANT
    return ctx.lock(op).lock != "COPY"  # the engine knows VARCHAR grows within a length class


@op_rule(
    "LK107",
    "type-change-rewrites",
    ERROR,
    MYSQL,
    detects="MySQL/MariaDB: a column type change that copies the table (anything but a VARCHAR "
    "grown within its length-byte class, or ENUM/SET values appended)",
    lock="COPY (MY)",
    blocks="writes",
    rewrite=True,
    safe_alternative="MySQL/MariaDB: add a column of the new type, backfill it in batches, "
    "switch the code, drop the old one; or an online schema change tool",
)
def _type_change(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.AlterColumnType) or not _existing(ctx, op):
        return None
    table = ctx.schema.table(op.table)
    column = table.column(op.column) if table else None
    if column is None:
        return f"changes {op.table}.{op.column} to {op.new_type} (old type unknown): may copy"
    if _type_change_online(column.type, op.new_type, ctx, op):
        return None
    return (
        f"changes {op.table}.{op.column} from {column.type} to {op.new_type}: the table is copied"
    )


@op_rule(
    "LK108",
    "rewriting-column-added",
    ERROR,
    MYSQL,
    detects="MySQL/MariaDB: a column added to an existing table with AUTO_INCREMENT, a STORED "
    "generated value or an expression default: not INSTANT, the table is copied",
    lock="COPY (MY)",
    blocks="writes",
    rewrite=True,
    safe_alternative="MySQL/MariaDB: add the column plain (INSTANT), backfill it in batches; "
    "a VIRTUAL generated column instead of a STORED one",
)
def _rewriting_column(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.AddColumn) or not _existing(ctx, op):
        return None
    col = op.column
    why = (
        "AUTO_INCREMENT"
        if col.identity
        else "a STORED generated value"
        if col.generated == "stored"
        else "an expression default"
        if col.volatile_default
        else None
    )
    return f"adds {op.table}.{col.name} with {why}: the table is copied" if why else None


@op_rule(
    "OP101",
    "missing-lock-timeout",
    WARNING,
    MYSQL,
    detects="MySQL/MariaDB: DDL on an existing table with no lock_wait_timeout set: waiting "
    "for the metadata lock (default: a year) queues every query on the table behind it",
    lock="metadata lock",
    blocks="reads and writes, while it waits",
    rewrite=False,
    safe_alternative="SET SESSION lock_wait_timeout = 5 at the top of the migration (or run with "
    "--ddl-lock-timeout), and retry when it expires",
)
def _lock_wait_timeout(ctx: OpContext, op: ops.Op) -> str | None:
    if ctx.settings.runner_lock_timeout or _setting(ctx, "lock_wait_timeout") is not None:
        return None
    online = ctx.statement.online
    if online is not None and online.wait_timeout is not None:
        return None  # MariaDB WAIT n / NOWAIT
    if not (isinstance(op, _SCHEMA_OPS) and _existing(ctx, op)):
        return None
    earlier = (o for o in ctx.before() if isinstance(o, _SCHEMA_OPS) and ctx.exists_before(o.table))
    if next(earlier, None) is not None or not _first_of_statement(
        ctx, op, lambda o: isinstance(o, _SCHEMA_OPS)
    ):
        return None  # one finding per migration
    return f"waits for the metadata lock on {op.table} with no lock_wait_timeout"


def _names(op: ops.Op) -> Iterator[str]:
    if isinstance(op, ops.CreateTable):
        yield from (op.table or "", *(c.name for c in op.columns))
        yield from (c.name for c in op.constraints if c.name)
    elif isinstance(op, ops.AddColumn):
        yield op.column.name
    elif isinstance(op, ops.RenameColumn | ops.RenameTable):
        yield op.new_name
    elif isinstance(op, ops.CreateIndex) and op.name:
        yield op.name
    elif isinstance(op, ops.AddConstraint) and op.constraint.name:
        yield op.constraint.name


@op_rule(
    "NM101",
    "identifier-too-long",
    ERROR,
    MYSQL,
    detects="MySQL/MariaDB: an identifier longer than 64 characters: the statement fails",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="a shorter name; a SQLAlchemy naming convention that stays under 64 "
    "characters",
)
def _too_long(ctx: OpContext, op: ops.Op) -> str | None:
    long = [part for name in _names(op) for part in name.split(".") if len(part) > 64]
    return "longer than 64 characters: " + ", ".join(long) if long else None


@op_rule(
    "MY102",
    "inline-references-ignored",
    WARNING,
    MYSQL,
    detects="a column-level REFERENCES without a FOREIGN KEY clause: MySQL before 9.0 accepts "
    "and ignores it (no foreign key), MariaDB 10.5+ creates one",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="a table-level `FOREIGN KEY (col) REFERENCES other (id)` (with a name)",
)
def _inline_references(ctx: OpContext, op: ops.Op) -> str | None:
    columns = (
        op.columns
        if isinstance(op, ops.CreateTable)
        else (op.column,)
        if isinstance(op, ops.AddColumn)
        else ()
    )
    ignored = [f"{c.name} REFERENCES {c.references}" for c in columns if c.references]
    if ignored:
        return "inline REFERENCES, no foreign key on MySQL before 9.0: " + ", ".join(ignored)
    return None


_DDL = (*_SCHEMA_OPS, ops.CreateTable, ops.CreateTrigger, ops.DropSchema)


@migration_rule(
    "TX102",
    "non-atomic-multi-ddl",
    WARNING,
    MYSQL,
    detects="several DDL statements in one MySQL/MariaDB migration: each commits on its own, so "
    "a failure half-way leaves the migration half-applied (and not recorded)",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="one DDL statement per migration (several changes to one table can be one "
    "ALTER TABLE); or make each statement idempotent (IF [NOT] EXISTS) so a rerun completes it",
)
def _multi_ddl(ctx: MigrationContext) -> Iterator[Hit]:
    ddl = [s for s in ctx.up if any(isinstance(op, _DDL) for op in s.ops)]
    if len(ddl) > 1:
        second = ddl[1]
        yield Hit(
            second.line,
            second.sql,
            f"{len(ddl)} DDL statements, each committed on its own: a failure after the first "
            "leaves the migration half-applied",
        )
