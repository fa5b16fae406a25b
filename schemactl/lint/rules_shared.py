"""Rules for every dialect: lost data, broken clients, unread statements, missing downs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import ops
from .catalog import ALL, MYSQL, POSTGRESQL, Severity, migration_rule, op_rule, policy_rule
from .engine import Hit, MigrationContext, OpContext, proven_not_null
from .rebuilds import copied_into, it_or_them, lost_triggers, rebuilt_into, rebuilt_without

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
_EXCLUSIVE = "ACCESS EXCLUSIVE (PG); metadata lock (MY); database write lock (SL)"


# -- DS: destructive ---------------------------------------------------------------------------


@op_rule(
    "DS101",
    "drop-table",
    ERROR,
    ALL,
    detects="DROP TABLE of a table the migration did not create (or a rebuild that does not "
    "copy its rows)",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="stop using the table in the code and deploy first; drop it in a later "
    "migration, after a backup",
)
def _drop_table(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.DropTable) or not ctx.exists_before(op.table):
        return None
    new = rebuilt_into(ctx, op.table)
    if new is None:
        return f"drops table {op.table} and every row in it"
    if copied_into(ctx, new) is None:
        return (
            f"rebuilds {op.table} as {new} without copying its rows (no INSERT ... SELECT "
            f"into {new} before the DROP): every row is lost"
        )
    return None


@op_rule(
    "DS102",
    "drop-column",
    ERROR,
    ALL,
    detects="DROP COLUMN of an existing table (or a rebuild whose new table, or its copy of the "
    "rows, leaves it out)",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="stop reading and writing the column (remove it from the models) and "
    "deploy; drop it in a later migration",
)
def _drop_column(ctx: OpContext, op: ops.Op) -> str | None:
    if isinstance(op, ops.DropColumn) and ctx.exists_before(op.table):
        return f"drops column {op.table}.{op.column} and its data"
    if isinstance(op, ops.DropTable) and ctx.exists_before(op.table):
        return rebuilt_without(ctx, op.table)
    return None


@op_rule(
    "DS109",
    "rebuild-drops-triggers",
    ERROR,
    ALL,
    detects="a table rebuild (CREATE new, copy, DROP old, RENAME) that does not create the old "
    "table's triggers again: DROP TABLE drops them with it",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="CREATE TRIGGER each of them again after the RENAME, as the database has "
    "them (SQLite: SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 't'); "
    "DROP TRIGGER one first to say it goes on purpose",
)
def _rebuild_drops_triggers(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.DropTable) or not ctx.exists_before(op.table):
        return None
    lost = lost_triggers(ctx, op.table)
    if not lost:
        return None
    what = f"trigger {lost[0]}" if len(lost) == 1 else f"triggers {', '.join(lost)}"
    return (
        f"rebuilds {op.table} without creating its {what} again: DROP TABLE drops "
        f"{it_or_them(lost)} with the table"
    )


@op_rule(
    "DS103",
    "drop-schema-or-database",
    ERROR,
    ALL,
    detects="DROP SCHEMA or DROP DATABASE",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="do it by hand, outside the migrations, after a backup",
)
def _drop_schema(ctx: OpContext, op: ops.Op) -> str | None:
    if isinstance(op, ops.DropSchema):
        return f"drops {op.kind} {op.name} and everything in it"
    return None


@migration_rule(
    "DS104",
    "rename-as-drop-and-add",
    ERROR,
    ALL,
    detects="a column dropped and another added to the same table in one migration (or a "
    "table dropped and one created): most often a rename that loses the data",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="RENAME COLUMN / RENAME TABLE (or keep the old name in the models with "
    "mapped_column('old_name')); autogenerate cannot tell a rename from drop and add",
)
def _rename_as_drop_add(ctx: MigrationContext) -> Iterator[Hit]:
    dropped: dict[str, tuple[str, int, str]] = {}
    for statement, op in ctx.up_ops():
        if isinstance(op, ops.DropColumn) and op.table:
            dropped[op.table.lower()] = (op.column, statement.line, statement.sql)
    for statement, op in ctx.up_ops():
        if isinstance(op, ops.AddColumn) and op.table and op.table.lower() in dropped:
            column, _line, _sql = dropped[op.table.lower()]
            yield Hit(
                statement.line,
                statement.sql,
                f"{op.table}.{column} is dropped and {op.table}.{op.column.name} added: if this "
                "is a rename, the column's data is lost",
            )
    created: set[str] = set()  # a table created, then dropped, here (staging) held no data
    dropped_tables: dict[str, int] = {}
    for statement, op in ctx.up_ops():
        if isinstance(op, ops.CreateTable) and op.table:
            created.add(op.table.lower())
        elif isinstance(op, ops.DropTable) and op.table and op.table.lower() not in created:
            dropped_tables[op.table.lower()] = statement.line
    renamed_onto_dropped = {
        op.table.lower()
        for _, op in ctx.up_ops()
        if isinstance(op, ops.RenameTable) and op.table and op.new_name.lower() in dropped_tables
    }
    for statement, op in ctx.up_ops():
        if isinstance(op, ops.CreateTable) and dropped_tables and op.table:
            if op.table.lower() in dropped_tables or op.table.lower() in renamed_onto_dropped:
                continue  # re-created under its own name (DS108), or a rebuild (LK113)
            yield Hit(
                statement.line,
                statement.sql,
                f"a table is dropped and {op.table} created: if this is a rename, "
                "its rows are lost",
            )


@op_rule(
    "DS105",
    "truncate",
    ERROR,
    POSTGRESQL | MYSQL,
    detects="TRUNCATE: every row goes",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="delete the rows you mean in batches, with a WHERE clause; never CASCADE",
)
def _truncate(ctx: OpContext, op: ops.Op) -> str | None:
    if isinstance(op, ops.Truncate) and ctx.exists_before(op.table):
        cascade = ", and with CASCADE every table that references it" if op.cascade else ""
        return f"empties {op.table}{cascade}"
    return None


_INT_WIDTH = {
    "smallint": 2,
    "int2": 2,
    "mediumint": 3,
    "integer": 4,
    "int": 4,
    "int4": 4,
    "bigint": 8,
    "int8": 8,
}
_SIZED = re.compile(r"^(varchar|char|character varying|character|varbinary|binary)\((\d+)\)$")
_NUMERIC = re.compile(r"^(numeric|decimal)\((\d+)(?:,\s*(\d+))?\)$")


def narrows(old: str, new: str) -> bool:
    """``new`` holds fewer values than ``old``: shorter text, a smaller integer, less precision."""
    old, new = old.lower().strip(), new.lower().strip()
    if old in _INT_WIDTH and new in _INT_WIDTH:
        return _INT_WIDTH[new] < _INT_WIDTH[old]
    sized_old, sized_new = _SIZED.match(old), _SIZED.match(new)
    if sized_new and (old in ("text", "varchar", "character varying") or old.endswith("text")):
        return True
    if sized_old and sized_new:
        return int(sized_new.group(2)) < int(sized_old.group(2))
    num_old, num_new = _NUMERIC.match(old), _NUMERIC.match(new)
    if num_old and num_new:
        p0, s0 = int(num_old.group(2)), int(num_old.group(3) or 0)
        p1, s1 = int(num_new.group(2)), int(num_new.group(3) or 0)
        return p1 - s1 < p0 - s0 or s1 < s0
    return False


@op_rule(
    "DS106",
    "narrowing-type-change",
    ERROR,
    ALL,
    detects="a column's type narrowed (shorter text, smaller integer, less precision): values "
    "that do not fit fail the migration or are cut",
    lock=_EXCLUSIVE + "; COPY (MY)",
    blocks="reads and writes",
    rewrite=True,
    safe_alternative="add a new column of the new type, backfill it with a checked conversion, "
    "switch the code, then drop the old one; check max(length(col)) first",
)
def _narrowing(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.AlterColumnType) or not ctx.exists_before(op.table):
        return None
    table = ctx.schema.table(op.table)
    column = table.column(op.column) if table else None
    if column is not None and narrows(column.type, op.new_type):
        return f"{op.table}.{op.column} narrows from {column.type} to {op.new_type}"
    return None


@op_rule(
    "DS107",
    "drop-constraint",
    WARNING,
    ALL,
    detects="a constraint (foreign key, check, unique, primary key) dropped from an existing table",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="make sure nothing relies on the integrity it gave; drop foreign keys after "
    "the code that needed them is gone",
)
def _drop_constraint(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.DropConstraint) or not ctx.exists_before(op.table):
        return None
    table = ctx.schema.table(op.table)
    state = table.constraints.get(op.name) if table is not None and op.name else None
    if state is not None and state.created_in == ctx.migration.version:
        return None  # added and dropped by the same migration
    if table is not None and state is not None and state.proves_not_null:
        column = table.column(state.proves_not_null)
        if column is not None and not column.nullable:
            return None  # the check that let SET NOT NULL skip its scan: NOT NULL holds now
    what = op.name or f"the {op.kind or 'primary'} key"
    return f"drops constraint {what} from {op.table}"


@migration_rule(
    "DS108",
    "table-recreated",
    WARNING,
    ALL,
    detects="a table dropped and created again under the same name in one migration",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=True,
    safe_alternative="ALTER the table in place; if it must be rebuilt, copy its rows across and "
    "say so in the migration",
)
def _table_recreated(ctx: MigrationContext) -> Iterator[Hit]:
    dropped: set[str] = set()
    for statement, op in ctx.up_ops():
        if isinstance(op, ops.DropTable) and op.table:
            dropped.add(op.table.lower())
        elif isinstance(op, ops.CreateTable) and op.table and op.table.lower() in dropped:
            yield Hit(
                statement.line,
                statement.sql,
                f"{op.table} is dropped and created again: its rows are lost",
            )


# -- BC: backward compatibility ----------------------------------------------------------------


@op_rule(
    "BC101",
    "rename-column",
    ERROR,
    ALL,
    detects="RENAME COLUMN (or MySQL CHANGE old new) on an existing table: running code "
    "still uses the old name",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="keep the database name and rename only the attribute "
    "(mapped_column('old_name')); or expand and contract: add, dual-write, backfill, switch, drop",
)
def _rename_column(ctx: OpContext, op: ops.Op) -> str | None:
    if isinstance(op, ops.RenameColumn) and ctx.exists_before(op.table):
        return (
            f"renames {op.table}.{op.column} to {op.new_name}: code still running uses the old name"
        )
    return None


@op_rule(
    "BC102",
    "rename-table",
    ERROR,
    ALL,
    detects="a table renamed: running code still uses the old name",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="keep __tablename__ as it is; or rename and leave a view under the old name "
    "until no code uses it",
)
def _rename_table(ctx: OpContext, op: ops.Op) -> str | None:
    if isinstance(op, ops.RenameTable) and ctx.exists_before(op.table):
        return f"renames {op.table} to {op.new_name}: code still running uses the old name"
    return None


@op_rule(
    "BC103",
    "add-required-column",
    ERROR,
    ALL,
    detects="ADD COLUMN ... NOT NULL without a default on an existing table: fails if it has rows, "
    "and breaks INSERTs of code still running",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="add it nullable, backfill in batches, then enforce NOT NULL; or give it a "
    "constant server default",
)
def _add_required(ctx: OpContext, op: ops.Op) -> str | None:
    if not isinstance(op, ops.AddColumn) or not ctx.exists_before(op.table):
        return None
    col = op.column
    if col.nullable or col.default is not None or col.identity or col.generated or col.primary_key:
        return None
    return f"adds {op.table}.{col.name} NOT NULL without a default"


@op_rule(
    "BC104",
    "drop-not-null",
    WARNING,
    ALL,
    detects="DROP NOT NULL: code that reads the column may not expect NULL",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="make sure every reader handles NULL before the column can hold one",
)
def _drop_not_null(ctx: OpContext, op: ops.Op) -> str | None:
    if isinstance(op, ops.DropNotNull) and ctx.exists_before(op.table):
        table = ctx.schema.table(op.table)
        column = table.column(op.column) if table else None
        if column is not None and column.nullable:
            return None  # nullable already (a MySQL MODIFY restates it)
        return f"{op.table}.{op.column} may now hold NULL"
    return None


@op_rule(
    "BC106",
    "rename-schema",
    ERROR,
    ALL,
    detects="a schema renamed: every query that names it breaks",
    lock=_EXCLUSIVE,
    blocks="reads and writes",
    rewrite=False,
    safe_alternative="create the new schema and move objects across while both names work",
)
def _rename_schema(ctx: OpContext, op: ops.Op) -> str | None:
    if isinstance(op, ops.RenameSchema):
        return f"renames schema {op.name} to {op.new_name}"
    return None


# -- DD: data ----------------------------------------------------------------------------------


@op_rule(
    "DD101",
    "may-fail-on-data",
    WARNING,
    ALL,
    detects="a change that fails if existing rows break it: a unique index or constraint, NOT "
    "NULL, a narrower type",
    lock="",
    blocks="",
    rewrite=True,
    safe_alternative="check the data first (`schemactl plan --preflight` counts duplicates and "
    "NULLs), or clean it in an earlier migration",
)
def _may_fail(ctx: OpContext, op: ops.Op) -> str | None:
    if not ctx.exists_before(op.table):
        return None
    if isinstance(op, ops.CreateIndex) and op.unique:
        return f"fails if {op.table} has duplicate ({', '.join(op.columns)})"
    if isinstance(op, ops.AddConstraint) and op.constraint.kind in ("unique", "primary"):
        if op.constraint.using_index:
            return None  # the unique index was built (and checked) already
        return f"fails if {op.table} has duplicate ({', '.join(op.constraint.columns)})"
    if isinstance(op, ops.SetNotNull) and not proven_not_null(ctx.schema, op.table, op.column):
        return f"fails if {op.table}.{op.column} holds NULL"  # a validated CHECK proves none
    return None


@migration_rule(
    "DD102",
    "backfill-with-ddl",
    WARNING,
    ALL,
    detects="UPDATE or DELETE of existing rows in the same transaction as schema changes, or "
    "without a WHERE clause: locks are held for the whole backfill",
    lock="row locks, held with the DDL's locks until commit",
    blocks="writes to the rows",
    rewrite=True,
    safe_alternative="backfill in its own migration (transaction:false), in batches",
)
def _backfill(ctx: MigrationContext) -> Iterator[Hit]:
    ddl = [
        op
        for _, op in ctx.up_ops()
        if not isinstance(
            op, ops.DataChange | ops.Other | ops.SetOption | ops.Transaction | ops.OnlineClause
        )
        and not isinstance(op, ops.CreateTable | ops.CreateEnum)
    ]
    created = {
        op.table.lower() for _, op in ctx.up_ops() if isinstance(op, ops.CreateTable) and op.table
    }
    for statement, op in ctx.up_ops():
        if not isinstance(op, ops.DataChange) or op.kind not in ("update", "delete", "merge"):
            continue
        if op.table and op.table.lower() in created:
            continue
        if ddl and ctx.transactional and ctx.dialect != "mysql":  # MySQL DDL commits at once
            yield Hit(
                statement.line,
                statement.sql,
                f"{op.kind.upper()} of {op.table} in the same transaction as schema changes",
            )
        elif not op.has_where:
            yield Hit(
                statement.line,
                statement.sql,
                f"{op.kind.upper()} of every row of {op.table} in one statement",
            )


# -- what the linter could not read, history, rollback ----------------------------------------


@migration_rule(
    "UN101",
    "not-analysed",
    INFO,
    ALL,
    detects="a statement the SQL parser cannot read: no rule could check it",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="review it by hand",
)
def _not_analysed(ctx: MigrationContext) -> Iterator[Hit]:
    for statement in ctx.up:
        if statement.error is not None:
            yield Hit(statement.line, statement.sql, f"not analysed: {statement.error}")


@migration_rule(
    "RB101",
    "missing-down",
    WARNING,
    ALL,
    detects="a migration without a down section (or an empty one not marked "
    "`-- schemactl: no-op`): it cannot be rolled back",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="write the down section; if nothing needs undoing, say so with "
    "`-- schemactl: no-op`",
)
def _missing_down(ctx: MigrationContext) -> Iterator[Hit]:
    down = ctx.migration.down
    if down is None:
        yield Hit(ctx.migration.up.line, "", "no down section", "down")
    elif down.is_empty and not down.marked_noop:
        yield Hit(down.line, "", "the down section is empty", "down")


@migration_rule(
    "IN101",
    "edited-after-apply",
    ERROR,
    ALL,
    detects="a migration whose file changed after it was applied (online): the database does "
    "not hold what the file says",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="restore the applied file and make the change in a new migration",
)
def _edited(ctx: MigrationContext) -> Iterator[Hit]:
    applied = ctx.settings.applied.get(ctx.migration.version)
    if applied is not None and applied != ctx.migration.checksum:
        yield Hit(ctx.migration.up.line, "", "changed since it was applied")


@migration_rule(
    "IN102",
    "out-of-order",
    WARNING,
    ALL,
    detects="a pending migration older than the newest applied one (online): two branches merged",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="give it a version after the newest applied one (rename the file) if it "
    "depends on it",
)
def _out_of_order(ctx: MigrationContext) -> Iterator[Hit]:
    latest = ctx.settings.latest_applied
    version = ctx.migration.version
    if latest is not None and version not in ctx.settings.applied and version < latest:
        yield Hit(ctx.migration.up.line, "", f"older than {latest}, which is applied already")


policy_rule(
    "RB102",
    "irreversible",
    ERROR,
    ALL,
    detects="a down section that is missing, fails, does not restore the schema, or destroys "
    "data the up did not create, as `schemactl verify` finds by running it on a throwaway "
    "database (verify checks it, lint does not)",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="fix the down section; if the migration truly cannot be undone, say so: "
    '-- schemactl:approve irreversible reason="..."',
)
