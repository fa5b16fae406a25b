"""The one Alembic bridge: compare the live database with the models, render plain SQL.

Two phases. Online, inside ``AsyncConnection.run_sync``: Alembic's comparison, plus the facts
rendering needs that only the database knows (existing PostgreSQL enum types, the current
shape of SQLite tables to rebuild). Offline: Alembic's operations rendered as SQL in the
target dialect, made deterministic and safe to apply:

- constraints inside CREATE TABLE (a set in SQLAlchemy) and runs of same-kind operations are
  sorted, so the same models give byte-identical files under any PYTHONHASHSEED;
- PostgreSQL enum types are created first and dropped last (Alembic creates none for a new
  column, and SQLAlchemy 2.1 drops none with a table);
- SQLite changes ALTER TABLE cannot express become the table-rebuild procedure;
- indexes of dropped tables are not dropped separately; dropped tables go children first;
- MySQL/MariaDB server defaults are compared by the server, not as text;
- destructive operations and probable renames are marked with comments.
"""

from __future__ import annotations

import gc
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._results import Change

if TYPE_CHECKING:
    from alembic.operations import ops as alembic_ops
    from sqlalchemy import MetaData, Table
    from sqlalchemy.engine import Connection, Dialect
    from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class Diff:
    changes: tuple[Change, ...]
    up_sql: str
    down_sql: str

    @property
    def is_empty(self) -> bool:
        return not self.changes


@dataclass
class _Plan:
    """What the online phase hands to the offline renderer."""

    dialect: Dialect
    upgrade: alembic_ops.UpgradeOps
    downgrade: alembic_ops.DowngradeOps  # Alembic's reverse of ``upgrade``
    # enum types by (schema, name): in the models but not the DB, and the other way round
    enums_new: dict[tuple[str | None, str], Any] = field(default_factory=dict)
    enums_gone: dict[tuple[str | None, str], Any] = field(default_factory=dict)
    enums_all: set[tuple[str | None, str]] = field(default_factory=set)
    copy_from: dict[tuple[str | None, str], Table] = field(default_factory=dict)
    target: MetaData | None = None


async def compare(
    conn: AsyncConnection,
    metadata: MetaData,
    *,
    migrations_table: str,
    include_schemas: bool = False,
    name: str = "",
    skip_unchanged: bool = True,
) -> Diff:
    """Diff the database behind ``conn`` against ``metadata`` and render both directions.

    ``skip_unchanged`` leaves tables whose structure provably matches out of Alembic's
    comparison (see ``_unchanged``); the result is the same, only faster.
    """
    # A compare builds and drops hundreds of thousands of linked objects; the cyclic garbage
    # collector, running hundreds of times meanwhile, cost a third of the time on a 500-table
    # schema. Pause it for the compare (and only for it).
    collecting = gc.isenabled()
    gc.disable()
    try:
        plan = await conn.run_sync(
            _online, metadata, migrations_table, include_schemas, skip_unchanged
        )
        return _render_plan(plan, name)
    finally:
        if collecting:
            gc.enable()


# -- online phase ---------------------------------------------------------------------------


def _online(
    sync_conn: Connection,
    metadata: MetaData,
    migrations_table: str,
    include_schemas: bool,
    skip_unchanged: bool,
) -> _Plan:
    from alembic.autogenerate import produce_migrations
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    dialect = sync_conn.dialect
    tracking_schema, _, tracking_name = migrations_table.rpartition(".")
    wanted_schemas = {t.schema for t in metadata.tables.values()}
    unchanged: set[tuple[str | None, str]] = set()
    if skip_unchanged:
        from ._unchanged import unchanged_tables

        unchanged = unchanged_tables(sync_conn, metadata, wanted_schemas)

    def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
        if type_ == "schema":
            return include_schemas or name is None or name in wanted_schemas
        if type_ == "table":
            schema = parent_names.get("schema_name")
            if (schema, name) in unchanged:
                return False
            ours = (tracking_name, f"{tracking_name}_failures", f"{tracking_name}_lock")
            return not (name in ours and (schema or "") == tracking_schema)
        return True

    def include_object(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        # include_name filters the database's side; this, the models' side
        return not (type_ == "table" and (obj.schema, name) in unchanged)

    context = MigrationContext.configure(
        sync_conn,
        opts={
            "target_metadata": metadata,
            "compare_type": True,
            "compare_server_default": (
                _mysql_server_default_comparator if dialect.name in ("mysql", "mariadb") else True
            ),
            "include_name": include_name,
            "include_object": include_object,
            "include_schemas": include_schemas or wanted_schemas != {None},
        },
    )
    script = produce_migrations(context, metadata)
    upgrade, downgrade = script.upgrade_ops, script.downgrade_ops
    assert upgrade is not None
    assert downgrade is not None
    plan = _Plan(dialect=dialect, upgrade=upgrade, downgrade=downgrade, target=metadata)
    inspector: Any = inspect(sync_conn)  # a dialect-specific Inspector (get_enums on PG)
    if dialect.name == "postgresql":
        wanted = _native_enums(metadata)
        existing: dict[tuple[str | None, str], Any] = {}
        for schema in wanted_schemas | {None}:
            for enum in inspector.get_enums(schema=schema or None):
                existing[(enum["schema"] if schema else None, enum["name"])] = enum
        plan.enums_new = {key: t for key, t in wanted.items() if key not in existing}
        plan.enums_all = set(wanted) | set(existing)
        if _drops_tables_or_columns(upgrade):
            from sqlalchemy.dialects.postgresql import ENUM

            plan.enums_gone = {
                key: ENUM(*e["labels"], name=key[1], schema=key[0])
                for key, e in sorted(existing.items(), key=_enum_sort_key)
                if key not in wanted
            }
    if dialect.name == "sqlite":
        from sqlalchemy import MetaData as SAMetaData
        from sqlalchemy import Table as SATable

        reflected = SAMetaData()
        for op in _modify_table_ops(upgrade):
            if inspector.has_table(op.table_name, schema=op.schema):
                plan.copy_from[(op.schema, op.table_name)] = SATable(
                    op.table_name, reflected, schema=op.schema, autoload_with=sync_conn
                )
    return plan


def _enum_sort_key(item: tuple[tuple[str | None, str], Any]) -> tuple[str, str]:
    return (item[0][0] or "", item[0][1])


def _native_enums(metadata: MetaData) -> dict[tuple[str | None, str], Any]:
    from sqlalchemy import Enum

    found: dict[tuple[str | None, str], Any] = {}
    for table in metadata.sorted_tables:
        for column in table.columns:
            column_type = column.type
            if isinstance(column_type, Enum) and column_type.native_enum and column_type.name:
                found.setdefault((column_type.schema, column_type.name), column_type)
    return dict(sorted(found.items(), key=_enum_sort_key))


def _mysql_server_default_comparator(
    context: Any,
    inspected_column: Any,
    metadata_column: Any,
    inspected_default: str | None,
    metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    """MySQL reports defaults in its own spelling ('0.00', current_timestamp(), 1): let the
    server say whether two spellings are the same value."""
    if inspected_default is None and metadata_default is None:
        return False
    if inspected_default is None or metadata_default is None:
        return True
    arg = getattr(metadata_default, "arg", None)
    if isinstance(arg, str):
        rendered = "'" + arg.replace("'", "''") + "'"
    else:
        rendered = str(rendered_metadata_default or "").strip()
        if rendered.startswith("(") and rendered.endswith(")"):
            rendered = rendered[1:-1]
    inspected = inspected_default.strip()
    if inspected == rendered:
        return False
    from sqlalchemy import text

    try:
        same = context.connection.execute(text(f"SELECT ({inspected}) = ({rendered})")).scalar()
    except Exception:
        return None  # not comparable as expressions: let Alembic compare the text
    return not bool(same)


# -- shaping the operations -----------------------------------------------------------------


def _modify_table_ops(container: Any) -> list[Any]:
    from alembic.operations import ops

    return [op for op in container.ops if isinstance(op, ops.ModifyTableOps)]


def _leaves(container: Any) -> Iterator[Any]:
    from alembic.operations import ops

    for op in container.ops:
        if isinstance(op, ops.OpContainer):
            yield from _leaves(op)
        else:
            yield op


def _drops_tables_or_columns(container: Any) -> bool:
    from alembic.operations import ops

    return any(isinstance(op, ops.DropTableOp | ops.DropColumnOp) for op in _leaves(container))


def _constraint_key(item: Any) -> tuple[Any, ...]:
    from sqlalchemy import (
        CheckConstraint,
        ForeignKeyConstraint,
        PrimaryKeyConstraint,
        UniqueConstraint,
    )

    rank = {PrimaryKeyConstraint: 0, UniqueConstraint: 1, ForeignKeyConstraint: 2}
    kind = next((r for cls, r in rank.items() if isinstance(item, cls)), 3)
    columns = tuple(str(c) for c in getattr(item, "columns", ()) or ())
    if isinstance(item, ForeignKeyConstraint):
        target = tuple(e.target_fullname for e in item.elements)
    else:
        target = ()
    sqltext = str(item.sqltext) if isinstance(item, CheckConstraint) else ""
    return (kind, str(item.name or ""), columns, target, sqltext)


def _op_name(op: Any) -> str:
    for attribute in ("constraint_name", "index_name", "column_name", "table_name"):
        value = getattr(op, attribute, None)
        if value:
            return str(value)
    return ""


def _normalise(container: Any, dialect_name: str) -> None:
    """Deterministic order everywhere SQLAlchemy or Alembic iterate a set."""
    from alembic.operations import ops
    from sqlalchemy import Column

    for op in container.ops:
        if isinstance(op, ops.CreateTableOp):
            columns = [c for c in op.columns if isinstance(c, Column)]
            others = sorted(
                (c for c in op.columns if not isinstance(c, Column)), key=_constraint_key
            )
            op.columns = columns + others
        elif isinstance(op, ops.ModifyTableOps):
            for sub in op.ops:
                if isinstance(sub, ops.AlterColumnOp):
                    _unwrap_defaults(sub)
                elif isinstance(sub, ops.AddColumnOp):
                    sub.column = _bare_column(sub.column)
            op.ops = _sorted_runs(op.ops)
            if dialect_name in ("mysql", "mariadb"):
                op.ops = _create_indexes_before_drops(op.ops)


def _bare_column(column: Any) -> Any:
    """The model's column without ``index=True``/``unique=True``: autogenerate emits those as
    operations of their own, and Alembic's add_column would create them a second time (on
    SQLite's table rebuild, under the temporary table's name)."""
    copy = column._copy()
    copy.index = None
    copy.unique = None
    return copy


def _unwrap_defaults(op: Any) -> None:
    """A reversed alter_column carries the reflected DefaultClause; the renderers (SQLite's
    table rebuild in particular) take its text."""
    from sqlalchemy.schema import DefaultClause

    if isinstance(op.modify_server_default, DefaultClause):
        op.modify_server_default = op.modify_server_default.arg
    existing = op.kw.get("existing_server_default")
    if isinstance(existing, DefaultClause):
        op.kw["existing_server_default"] = existing.arg


def _sorted_runs(items: list[Any]) -> list[Any]:
    """Sort each run of consecutive same-kind operations by name, keeping the runs' order."""
    result: list[Any] = []
    run: list[Any] = []
    for op in items:
        if run and type(op) is not type(run[-1]):
            result.extend(sorted(run, key=_op_name))
            run = []
        run.append(op)
    result.extend(sorted(run, key=_op_name))
    return result


def _create_indexes_before_drops(items: list[Any]) -> list[Any]:
    """MySQL refuses to drop an index a foreign key needs (1553) until its replacement
    exists: emit index and unique creations before index and unique drops."""
    from alembic.operations import ops

    def is_drop(op: Any) -> bool:
        return isinstance(op, ops.DropIndexOp) or (
            isinstance(op, ops.DropConstraintOp) and op.constraint_type == "unique"
        )

    def is_create(op: Any) -> bool:
        return isinstance(op, ops.CreateIndexOp | ops.CreateUniqueConstraintOp)

    drops = [op for op in items if is_drop(op)]
    if not drops or not any(is_create(op) for op in items):
        return items
    last_create = max(i for i, op in enumerate(items) if is_create(op))
    kept = [op for op in items if not is_drop(op)]
    position = kept.index(items[last_create]) + 1
    return kept[:position] + drops + kept[position:]


def _without_redundant_drops(container: Any) -> None:
    """DROP TABLE takes its indexes and constraints along; dropping them first is noise on
    PostgreSQL and an error on MySQL (1553)."""
    from alembic.operations import ops

    dropped = {
        (op.schema, op.table_name) for op in container.ops if isinstance(op, ops.DropTableOp)
    }
    container.ops = [
        op
        for op in container.ops
        if not (isinstance(op, ops.ModifyTableOps) and (op.schema, op.table_name) in dropped)
    ]


def _drop_tables_children_first(container: Any) -> None:
    """Alembic lists dropped tables in the database's order; a parent must go after the
    tables whose foreign keys point at it."""
    from alembic.operations import ops
    from sqlalchemy import ForeignKeyConstraint

    positions = [i for i, op in enumerate(container.ops) if isinstance(op, ops.DropTableOp)]
    if len(positions) < 2:
        return
    drops = {op.table_name: op for op in (container.ops[i] for i in positions)}
    referenced_by: dict[str, set[str]] = {name: set() for name in drops}
    for name, op in drops.items():
        reverse = getattr(op, "_reverse", None)
        for item in getattr(reverse, "columns", ()) if reverse is not None else ():
            if isinstance(item, ForeignKeyConstraint):
                for element in item.elements:
                    parent = element.target_fullname.split(".")[-2]
                    if parent in referenced_by and parent != name:
                        referenced_by[parent].add(name)
    ordered: list[str] = []
    while referenced_by:
        # Drop first the tables nothing left points at; break cycles by name.
        free = sorted(n for n, children in referenced_by.items() if not children)
        chosen = free[0] if free else sorted(referenced_by)[0]
        ordered.append(chosen)
        del referenced_by[chosen]
        for children in referenced_by.values():
            children.discard(chosen)
    for position, name in zip(positions, ordered, strict=True):
        container.ops[position] = drops[name]


def _shape(container: Any, dialect_name: str) -> None:
    _without_redundant_drops(container)
    _drop_tables_children_first(container)
    _normalise(container, dialect_name)


# -- describing changes ---------------------------------------------------------------------


def _changes(container: Any) -> tuple[Change, ...]:
    from alembic.operations import ops

    changes: list[Change] = []
    for op in container.ops:
        if isinstance(op, ops.ModifyTableOps):
            changes.extend(_describe(sub, op.table_name) for sub in op.ops)
        else:
            changes.append(_describe(op, getattr(op, "table_name", "")))
    return tuple(changes)


def _describe(op: Any, table: str) -> Change:
    from alembic.operations import ops

    if isinstance(op, ops.CreateTableOp):
        return Change("add_table", table, f"+ table {table}")
    if isinstance(op, ops.DropTableOp):
        return Change("drop_table", table, f"- table {table} (its data is lost)", True)
    if isinstance(op, ops.AddColumnOp):
        return Change("add_column", table, f"+ column {table}.{op.column.name} {op.column.type}")
    if isinstance(op, ops.DropColumnOp):
        return Change(
            "drop_column", table, f"- column {table}.{op.column_name} (its data is lost)", True
        )
    if isinstance(op, ops.AlterColumnOp):
        parts = []
        narrowing = False
        if op.modify_type is not None:
            parts.append(f"type {op.existing_type} -> {op.modify_type}")
            narrowing = _narrows(op.existing_type, op.modify_type)
        if op.modify_nullable is not None:
            parts.append("NOT NULL" if not op.modify_nullable else "nullable")
        if op.modify_server_default is not False:
            parts.append(f"default {_default_text(op.modify_server_default)}")
        detail = f"~ column {table}.{op.column_name}: {', '.join(parts)}"
        if narrowing:
            detail += " (narrowing: values may not fit)"
        return Change("alter_column", table, detail, narrowing)
    if isinstance(op, ops.CreateIndexOp):
        return Change("add_index", table, f"+ index {op.index_name} on {table}")
    if isinstance(op, ops.DropIndexOp):
        return Change("drop_index", table, f"- index {op.index_name} on {table}")
    if isinstance(op, ops.AddConstraintOp):
        kind = getattr(op, "constraint_type", "constraint")
        return Change(f"add_{kind}", table, f"+ {kind} {_op_name(op)} on {table}")
    if isinstance(op, ops.DropConstraintOp):
        kind = op.constraint_type or "constraint"
        return Change(f"drop_{kind}", table, f"- {kind} {op.constraint_name} on {table}")
    return Change(type(op).__name__, table, f"~ {type(op).__name__} on {table}")


def _default_text(default: Any) -> str:
    if default is None:
        return "none"
    return str(getattr(default, "arg", default))


def _narrows(old: Any, new: Any) -> bool:
    """A type change that can lose data: shorter strings, fewer digits, another kind of type."""
    from sqlalchemy import String

    if old is None or new is None:
        return False
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


def _rename_hints(container: Any) -> dict[int, str]:
    """A table that drops one column and adds another may be a rename Alembic cannot see."""
    from alembic.operations import ops

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


# -- offline rendering ----------------------------------------------------------------------


def _render_plan(plan: _Plan, name: str) -> Diff:
    _patch_batch_ordering()
    dialect_name = plan.dialect.name
    upgrade = plan.upgrade
    _shape(upgrade, dialect_name)
    changes = _changes(upgrade)
    if not changes:
        return Diff((), "", "")
    downgrade = plan.downgrade
    _shape(downgrade, dialect_name)
    up_copy = plan.copy_from
    down_copy: dict[tuple[str | None, str], Table] = {}
    if dialect_name == "sqlite" and plan.target is not None:
        # Rolling back rebuilds tables from their shape after the up section: the models'.
        for schema, table_name in up_copy:
            key = f"{schema}.{table_name}" if schema else table_name
            if key in plan.target.tables:
                down_copy[(schema, table_name)] = plan.target.tables[key]
    up_sql = _render(upgrade, plan, create=plan.enums_new, drop=plan.enums_gone, copy_from=up_copy)
    down_sql = _render(
        downgrade, plan, create=plan.enums_gone, drop=plan.enums_new, copy_from=down_copy
    )
    header_up = f"-- Auto-generated migration: {name}\n" if name else ""
    header_down = f"-- Rollback: {name}\n" if name else ""
    return Diff(changes, header_up + up_sql, header_down + down_sql)


def _render(
    container: Any,
    plan: _Plan,
    *,
    create: dict[tuple[str | None, str], Any],
    drop: dict[tuple[str | None, str], Any],
    copy_from: dict[tuple[str | None, str], Table],
) -> str:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations, ops

    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect=plan.dialect,
        opts={
            "as_sql": True,
            "output_buffer": buffer,
            "literal_binds": True,
            "transactional_ddl": False,
        },
    )
    operations = Operations(context)
    # Mark every enum type as handled, so SQLAlchemy's table events neither create one that
    # exists nor drop one twice; we create and drop them explicitly, below.
    memo = context.impl.memo.setdefault("pg_enum", set())
    memo.update(plan.enums_all)
    _enum_ddl(context, create.values(), create=True)
    hints = _rename_hints(container)
    for op in container.ops:
        if id(op) in hints:
            buffer.write(hints[id(op)] + "\n")
        if isinstance(op, ops.ModifyTableOps) and (op.schema, op.table_name) in copy_from:
            _warn_destructive(buffer, _leaves(op))
            with operations.batch_alter_table(
                op.table_name,
                schema=op.schema,
                copy_from=copy_from[(op.schema, op.table_name)],
                recreate="auto",
            ) as batch:
                for sub in op.ops:
                    batch.invoke(sub)
        elif isinstance(op, ops.ModifyTableOps):
            for sub in op.ops:
                _warn_destructive(buffer, [sub])
                operations.invoke(sub)
        else:
            _warn_destructive(buffer, [op])
            operations.invoke(op)
    _enum_ddl(context, drop.values(), create=False)
    lines = (line.rstrip() for line in buffer.getvalue().strip().splitlines())
    return "\n".join(lines) + "\n"


def _warn_destructive(buffer: io.StringIO, items: Iterable[Any]) -> None:
    for op in items:
        change = _describe(op, getattr(op, "table_name", "") or "")
        if change.destructive:
            buffer.write(f"-- WARNING: destructive: {change.detail.lstrip('-~+ ')}\n")


def _enum_ddl(context: Any, enums: Iterable[Any], *, create: bool) -> None:
    from sqlalchemy.dialects.postgresql import CreateEnumType, DropEnumType

    for enum in enums:
        element = enum.dialect_impl(context.impl.dialect)
        context.impl._exec(CreateEnumType(element) if create else DropEnumType(element))


_patched = False


def _patch_batch_ordering() -> None:
    """Alembic's SQLite table rebuild iterates sets of constraints and indexes; sort them."""
    global _patched
    if _patched:
        return
    from alembic.operations.batch import ApplyBatchImpl

    original: Callable[..., None] = ApplyBatchImpl._grab_table_elements

    def grab_sorted(self: Any) -> None:
        original(self)
        self.named_constraints = dict(sorted(self.named_constraints.items()))
        self.unnamed_constraints = sorted(self.unnamed_constraints, key=_constraint_key)
        self.indexes = dict(sorted(self.indexes.items()))
        self.new_indexes = dict(sorted(self.new_indexes.items()))

    ApplyBatchImpl._grab_table_elements = grab_sorted  # type: ignore[method-assign]
    _patched = True
