"""Table rebuilds (CREATE new, INSERT ... SELECT, DROP old, RENAME new to old: SQLite's way
to make a change ALTER TABLE cannot): which table replaces which, and what the rebuild loses
(columns, their values, the old table's triggers). The rules of every dialect ask."""

from __future__ import annotations

from . import ops
from .engine import OpContext


def rebuilt_into(ctx: OpContext, table: str | None) -> str | None:
    """The table that replaces ``table`` in a rebuild (CREATE new, INSERT SELECT, DROP old,
    RENAME new to old: SQLite's way to change what ALTER TABLE cannot): created in this
    migration and renamed to ``table`` after its drop. None: not a rebuild."""
    for later in ctx.after():
        if (
            table is not None
            and isinstance(later, ops.RenameTable)
            and later.new_name.lower() == table.lower()
            and ctx.schema.is_new(later.table)
        ):
            return later.table
    return None


def copied_into(ctx: OpContext, table: str) -> set[str] | None:
    """The columns that rows copied into ``table`` before this statement fill, lower case
    (INSERT ... SELECT with its column list); every column of ``table`` when an INSERT names
    none or the table was made AS SELECT; None: no rows were copied."""
    key = ctx.schema.key(table)
    made = ctx.schema.table(table)
    every = {name.lower() for name in made.columns} if made else set()
    filled: set[str] | None = None
    for op in ctx.before():
        if ctx.schema.key(op.table or "") != key:
            continue
        if isinstance(op, ops.DataChange) and op.kind == "insert_select":
            named = {name.lower() for name in op.columns} if op.columns else every
            filled = (filled or set()) | named
        elif isinstance(op, ops.CreateTable) and op.as_select:
            filled = (filled or set()) | every
    return filled


def rebuilt_without(ctx: OpContext, table: str | None) -> str | None:
    """A rebuild whose new table leaves out columns of the old one: their data is lost, as
    with DROP COLUMN."""
    new = rebuilt_into(ctx, table)
    old, made = ctx.schema.table(table), ctx.schema.table(new)
    if new is None or old is None or made is None or not made.columns:
        return None  # (not a rebuild; an unknown table; a new table made AS SELECT)
    kept = {name.lower() for name in made.columns}
    lost = [name for name in old.columns if name.lower() not in kept]
    if lost:
        return f"rebuilds {table} without {its_columns(lost)} and the data in {it_or_them(lost)}"
    copied = copied_into(ctx, new)
    uncopied = [name for name in old.columns if copied and name.lower() not in copied]
    if uncopied:
        it = it_or_them(uncopied)
        return (
            f"rebuilds {table} without copying {its_columns(uncopied)} (the INSERT into "
            f"{new} does not name {it}): the data in {it} is lost"
        )
    return None


def its_columns(names: list[str]) -> str:
    return f"its column {names[0]}" if len(names) == 1 else f"its columns {', '.join(names)}"


def it_or_them(names: list[str]) -> str:
    return "it" if len(names) == 1 else "them"


def lost_triggers(ctx: OpContext, table: str | None) -> list[str]:
    """The triggers of ``table`` that its rebuild loses: DROP TABLE drops them, and no CREATE
    TRIGGER later in the migration makes them again (one dropped first went on purpose)."""
    new, old = rebuilt_into(ctx, table), ctx.schema.table(table)
    if new is None or old is None:
        return []
    made = {op.name.lower() for op in ctx.after() if isinstance(op, ops.CreateTrigger) and op.name}
    return sorted(name for name in old.triggers if name.lower() not in made)
