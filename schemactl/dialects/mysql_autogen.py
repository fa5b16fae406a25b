"""MySQL's and MariaDB's part in autogenerate (``MySQLHooks``): defaults compared by the
server, types as it stores them, the indexes it makes for foreign keys, and sequences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError
from ..autogen.hooks import AutogenHooks, Rebuild, ServerDefaultComparator, TypeComparator

if TYPE_CHECKING:
    from alembic.operations import Operations, ops
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection

    from ..autogen.objectops import ObjectOp
    from ..autogen.steps import Split


@dataclass(frozen=True)
class MySQLFacts:
    """What rendering needs to know of the database (see ``MySQLHooks.read_facts``)."""

    implicit: tuple[tuple[str | None, str, str], ...]
    # (schema, table, foreign key) -> (index, columns)
    server_made: dict[tuple[str | None, str, str], tuple[str, tuple[str, ...]]]
    mariadb: bool = True  # which server, and its version: the online DDL clauses it takes
    version: tuple[int, ...] = (10, 11)


def _server_made_indexes(
    inspector: Any, op: ops.ModifyTableOps, metadata: MetaData, indexes: list[Any]
) -> dict[tuple[str | None, str, str], tuple[str, tuple[str, ...]]]:
    """The indexes the server made for the foreign keys ``op`` drops: named after the key,
    or after its first column; not one of the models' (the key then uses that)."""
    from alembic.operations import ops

    dropped = {
        str(sub.constraint_name)
        for sub in op.ops
        if isinstance(sub, ops.DropConstraintOp) and sub.constraint_type == "foreignkey"
    }
    if not dropped:
        return {}
    qualified = f"{op.schema}.{op.table_name}" if op.schema else op.table_name
    model = metadata.tables.get(qualified)
    wanted = {i.name for i in model.indexes} if model is not None else set()
    made = {}
    for key in inspector.get_foreign_keys(op.table_name, schema=op.schema):
        if key["name"] not in dropped:
            continue
        columns = tuple(key["constrained_columns"])
        for index in sorted(indexes, key=lambda i: str(i["name"])):
            if (
                not index["unique"]
                and tuple(index["column_names"]) == columns
                and index["name"] in (key["name"], columns[0])
                and index["name"] not in wanted
            ):
                made[(op.schema, op.table_name, str(key["name"]))] = (index["name"], columns)
                break
    return made


class MySQLHooks(AutogenHooks):
    """MySQL spells defaults its own way, and refuses to drop an index a foreign key needs."""

    def server_default_comparator(self) -> ServerDefaultComparator | None:
        return self._compare_server_defaults

    def type_comparator(self) -> TypeComparator | None:
        from ..autogen.stored import comparing_stored

        return comparing_stored(self._stored_type)

    @staticmethod
    def _stored_type(type_: Any, dialect: Any) -> Any:
        """FLOAT(p) is stored as FLOAT up to 24 binary digits, as DOUBLE beyond (MariaDB's
        ``Float(precision=53)`` and ``FLOAT(32)`` are DOUBLE); every other type as spelled
        (None)."""
        from sqlalchemy.dialects.mysql import DOUBLE, FLOAT

        from ..autogen.stored import binary_float

        kind = binary_float(type_, unsized_double=False)
        if kind is None:
            return None
        return FLOAT() if kind == "single" else DOUBLE()

    def check_schemas(self, sync_conn: Connection, schemas: set[str | None]) -> None:
        """A schema is a database here; a migration runs in one, so it makes none."""
        from sqlalchemy import inspect

        present = set(inspect(sync_conn).get_schema_names())
        for schema in sorted(s for s in schemas if s is not None and s not in present):
            raise ConfigurationError(
                f"the models use schema {schema!r}, which does not exist: on MySQL/MariaDB "
                "a schema is a database, which a migration does not create; create it "
                "first (schemactl create with its URL)"
            )

    def constraint_name(self, kind: str, table: str, columns: list[str]) -> str:
        from ..autogen.names import pg_style

        return pg_style(kind, table, columns, 64)  # PostgreSQL's rule, MySQL's length

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
    ) -> MySQLFacts:
        """The indexes the server made for the foreign keys the up section drops (see
        ``before_render``), and those it will make for the foreign keys the up section adds
        to existing tables, whose columns no index leads with: (schema, table, name).
        Dropping the foreign key leaves such an index behind; the down section drops it too,
        unless the up section adds all its columns: dropping them going down drops the index."""
        from alembic.operations import ops
        from sqlalchemy import inspect

        inspector = inspect(sync_conn)
        implicit: list[tuple[str | None, str, str]] = []
        made: dict[tuple[str | None, str, str], tuple[str, tuple[str, ...]]] = {}
        for op in upgrade.ops:
            if not isinstance(op, ops.ModifyTableOps):
                continue
            if not inspector.has_table(op.table_name, schema=op.schema):
                continue
            indexes = inspector.get_indexes(op.table_name, schema=op.schema)
            made.update(_server_made_indexes(inspector, op, metadata, indexes))
            gone = {
                name
                for (s, t, _), (name, _) in made.items()
                if (s, t) == (op.schema, op.table_name)
            }
            leading = [tuple(i["column_names"]) for i in indexes if i["name"] not in gone]
            pk = inspector.get_pk_constraint(op.table_name, schema=op.schema)
            leading.append(tuple(pk.get("constrained_columns") or ()))
            for sub in op.ops:
                if isinstance(sub, ops.CreateIndexOp | ops.CreateUniqueConstraintOp):
                    leading.append(tuple(str(getattr(c, "name", c)) for c in sub.columns))
            added = {sub.column.name for sub in op.ops if isinstance(sub, ops.AddColumnOp)}
            for sub in op.ops:
                if not isinstance(sub, ops.CreateForeignKeyOp):
                    continue
                columns = tuple(sub.local_cols)
                if any(index[: len(columns)] == columns for index in leading):
                    continue
                if set(columns) <= added:
                    continue
                name = sub.constraint_name or self.constraint_name(
                    "foreignkey", op.table_name, list(columns)
                )
                implicit.append((op.schema, op.table_name, str(name)))
        ordered = tuple(sorted(implicit, key=lambda k: (k[0] or "", k[1], k[2])))
        dialect: Any = sync_conn.dialect
        version = tuple(v for v in dialect.server_version_info or () if isinstance(v, int))
        return MySQLFacts(ordered, made, bool(dialect.is_mariadb), version)

    def order_table_ops(self, items: list[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
        """MySQL refuses to drop an index a foreign key needs (1553) until its replacement
        exists, or the foreign key is gone: emit foreign key drops first, and index and
        unique creations before index and unique drops."""
        from alembic.operations import ops

        def drops_foreign_key(op: ops.MigrateOperation) -> bool:
            return isinstance(op, ops.DropConstraintOp) and op.constraint_type == "foreignkey"

        items = [op for op in items if drops_foreign_key(op)] + [
            op for op in items if not drops_foreign_key(op)
        ]

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

    def before_render(
        self, container: ops.OpContainer, facts: MySQLFacts, *, upgrade: bool
    ) -> None:
        """The index the server made for a foreign key the up section drops goes with it, and
        comes back before it going down, under its own name.

        The server names that index after the key, or, for a key CREATE TABLE left unnamed,
        after its first column (``team_id`` for ``users_ibfk_1``). Adding the key back by its
        name makes an index named after the key, and drops the old one: the rollback would
        rename the index. Made first, the index keeps its name and the key uses it. (Going
        up, the models lack that index; left behind, it would serve nothing.)

        Going down, the index the server will make for a foreign key the up section adds
        (``facts.implicit``) goes right after the key: an index made on the same columns
        next would make the server drop it.
        """
        from alembic.operations import ops

        for table_ops in container.ops:
            if not isinstance(table_ops, ops.ModifyTableOps):
                continue
            result: list[ops.MigrateOperation] = []
            schema, table = table_ops.schema, table_ops.table_name
            for op in table_ops.ops:
                # going up, the key's drop; going down, its creation
                kind = ops.DropConstraintOp if upgrade else ops.CreateForeignKeyOp
                name = str(getattr(op, "constraint_name", ""))
                found = facts.server_made.get((schema, table, name))
                implicit = (schema, table, name) in facts.implicit
                if not upgrade and implicit and isinstance(op, ops.DropConstraintOp):
                    result += [op, ops.DropIndexOp(name, table_name=table, schema=schema)]
                elif found is None or not isinstance(op, kind):
                    result.append(op)
                elif upgrade:
                    result += [op, ops.DropIndexOp(found[0], table_name=table, schema=schema)]
                else:
                    index = ops.CreateIndexOp(found[0], table, list(found[1]), schema=schema)
                    result += [index, op]
            table_ops.ops = result

    def begin_render(self, operations: Operations, facts: Any, *, upgrade: bool) -> None:
        return None

    def rebuild_from(
        self, facts: Any, schema: str | None, table_name: str, *, upgrade: bool
    ) -> Rebuild | None:
        return None

    def end_render(self, operations: Operations, facts: MySQLFacts, *, upgrade: bool) -> None:
        return None

    def split_steps(
        self, upgrade: ops.UpgradeOps, downgrade: ops.DowngradeOps, facts: Any, dialect: Any
    ) -> Split:
        from ..autogen.steps import Split

        # one file: the ALGORITHM/LOCK clauses keep the tables online (``online_form``)
        return Split()

    def online_form(self, op: ops.MigrateOperation, sql: str, facts: Any, dialect: Any) -> str:
        from .mysql_online import online_form

        return online_form(op, sql, facts, dialect)

    def object_ops(
        self, sync_conn: Connection, metadata: MetaData, schemas: set[str | None]
    ) -> list[ObjectOp]:
        """MariaDB 10.3+ has sequences (tables of a kind: SQLAlchemy lists them apart, as
        get_sequence_names, not get_table_names); MySQL has none."""
        if not sync_conn.dialect.supports_sequences:
            return []
        from sqlalchemy import column, inspect, select, table

        from ..autogen.sequences import SequenceState, sequence_ops

        options = ("start_value", "increment", "minimum_value", "maximum_value", "cycle_option")
        inspector = inspect(sync_conn)
        found = []
        for schema in sorted(schemas, key=lambda s: s or ""):
            for name in sorted(inspector.get_sequence_names(schema=schema)):
                source = table(name, schema=schema)  # quoted by SQLAlchemy, whatever the name
                row: Any = sync_conn.execute(
                    select(*map(column, options)).select_from(source)
                ).one()
                start, increment, low, high = (int(v) for v in row[:4])
                found.append(SequenceState(schema, name, start, increment, low, high, bool(row[4])))
        return sequence_ops(metadata, sync_conn.dialect, found)

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
