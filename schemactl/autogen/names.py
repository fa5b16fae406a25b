"""Names for the constraints the models leave unnamed, so that the SQL written can drop them.

A unique constraint or foreign key added to an existing table (or added after the tables of a
foreign-key cycle exist) without a name would get one the database chooses, which the down
section cannot know. Such operations get the name the model's ``naming_convention`` gives
(SQLAlchemy applies it when the model is built), else a deterministic one of the dialect's
(``hooks.constraint_name``: PostgreSQL's own, ``<table>_<columns>_key`` / ``_fkey``).

A constraint the database holds under a name is dropped by that name (Alembic reflects it);
on SQLite, where a table's unnamed constraints have none, the table rebuild names the one to
drop as this module named it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from alembic.operations import ops
from sqlalchemy import ForeignKeyConstraint, UniqueConstraint

if TYPE_CHECKING:
    from sqlalchemy import Table

    from .hooks import AutogenHooks

_LABELS = {"unique": "key", "foreignkey": "fkey"}


def object_name(table: str, columns: Iterable[str], label: str, limit: int) -> str:
    """PostgreSQL's ``makeObjectName``: ``<table>_<columns>_<label>``, the longer of the table
    and column parts shortened first until the name fits in ``limit`` bytes.

    >>> object_name("users", ["team_id"], "fkey", 63)
    'users_team_id_fkey'
    """
    joined = "_".join(columns)
    name1, name2 = table.encode(), joined.encode()
    available = limit - (len(label.encode()) + 1) - (1 if name2 else 0)
    n1, n2 = len(name1), len(name2)
    while n1 + n2 > available:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    part1 = name1[:n1].decode("utf-8", errors="ignore")  # cut at a character boundary
    part2 = name2[:n2].decode("utf-8", errors="ignore")
    return "_".join(p for p in (part1, part2, label) if p)


def pg_style(kind: str, table: str, columns: Iterable[str], limit: int) -> str:
    """PostgreSQL's name for a unique constraint (``kind`` "unique": ``_key``) or a foreign
    key ("foreignkey": ``_fkey``), in ``limit`` bytes."""
    return object_name(table, columns, _LABELS[kind], limit)


def kind_of(constraint: Any) -> str | None:
    """Alembic's constraint type for the kinds named here, else None."""
    if isinstance(constraint, UniqueConstraint):
        return "unique"
    if isinstance(constraint, ForeignKeyConstraint):
        return "foreignkey"
    return None


def default_name(constraint: Any, table: str, hooks: AutogenHooks) -> str | None:
    """The name this module gives an unnamed unique constraint or foreign key of ``table``."""
    kind = kind_of(constraint)
    if kind is None:
        return None
    if isinstance(constraint, ForeignKeyConstraint):
        columns = [str(c) for c in constraint.column_keys]
    else:
        columns = [c.name for c in constraint.columns]
    return hooks.constraint_name(kind, table, columns)


def name_unnamed(container: ops.OpContainer, hooks: AutogenHooks) -> None:
    """Give every unnamed constraint that one operation adds or drops its name, in place."""
    for op in _leaves(container):
        if not isinstance(op, ops.AddConstraintOp | ops.DropConstraintOp):
            continue
        if getattr(op, "constraint_name", "") is not None:  # named, or a kind without names
            continue
        try:
            constraint = op.to_constraint()
        except ValueError:  # a drop Alembic did not make: nothing to read the columns from
            continue
        table = getattr(op, "table_name", None) or getattr(op, "source_table", "")
        name = default_name(constraint, str(table), hooks)
        if name is not None:
            op.constraint_name = name  # type: ignore[union-attr]  # (every kind named here has it)


def name_in_source(
    source: Table, items: Iterable[ops.MigrateOperation], hooks: AutogenHooks
) -> None:
    """Before a table rebuild drops a constraint by the name given here, give that name to the
    source table's unnamed constraint it stands for (SQLite reports none)."""
    wanted = {
        op.constraint_name
        for op in items
        if isinstance(op, ops.DropConstraintOp) and op.constraint_name is not None
    }
    named = {c.name for c in source.constraints if isinstance(c.name, str)}
    for constraint in sorted(source.constraints, key=_by_kind_and_columns):
        if isinstance(constraint.name, str):
            continue
        name = default_name(constraint, source.name, hooks)
        if name is not None and name in wanted and name not in named:
            constraint.name = name
            named.add(name)


def _by_kind_and_columns(constraint: Any) -> tuple[str, tuple[str, ...]]:
    return (type(constraint).__name__, tuple(str(c) for c in constraint.columns))


def _leaves(container: ops.OpContainer) -> Iterable[ops.MigrateOperation]:
    for op in container.ops:
        if isinstance(op, ops.OpContainer):
            yield from _leaves(op)
        else:
            yield op
