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
from sqlalchemy.exc import CompileError

from .._errors import ConfigurationError
from .changes import destructive_warnings, rename_hints
from .names import name_in_source
from .objectops import ObjectOp
from .restore import rebuild_to, restore_not_null_columns, restore_warnings
from .shape import leaves

if TYPE_CHECKING:
    from sqlalchemy import MetaData, Table
    from sqlalchemy.engine import Dialect

    from .hooks import AutogenHooks, Rebuild


def render(
    container: ops.OpContainer,
    dialect: Dialect,
    hooks: AutogenHooks,
    facts: Any,
    models: MetaData,
    *,
    upgrade: bool,
) -> str:
    """The SQL of the up (``upgrade=True``) or down section, one statement per paragraph.

    ``models`` is the models' MetaData: Alembic names the constraints it builds (those a
    column type makes, in particular) by its naming convention, as ``create_all`` does.
    """
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect=dialect,
        opts={
            "target_metadata": models,
            "as_sql": True,
            "output_buffer": buffer,
            "literal_binds": True,
            "transactional_ddl": False,
        },
    )
    operations = Operations(context)
    hooks.begin_render(operations, facts, upgrade=upgrade)
    hooks.before_render(container, facts, upgrade=upgrade)
    if isinstance(container, ops.DowngradeOps):
        restore_not_null_columns(container)
    hints = rename_hints(container)
    notes = restore_warnings(container)
    for op in container.ops:
        try:
            _render_one(op, operations, buffer, hooks, facts, hints, notes, upgrade=upgrade)
        except CompileError as exc:
            raise _unrenderable(op, exc, upgrade=upgrade) from exc
    hooks.end_render(operations, facts, upgrade=upgrade)
    lines = (line.rstrip() for line in buffer.getvalue().strip().splitlines())
    return "\n".join(lines) + "\n"


def _render_one(
    op: ops.MigrateOperation,
    operations: Operations,
    buffer: io.StringIO,
    hooks: AutogenHooks,
    facts: Any,
    hints: dict[int, str],
    notes: dict[int, list[str]],
    *,
    upgrade: bool,
) -> None:
    if id(op) in hints:
        buffer.write(hints[id(op)] + "\n")
    for line in notes.get(id(op), ()):
        buffer.write(line + "\n")
    if isinstance(op, ops.ModifyTableOps):
        rebuild = hooks.rebuild_from(facts, op.schema, op.table_name, upgrade=upgrade)
        if rebuild is not None:
            _warn(buffer, leaves(op))
            _rebuild(op, operations, buffer, hooks, rebuild, upgrade=upgrade)
        else:
            for sub in op.ops:
                _warn(buffer, [sub])
                _invoke_online(sub, operations, buffer, hooks, facts)
    elif isinstance(op, ObjectOp):  # sequences, enum values: no Alembic operation
        _warn(buffer, [op])
        op.render(operations)
    else:
        _warn(buffer, [op])
        operations.invoke(op)


def _rebuild(
    op: ops.ModifyTableOps,
    operations: Operations,
    buffer: io.StringIO,
    hooks: AutogenHooks,
    rebuild: Rebuild,
    *,
    upgrade: bool,
) -> None:
    """The table's changes, by a rebuild where ALTER TABLE cannot make them, with what must
    be dropped before it and re-created after it (written as the database had them: not
    through Alembic, which would read a colon in a trigger's body as a parameter)."""
    start = buffer.tell()
    if upgrade:
        name_in_source(rebuild.table, op.ops, hooks)
        with operations.batch_alter_table(
            op.table_name, schema=op.schema, copy_from=rebuild.table, recreate="auto"
        ) as batch:
            for sub in _type_checks_in_rebuild(rebuild.table, op.ops):
                batch.invoke(sub)
    else:
        rebuild_to(operations, op, rebuild.table)
    body = buffer.getvalue()[start:]
    if f"_alembic_tmp_{op.table_name}" not in body:
        return  # altered in place after all (an added column, an index): nothing was dropped
    buffer.seek(start)
    buffer.truncate()
    buffer.writelines(f"{sql.strip()};\n\n" for sql in rebuild.before)
    buffer.write(body)
    buffer.writelines(f"{sql.strip()};\n\n" for sql in rebuild.after)


def _invoke_online(
    op: ops.MigrateOperation,
    operations: Operations,
    buffer: io.StringIO,
    hooks: AutogenHooks,
    facts: Any,
) -> None:
    """Render one operation of an existing table in the form the dialect keeps online."""
    start = buffer.tell()
    operations.invoke(op)
    rendered = buffer.getvalue()[start:]
    online = hooks.online_form(op, rendered, facts, operations.migration_context.dialect)
    if online != rendered:
        buffer.seek(start)
        buffer.truncate()
        buffer.write(online)


def _unrenderable(op: ops.MigrateOperation, exc: CompileError, *, upgrade: bool) -> Exception:
    """One line for SQL that cannot be written: most often a column of a type SQLAlchemy
    does not know (an extension's), which a dropped table's down section must recreate."""
    table = getattr(op, "table_name", "") or "?"
    reason = str(exc).splitlines()[0]
    if "NullType" in reason:
        reason = reason.split(":")[0] + ": a column type SQLAlchemy does not know"
    return ConfigurationError(
        f"cannot write the {'up' if upgrade else 'down'} section for table {table} {reason}; "
        "declare the column's type in the models, or leave the table out (exclude_tables)"
    )


def _type_checks_in_rebuild(
    source: Table, items: list[ops.MigrateOperation]
) -> list[ops.MigrateOperation]:
    """The table rebuild makes a column type's CHECK constraint from the type, not from the
    table, and cannot drop one by name: the type of ``source`` (schemactl's own copy of the
    table) makes none instead, and the drop is left out."""
    from sqlalchemy import CheckConstraint

    made = {
        str(c.name): c
        for c in source.constraints
        if isinstance(c, CheckConstraint) and getattr(c, "_type_bound", False)
    }
    kept: list[ops.MigrateOperation] = []
    for item in items:
        dropped = made.get(str(getattr(item, "constraint_name", "")))
        if isinstance(item, ops.DropConstraintOp) and dropped is not None:
            for column in dropped.columns:
                column.type.create_constraint = False  # type: ignore[attr-defined]
            continue
        kept.append(item)
    return kept


def _warn(buffer: io.StringIO, items: Iterable[ops.MigrateOperation]) -> None:
    for line in destructive_warnings(items):
        buffer.write(line + "\n")
