"""SQLite rules: what ALTER TABLE cannot do in place needs the 12-step table rebuild
(https://sqlite.org/lang_altertable.html; research/safety.md 5.3)."""

from __future__ import annotations

from . import ops
from .catalog import SQLITE, Severity, op_rule
from .engine import OpContext
from .rebuilds import rebuilt_into
from .schema import TableState

ERROR, WARNING = Severity.ERROR, Severity.WARNING

# What SQLite's ALTER TABLE cannot do (the draft docs' ALTER COLUMN / ADD CONSTRAINT aside,
# which released versions refuse): the table must be rebuilt
_NOT_IN_PLACE = (
    ops.AlterColumnType,
    ops.SetNotNull,
    ops.DropNotNull,
    ops.SetDefault,
    ops.DropDefault,
    ops.AddConstraint,
    ops.DropConstraint,
)


def _rebuilt_into(ctx: OpContext, op: ops.DropTable) -> TableState | None:
    """The new table of a rebuild of a table that was there before (see ``rebuilt_into``)."""
    if not ctx.exists_before(op.table):
        return None
    new = rebuilt_into(ctx, op.table)
    return None if new is None else ctx.schema.table(new)


@op_rule(
    "LK113",
    "sqlite-table-rebuild",
    WARNING,
    SQLITE,
    detects="SQLite: a change ALTER TABLE cannot make (a type, NOT NULL, a default, a "
    "constraint), done by rebuilding the table: every row is copied with the database locked "
    "for writes, and indexes, triggers and views must be created again",
    lock="database write lock",
    blocks="writes",
    rewrite=True,
    safe_alternative="the documented 12 steps: PRAGMA foreign_keys=OFF outside the transaction, "
    "CREATE new, INSERT SELECT, DROP old, RENAME, recreate indexes/triggers/views, PRAGMA "
    "foreign_key_check; prefer ADD COLUMN where it will do",
)
def _rebuild(ctx: OpContext, op: ops.Op) -> str | None:
    if isinstance(op, _NOT_IN_PLACE) and ctx.exists_before(op.table):
        return f"SQLite cannot do this to {op.table} in place: the table must be rebuilt"
    if isinstance(op, ops.DropTable) and _rebuilt_into(ctx, op) is not None:
        return f"rebuilds {op.table}: every row copied, indexes and triggers to recreate"
    return None


@op_rule(
    "LK105",
    "set-not-null-scan",
    ERROR,
    SQLITE,
    detects="SQLite: a column made NOT NULL (a rebuild whose new table says NOT NULL where the "
    "old column was nullable): the copy fails on the first NULL",
    lock="database write lock",
    blocks="writes",
    rewrite=True,
    safe_alternative="SQLite: UPDATE the NULLs to a value first (or COALESCE them in the INSERT "
    "SELECT), then rebuild",
)
def _rebuild_not_null(ctx: OpContext, op: ops.Op) -> str | None:
    if isinstance(op, ops.SetNotNull) and ctx.exists_before(op.table):
        return f"makes {op.table}.{op.column} NOT NULL: fails on a NULL"
    if not isinstance(op, ops.DropTable):
        return None
    new = _rebuilt_into(ctx, op)
    old = ctx.schema.table(op.table)
    if new is None or old is None:
        return None
    tightened = [
        name
        for name, column in new.columns.items()
        if not column.nullable and (before := old.column(name)) is not None and before.nullable
    ]
    if tightened:
        return f"rebuilds {op.table} with {', '.join(tightened)} NOT NULL: the copy fails on a NULL"
    return None
