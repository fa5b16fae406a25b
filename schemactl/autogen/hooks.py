"""What autogenerate does differently per database: one abstract interface, one class each.

- PostgreSQL: enum types are created before, and dropped after, the tables that use them
  (Alembic creates none for a new column, and SQLAlchemy 2.1 drops none with a table);
- SQLite: changes ALTER TABLE cannot make become the table-rebuild procedure;
- MySQL/MariaDB: server defaults are compared by the server, not as text, and new indexes
  are created before the ones they replace.

The hooks are stateless: what one compare reads online (``read_facts``) is handed back to the
rendering hooks. Each class is self-contained (Alembic and SQLAlchemy imported inside its
methods, helpers only from ``schemactl.autogen``) so that it can move to its dialect module.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .._errors import ConfigurationError

if TYPE_CHECKING:
    from alembic.operations import Operations, ops
    from sqlalchemy import MetaData, Table
    from sqlalchemy.engine import Connection

TableKey = tuple[str | None, str]  # (schema, name)
# Alembic's compare_server_default callable: (context, inspected_column, metadata_column,
# inspected_default, metadata_default, rendered_metadata_default) -> differ? None: undecided.
ServerDefaultComparator = Callable[..., bool | None]


class AutogenHooks(abc.ABC):
    """One database's part in comparing and rendering.

    ``facts`` is what ``read_facts`` returned, of a type each implementation chooses.

    >>> hooks = hooks_for("postgresql")
    >>> facts = hooks.read_facts(sync_conn, metadata, upgrade_ops, {None})
    """

    dialect_names: ClassVar[tuple[str, ...]]  # SQLAlchemy's dialect.name values it serves

    @abc.abstractmethod
    def server_default_comparator(self) -> ServerDefaultComparator | None:
        """Alembic's ``compare_server_default`` callable, or None: Alembic compares as text."""

    @abc.abstractmethod
    def read_facts(
        self,
        sync_conn: Connection,
        metadata: MetaData,
        upgrade: ops.UpgradeOps,
        schemas: set[str | None],
    ) -> Any:
        """Online, after Alembic's comparison: what rendering needs that only the database
        knows (``schemas``: those the models use)."""

    @abc.abstractmethod
    def order_table_ops(self, items: list[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
        """The final order of one table's operations, which arrive sorted by kind and name."""

    @abc.abstractmethod
    def begin_render(self, operations: Operations, facts: Any, *, upgrade: bool) -> None:
        """Before the first operation of the up (``upgrade``) or down section."""

    @abc.abstractmethod
    def rebuild_from(
        self, facts: Any, schema: str | None, table_name: str, *, upgrade: bool
    ) -> Table | None:
        """The table to rebuild from when ALTER TABLE cannot make this table's changes; None
        to alter it in place."""

    @abc.abstractmethod
    def end_render(self, operations: Operations, facts: Any, *, upgrade: bool) -> None:
        """After the last operation of the up (``upgrade``) or down section."""


def hooks_for(dialect_name: str) -> AutogenHooks:
    """The hooks of the database SQLAlchemy calls ``dialect_name``."""
    for hooks in _ALL:
        if dialect_name in hooks.dialect_names:
            return hooks()
    raise ConfigurationError(
        f"autogenerate supports PostgreSQL, MySQL/MariaDB and SQLite, not {dialect_name}"
    )


# -- PostgreSQL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnumTypes:
    """Enum types by (schema, name): in the models but not the database, the other way
    round (only when something is dropped), and every one known to either."""

    new: dict[TableKey, Any]
    gone: dict[TableKey, Any]
    known: set[TableKey]


class PostgreSQLHooks(AutogenHooks):
    """Named enum types are schema objects of their own: create them first, drop them last."""

    dialect_names = ("postgresql",)

    def server_default_comparator(self) -> ServerDefaultComparator | None:
        return None

    def read_facts(
        self,
        sync_conn: Connection,
        metadata: MetaData,
        upgrade: ops.UpgradeOps,
        schemas: set[str | None],
    ) -> EnumTypes:
        from sqlalchemy import inspect

        inspector: Any = inspect(sync_conn)  # PostgreSQL's Inspector, with get_enums
        wanted = self._native_enums(metadata)
        existing: dict[TableKey, Any] = {}
        for schema in schemas | {None}:
            for enum in inspector.get_enums(schema=schema or None):
                existing[(enum["schema"] if schema else None, enum["name"])] = enum
        gone: dict[TableKey, Any] = {}
        if self._drops_tables_or_columns(upgrade):
            from sqlalchemy.dialects.postgresql import ENUM

            gone = {
                key: ENUM(*e["labels"], name=key[1], schema=key[0])
                for key, e in sorted(existing.items(), key=self._by_key)
                if key not in wanted
            }
        return EnumTypes(
            new={key: t for key, t in wanted.items() if key not in existing},
            gone=gone,
            known=set(wanted) | set(existing),
        )

    def order_table_ops(self, items: list[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
        return items

    def begin_render(self, operations: Operations, facts: EnumTypes, *, upgrade: bool) -> None:
        impl = operations.migration_context.impl
        # Mark every enum type as handled, so SQLAlchemy's table events neither create one
        # that exists nor drop one twice; they are created and dropped explicitly instead.
        # DefaultImpl.memo is the DDL runner's memo SQLAlchemy's named types consult; the only
        # public alternative, create_type=False, would mean changing the caller's models.
        impl.memo.setdefault("pg_enum", set()).update(facts.known)
        self._enum_ddl(operations, facts.new if upgrade else facts.gone, create=True)

    def rebuild_from(
        self, facts: EnumTypes, schema: str | None, table_name: str, *, upgrade: bool
    ) -> Table | None:
        return None

    def end_render(self, operations: Operations, facts: EnumTypes, *, upgrade: bool) -> None:
        self._enum_ddl(operations, facts.gone if upgrade else facts.new, create=False)

    @staticmethod
    def _enum_ddl(operations: Operations, enums: dict[TableKey, Any], *, create: bool) -> None:
        from sqlalchemy.dialects.postgresql import CreateEnumType, DropEnumType

        dialect = operations.migration_context.dialect
        for enum in enums.values():
            element = enum.dialect_impl(dialect)
            operations.execute(CreateEnumType(element) if create else DropEnumType(element))

    @classmethod
    def _native_enums(cls, metadata: MetaData) -> dict[TableKey, Any]:
        from sqlalchemy import Enum

        found: dict[TableKey, Any] = {}
        for table in metadata.sorted_tables:
            for column in table.columns:
                column_type = column.type
                if isinstance(column_type, Enum) and column_type.native_enum and column_type.name:
                    found.setdefault((column_type.schema, column_type.name), column_type)
        return dict(sorted(found.items(), key=cls._by_key))

    @staticmethod
    def _drops_tables_or_columns(upgrade: ops.UpgradeOps) -> bool:
        from alembic.operations import ops

        from .shape import leaves

        return any(isinstance(op, ops.DropTableOp | ops.DropColumnOp) for op in leaves(upgrade))

    @staticmethod
    def _by_key(item: tuple[TableKey, Any]) -> tuple[str, str]:
        return (item[0][0] or "", item[0][1])


# -- SQLite ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableRebuilds:
    """The tables to rebuild from, by (schema, name): for the up section as the database has
    them, for the down section as the models have them (the shape after the up section)."""

    up: dict[TableKey, Table]
    down: dict[TableKey, Table]


class SQLiteHooks(AutogenHooks):
    """ALTER TABLE cannot change a column or a constraint: rebuild the table instead (create
    a new one, copy, drop, rename), with Alembic's batch mode, as SQL."""

    dialect_names = ("sqlite",)

    def server_default_comparator(self) -> ServerDefaultComparator | None:
        return None

    def read_facts(
        self,
        sync_conn: Connection,
        metadata: MetaData,
        upgrade: ops.UpgradeOps,
        schemas: set[str | None],
    ) -> TableRebuilds:
        from alembic.operations import ops
        from sqlalchemy import MetaData, Table, inspect

        inspector = inspect(sync_conn)
        reflected = MetaData()
        up: dict[TableKey, Table] = {}
        down: dict[TableKey, Table] = {}
        for op in upgrade.ops:
            if not isinstance(op, ops.ModifyTableOps):
                continue
            if not inspector.has_table(op.table_name, schema=op.schema):
                continue
            key = (op.schema, op.table_name)
            current = Table(op.table_name, reflected, schema=op.schema, autoload_with=sync_conn)
            up[key] = self._in_stable_order(current)
            qualified = f"{op.schema}.{op.table_name}" if op.schema else op.table_name
            model = metadata.tables.get(qualified)
            if model is not None:
                # A copy: the batch rebuild changes the table it is given, and the models
                # are the caller's.
                convention = MetaData(naming_convention=model.metadata.naming_convention)
                down[key] = self._in_stable_order(model.to_metadata(convention))
        return TableRebuilds(up, down)

    def order_table_ops(self, items: list[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
        return items

    def begin_render(self, operations: Operations, facts: TableRebuilds, *, upgrade: bool) -> None:
        return None

    def rebuild_from(
        self, facts: TableRebuilds, schema: str | None, table_name: str, *, upgrade: bool
    ) -> Table | None:
        return (facts.up if upgrade else facts.down).get((schema, table_name))

    def end_render(self, operations: Operations, facts: TableRebuilds, *, upgrade: bool) -> None:
        return None

    @staticmethod
    def _in_stable_order(table: Table) -> Table:
        """Alembic's rebuild copies constraints and indexes in the order it iterates the
        table's collections, which SQLAlchemy keeps as sets (an order that changes from run to
        run). On our own table, make them iterate named constraints by name, unnamed ones by
        kind and columns, and indexes by name."""
        from sqlalchemy.util import OrderedSet

        from .shape import constraint_key

        def constraint_order(constraint: Any) -> tuple[Any, ...]:
            if isinstance(constraint.name, str):
                return (0, str(constraint.name), ())
            return (1, "", constraint_key(constraint))

        table.constraints = OrderedSet(sorted(table.constraints, key=constraint_order))
        table.indexes = OrderedSet(sorted(table.indexes, key=lambda i: str(i.name or "")))
        return table


# -- MySQL and MariaDB -----------------------------------------------------------------------


class MySQLHooks(AutogenHooks):
    """MySQL spells defaults its own way, and refuses to drop an index a foreign key needs."""

    dialect_names = ("mysql", "mariadb")

    def server_default_comparator(self) -> ServerDefaultComparator | None:
        return self._compare_server_defaults

    def read_facts(
        self,
        sync_conn: Connection,
        metadata: MetaData,
        upgrade: ops.UpgradeOps,
        schemas: set[str | None],
    ) -> None:
        return None

    def order_table_ops(self, items: list[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
        """MySQL refuses to drop an index a foreign key needs (1553) until its replacement
        exists: emit index and unique creations before index and unique drops."""
        from alembic.operations import ops

        def is_drop(op: ops.MigrateOperation) -> bool:
            return isinstance(op, ops.DropIndexOp) or (
                isinstance(op, ops.DropConstraintOp) and op.constraint_type == "unique"
            )

        def is_create(op: ops.MigrateOperation) -> bool:
            return isinstance(op, ops.CreateIndexOp | ops.CreateUniqueConstraintOp)

        drops = [op for op in items if is_drop(op)]
        if not drops or not any(is_create(op) for op in items):
            return items
        last_create = max(i for i, op in enumerate(items) if is_create(op))
        kept = [op for op in items if not is_drop(op)]
        position = kept.index(items[last_create]) + 1
        return kept[:position] + drops + kept[position:]

    def begin_render(self, operations: Operations, facts: None, *, upgrade: bool) -> None:
        return None

    def rebuild_from(
        self, facts: None, schema: str | None, table_name: str, *, upgrade: bool
    ) -> Table | None:
        return None

    def end_render(self, operations: Operations, facts: None, *, upgrade: bool) -> None:
        return None

    @staticmethod
    def _compare_server_defaults(
        context: Any,
        inspected_column: Any,
        metadata_column: Any,
        inspected_default: str | None,
        metadata_default: Any,
        rendered_metadata_default: str | None,
    ) -> bool | None:
        """MySQL reports defaults in its own spelling ('0.00', current_timestamp(), 1): let
        the server say whether two spellings are the same value."""
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


_ALL: tuple[type[AutogenHooks], ...] = (PostgreSQLHooks, SQLiteHooks, MySQLHooks)
