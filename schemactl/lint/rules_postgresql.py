"""PostgreSQL rules: locks and rewrites (LK), style (TY), names (NM).

Lock facts follow the ALTER TABLE and explicit-locking pages of the PostgreSQL manual
(research/safety.md section 5.1). Every rule is quiet on a table the migration created itself:
nobody else uses it yet. The transaction and timeout rules are in ``rules_postgresql_tx``.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import ops
from . import rules_postgresql_tx as _tx  # noqa: F401  (registers TX*, OP*, BC105)
from ._pg_text import long_identifiers
from .catalog import POSTGRESQL, Severity, migration_rule, op_rule
from .engine import Hit, MigrationContext, OpContext, proven_not_null
from .locks import pg_type_change_rewrites

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
PG = POSTGRESQL
_AE = "ACCESS EXCLUSIVE"
_RW = "reads and writes"


def _existing(ctx: OpContext, table: str | None) -> bool:
    """The table was there before this migration: not created by it, and not a materialized
    view an earlier statement of it created."""
    if not ctx.exists_before(table):
        return False
    return not any(
        isinstance(op, ops.Other)
        and op.kind == "create_materialized_view"
        and (op.table or "").lower() == (table or "").lower()
        for op in ctx.before()
    )


@op_rule(
    "LK101",
    "create-index-not-concurrently",
    ERROR,
    PG,
    detects="CREATE INDEX without CONCURRENTLY on an existing table",
    lock="SHARE",
    blocks="writes",
    rewrite=True,
    safe_alternative="CREATE INDEX CONCURRENTLY, alone in a migration marked transaction:false",
)
def _create_index(ctx: OpContext, op: ops.Op) -> str | None:
    if isinstance(op, ops.CreateIndex) and not op.concurrently and _existing(ctx, op.table):
        return f"builds index {op.name or '(unnamed)'} on {op.table} while blocking its writes"
    return None


@op_rule(
    "LK102",
    "drop-index-not-concurrently",
    WARNING,
    PG,
    detects="DROP INDEX without CONCURRENTLY of an index on an existing table",
    lock=_AE,
    blocks=_RW,
    rewrite=False,
    safe_alternative="DROP INDEX CONCURRENTLY, alone in a migration marked transaction:false",
)
def _drop_index(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.DropIndex) or op.concurrently:
        return None
    owner = ctx.schema.index_tables.get(op.name)
    if owner is not None and not _existing(ctx, owner):
        return None
    return f"drops index {op.name} under an ACCESS EXCLUSIVE lock on its table"


@op_rule(
    "LK103",
    "foreign-key-validating",
    ERROR,
    PG,
    detects="a foreign key added to an existing table without NOT VALID: both tables are locked "
    "against writes while every row is checked",
    lock="SHARE ROW EXCLUSIVE (both tables)",
    blocks="writes",
    rewrite=True,
    safe_alternative="ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a "
    "later migration",
)
def _foreign_key(ctx: OpContext, op: ops.Op) -> str | None:
    if not _existing(ctx, op.table):
        return None
    if isinstance(op, ops.AddConstraint) and op.constraint.kind == "fk":
        if op.constraint.not_valid:
            return None
        target = op.constraint.references
        return f"checks every row of {op.table} against {target} while both block writes"
    if isinstance(op, ops.AddColumn) and op.column.references:
        return (
            f"adds {op.table}.{op.column.name} with an inline REFERENCES: the key is "
            "checked at once, with both tables locked"
        )
    return None


@op_rule(
    "LK104",
    "check-validating",
    ERROR,
    PG,
    detects="a CHECK constraint added to an existing table without NOT VALID: every row is "
    "checked under an ACCESS EXCLUSIVE lock",
    lock=_AE,
    blocks=_RW,
    rewrite=True,
    safe_alternative="ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a "
    "later migration",
)
def _check(ctx: OpContext, op: ops.Op) -> str | None:
    if not _existing(ctx, op.table):
        return None
    if isinstance(op, ops.AddConstraint) and op.constraint.kind == "check":
        if op.constraint.not_valid:
            return None
        return f"checks every row of {op.table} while blocking reads and writes"
    if isinstance(op, ops.AddColumn) and op.column.check:
        return f"adds {op.table}.{op.column.name} with an inline CHECK, checked at once"
    return None


@op_rule(
    "LK105",
    "set-not-null-scan",
    ERROR,
    PG,
    detects="SET NOT NULL on an existing table without a validated CHECK (col IS NOT NULL): "
    "the whole table is scanned under an ACCESS EXCLUSIVE lock",
    lock=_AE,
    blocks=_RW,
    rewrite=True,
    safe_alternative="ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c "
    "(later migration); then SET NOT NULL (no scan) and DROP CONSTRAINT c",
)
def _set_not_null(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.SetNotNull) or not _existing(ctx, op.table):
        return None
    if proven_not_null(ctx.schema, op.table, op.column):
        return None
    return f"scans {op.table} for NULLs in {op.column} while blocking reads and writes"


@op_rule(
    "LK106",
    "unique-constraint-built-in-place",
    ERROR,
    PG,
    detects="ADD UNIQUE or ADD PRIMARY KEY on an existing table without USING INDEX: the index "
    "is built under an ACCESS EXCLUSIVE lock (a primary key on nullable columns also scans "
    "for NULLs)",
    lock=_AE,
    blocks=_RW,
    rewrite=True,
    safe_alternative="CREATE UNIQUE INDEX CONCURRENTLY (own migration), then ADD CONSTRAINT ... "
    "UNIQUE/PRIMARY KEY USING INDEX",
)
def _unique_in_place(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.AddConstraint) or not _existing(ctx, op.table):
        return None
    constraint = op.constraint
    if constraint.kind in ("unique", "primary") and constraint.using_index is None:
        what = "primary key" if constraint.kind == "primary" else "unique constraint"
        return f"builds the {what}'s index on {op.table} while blocking reads and writes"
    return None


def _using_is_plain(op: ops.AlterColumnType) -> bool:
    """USING that only names the column or casts it to the new type changes no value."""
    if op.using is None:
        return True
    return op.using in (op.column, f"CAST({op.column} AS {op.new_type})")


@op_rule(
    "LK107",
    "type-change-rewrites",
    ERROR,
    PG,
    detects="ALTER COLUMN TYPE that is not binary coercible (or has a USING that computes): the "
    "table and its indexes are rewritten under an ACCESS EXCLUSIVE lock; a new COLLATE rebuilds "
    "the column's indexes",
    lock=_AE,
    blocks=_RW,
    rewrite=True,
    safe_alternative="only varchar(n) -> varchar(m>=n), varchar -> text, numeric(p,s) -> "
    "numeric(q>=p,s) change in place; otherwise add a new column, backfill in batches, switch, "
    "drop the old one",
)
def _type_change(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.AlterColumnType) or not _existing(ctx, op.table):
        return None
    table = ctx.schema.table(op.table)
    column = table.column(op.column) if table is not None else None
    old = column.type if column is not None else None
    if op.collation is not None:
        return (
            f"changes {op.table}.{op.column}'s collation to {op.collation}: every index on the "
            "column is rebuilt under the lock"
        )
    if not pg_type_change_rewrites(old, op.new_type) and _using_is_plain(op):
        return None
    was = f"from {old} " if old else "(its old type is unknown) "
    return f"changes {op.table}.{op.column} {was}to {op.new_type}: rewrites the table"


@op_rule(
    "LK108",
    "rewriting-column-added",
    ERROR,
    PG,
    detects="ADD COLUMN with a volatile default (clock_timestamp(), gen_random_uuid(), an "
    "unknown function), a STORED generated column, or an identity/serial column on an existing "
    "table: every row is rewritten",
    lock=_AE,
    blocks=_RW,
    rewrite=True,
    safe_alternative="add the column without the default, SET DEFAULT for new rows, backfill "
    "existing rows in batches",
)
def _rewriting_column(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.AddColumn) or not _existing(ctx, op.table):
        return None
    col = op.column
    if col.identity:
        why = "a serial column" if col.serial else "an identity column"
    elif col.generated == "stored":
        why = "a stored generated column"
    elif col.volatile_default:
        why = f"a volatile default ({col.default})"
    else:
        return None
    return f"adds {op.table}.{col.name} as {why}: rewrites every row"


_HEAVY = {
    "vacuum_full": "VACUUM FULL rewrites",
    "cluster": "CLUSTER rewrites",
    "set_logged": "SET LOGGED rewrites",
    "set_unlogged": "SET UNLOGGED rewrites",
    "set_tablespace": "SET TABLESPACE copies",
    "set_access_method": "SET ACCESS METHOD rewrites",
}


@op_rule(
    "LK111",
    "heavy-maintenance",
    ERROR,
    PG,
    detects="VACUUM FULL, CLUSTER, REINDEX or DETACH PARTITION or REFRESH MATERIALIZED VIEW "
    "without CONCURRENTLY, SET LOGGED/UNLOGGED/TABLESPACE/ACCESS METHOD on an existing table",
    lock=_AE,
    blocks=_RW,
    rewrite=True,
    safe_alternative="the CONCURRENTLY form (REINDEX, DETACH PARTITION, REFRESH MATERIALIZED "
    "VIEW); pg_repack instead of VACUUM FULL/CLUSTER; otherwise a maintenance window",
)
def _heavy(ctx: OpContext, op: ops.Op) -> str | None:
    if op.table is not None and not _existing(ctx, op.table):
        return None
    if isinstance(op, ops.Reindex) and not op.concurrently:
        return f"REINDEX {op.target} blocks reads and writes while the index is rebuilt"
    if not isinstance(op, ops.TableMaintenance) or op.concurrently:
        return None
    where = op.table or "every table"
    if op.kind in _HEAVY:
        return f"{_HEAVY[op.kind]} {where} under an ACCESS EXCLUSIVE lock"
    if op.kind == "detach_partition":
        return f"DETACH PARTITION locks {where} against reads and writes"
    if op.kind == "refresh_materialized_view":
        return f"REFRESH MATERIALIZED VIEW {where} blocks its readers until it is rebuilt"
    return None


@op_rule(
    "LK112",
    "trigger-or-domain-check",
    INFO,
    PG,
    detects="CREATE TRIGGER on an existing table (SHARE ROW EXCLUSIVE), or a CHECK added to an "
    "existing domain (every column of the domain is checked)",
    lock="SHARE ROW EXCLUSIVE (trigger); SHARE on every table using the domain",
    blocks="writes",
    rewrite=False,
    safe_alternative="run it under a short lock_timeout; a domain CHECK ... NOT VALID, then "
    "VALIDATE",
)
def _trigger_or_domain(ctx: OpContext, op: ops.Op) -> str | None:
    if isinstance(op, ops.CreateTrigger) and _existing(ctx, op.table):
        return f"creates trigger {op.name} on {op.table}, blocking its writes while it waits"
    if isinstance(op, ops.DomainConstraint) and not (op.not_valid or op.new_domain):
        return f"checks every column of domain {op.name} against the new constraint"
    return None


@op_rule(
    "LK114",
    "exclusion-constraint",
    ERROR,
    PG,
    detects="an exclusion constraint added to an existing table: its index is built and every "
    "row checked under an ACCESS EXCLUSIVE lock, and it cannot be NOT VALID",
    lock=_AE,
    blocks=_RW,
    rewrite=True,
    safe_alternative="no online form exists: add it when the table is new, or in a maintenance "
    "window (approve it with a reason)",
)
def _exclusion(ctx: OpContext, op: ops.Op) -> str | None:
    exclusion = isinstance(op, ops.AddConstraint) and op.constraint.kind == "exclude"
    if exclusion and _existing(ctx, op.table):
        return f"builds an exclusion constraint on {op.table} while blocking reads and writes"
    return None


@op_rule(
    "LK115",
    "type-change-with-check",
    WARNING,
    PG,
    detects="a type change of a column that CHECK constraints read: every row is checked again "
    "under the ACCESS EXCLUSIVE lock",
    lock=_AE,
    blocks=_RW,
    rewrite=True,
    safe_alternative="drop the CHECKs, change the type, add them back NOT VALID and VALIDATE "
    "them in a later migration",
)
def _type_change_with_check(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.AlterColumnType) or not _existing(ctx, op.table):
        return None
    table = ctx.schema.table(op.table)
    if table is None:
        return None
    names = sorted(
        name
        for name, c in table.constraints.items()
        if c.kind == "check" and op.column.lower() in (col.lower() for col in c.columns)
    )
    if names:
        return f"{op.table}.{op.column} is read by CHECK {', '.join(names)}: rechecked row by row"
    return None


@op_rule(
    "LK119",
    "explicit-lock-table",
    WARNING,
    PG,
    detects="an explicit LOCK TABLE on an existing table",
    lock="as the statement says (ACCESS EXCLUSIVE by default)",
    blocks=_RW,
    rewrite=False,
    safe_alternative="let each statement take the lock it needs, under a lock_timeout",
)
def _lock_table(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.TableMaintenance) or op.kind != "lock_table":
        return None
    if _existing(ctx, op.table):
        return f"locks {op.table} in {op.mode or _AE} mode until the transaction ends"
    return None


# -- style and names ---------------------------------------------------------------------------


def _new_columns(op: ops.Op) -> tuple[ops.ColumnDef, ...]:
    if isinstance(op, ops.CreateTable):
        return op.columns
    if isinstance(op, ops.AddColumn):
        return (op.column,)
    return ()


def _style(ctx: OpContext, op: ops.Op, bad: dict[str, str]) -> str | None:
    found = []
    for col in _new_columns(op):
        base = col.type.split("(")[0].removesuffix("[]")
        if base in bad:
            found.append(f"{col.name} {col.type} (prefer {bad[base]})")
    return f"{op.table}: " + "; ".join(found) if found else None


@op_rule(
    "TY102",
    "prefer-timestamptz-jsonb-text",
    INFO,
    PG,
    detects="a new column of type timestamp without time zone, json or char(n)",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="timestamptz, jsonb, text",
)
def _prefer_types(ctx: OpContext, op: ops.Op) -> str | None:
    return _style(ctx, op, {"timestamp": "timestamptz", "json": "jsonb", "char": "text"})


@op_rule(
    "TY103",
    "prefer-identity",
    INFO,
    PG,
    detects="a serial/bigserial column",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="GENERATED BY DEFAULT AS IDENTITY (SQLAlchemy Identity())",
)
def _prefer_identity(ctx: OpContext, op: ops.Op) -> str | None:
    serials = [col.name for col in _new_columns(op) if col.serial]
    return f"{op.table}: serial column {', '.join(serials)}" if serials else None


@op_rule(
    "TY104",
    "prefer-text",
    INFO,
    PG,
    detects="a new varchar(n) column: the length limit costs a rewrite-free but locking ALTER "
    "each time it grows, and a CHECK says the same",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="text, with a CHECK (length(col) <= n) if the limit matters",
)
def _prefer_text(ctx: OpContext, op: ops.Op) -> str | None:
    found = [f"{c.name} {c.type}" for c in _new_columns(op) if c.type.startswith("varchar(")]
    return f"{op.table}: {', '.join(found)}" if found else None


@migration_rule(
    "NM101",
    "identifier-too-long",
    ERROR,
    PG,
    detects="an identifier longer than 63 bytes: PostgreSQL cuts it silently, so two names may "
    "become one and the models no longer match",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="a shorter name; a SQLAlchemy naming convention that stays under 63 bytes",
)
def _too_long(ctx: MigrationContext) -> Iterator[Hit]:
    for statement in ctx.up:
        long = long_identifiers(statement.sql)
        if long:
            names = ", ".join(name[:20] + "..." for name in long)
            yield Hit(statement.line, statement.sql, f"longer than 63 bytes: {names}")
