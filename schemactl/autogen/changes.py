"""Describe operations as ``Change``s: what each does, and whether it can lose data.

Destructive: dropping a table or a column, and a narrowing type change (shorter strings,
fewer digits, another kind of type). A table that drops one column and adds another may be
a rename Alembic cannot see; that is flagged too. The safety rules build on these.

Every detail is meant for a person reading a terminal: a comment change says so, an enum
column shows its values (not the ``VARCHAR`` it is stored as where no enum type exists).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alembic.operations import ops
from sqlalchemy import Enum, String

from .._results import Change
from .objectops import ObjectOp
from .shape import leaves, op_name


def describe_all(container: ops.OpContainer) -> tuple[Change, ...]:
    """One Change per operation, table operations' own ones included, in order."""
    changes: list[Change] = []
    for op in container.ops:
        if isinstance(op, ops.ModifyTableOps):
            changes.extend(describe(sub, op.table_name) for sub in op.ops)
        else:
            changes.append(describe(op, getattr(op, "table_name", "")))
    return tuple(changes)


def describe(op: ops.MigrateOperation, table: str) -> Change:
    """The Change one operation on ``table`` makes."""
    if isinstance(op, ObjectOp):  # sequences, enum values: they describe themselves
        return op.change()
    if isinstance(op, ops.CreateTableOp):
        return Change("add_table", table, f"+ table {table}")
    if isinstance(op, ops.DropTableOp):
        return Change("drop_table", table, f"- table {table} (its data is lost)", True)
    if isinstance(op, ops.AddColumnOp):
        detail = f"+ column {table}.{op.column.name} {type_text(op.column.type)}"
        return Change("add_column", table, detail)
    if isinstance(op, ops.DropColumnOp):
        return Change(
            "drop_column", table, f"- column {table}.{op.column_name} (its data is lost)", True
        )
    if isinstance(op, ops.AlterColumnOp):
        return _describe_alter(op, table)
    if isinstance(op, ops.CreateIndexOp):
        return Change("add_index", table, f"+ index {op.index_name} on {table}")
    if isinstance(op, ops.DropIndexOp):
        return Change("drop_index", table, f"- index {op.index_name} on {table}")
    if isinstance(op, ops.AddConstraintOp):
        kind = getattr(op, "constraint_type", "constraint")
        return Change(f"add_{kind}", table, f"+ {kind} {op_name(op)} on {table}")
    if isinstance(op, ops.DropConstraintOp):
        kind = op.constraint_type or "constraint"
        return Change(f"drop_{kind}", table, f"- {kind} {op.constraint_name} on {table}")
    if isinstance(op, ops.CreateTableCommentOp):
        change = _comment_text(op.existing_comment, op.comment)
        return Change("alter_table_comment", table, f"~ table {table}: comment {change}")
    if isinstance(op, ops.DropTableCommentOp):
        change = _comment_text(op.existing_comment, None)
        return Change("drop_table_comment", table, f"~ table {table}: comment {change}")
    return Change(type(op).__name__, table, f"~ {type(op).__name__} on {table}")


def _describe_alter(op: ops.AlterColumnOp, table: str) -> Change:
    parts = []
    narrowing = False
    if op.modify_type is not None:
        parts.append(f"type {type_text(op.existing_type)} -> {type_text(op.modify_type)}")
        narrowing = narrows(op.existing_type, op.modify_type)
    if op.modify_nullable is not None:
        parts.append("NOT NULL" if not op.modify_nullable else "nullable")
    if op.modify_server_default is not False:
        parts.append(f"default {_default_text(op.modify_server_default)}")
    if op.modify_comment is not False:
        parts.append(f"comment {_comment_text(op.existing_comment, op.modify_comment)}")
    detail = f"~ column {table}.{op.column_name}: {', '.join(parts)}"
    if narrowing:
        detail += " (narrowing: values may not fit)"
    return Change("alter_column", table, detail, narrowing)


def destructive_warnings(items: Iterable[ops.MigrateOperation]) -> list[str]:
    """The ``-- WARNING: destructive:`` comment lines for the operations that lose data."""
    lines = []
    for op in items:
        change = describe(op, getattr(op, "table_name", "") or "")
        if change.destructive:
            lines.append(f"-- WARNING: destructive: {change.detail.lstrip('-~+ ')}")
    return lines


def notes(container: ops.OpContainer) -> tuple[str, ...]:
    """What the ``-- WARNING:`` comments of the up section say, for the terminal: the data
    each destructive operation loses, then the possible renames."""
    hints = rename_hints(container)
    lines = destructive_warnings(leaves(container))
    lines += [hints[id(op)] for op in container.ops if id(op) in hints]
    return tuple(line.removeprefix("-- WARNING: ") for line in lines)


def type_text(type_: Any) -> str:
    """A column type as a person reads it: an enum as its name and values.

    >>> type_text(Enum("new", "paid", name="status"))
    'enum status (new, paid)'
    """
    if isinstance(type_, Enum):
        label = f"enum {type_.name}" if type_.name else "enum"
        return f"{label} ({', '.join(type_.enums)})"
    return str(type_)


def rename_hints(container: ops.OpContainer) -> dict[int, str]:
    """Warnings by ``id()`` of the table operations that drop one column and add another:
    that may be a rename, which Alembic cannot see."""
    hints: dict[int, str] = {}
    for op in container.ops:
        if not isinstance(op, ops.ModifyTableOps):
            continue
        dropped = sorted(s.column_name for s in op.ops if isinstance(s, ops.DropColumnOp))
        added = sorted(s.column.name for s in op.ops if isinstance(s, ops.AddColumnOp))
        if dropped and added:
            hints[id(op)] = (
                f"-- WARNING: {op.table_name} drops {', '.join(dropped)} and adds "
                f"{', '.join(added)}: if that is a rename, this loses the data; "
                "write ALTER TABLE ... RENAME COLUMN instead"
            )
    return hints


def narrows(old: Any, new: Any) -> bool:
    """A type change that can lose data: shorter strings, fewer digits, another kind of type.

    >>> narrows(VARCHAR(255), String(100))
    True
    """
    if old is None or new is None:
        return False
    # _type_affinity is private, and no public API answers "the same kind of type" (as_generic
    # keeps BigInteger apart from Integer, and raises for custom types); Alembic's own type
    # comparison relies on it too.
    old_family, new_family = old._type_affinity, new._type_affinity
    if old_family is not new_family and not (
        issubclass(old_family, String) and issubclass(new_family, String)
    ):
        return True
    ranks = {"SMALLINT": 0, "SMALLINTEGER": 0, "INTEGER": 1, "INT": 1, "BIGINT": 2, "BIGINTEGER": 2}
    old_rank = ranks.get(type(old).__name__.upper())
    new_rank = ranks.get(type(new).__name__.upper())
    if old_rank is not None and new_rank is not None and new_rank < old_rank:
        return True
    for attribute in ("length", "precision", "scale"):
        before, after = getattr(old, attribute, None), getattr(new, attribute, None)
        if isinstance(before, int) and isinstance(after, int) and after < before:
            return True
        if attribute == "length" and before is None and isinstance(after, int):
            return True  # unbounded text to a bounded string
    return False


def _comment_text(before: str | None, after: str | None) -> str:
    """``'old' -> 'new'``, ``none`` standing for no comment."""

    def quoted(text: str | None) -> str:
        return "none" if text is None else "'" + text.replace("'", "''") + "'"

    return f"{quoted(before)} -> {quoted(after)}"


def _default_text(default: Any) -> str:
    from sqlalchemy.exc import CompileError

    if default is None:
        return "none"
    arg = getattr(default, "arg", default)
    try:
        return str(arg)
    except CompileError:
        # a construct compiled only per dialect (``@compiles(X, "postgresql")``, no default
        # handler) has no generic string form: name it rather than fail
        return f"{type(arg).__name__}()"
