"""Render shaped operations as the plain SQL of one migration section, offline.

Alembic's ``--sql`` mode does the rendering, in the target dialect with literal values; the
dialect's hooks add what the database needs around it (PostgreSQL's enum types) and choose
the tables to rebuild instead of altering (SQLite). Destructive operations and probable
renames are preceded by ``-- WARNING:`` comments.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from alembic.migration import MigrationContext
from alembic.operations import Operations, ops

from .changes import destructive_warnings, rename_hints
from .names import name_in_source
from .objectops import ObjectOp
from .shape import leaves

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

    from .hooks import AutogenHooks


def render(
    container: ops.OpContainer,
    dialect: Dialect,
    hooks: AutogenHooks,
    facts: Any,
    *,
    upgrade: bool,
) -> str:
    """The SQL of the up (``upgrade=True``) or down section, one statement per paragraph."""
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect=dialect,
        opts={
            "as_sql": True,
            "output_buffer": buffer,
            "literal_binds": True,
            "transactional_ddl": False,
        },
    )
    operations = Operations(context)
    hooks.begin_render(operations, facts, upgrade=upgrade)
    hints = rename_hints(container)
    for op in container.ops:
        if id(op) in hints:
            buffer.write(hints[id(op)] + "\n")
        if isinstance(op, ops.ModifyTableOps):
            source = hooks.rebuild_from(facts, op.schema, op.table_name, upgrade=upgrade)
            if source is not None:
                _warn(buffer, leaves(op))
                name_in_source(source, op.ops, hooks)
                with operations.batch_alter_table(
                    op.table_name, schema=op.schema, copy_from=source, recreate="auto"
                ) as batch:
                    for sub in op.ops:
                        batch.invoke(sub)
            else:
                for sub in op.ops:
                    _warn(buffer, [sub])
                    operations.invoke(sub)
        elif isinstance(op, ObjectOp):  # sequences, enum values: no Alembic operation
            _warn(buffer, [op])
            op.render(operations)
        else:
            _warn(buffer, [op])
            operations.invoke(op)
    hooks.end_render(operations, facts, upgrade=upgrade)
    lines = (line.rstrip() for line in buffer.getvalue().strip().splitlines())
    return "\n".join(lines) + "\n"


def _warn(buffer: io.StringIO, items: Iterable[ops.MigrateOperation]) -> None:
    for line in destructive_warnings(items):
        buffer.write(line + "\n")
