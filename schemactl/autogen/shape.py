"""Order and normalise Alembic's operations before they are described and rendered.

- constraints inside CREATE TABLE (a set in SQLAlchemy) go in the order ``create_all`` gives
  them (the order they were made in: MySQL/MariaDB number unnamed foreign keys
  ``<table>_ibfk_N`` by it), and runs of same-kind operations are sorted, so the same models
  give byte-identical files under any PYTHONHASHSEED;
- indexes of dropped tables are not dropped separately; dropped tables go children first;
- new columns lose ``index=True``/``unique=True`` (their own operations create those), and
  reflected defaults become text the renderers take;
- the dialect's hooks give each table's operations their final order;
- foreign keys of a cycle of new tables are added after them (``cycles``), and constraints
  the models leave unnamed get a name the down section can drop (``names``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from alembic.operations import ops
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
)
from sqlalchemy.schema import DefaultClause

from .cycles import split_cycles, table_key, tables_before_foreign_keys
from .names import name_unnamed

if TYPE_CHECKING:
    from .hooks import AutogenHooks


def shape(container: ops.OpContainer, hooks: AutogenHooks, models: MetaData) -> None:
    """Shape the upgrade or downgrade operations in place; ``models`` is the desired state."""
    _without_redundant_drops(container)
    dropped = _dropped_tables(container, models)
    _drop_tables_children_first(container, dropped)
    if isinstance(container, ops.DowngradeOps):
        _recreate_tables_parents_first(container)
    tables_before_foreign_keys(container)
    split_cycles(container, hooks, constraint_key, dropped)
    _normalise(container, hooks, models)
    name_unnamed(container, hooks)


def leaves(container: ops.OpContainer) -> Iterator[ops.MigrateOperation]:
    """Every operation, table operations' own ones included."""
    for op in container.ops:
        if isinstance(op, ops.OpContainer):
            yield from leaves(op)
        else:
            yield op


def op_name(op: ops.MigrateOperation) -> str:
    """The name an operation acts on: its constraint, index, column or else table."""
    for attribute in ("constraint_name", "index_name", "column_name", "table_name"):
        value = getattr(op, attribute, None)
        if value:
            return str(value)
    return ""


def constraint_key(item: Any) -> tuple[Any, ...]:
    """A stable order for constraints: primary key, unique, foreign keys, checks; by name."""
    rank = {PrimaryKeyConstraint: 0, UniqueConstraint: 1, ForeignKeyConstraint: 2}
    kind = next((r for cls, r in rank.items() if isinstance(item, cls)), 3)
    columns = tuple(str(c) for c in getattr(item, "columns", ()) or ())
    if isinstance(item, ForeignKeyConstraint):
        target = tuple(e.target_fullname for e in item.elements)
    else:
        target = ()
    sqltext = str(item.sqltext) if isinstance(item, CheckConstraint) else ""
    return (kind, str(item.name or ""), columns, target, sqltext)


def creation_order(table: Table) -> list[Any]:
    """The table's constraints in the order they were made, the order in which
    ``MetaData.create_all`` writes them in CREATE TABLE (after the primary key), and so in
    which MySQL/MariaDB number the foreign keys it leaves unnamed (``<table>_ibfk_N``).

    SQLAlchemy keeps ``Table.constraints`` (and ``foreign_keys``, ``foreign_key_constraints``)
    as sets, and no public API gives that order: ``_sorted_constraints`` (by the private
    ``_creation_order``) is what SQLAlchemy's own CREATE TABLE compiler reads. It is the same
    on every run for the same models: the order of the statements that build them.
    """
    return list(table._sorted_constraints)


def in_stable_order(table: Table) -> Table:
    """``table``, whose constraints and indexes now iterate in a stable order: named
    constraints by name, unnamed ones by kind and columns, indexes by name.

    Alembic's table rebuild copies constraints and indexes in the order it iterates the
    table's collections, which SQLAlchemy keeps as sets (an order that changes from run to
    run); used on tables of our own (copies), never the models.
    """
    from sqlalchemy.util import OrderedSet

    def order(constraint: Any) -> tuple[Any, ...]:
        if isinstance(constraint.name, str):
            return (0, str(constraint.name), ())
        return (1, "", constraint_key(constraint))

    table.constraints = OrderedSet(sorted(table.constraints, key=order))
    table.indexes = OrderedSet(sorted(table.indexes, key=lambda i: str(i.name or "")))
    return table


def _normalise(container: ops.OpContainer, hooks: AutogenHooks, models: MetaData) -> None:
    """Deterministic order everywhere SQLAlchemy or Alembic iterate a set."""
    copies: dict[Table, Table] = {}
    for op in container.ops:
        if isinstance(op, ops.CreateTableOp):
            columns = [c for c in op.columns if isinstance(c, Column)]
            others = [c for c in op.columns if not isinstance(c, Column)]
            op.columns = columns + _constraints_in_order(op, others, models)
        elif isinstance(op, ops.ModifyTableOps):
            for sub in op.ops:
                if isinstance(sub, ops.AlterColumnOp):
                    _unwrap_defaults(sub)
                elif isinstance(sub, ops.AddColumnOp):
                    sub.column = _bare_column(sub.column, copies)
            op.ops = hooks.order_table_ops(_sorted_runs(op.ops))


def _constraints_in_order(op: ops.CreateTableOp, items: list[Any], models: MetaData) -> list[Any]:
    """A new table's constraints as ``create_all`` orders them: the primary key, then the
    order they were made in. A table that is not the models' (going down, one the up section
    dropped, as Alembic reflected it, copied in the order of a set) has its constraints
    sorted by kind and name instead: the database named them all (MySQL/MariaDB, PostgreSQL),
    or their order names nothing (SQLite)."""
    model = models.tables.get(table_key(op.schema, op.table_name))
    if model is not None:
        made = {id(c): n for n, c in enumerate(creation_order(model))}
        if all(id(c) in made for c in items):
            return sorted(items, key=lambda c: (c is not model.primary_key, made[id(c)]))
    return sorted(items, key=constraint_key)


def _bare_column(column: Column[Any], copies: dict[Table, Table]) -> Column[Any]:
    """The model's column without ``index=True``/``unique=True``: autogenerate emits those as
    operations of their own, and Alembic's add_column would create them a second time (on
    SQLite's table rebuild, under the temporary table's name).

    The models are the caller's and stay untouched: the flags are cleared on a copy, made
    with ``Table.to_metadata`` (``Column.copy`` is deprecated; ``_copy`` is private).
    """
    table = column.table
    if table not in copies:
        convention = table.metadata.naming_convention
        copies[table] = table.to_metadata(MetaData(naming_convention=convention))
    copy = copies[table].c[column.key]
    copy.index = None
    copy.unique = None
    return copy


def _unwrap_defaults(op: ops.AlterColumnOp) -> None:
    """A reversed alter_column carries the reflected DefaultClause; the renderers (SQLite's
    table rebuild in particular) take its text."""
    if isinstance(op.modify_server_default, DefaultClause):
        op.modify_server_default = op.modify_server_default.arg
    existing = op.kw.get("existing_server_default")
    if isinstance(existing, DefaultClause):
        op.kw["existing_server_default"] = existing.arg


def _sorted_runs(items: list[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
    """Sort each run of consecutive same-kind operations by name, keeping the runs' order;
    added columns (all named after their table) by their place in it."""
    result: list[ops.MigrateOperation] = []
    run: list[ops.MigrateOperation] = []
    for op in items:
        if run and type(op) is not type(run[-1]):
            result.extend(sorted(run, key=_run_key))
            run = []
        run.append(op)
    result.extend(sorted(run, key=_run_key))
    return result


def _run_key(op: ops.MigrateOperation) -> tuple[str, int]:
    position = 0
    if isinstance(op, ops.AddColumnOp) and op.column.table is not None:
        # The models' order going up; going down, where a dropped column was (Alembic lists
        # those in the database's set order).
        position = list(op.column.table.columns.keys()).index(op.column.key)
    return (op_name(op), position)


def _without_redundant_drops(container: ops.OpContainer) -> None:
    """DROP TABLE takes its indexes and constraints along; dropping them first is noise on
    PostgreSQL and an error on MySQL (1553)."""
    dropped = {
        (op.schema, op.table_name) for op in container.ops if isinstance(op, ops.DropTableOp)
    }
    container.ops = [
        op
        for op in container.ops
        if not (isinstance(op, ops.ModifyTableOps) and (op.schema, op.table_name) in dropped)
    ]


def _dropped_tables(container: ops.OpContainer, models: MetaData) -> dict[str, Table]:
    """Each table the section drops, by ``schema.name``, with its foreign keys.

    Going down, those are the tables the up section created: the models' own tables. Going
    up, they are tables the models lack, as Alembic reflected them (``to_table()``, which
    builds a copy: too slow to call for the hundreds of tables a first migration creates,
    but a section seldom drops many).
    """
    dropped = {}
    for op in container.ops:
        if isinstance(op, ops.DropTableOp):
            key = table_key(op.schema, op.table_name)
            model = models.tables.get(key)
            dropped[key] = model if model is not None else op.to_table()
    return dropped


def _drop_tables_children_first(container: ops.OpContainer, dropped: dict[str, Table]) -> None:
    """Alembic lists dropped tables in the database's order; a parent must go after the
    tables whose foreign keys point at it."""
    positions = [i for i, op in enumerate(container.ops) if isinstance(op, ops.DropTableOp)]
    if len(positions) < 2:
        return
    drops: dict[str, ops.DropTableOp] = {}
    for position in positions:
        op = container.ops[position]
        assert isinstance(op, ops.DropTableOp)
        drops[op.table_name] = op
    # Going down, Alembic lists the tables the up section created in the reverse of their
    # creation order: a cycle is broken there at the table created last, whose foreign keys
    # pointing back were added (and named) after the tables (see ``cycles``).
    first_in = list(drops) if isinstance(container, ops.DowngradeOps) else None
    parents = {
        name: _parents(dropped[table_key(op.schema, name)].foreign_key_constraints)
        for name, op in drops.items()
    }
    ordered = _children_first(parents, first_in)
    for position, name in zip(positions, ordered, strict=True):
        container.ops[position] = drops[name]


def _recreate_tables_parents_first(container: ops.DowngradeOps) -> None:
    """The tables the up section drops come back in the down section in the reverse of the
    order they were dropped in, each with its own index operations after it. (Alembic lists
    them in the reverse of its drop order, the database's set order.)"""
    groups: list[list[ops.MigrateOperation]] = []
    for op in container.ops:
        same_table = (
            groups
            and isinstance(op, ops.ModifyTableOps)
            and isinstance(groups[-1][0], ops.CreateTableOp)
            and (op.schema, op.table_name) == (groups[-1][0].schema, groups[-1][0].table_name)
        )
        if same_table:
            groups[-1].append(op)
        else:
            groups.append([op])
    slots: list[int] = []
    created: dict[str, list[ops.MigrateOperation]] = {}
    parents: dict[str, set[str]] = {}
    for slot, group in enumerate(groups):
        first = group[0]
        if isinstance(first, ops.CreateTableOp):
            slots.append(slot)
            created[first.table_name] = group
            parents[first.table_name] = _parents(first.columns)
    if len(slots) < 2 or len(created) < len(slots):  # (one name in two schemas: as it is)
        return
    for slot, name in zip(slots, reversed(_children_first(parents)), strict=True):
        groups[slot] = created[name]
    container.ops = [op for group in groups for op in group]


def _parents(items: Iterable[Any]) -> set[str]:
    """The names of the tables that the foreign keys among ``items`` (constraints, or the
    columns and constraints of a CREATE TABLE) point at."""
    targets: set[str] = set()
    for item in items:
        if isinstance(item, ForeignKeyConstraint):
            targets.update(e.target_fullname for e in item.elements)
        elif isinstance(item, Column):
            targets.update(fk.target_fullname for fk in item.foreign_keys)
    return {target.split(".")[-2] for target in targets}


def _children_first(parents: dict[str, set[str]], cycles_by: list[str] | None = None) -> list[str]:
    """The names of ``parents``' tables, each after every table whose foreign keys point at
    it; otherwise by name, and cycles broken by name (or at the first in ``cycles_by``)."""
    referenced_by: dict[str, set[str]] = {name: set() for name in parents}
    for name, targets in parents.items():
        for parent in targets:
            if parent in referenced_by and parent != name:
                referenced_by[parent].add(name)
    ordered: list[str] = []
    while referenced_by:
        # First the tables nothing left points at.
        free = sorted(n for n, children in referenced_by.items() if not children)
        if free:
            chosen = free[0]
        elif cycles_by is not None:
            chosen = next(n for n in cycles_by if n in referenced_by)
        else:
            chosen = sorted(referenced_by)[0]
        ordered.append(chosen)
        del referenced_by[chosen]
        for children in referenced_by.values():
            children.discard(chosen)
    return ordered
