"""A database's schema as plain, comparable text, for `verify`: reflected with SQLAlchemy's
inspector over ``AsyncConnection.run_sync``, each object one entry, normalised where servers
differ only in spelling (types as the dialect compiles them, defaults and CHECK texts without
case, spacing and outer parentheses, as ``autogen.stored`` compares them).

Entries: schemas (PostgreSQL), tables with their comments, columns (type, nullability,
default, identity or generated expression, comment), primary keys, foreign keys with their
actions, indexes (columns or expressions, uniqueness, options such as ``USING gin``), unique
and CHECK constraints, enum types (PostgreSQL), sequences, views and materialized views with
their definitions. Not compared: triggers, functions, procedures, grants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Dialect, Inspector
    from sqlalchemy.ext.asyncio import AsyncConnection

Key = tuple[str, str, str]  # (kind, table or object, name within the table or "")


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key as `verify`'s sentinel rows need it: columns to columns."""

    table: str
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True)
class Snapshot:
    """The schema: entry -> its normalised description; the tables' columns, for seeding."""

    entries: dict[Key, str]
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by table, in order
    foreign_keys: tuple[ForeignKey, ...] = ()


async def take_snapshot(conn: AsyncConnection, excluded: Iterable[str]) -> Snapshot:
    """The schema of the database ``conn`` is on, leaving out the tables named ``excluded``
    (schemactl's own), in every schema but the system ones."""
    skip = frozenset(excluded)
    return await conn.run_sync(lambda sync: _reflect(sync, skip))


def differences(before: Snapshot, after: Snapshot) -> list[str]:
    """What ``after`` lacks, has besides, or has otherwise than ``before``, one phrase each:
    "column users.nick still exists", "index ix_a on users is missing". The objects of a
    table that is missing (or still exists) as a whole are not listed again."""
    gone = {k[1] for k in before.entries.keys() - after.entries.keys() if k[0] == "table"}
    new = {k[1] for k in after.entries.keys() - before.entries.keys() if k[0] == "table"}
    found = []
    for key in sorted(before.entries.keys() | after.entries.keys()):
        kind, table, _ = key
        if kind != "table" and table in gone | new:
            continue
        was, now = before.entries.get(key), after.entries.get(key)
        if was == now:
            continue
        if now is None:
            found.append(f"{_name(key)} is missing")
        elif was is None:
            found.append(f"{_name(key)} still exists")
        else:
            found.append(f"{_name(key)} differs: was {was or '(none)'}, now {now or '(none)'}")
    return found


def _name(key: Key) -> str:
    kind, table, name = key
    if kind == "column":
        return f"column {table}.{name}"
    if kind in ("table", "schema", "enum type", "sequence", "view", "materialized view"):
        return f"{kind} {table}"
    if kind == "primary key":
        return f"the primary key of {table}"
    return f"{kind} {name} on {table}"


# -- reflection (synchronous, inside run_sync) ---------------------------------------------------


def _reflect(sync_conn: Connection, excluded: frozenset[str]) -> Snapshot:
    from sqlalchemy import inspect

    inspector = inspect(sync_conn)
    dialect = sync_conn.dialect
    entries: dict[Key, str] = {}
    columns: dict[str, tuple[str, ...]] = {}
    foreign_keys: list[ForeignKey] = []
    for schema in _schemas(inspector, dialect):
        prefix = "" if schema is None else f"{schema}."
        if schema is not None:
            entries[("schema", schema, "")] = ""
        tables = sorted(t for t in inspector.get_table_names(schema=schema) if t not in excluded)
        if tables:
            reflected = _reflect_tables(inspector, schema, tables)
            for table in tables:
                key = (schema, table)
                qualified = prefix + table
                entries[("table", qualified, "")] = _comment(reflected["comment"].get(key))
                entries.update(_table_entries(qualified, key, reflected, dialect))
                columns[qualified] = tuple(c["name"] for c in reflected["columns"].get(key, []))
                foreign_keys.extend(_foreign_keys(qualified, reflected["fks"].get(key, [])))
        entries.update(_other_objects(inspector, dialect.name, schema, prefix))
    return Snapshot(entries, columns, tuple(foreign_keys))


def _schemas(inspector: Inspector, dialect: Dialect) -> list[str | None]:
    """None for the default schema; on PostgreSQL also every other user schema (on MySQL a
    schema is another database, on SQLite an attached file: not this database's)."""
    if dialect.name != "postgresql":
        return [None]
    default = dialect.default_schema_name
    others = [
        s
        for s in inspector.get_schema_names()
        if s != default and s != "information_schema" and not s.startswith("pg_")
    ]
    return [None, *sorted(others)]


def _reflect_tables(inspector: Inspector, schema: str | None, names: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, method in (
        ("columns", inspector.get_multi_columns),
        ("pk", inspector.get_multi_pk_constraint),
        ("fks", inspector.get_multi_foreign_keys),
        ("indexes", inspector.get_multi_indexes),
        ("uniques", inspector.get_multi_unique_constraints),
        ("checks", inspector.get_multi_check_constraints),
        ("comment", inspector.get_multi_table_comment),
    ):
        try:
            found[key] = method(schema=schema, filter_names=names)
        except NotImplementedError:  # (SQLite has no table comments)
            found[key] = {}
    return found


def _table_entries(
    table: str, key: tuple[str | None, str], reflected: dict[str, Any], dialect: Dialect
) -> dict[Key, str]:
    entries: dict[Key, str] = {}
    for column in reflected["columns"].get(key, []):
        entries[("column", table, column["name"])] = _column(column, dialect)
    pk = reflected["pk"].get(key) or {}
    if pk.get("constrained_columns"):
        entries[("primary key", table, "")] = f"{pk.get('name') or ''}{_cols(pk)}".strip()
    for fk in reflected["fks"].get(key, []):
        name = fk.get("name") or _cols(fk)
        entries[("foreign key", table, name)] = _foreign_key(fk)
    for index in reflected["indexes"].get(key, []):
        if index.get("duplicates_constraint"):
            continue  # the index behind a unique constraint: compared as the constraint
        entries[("index", table, index["name"])] = _index(index)
    for unique in reflected["uniques"].get(key, []):
        entries[("unique constraint", table, unique.get("name") or _cols(unique))] = _cols(unique)
    for check in reflected["checks"].get(key, []):
        text = spelled(str(check.get("sqltext", "")))
        entries[("check constraint", table, check.get("name") or text)] = text
    return entries


def _column(column: dict[str, Any], dialect: Dialect) -> str:
    parts = [_type(column["type"], dialect), "NULL" if column["nullable"] else "NOT NULL"]
    if column.get("default") is not None:
        parts.append(f"DEFAULT {spelled(str(column['default']))}")
    if column.get("computed"):
        parts.append(f"GENERATED {spelled(str(column['computed'].get('sqltext', '')))}")
    if column.get("identity"):
        parts.append("IDENTITY")
    if column.get("autoincrement") is True:
        parts.append("AUTOINCREMENT")
    if column.get("comment"):
        parts.append(f"COMMENT {column['comment']!r}")
    return " ".join(parts)


def _type(type_: Any, dialect: Dialect) -> str:
    from .autogen.stored import spelling

    try:
        return spelling(type_, dialect)
    except Exception:  # a type the dialect cannot compile (a NullType on SQLite): its name
        return str(getattr(type_, "__visit_name__", type(type_).__name__)).upper()


def _foreign_key(fk: dict[str, Any]) -> str:
    referred = (f"{fk['referred_schema']}." if fk.get("referred_schema") else "") + fk[
        "referred_table"
    ]
    options = fk.get("options") or {}
    text = f"{_cols(fk)} REFERENCES {referred}({', '.join(fk['referred_columns'])})"
    for action in ("ondelete", "onupdate"):
        value = str(options.get(action) or "NO ACTION").upper()
        if value not in ("NO ACTION", "RESTRICT"):  # (MySQL reports one as the other)
            text += f" {action[2:].upper()} {value}"
    return text


def _foreign_keys(table: str, fks: list[dict[str, Any]]) -> list[ForeignKey]:
    return [
        ForeignKey(
            table,
            tuple(fk["constrained_columns"]),
            (f"{fk['referred_schema']}." if fk.get("referred_schema") else "")
            + fk["referred_table"],
            tuple(fk["referred_columns"]),
        )
        for fk in fks
    ]


def _index(index: dict[str, Any]) -> str:
    expressions = index.get("expressions") or index["column_names"]
    text = ("UNIQUE " if index.get("unique") else "") + "(" + ", ".join(map(str, expressions)) + ")"
    options = {
        k: v for k, v in (index.get("dialect_options") or {}).items() if v not in (None, [], {})
    }
    return text + "".join(f" {k}={v}" for k, v in sorted(options.items()))


def _other_objects(
    inspector: Inspector, dialect_name: str, schema: str | None, prefix: str
) -> dict[Key, str]:
    """Enum types, sequences, views: what the dialect can reflect of them."""
    entries: dict[Key, str] = {}
    if dialect_name == "postgresql":
        for enum in inspector.get_enums(schema=schema):  # type: ignore[attr-defined]
            entries[("enum type", prefix + enum["name"], "")] = ", ".join(enum["labels"])
    try:
        for name in inspector.get_sequence_names(schema=schema):
            entries[("sequence", prefix + name, "")] = ""
    except NotImplementedError:
        pass
    kinds = [("view", inspector.get_view_names)]
    if dialect_name == "postgresql":
        kinds.append(("materialized view", inspector.get_materialized_view_names))
    for kind, names in kinds:
        for name in names(schema=schema):
            definition = inspector.get_view_definition(name, schema=schema)
            entries[(kind, prefix + name, "")] = spelled(str(definition or ""))
    return entries


def _cols(item: dict[str, Any]) -> str:
    return (
        "("
        + ", ".join(
            str(c) for c in item.get("constrained_columns") or item.get("column_names") or ()
        )
        + ")"
    )


def _comment(comment: dict[str, Any] | None) -> str:
    text = (comment or {}).get("text")
    return f"COMMENT {text!r}" if text else ""


def spelled(expression: str) -> str:
    """An SQL expression with its spelling normalised (see ``autogen.stored.same_spelling``)."""
    from .autogen.stored import normal_spelling

    return normal_spelling(expression)
