"""Find tables whose reflected structure provably equals the models', before Alembic compares.

Alembic builds a SQLAlchemy ``Table`` from the reflection of every table and runs each
comparator on it: most of the time of a no-op autogenerate on a large schema. Here the
database is reflected in bulk (a few queries for all tables, the ``get_multi_*`` API) and
each table reduced to a signature: columns with their compiled types, nullability, defaults
and comments; primary key; foreign keys with their actions; indexes; unique and named check
constraints. A table whose signature equals its model's is left out of Alembic's comparison.

The rule is one-sided on purpose: equal signatures imply Alembic would find no difference
(every attribute Alembic compares is in the signature, spelled at least as strictly), while
any doubt (a default spelled differently, an unnamed constraint, an expression index, a
dialect option) sends the table to Alembic, which decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import MetaData, Table
    from sqlalchemy.engine import Connection, Dialect

Signature = tuple[Any, ...]


def unchanged_tables(
    sync_conn: Connection, metadata: MetaData, schemas: Iterable[str | None]
) -> set[tuple[str | None, str]]:
    """(schema, name) of every table present in the database and the models, identically."""
    from sqlalchemy import inspect

    inspector = inspect(sync_conn)
    dialect = sync_conn.dialect
    default_schema = dialect.default_schema_name
    result: set[tuple[str | None, str]] = set()
    for schema in schemas:
        wanted = {
            table.name: table
            for table in metadata.tables.values()
            if (table.schema if table.schema != default_schema else None) == schema
        }
        present = set(inspector.get_table_names(schema=schema)) & set(wanted)
        if not present:
            continue
        names = sorted(present)
        try:
            reflected = _reflect(inspector, schema, names)
        except NotImplementedError:  # a dialect without some bulk reflection (SQLite comments)
            return set()
        for name in names:
            try:
                db_signature = _reflected_signature(reflected, (schema, name), dialect)
                model_signature = _model_signature(wanted[name], dialect)
            except NotImplementedError:
                continue
            if db_signature == model_signature:
                result.add((schema, name))
    return result


def _reflect(inspector: Any, schema: str | None, names: list[str]) -> dict[str, dict[Any, Any]]:
    return {
        key: method(schema=schema, filter_names=names)
        for key, method in (
            ("columns", inspector.get_multi_columns),
            ("pk", inspector.get_multi_pk_constraint),
            ("fks", inspector.get_multi_foreign_keys),
            ("indexes", inspector.get_multi_indexes),
            ("uniques", inspector.get_multi_unique_constraints),
            ("checks", inspector.get_multi_check_constraints),
            ("comment", inspector.get_multi_table_comment),
        )
    }


def _reflected_signature(
    reflected: dict[str, dict[Any, Any]], key: tuple[str | None, str], dialect: Dialect
) -> Signature:
    columns = []
    for column in reflected["columns"].get(key, []):
        if column.get("computed") or column.get("identity"):
            raise NotImplementedError
        default = column.get("default")
        if (
            default is not None
            and str(default).startswith("nextval(")
            and column.get("autoincrement")
        ):
            default = None  # the sequence behind a SERIAL column
        columns.append(
            (
                column["name"],
                column["type"].compile(dialect=dialect),
                bool(column["nullable"]),
                None if default is None else str(default),
                column.get("comment") or None,
            )
        )
    pk = reflected["pk"].get(key) or {}
    fks = sorted(
        (
            fk.get("name") or "",
            tuple(fk["constrained_columns"]),
            fk.get("referred_schema") or None,
            fk["referred_table"],
            tuple(fk["referred_columns"]),
            _action(fk.get("options", {}).get("ondelete")),
            _action(fk.get("options", {}).get("onupdate")),
        )
        for fk in reflected["fks"].get(key, [])
    )
    indexes = []
    for index in reflected["indexes"].get(key, []):
        if index.get("duplicates_constraint"):
            continue  # the index behind a unique constraint, compared as the constraint
        if None in index["column_names"] or index.get("expressions"):
            raise NotImplementedError
        if any(v for k, v in index.get("dialect_options", {}).items() if k != "postgresql_include"):
            raise NotImplementedError
        indexes.append((index["name"], tuple(index["column_names"]), bool(index["unique"])))
    uniques = sorted(
        (u["name"], tuple(u["column_names"])) for u in reflected["uniques"].get(key, [])
    )
    checks = sorted(c["name"] for c in reflected["checks"].get(key, []) if c.get("name"))
    comment = (reflected["comment"].get(key) or {}).get("text") or None
    return (
        tuple(columns),
        tuple(pk.get("constrained_columns") or ()),
        tuple(fks),
        tuple(sorted(indexes)),
        tuple(uniques),
        tuple(checks),
        comment,
    )


def _model_signature(table: Table, dialect: Dialect) -> Signature:
    from sqlalchemy import CheckConstraint, ForeignKeyConstraint, UniqueConstraint

    from .typechecks import made_by_types

    made = {id(c) for c in made_by_types(table, dialect)}
    columns = []
    for column in table.columns:
        if column.computed is not None or column.identity is not None:
            raise NotImplementedError
        columns.append(
            (
                column.name,
                column.type.compile(dialect=dialect),
                bool(column.nullable),
                _default_text(column, dialect),
                column.comment or None,
            )
        )
    fks = []
    uniques = []
    checks = []
    for constraint in table.constraints:
        if isinstance(constraint, ForeignKeyConstraint):
            if constraint.name is None or constraint.match or constraint.deferrable:
                raise NotImplementedError  # server-chosen names or options: let Alembic look
            target = constraint.elements[0].column.table
            fks.append(
                (
                    str(constraint.name),
                    tuple(c.name for c in constraint.columns),
                    target.schema,
                    target.name,
                    tuple(e.column.name for e in constraint.elements),
                    _action(constraint.ondelete),
                    _action(constraint.onupdate),
                )
            )
        elif isinstance(constraint, UniqueConstraint):
            if constraint.name is None:
                raise NotImplementedError
            uniques.append((str(constraint.name), tuple(c.name for c in constraint.columns)))
        elif isinstance(constraint, CheckConstraint):
            if getattr(constraint, "_type_bound", False):
                # a column type's: in the database only where the type makes it (typechecks)
                if id(constraint) in made:
                    checks.append(str(constraint.name))
                continue
            if constraint.name is None:
                raise NotImplementedError
            checks.append(str(constraint.name))
    indexes = []
    for index in table.indexes:
        if (
            index.name is None
            or index.dialect_kwargs
            or any(not hasattr(expression, "table") for expression in index.expressions)
        ):
            raise NotImplementedError
        indexes.append((str(index.name), tuple(c.name for c in index.columns), bool(index.unique)))
    return (
        tuple(columns),
        tuple(c.name for c in table.primary_key.columns),
        tuple(sorted(fks)),
        tuple(sorted(indexes)),
        tuple(sorted(uniques)),
        tuple(sorted(checks)),
        table.comment or None,
    )


def _default_text(column: Any, dialect: Dialect) -> str | None:
    """The model's server default as the database reports it; NotImplementedError when the
    spelling is the database's business (functions, expressions)."""
    default = column.server_default
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    text = getattr(arg, "text", None)
    if isinstance(text, str):
        return text
    raise NotImplementedError  # a function or expression: spelled differently per database


def _action(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.upper()
    return None if value == "NO ACTION" else value
