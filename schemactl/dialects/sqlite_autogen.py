"""SQLite's part in autogenerate (``SQLiteHooks``): the changes ALTER TABLE cannot make
become the table-rebuild procedure, which keeps the table's triggers, the views and triggers
that name it, and its expression-based indexes; unnamed unique constraints and
expression-based indexes, which reflection does not see, are handled here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError
from ..autogen.hooks import (
    AutogenHooks,
    Rebuild,
    ServerDefaultComparator,
    TableKey,
    TypeComparator,
)

if TYPE_CHECKING:
    from alembic.operations import Operations, ops
    from sqlalchemy import MetaData, Table
    from sqlalchemy.engine import Connection

    from ..autogen.objectops import ObjectOp
    from ..autogen.steps import Split


@dataclass(frozen=True)
class TableRebuilds:
    """The tables as the database has them, by (schema, name): for the up section to rebuild
    from, and for the down section to rebuild into (``restore.rebuild_to``).

    Going down, the table is rebuilt into the shape it had before the up section, as
    reflected, not into the models' shape with the up section's changes undone: the models
    know nothing of what the database holds beyond them (a CHECK constraint made by hand),
    nor which constraints it holds unnamed (SQLite keeps no name for those), and Alembic's
    rebuild from a models' table loses the indexes ``Column(index=True)`` makes."""

    up: dict[TableKey, Table]
    down: dict[TableKey, Table]
    # what a rebuild drops and must re-create (``_Dependents``), the same both ways
    dependents: dict[TableKey, _Dependents] = field(default_factory=dict)


@dataclass(frozen=True)
class _Dependents:
    """Around one table's rebuild: the views and other tables' triggers that name the table
    (or name a view that does), dropped first and re-created after; and what DROP TABLE
    takes with it that Alembic does not make again: the table's triggers, and its
    expression-based indexes, which reflection skips. In ``sqlite_master`` order, the order
    they were made in, which is one they can be made in again."""

    drops: tuple[str, ...] = ()
    creates: tuple[str, ...] = ()


class SQLiteHooks(AutogenHooks):
    """ALTER TABLE cannot change a column or a constraint: rebuild the table instead (create
    a new one, copy, drop, rename), with Alembic's batch mode, as SQL."""

    def server_default_comparator(self) -> ServerDefaultComparator | None:
        return self._compare_server_defaults

    def type_comparator(self) -> TypeComparator | None:
        return None  # SQLite keeps the declared type's text as written: Alembic compares it

    @staticmethod
    def _compare_server_defaults(
        context: Any,
        inspected_column: Any,
        metadata_column: Any,
        inspected_default: str | None,
        metadata_default: Any,
        rendered_metadata_default: str | None,
    ) -> bool | None:
        """SQLite keeps a default's text as written, and a plain-string default is written as
        a quoted literal: compare that literal, which Alembic's unquoting misses for the empty
        string (``''``). An expression spelled the same but for whitespace and parentheses
        (Alembic's unwrapping misses a multi-line one) is the same; the rest is Alembic's."""
        from ..autogen.stored import same_spelling

        arg = getattr(metadata_default, "arg", None)
        if inspected_default is None:
            return None
        if not isinstance(arg, str):
            # an expression, kept as written: the same but for whitespace and parentheses
            same = rendered_metadata_default is not None and same_spelling(
                inspected_default, rendered_metadata_default
            )
            return False if same else None
        inspected = inspected_default.strip()
        if inspected.startswith("(") and inspected.endswith(")"):
            inspected = inspected[1:-1].strip()
        return inspected != "'" + arg.replace("'", "''") + "'"

    def check_schemas(self, sync_conn: Connection, schemas: set[str | None]) -> None:
        """A schema is an attached database file here, which a migration does not attach."""
        from sqlalchemy import inspect

        present = set(inspect(sync_conn).get_schema_names())
        for schema in sorted(s for s in schemas if s is not None and s not in present):
            raise ConfigurationError(
                f"the models use schema {schema!r}, which does not exist: on SQLite a schema "
                "is an attached database, which a migration does not attach"
            )

    def constraint_name(self, kind: str, table: str, columns: list[str]) -> str:
        from ..autogen.names import pg_style

        return pg_style(kind, table, columns, 1 << 30)  # no length limit

    def alters_foreign_keys(self) -> bool:
        return False  # and needs not: SQLite checks no foreign key at CREATE TABLE

    def unseen_drops(
        self,
        sync_conn: Connection,
        metadata: MetaData,
        schemas: set[str | None],
        skipped: set[TableKey],
    ) -> list[ops.MigrateOperation]:
        """SQLite reports a table's unnamed unique constraints without a name, and Alembic
        drops only named ones: drop those the models lack, under the name ``names`` gives
        (the table rebuild finds them by it). And SQLAlchemy cannot reflect expression-based
        indexes here, so Alembic skips them on both sides: create those whose name the
        database lacks (a change to one that exists goes unseen, as the README says)."""
        from alembic.operations import ops
        from sqlalchemy import Column, Index, MetaData, Table, UniqueConstraint, inspect

        inspector = inspect(sync_conn)
        drops: list[ops.MigrateOperation] = []
        for key in sorted(metadata.tables):
            model = metadata.tables[key]
            if (model.schema, model.name) in skipped:
                continue
            drops.extend(_missing_expression_indexes(inspector, model))
            if not inspector.has_table(model.name, schema=model.schema):
                continue
            wanted = {
                tuple(c.name for c in item.columns)
                for item in (*model.constraints, *model.indexes)
                if isinstance(item, UniqueConstraint) or (isinstance(item, Index) and item.unique)
            }
            reflected = inspector.get_unique_constraints(model.name, schema=model.schema)
            for unique in sorted(reflected, key=lambda u: tuple(u["column_names"])):
                columns = tuple(unique["column_names"])
                if unique["name"] is not None or columns in wanted:
                    continue
                stub = Table(
                    model.name, MetaData(), *(Column(c) for c in columns), schema=model.schema
                )
                name = self.constraint_name("unique", model.name, list(columns))
                constraint = UniqueConstraint(*columns, name=name)
                stub.append_constraint(constraint)
                drops.append(ops.DropConstraintOp.from_constraint(constraint))
        return drops

    def read_facts(
        self,
        sync_conn: Connection,
        metadata: MetaData,
        upgrade: ops.UpgradeOps,
        schemas: set[str | None],
    ) -> TableRebuilds:
        """Each table the up section changes, as reflected now."""
        from alembic.operations import ops
        from sqlalchemy import MetaData, Table, inspect

        from ..autogen.shape import in_stable_order

        inspector = inspect(sync_conn)
        reflected = MetaData()
        up: dict[TableKey, Table] = {}
        down: dict[TableKey, Table] = {}
        dependents: dict[TableKey, _Dependents] = {}
        # (a dropped table's triggers go with it, and come back with it no more than before)
        gone = {op.table_name.lower() for op in upgrade.ops if isinstance(op, ops.DropTableOp)}
        for op in upgrade.ops:
            if not isinstance(op, ops.ModifyTableOps):
                continue
            if not inspector.has_table(op.table_name, schema=op.schema):
                continue
            key = (op.schema, op.table_name)
            current = Table(op.table_name, reflected, schema=op.schema, autoload_with=sync_conn)
            up[key] = in_stable_order(current)
            # A copy, made before the up section's rebuild changes the table it is given.
            down[key] = in_stable_order(current.to_metadata(MetaData()))
            if op.schema is None:  # (an attached file's objects: left as Alembic leaves them)
                indexes = {str(index.name) for index in current.indexes}
                dependents[key] = _dependents_of(sync_conn, op.table_name, indexes, gone)
        return TableRebuilds(up, down, dependents)

    def order_table_ops(self, items: list[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
        return items

    def before_render(
        self, container: ops.OpContainer, facts: TableRebuilds, *, upgrade: bool
    ) -> None:
        return None

    def begin_render(self, operations: Operations, facts: TableRebuilds, *, upgrade: bool) -> None:
        return None

    def rebuild_from(
        self, facts: TableRebuilds, schema: str | None, table_name: str, *, upgrade: bool
    ) -> Rebuild | None:
        key = (schema, table_name)
        table = (facts.up if upgrade else facts.down).get(key)
        if table is None:
            return None
        around = facts.dependents.get(key, _Dependents())
        return Rebuild(table, around.drops, around.creates)

    def end_render(self, operations: Operations, facts: TableRebuilds, *, upgrade: bool) -> None:
        return None

    def split_steps(
        self, upgrade: ops.UpgradeOps, downgrade: ops.DowngradeOps, facts: Any, dialect: Any
    ) -> Split:
        from ..autogen.steps import Split

        return Split()  # one file: a table rebuild has no online form

    def online_form(self, op: ops.MigrateOperation, sql: str, facts: Any, dialect: Any) -> str:
        return sql

    def object_ops(
        self, sync_conn: Connection, metadata: MetaData, schemas: set[str | None]
    ) -> list[ObjectOp]:
        return []  # no sequences, and enums are CHECK constraints


def _missing_expression_indexes(inspector: Any, model: Table) -> list[ops.MigrateOperation]:
    """Create operations for the model's expression-based indexes the database lacks, by
    name (``sqlite_master``: SQLAlchemy's reflection skips these indexes)."""
    from alembic.operations import ops

    wanted = [
        index
        for index in sorted(model.indexes, key=lambda i: str(i.name))
        if index.name is not None and any(_is_expression(e) for e in index.expressions)
    ]
    if not wanted:
        return []
    schema = f"{model.schema}." if model.schema else ""
    present = {
        row[0]
        for row in inspector.bind.exec_driver_sql(
            f"SELECT name FROM {schema}sqlite_master WHERE type = 'index' AND tbl_name = ?",
            (model.name,),
        )
    }
    return [ops.CreateIndexOp.from_index(i) for i in wanted if i.name not in present]


def _is_expression(expression: Any) -> bool:
    """Alembic's rule for what it skips: anything but a plain column, ASC/DESC unwrapped."""
    from sqlalchemy.sql.elements import ColumnClause, UnaryExpression

    while isinstance(expression, UnaryExpression):
        expression = expression.element
    return not isinstance(expression, ColumnClause) or expression.is_literal


def _dependents_of(
    sync_conn: Connection, table: str, reflected_indexes: set[str], gone: set[str]
) -> _Dependents:
    """What a rebuild of ``table`` must drop first and re-create (see ``_Dependents``), but
    for the triggers of the tables in ``gone`` (lower case), which the migration drops."""
    rows = [
        (str(kind), str(name), str(on), str(sql))
        for kind, name, on, sql in sync_conn.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE type IN ('index', 'trigger', 'view') AND sql IS NOT NULL ORDER BY rowid"
        )
        if str(on).lower() not in gone
    ]
    named = {table.lower()}  # the table, and the views dropped so far (which name it)
    dropped: set[str] = set()
    changed = True
    while changed:  # a view that names a dropped view is dropped too
        changed = False
        for kind, name, on, sql in rows:
            if kind == "index" or name in dropped or on.lower() in named - {table.lower()}:
                continue
            if on.lower() != table.lower() and _names_any(sql, named):
                dropped.add(name)
                if kind == "view":
                    named.add(name.lower())
                    changed = True
    drops, creates = [], []
    for kind, name, on, sql in rows:
        if name in dropped:
            drops.append(f"DROP {kind.upper()} {_quoted(name)}")
            creates.append(sql)
        elif on.lower() in named and (kind == "trigger" or name not in reflected_indexes):
            creates.append(sql)  # gone with its table or view; an index Alembic cannot see
    return _Dependents(tuple(reversed(drops)), tuple(creates))


def _names_any(sql: str, names: set[str]) -> bool:
    """Whether ``sql`` names one of ``names`` (lower case) as an identifier, quoted or not."""
    for word in re.findall(r'"((?:[^"]|"")+)"|`([^`]+)`|\[([^\]]+)\]|([\w$]+)', sql):
        quoted, backticked, bracketed, plain = word
        found = (quoted.replace('""', '"') or backticked or bracketed or plain).lower()
        if found in names:
            return True
    return False


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
