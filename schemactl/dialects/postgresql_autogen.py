"""PostgreSQL's part in autogenerate (``PostgreSQLHooks``): enum types and the schemas the
models use, created first and dropped last; types as the server stores them; sequences and
enum values, which Alembic does not compare."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..autogen.hooks import (
    AutogenHooks,
    Rebuild,
    ServerDefaultComparator,
    TableKey,
    TypeComparator,
)

if TYPE_CHECKING:
    from alembic.operations import Operations, ops
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection

    from ..autogen.objectops import ObjectOp
    from ..autogen.sequences import SequenceState
    from ..autogen.steps import Split


@dataclass(frozen=True)
class PostgreSQLFacts:
    """Enum types by (schema, name): in the models but not the database, the other way
    round (only when something is dropped), and every one known to either; and the schemas
    the models use that the database lacks (created first, dropped last)."""

    new: dict[TableKey, Any]
    gone: dict[TableKey, Any]
    known: set[TableKey]
    new_schemas: tuple[str, ...] = ()


class PostgreSQLHooks(AutogenHooks):
    """Named enum types are schema objects of their own: create them first, drop them last;
    so are the schemas the models use."""

    def server_default_comparator(self) -> ServerDefaultComparator | None:
        # None: Alembic asks the server whether two defaults are equal. (A callable here
        # breaks Alembic 1.20 on identity columns; defaults spelled otherwise than the
        # server keeps them are let through by ``compare``: ``stored.respelled_defaults``.)
        return None

    def type_comparator(self) -> TypeComparator | None:
        from ..autogen.stored import comparing_stored

        return comparing_stored(self._stored_type)

    @staticmethod
    def _stored_type(type_: Any, dialect: Any) -> Any:
        """FLOAT(p) is stored as REAL up to 24 binary digits, as DOUBLE PRECISION beyond
        (and without p); every other type as spelled (None)."""
        from sqlalchemy import DOUBLE_PRECISION, REAL

        from ..autogen.stored import binary_float

        kind = binary_float(type_, unsized_double=True)
        if kind is None:
            return None
        return REAL() if kind == "single" else DOUBLE_PRECISION()

    def check_schemas(self, sync_conn: Connection, schemas: set[str | None]) -> None:
        return None  # any is made: CREATE SCHEMA

    def constraint_name(self, kind: str, table: str, columns: list[str]) -> str:
        from ..autogen.names import pg_style

        return pg_style(kind, table, columns, 63)  # what PostgreSQL itself would choose

    def alters_foreign_keys(self) -> bool:
        return True

    def unseen_drops(
        self,
        sync_conn: Connection,
        metadata: MetaData,
        schemas: set[str | None],
        skipped: set[tuple[str | None, str]],
    ) -> list[ops.DropConstraintOp]:
        return []  # every constraint has a name here, which Alembic compares

    def read_facts(
        self,
        sync_conn: Connection,
        metadata: MetaData,
        upgrade: ops.UpgradeOps,
        schemas: set[str | None],
    ) -> PostgreSQLFacts:
        from sqlalchemy import inspect

        inspector: Any = inspect(sync_conn)  # PostgreSQL's Inspector, with get_enums
        wanted = self._native_enums(metadata)
        existing = self._existing_enums(inspector, schemas)
        gone: dict[TableKey, Any] = {}
        if self._drops_tables_or_columns(upgrade):
            from sqlalchemy.dialects.postgresql import ENUM

            gone = {
                key: ENUM(*e["labels"], name=key[1], schema=key[0])
                for key, e in sorted(existing.items(), key=self._by_key)
                if key not in wanted
            }
        present = set(inspector.get_schema_names())
        return PostgreSQLFacts(
            new={key: t for key, t in wanted.items() if key not in existing},
            gone=gone,
            known=set(wanted) | set(existing),
            new_schemas=tuple(sorted(s for s in schemas if s is not None and s not in present)),
        )

    def order_table_ops(self, items: list[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
        return items

    def before_render(
        self, container: ops.OpContainer, facts: PostgreSQLFacts, *, upgrade: bool
    ) -> None:
        return None

    def begin_render(
        self, operations: Operations, facts: PostgreSQLFacts, *, upgrade: bool
    ) -> None:
        impl = operations.migration_context.impl
        # Mark every enum type as handled, so SQLAlchemy's table events neither create one
        # that exists nor drop one twice; they are created and dropped explicitly instead.
        # DefaultImpl.memo is the DDL runner's memo SQLAlchemy's named types consult; the only
        # public alternative, create_type=False, would mean changing the caller's models.
        impl.memo.setdefault("pg_enum", set()).update(facts.known)
        if upgrade:
            for schema in facts.new_schemas:
                operations.execute(f"CREATE SCHEMA IF NOT EXISTS {self._quote(operations, schema)}")
        self._enum_ddl(operations, facts.new if upgrade else facts.gone, create=True)

    def rebuild_from(
        self, facts: PostgreSQLFacts, schema: str | None, table_name: str, *, upgrade: bool
    ) -> Rebuild | None:
        return None

    def end_render(self, operations: Operations, facts: PostgreSQLFacts, *, upgrade: bool) -> None:
        self._enum_ddl(operations, facts.gone if upgrade else facts.new, create=False)
        if not upgrade:
            for schema in reversed(facts.new_schemas):  # empty again: the up made it
                operations.execute(f"DROP SCHEMA {self._quote(operations, schema)}")

    @staticmethod
    def _quote(operations: Operations, name: str) -> str:
        return str(operations.migration_context.dialect.identifier_preparer.quote_schema(name))

    @staticmethod
    def _enum_ddl(operations: Operations, enums: dict[TableKey, Any], *, create: bool) -> None:
        from sqlalchemy.dialects.postgresql import CreateEnumType, DropEnumType

        dialect = operations.migration_context.dialect
        for enum in enums.values():
            element = enum.dialect_impl(dialect)
            operations.execute(CreateEnumType(element) if create else DropEnumType(element))

    @staticmethod
    def _existing_enums(inspector: Any, schemas: set[str | None]) -> dict[TableKey, Any]:
        existing: dict[TableKey, Any] = {}
        for schema in schemas | {None}:
            for enum in inspector.get_enums(schema=schema or None):
                existing[(enum["schema"] if schema else None, enum["name"])] = enum
        return existing

    # -- sequences and enum values, which Alembic does not compare ------------------------

    def split_steps(
        self, upgrade: ops.UpgradeOps, downgrade: ops.DowngradeOps, facts: Any, dialect: Any
    ) -> Split:
        from .postgresql_safe import split_steps

        return split_steps(upgrade, downgrade, dialect)

    def online_form(self, op: ops.MigrateOperation, sql: str, facts: Any, dialect: Any) -> str:
        return sql

    def object_ops(
        self, sync_conn: Connection, metadata: MetaData, schemas: set[str | None]
    ) -> list[ObjectOp]:
        from sqlalchemy import inspect

        from ..autogen.enum_values import enum_value_ops
        from ..autogen.sequences import sequence_ops

        sequences = sequence_ops(metadata, sync_conn.dialect, self._sequences(sync_conn, schemas))
        wanted = {key: list(t.enums) for key, t in self._native_enums(metadata).items()}
        existing = self._existing_enums(inspect(sync_conn), schemas)
        labels = {key: list(enum["labels"]) for key, enum in existing.items()}
        return sequences + enum_value_ops(wanted, labels)

    @staticmethod
    def _sequences(sync_conn: Connection, schemas: set[str | None]) -> list[SequenceState]:
        """The sequences in ``schemas``; owned: by a column (a SERIAL's, an identity's,
        pg_depend 'a'/'i' on a column) or by an extension (pg_depend 'e')."""
        from sqlalchemy import text

        from ..autogen.sequences import SequenceState

        query = text(
            "SELECT c.relname, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcycle, "
            "EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
            "AND d.objid = c.oid AND (d.deptype = 'e' OR d.deptype IN ('a', 'i') "
            "AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0)) "
            "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema ORDER BY c.relname"
        )
        found = []
        for schema in sorted(schemas, key=lambda s: s or ""):
            name = schema or sync_conn.dialect.default_schema_name
            for row in sync_conn.execute(query, {"schema": name}):
                start, increment, low, high, cycle, owned = row[1:]
                found.append(
                    SequenceState(schema, row[0], start, increment, low, high, cycle, owned)
                )
        return found

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

        from ..autogen.shape import leaves

        return any(isinstance(op, ops.DropTableOp | ops.DropColumnOp) for op in leaves(upgrade))

    @staticmethod
    def _by_key(item: tuple[TableKey, Any]) -> tuple[str, str]:
        return (item[0][0] or "", item[0][1])
