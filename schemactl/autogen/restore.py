"""Going down, the columns the up section dropped come back, on tables that hold rows.

A column the up section drops takes its values with it: no down section can bring them back.
What the down section can and must do is run on a table with rows, and restore the schema
exactly. A nullable column, or one with a server default, comes back as it was (the rows get
NULL or the default). A ``NOT NULL`` column without a server default cannot simply be added
back to a table with rows: PostgreSQL refuses ("contains null values"), SQLite refuses
("Cannot add a NOT NULL column with default value NULL", or "NOT NULL constraint failed"
when the table is rebuilt); only MySQL/MariaDB fill in a value of their own.

So such a column comes back in two steps, the same on every database: added with a
placeholder server default of its type (``0``, ``''``, ``2000-01-01``, an enum's first value,
...), which fills the existing rows, then that default dropped: the column is ``NOT NULL``
without a default again, as before the up section. The file says so in a ``-- WARNING:``
line. The alternatives lose more: adding the column nullable, or keeping the placeholder as
its default, would leave a schema that differs from the one before (``check`` would report
it), and a down section that fails on real rows is no rollback at all.

On SQLite the second step is a table rebuild (ALTER TABLE cannot drop a default), into the
table as it was before the up section, like every rebuild going down (``rebuild_to``).
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import TYPE_CHECKING, Any

from alembic.operations import ops
from sqlalchemy import ClauseElement, Column, Enum, MetaData
from sqlalchemy.schema import DefaultClause
from sqlalchemy.types import SchemaType

from .shape import in_stable_order

if TYPE_CHECKING:
    from alembic.operations import Operations
    from sqlalchemy import Table


class RestoreDefaultsOps(ops.ModifyTableOps):
    """The second step: drop the placeholder defaults of the columns the step before,
    ``first``, restored; ``warnings`` are the comment lines that go before that one."""

    def __init__(
        self, first: ops.ModifyTableOps, items: list[ops.MigrateOperation], warnings: list[str]
    ) -> None:
        super().__init__(first.table_name, items, schema=first.schema)
        self.first = first
        self.warnings = warnings


def restore_not_null_columns(container: ops.DowngradeOps) -> None:
    """Give each ``NOT NULL`` column without a server default that the down section adds back
    a placeholder default, dropped right after (see the module's docstring), in place."""
    result: list[ops.MigrateOperation] = []
    for op in container.ops:
        result.append(op)
        if not isinstance(op, ops.ModifyTableOps):
            continue
        drops: list[ops.MigrateOperation] = []
        warnings: list[str] = []
        for position, sub in enumerate(op.ops):
            if not (isinstance(sub, ops.AddColumnOp) and _needs_placeholder(sub.column)):
                continue
            column = sub.column
            value = placeholder(column.type)
            op.ops[position] = ops.AddColumnOp(
                sub.table_name,
                Column(
                    column.name,
                    _own(column.type),
                    nullable=False,
                    server_default=value,
                    comment=column.comment,
                ),
                schema=sub.schema,
            )
            drops.append(
                ops.AlterColumnOp(
                    op.table_name,
                    column.name,
                    schema=op.schema,
                    modify_server_default=None,
                    existing_type=column.type,
                    existing_nullable=False,
                    existing_server_default=value,
                    existing_comment=column.comment,
                )
            )
            warnings.append(
                f"-- WARNING: {op.table_name}.{column.name} comes back NOT NULL without its "
                f"values (the up section dropped them): existing rows get {value!r}, a "
                "placeholder, whose default is then dropped"
            )
        if drops:
            result.append(RestoreDefaultsOps(op, drops, warnings))
    container.ops = result


def restore_warnings(container: ops.OpContainer) -> dict[int, list[str]]:
    """The ``-- WARNING:`` lines of the restored columns, by ``id()`` of the operation they
    go before."""
    return {id(op.first): op.warnings for op in container.ops if isinstance(op, RestoreDefaultsOps)}


def rebuild_to(operations: Operations, op: ops.ModifyTableOps, target: Table) -> None:
    """Going down, where ALTER TABLE cannot undo the changes (SQLite): rebuild the table into
    ``target``, its shape before the up section as reflected then, with every index, unique
    constraint, foreign key and CHECK constraint it had, named or not.

    Only the columns the down section adds back hold no values to copy: they come back
    empty (NULL, their server default, or a placeholder, see the module's docstring). Index
    creations and nullable or constant-default columns need no rebuild: ALTER TABLE makes
    them in place.
    """
    if all(_in_place(sub) for sub in op.ops):
        for sub in op.ops:
            operations.invoke(sub)
        return
    source = in_stable_order(target.to_metadata(MetaData()))  # the rebuild changes its source
    with operations.batch_alter_table(
        op.table_name, schema=op.schema, copy_from=source, recreate="always"
    ) as batch:
        for sub in op.ops:
            if isinstance(sub, ops.AddColumnOp) and sub.column.name in source.c:
                # not copied from the table, which lacks it; made as the operation says
                batch.drop_column(sub.column.name)
                batch.add_column(sub.column)


def _in_place(op: ops.MigrateOperation) -> bool:
    """Whether SQLite's ALTER TABLE makes ``op`` (Alembic's own rule)."""
    if isinstance(op, ops.CreateIndexOp | ops.DropIndexOp):
        return True
    if not isinstance(op, ops.AddColumnOp):
        return False
    default = op.column.server_default
    if default is None:
        return True
    return isinstance(default, DefaultClause) and not isinstance(default.arg, ClauseElement)


def _needs_placeholder(column: Column[Any]) -> bool:
    return (
        not column.nullable
        and column.server_default is None
        and column.computed is None
        and column.identity is None
        and not column.primary_key
    )


def placeholder(type_: Any) -> str:
    """A value of ``type_`` that every database takes as a quoted literal: zero, the empty
    string, 2000-01-01, an enum's first value; the empty string when the type says nothing.

    >>> placeholder(Integer()), placeholder(Date())
    ('0', '2000-01-01')
    """
    if isinstance(type_, Enum) and type_.enums:
        return str(type_.enums[0])
    try:
        python_type = type_.python_type
    except NotImplementedError:
        return ""
    for kind, value in _PLACEHOLDERS:
        if issubclass(python_type, kind):
            return value
    return ""


# The order matters: bool is an int, datetime a date.
_PLACEHOLDERS: tuple[tuple[type, str], ...] = (
    (bool, "0"),
    (int, "0"),
    (float, "0"),
    (decimal.Decimal, "0"),
    # (not the epoch: MySQL's TIMESTAMP starts a second after it, in UTC)
    (datetime.datetime, "2000-01-01 00:00:00"),
    (datetime.date, "2000-01-01"),
    (datetime.time, "00:00:00"),
    (datetime.timedelta, "0"),
    (uuid.UUID, "00000000-0000-0000-0000-000000000000"),
    (dict, "null"),  # JSON
    (list, "{}"),  # PostgreSQL's arrays
)


def _own(type_: Any) -> Any:
    """A type of its own for the new column: a SchemaType (an enum) binds to its column."""
    if isinstance(type_, SchemaType):
        return type_.copy()  # type: ignore[no-untyped-call]
    return type_
