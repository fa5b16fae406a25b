"""Foreign keys between tables one section creates or drops, where the order cannot serve.

Tables whose foreign keys form a cycle (users -> teams -> users) cannot each be created after
the tables they point at. As ``MetaData.create_all`` does, the tables are created without
the foreign keys that point at a table created later (or marked ``use_alter``), which are
then added with ALTER TABLE; a section that drops such tables drops those foreign keys first.
SQLite needs neither: it checks no foreign key when a table is created, and cannot add one
with ALTER TABLE (``hooks.alters_foreign_keys``).

Likewise a kept table that loses its foreign key to a dropped table is changed before the
drop, and one that gains a foreign key to a new table after the creation
(``tables_before_foreign_keys``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alembic.operations import ops
from sqlalchemy import ForeignKeyConstraint

if TYPE_CHECKING:
    from sqlalchemy import Table

    from .hooks import AutogenHooks


def split_cycles(
    container: ops.OpContainer, hooks: AutogenHooks, order: Any, dropped: dict[str, Table]
) -> None:
    """Move such foreign keys out of the container's CREATE and DROP TABLEs, in place;
    ``order`` is the sort key of the foreign keys moved, ``dropped`` the tables dropped (by
    ``schema.name``) with their foreign keys."""
    if not hooks.alters_foreign_keys():
        return
    _add_after_creates(container, order)
    _drop_before_drops(container, order, dropped)


def table_key(schema: str | None, name: str) -> str:
    """A table's key in ``MetaData.tables``: ``schema.name``, or ``name``."""
    return f"{schema}.{name}" if schema else name


def _target(constraint: ForeignKeyConstraint) -> str:
    """The referenced table, as ``schema.table`` or ``table``."""
    return constraint.elements[0].target_fullname.rsplit(".", 1)[0]


def _add_after_creates(container: ops.OpContainer, order: Any) -> None:
    creates = [op for op in container.ops if isinstance(op, ops.CreateTableOp)]
    position = {table_key(op.schema, op.table_name): i for i, op in enumerate(creates)}
    added: list[ops.MigrateOperation] = []
    for i, op in enumerate(creates):
        later = [
            item
            for item in op.columns
            if isinstance(item, ForeignKeyConstraint)
            and (item.use_alter or position.get(_target(item), -1) > i)
        ]
        if not later:
            continue
        moved = {id(item) for item in later}
        op.columns = [item for item in op.columns if id(item) not in moved]
        adds: list[ops.MigrateOperation] = [
            ops.CreateForeignKeyOp.from_constraint(fk) for fk in sorted(later, key=order)
        ]
        added.append(ops.ModifyTableOps(op.table_name, adds, schema=op.schema))
    if added:
        last = max(i for i, op in enumerate(container.ops) if isinstance(op, ops.CreateTableOp))
        container.ops[last + 1 : last + 1] = added


def _drop_before_drops(container: ops.OpContainer, order: Any, dropped: dict[str, Table]) -> None:
    drops = [op for op in container.ops if isinstance(op, ops.DropTableOp)]
    position = {table_key(op.schema, op.table_name): i for i, op in enumerate(drops)}
    removed: list[ops.MigrateOperation] = []
    for i, op in enumerate(drops):
        table = dropped[table_key(op.schema, op.table_name)]
        earlier = [
            fk
            for fk in table.foreign_key_constraints
            if _target(fk) != table_key(op.schema, op.table_name)
            and -1 < position.get(_target(fk), -1) < i
        ]
        if earlier:
            removals: list[ops.MigrateOperation] = [
                ops.DropConstraintOp.from_constraint(fk) for fk in sorted(earlier, key=order)
            ]
            removed.append(ops.ModifyTableOps(op.table_name, removals, schema=op.schema))
    if removed:
        first = min(i for i, op in enumerate(container.ops) if isinstance(op, ops.DropTableOp))
        container.ops[first:first] = removed


def tables_before_foreign_keys(container: ops.OpContainer) -> None:
    """Move the table operations that drop a foreign key to a table this section drops before
    the first DROP TABLE, and those that add one to a table it creates after the last CREATE
    TABLE (Alembic lists dropped tables before changed ones; going down, changed ones before
    the tables that come back), in place."""
    items = container.ops
    creates = [i for i, op in enumerate(items) if isinstance(op, ops.CreateTableOp)]
    drops = [i for i, op in enumerate(items) if isinstance(op, ops.DropTableOp)]
    if (not creates and not drops) or (creates and drops and max(creates) > min(drops)):
        return
    created = {table_key(items[i].schema, items[i].table_name) for i in creates}  # type: ignore[attr-defined]
    dropped = {table_key(items[i].schema, items[i].table_name) for i in drops}  # type: ignore[attr-defined]
    last_create = max(creates, default=-1)
    first_drop = min(drops, default=len(items))
    moved: list[ops.MigrateOperation] = []
    for i, op in enumerate(items):
        if not isinstance(op, ops.ModifyTableOps):
            continue
        adds, removes = _foreign_key_targets(op)
        if (i < last_create and adds & created) or (i > first_drop and removes & dropped):
            moved.append(op)
    if not moved:
        return
    ids = {id(op) for op in moved}
    kept = [op for op in items if id(op) not in ids]
    # (the default is computed first: a section that drops tables may create none)
    last_created = max(
        (i for i, op in enumerate(kept) if isinstance(op, ops.CreateTableOp)), default=-1
    )
    position = next(
        (i for i, op in enumerate(kept) if isinstance(op, ops.DropTableOp)), last_created + 1
    )
    container.ops = kept[:position] + moved + kept[position:]


def _foreign_key_targets(op: ops.ModifyTableOps) -> tuple[set[str], set[str]]:
    """The tables the foreign keys one table operation adds, and drops, point at."""
    adds: set[str] = set()
    removes: set[str] = set()
    for sub in op.ops:
        if isinstance(sub, ops.CreateForeignKeyOp):
            adds.add(table_key(sub.kw.get("referent_schema"), sub.referent_table))
        elif isinstance(sub, ops.DropConstraintOp) and sub.constraint_type == "foreignkey":
            try:
                constraint = sub.to_constraint()
            except ValueError:  # a drop Alembic did not make: no target to read
                continue
            if isinstance(constraint, ForeignKeyConstraint):
                removes.add(_target(constraint))
    return adds, removes
