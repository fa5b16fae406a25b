"""Whether a migration's down section destroys data that existed before the migration: a
table or column present before the up, kept by the up, that the down drops (even when it
re-creates it, empty).

- PostgreSQL keeps an identity for both: a table's ``pg_class`` oid, a column's ``attnum``.
  A re-created table gets a new oid, a column dropped and added again a new attnum; a rename
  or a type change keeps them. Identities present before the up and after it must still be
  there after the down. Exact, and it writes nothing.
- MySQL/MariaDB and SQLite have no such identity (``CREATE_TIME`` has one-second steps,
  ordinal positions repeat). There, after the up, one sentinel row is inserted into every
  table that existed before it, with a value in every column that did; after the down that
  row must still be there with its values. This also sees a down that deletes rows, and
  lets pass SQLite's table rebuild (create, copy, drop, rename), which keeps the data.
  Limits: a table that takes no row (a CHECK or a type the row cannot satisfy, a foreign key
  to a table without one) is not checked, and said so in a warning; a column the up renamed
  is not followed; a value changed in place (a narrower type) is compared as text.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection

    from ._schema_snapshot import ForeignKey, Snapshot


class LossCheck:
    """Watches one migration's down section for data loss; ``notes``: what it could not
    watch. The base class watches nothing."""

    def __init__(self, excluded: Iterable[str]) -> None:
        self.excluded = frozenset(excluded)
        self.notes: list[str] = []

    async def before_up(self, conn: AsyncConnection) -> None:
        """Called before the up section runs."""

    async def after_up(self, conn: AsyncConnection, before: Snapshot, after: Snapshot) -> None:
        """Called after the up section ran (``before``/``after``: the schema around it)."""

    async def after_down(self, conn: AsyncConnection, now: Snapshot) -> list[str]:
        """What the down section lost, one phrase each."""
        return []

    async def clean(self, conn: AsyncConnection) -> None:
        """Remove what ``after_up`` added, once nothing was lost."""


def loss_check(dialect_name: str, excluded: Iterable[str]) -> LossCheck:
    if dialect_name == "postgresql":
        return CatalogIdentity(excluded)
    return SentinelRows(excluded)


# -- PostgreSQL: catalog identities ------------------------------------------------------------

_PG_IDENTITIES = r"""
SELECT c.oid::bigint, n.nspname, c.relname, a.attnum, a.attname,
       n.nspname = current_schema() AS in_default
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a
       ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema'
  AND n.nspname NOT LIKE 'pg\_%'
"""

Identity = tuple[int, int]  # (table oid, attnum); attnum 0 stands for the table itself
Names = dict[Identity, tuple[str, str]]  # identity -> (table, column or "")


class CatalogIdentity(LossCheck):
    """PostgreSQL: tables by oid, columns by (oid, attnum)."""

    before: Names
    after: Names

    async def before_up(self, conn: AsyncConnection) -> None:
        self.before = await self._identities(conn)

    async def after_up(self, conn: AsyncConnection, before: Snapshot, after: Snapshot) -> None:
        self.after = await self._identities(conn)

    async def after_down(self, conn: AsyncConnection, now: Snapshot) -> list[str]:
        present = await self._identities(conn)
        names_now = set(present.values())
        kept = [i for i in self.before if i in self.after]  # existed before, kept by the up
        lost_tables = {i[0] for i in kept if i[1] == 0 and i not in present}
        found = []
        for identity in sorted(kept):
            if identity in present or (identity[1] and identity[0] in lost_tables):
                continue
            table, column = self.before[identity]
            again = (table, column) in names_now
            if column:
                found.append(
                    f"the down drops column {table}.{column}, which existed before the "
                    "migration" + (" (and adds it again: its values are gone)" if again else "")
                )
            else:
                found.append(
                    f"the down drops table {table}, which existed before the migration"
                    + (" (and creates it again: its rows are gone)" if again else "")
                )
        return found

    async def _identities(self, conn: AsyncConnection) -> Names:
        from sqlalchemy import text

        names: Names = {}
        for oid, schema, table, attnum, column, in_default in await conn.execute(
            text(_PG_IDENTITIES)
        ):
            if table in self.excluded:
                continue
            name = table if in_default else f"{schema}.{table}"
            names[(int(oid), 0)] = (name, "")
            if attnum is not None:
                names[(int(oid), int(attnum))] = (name, column)
        return names


# -- MySQL/MariaDB and SQLite: sentinel rows ---------------------------------------------------


@dataclass
class Sentinel:
    """The row put into one table: its values by column; ``tracked``: the columns that
    existed before the migration (their values must survive the down)."""

    table: str
    values: dict[str, Any]
    tracked: tuple[str, ...]
    key: tuple[str, ...] = field(default=())  # the columns that find the row again


class SentinelRows(LossCheck):
    """One row per pre-existing table, inserted after the up, looked for after the down."""

    sentinels: list[Sentinel]

    async def after_up(self, conn: AsyncConnection, before: Snapshot, after: Snapshot) -> None:
        tables = [t for t in after.columns if t in before.columns and t not in self.excluded]
        fks = {(f.table, f.columns, f.referred_table, f.referred_columns): f for f in
               (*before.foreign_keys, *after.foreign_keys)}  # fmt: skip
        self.sentinels = []
        if not tables:
            return
        sentinels, notes = await conn.run_sync(
            lambda sync: _seed(sync, _ordered(tables, list(fks.values())), before, fks.values())
        )
        self.sentinels = sentinels
        self.notes.extend(notes)

    async def after_down(self, conn: AsyncConnection, now: Snapshot) -> list[str]:
        found = []
        for sentinel in self.sentinels:
            table = sentinel.table
            if table not in now.columns:
                found.append(f"the down drops table {table}, which existed before the migration")
                continue
            present = [c for c in sentinel.tracked if c in now.columns[table]]
            rows = await conn.run_sync(_rows, table, present)
            best, score = None, -1
            for row in rows:
                matches = sum(_same(sentinel.values[c], row[c]) for c in present)
                if matches > score:
                    best, score = row, matches
            if best is None or (score == 0 and present):
                found.append(
                    f"the rows of table {table} are gone after the down (it drops and "
                    "re-creates the table, or deletes them); they existed before the migration"
                )
                continue
            for column in sentinel.tracked:
                if column not in present or not _same(sentinel.values[column], best[column]):
                    again = " (and adds it again: its values are gone)" if column in present else ""
                    found.append(
                        f"the down drops column {table}.{column}, which existed before the "
                        f"migration{again}"
                    )
        return found

    async def clean(self, conn: AsyncConnection) -> None:
        for sentinel in reversed(self.sentinels):
            await conn.run_sync(_delete, sentinel)
        self.sentinels = []


def _ordered(tables: list[str], fks: list[ForeignKey]) -> list[str]:
    """Referenced tables before the tables referencing them (a cycle: as they come)."""
    wanted = set(tables)
    needs = {t: {f.referred_table for f in fks if f.table == t} & wanted - {t} for t in tables}
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and needs[t] <= set(ordered)]
        ordered.extend(ready or [next(t for t in tables if t not in ordered)])
    return ordered


def _seed(
    sync_conn: Connection, tables: list[str], before: Snapshot, fks: Iterable[ForeignKey]
) -> tuple[list[Sentinel], list[str]]:
    from sqlalchemy import column, func, insert, inspect, select, table

    inspector = inspect(sync_conn)
    fk_list = list(fks)
    shapes: dict[Any, Any] = dict(inspector.get_multi_columns(filter_names=tables))
    pks: dict[Any, Any] = dict(inspector.get_multi_pk_constraint(filter_names=tables))
    uniques: dict[Any, Any] = dict(inspector.get_multi_unique_constraints(filter_names=tables))
    check_constraints: dict[Any, Any] = dict(
        inspector.get_multi_check_constraints(filter_names=tables)
    )
    sentinels: dict[str, Sentinel] = {}
    notes: list[str] = []
    token = secrets.token_hex(3)
    for name in tables:
        key = (None, name)
        columns = shapes.get(key, [])
        pk = tuple((pks.get(key) or {}).get("constrained_columns") or ())
        checks = [str(c.get("sqltext", "")).lower() for c in check_constraints.get(key, [])]
        unique = set(pk) | {c for u in uniques.get(key, []) for c in u["column_names"]}
        values: dict[str, Any] = {}
        problem = None
        for n, col in enumerate(columns):
            if col.get("computed"):
                continue
            is_fk, value = _referenced(name, col["name"], fk_list, sentinels)
            if not is_fk:
                json_text = any(f"json_valid(`{col['name']}`)" in c for c in checks)
                value = _value(col, n, token, sync_conn.dialect.name, json_text)
            if value is None and not (col["nullable"] or col.get("default") is not None):
                problem = (
                    f"column {col['name']} references a table without a sentinel row"
                    if is_fk
                    else f"no value of type {col['type']} for column {col['name']}"
                )
                break
            if isinstance(value, int) and col["name"] in unique:
                largest = sync_conn.execute(
                    select(func.max(column(col["name"]))).select_from(table(name))
                ).scalar()
                value = max(value, int(largest or 0) + 1)
            if value is not None:
                values[col["name"]] = value
        if problem is None:
            try:
                target = table(name, *(column(c) for c in values))
                sync_conn.execute(insert(target).values(values))
            except Exception as exc:  # a CHECK, a trigger, a foreign key without a row
                problem = str(exc).splitlines()[0]
        if problem is not None:
            notes.append(
                f"data loss in table {name} is not checked: no sentinel row fits it ({problem})"
            )
            continue
        tracked = tuple(c for c in before.columns[name] if c in values)
        sentinels[name] = Sentinel(name, values, tracked, pk if set(pk) <= set(values) else ())
    return list(sentinels.values()), notes


def _referenced(
    table: str, column: str, fks: list[ForeignKey], sentinels: dict[str, Sentinel]
) -> tuple[bool, Any]:
    """(whether the column is in a foreign key, its value): the referenced table's
    sentinel's, so that the row is valid (a down adding the foreign key back would fail on
    it otherwise), or None (NULL) when that table has none."""
    for fk in fks:
        if fk.table == table and column in fk.columns:
            referred = sentinels.get(fk.referred_table)
            target = fk.referred_columns[fk.columns.index(column)]
            if referred is not None and target in referred.values:
                return True, referred.values[target]
            return True, None
    return False, None


def _value(col: dict[str, Any], n: int, token: str, dialect_name: str, json_text: bool) -> Any:
    """A value for a column, of its type and unlike its default (a column dropped and added
    again holds its default)."""
    from sqlalchemy import types

    type_ = col["type"]
    default = str(col.get("default") or "").strip("'\"")
    enums = getattr(type_, "enums", None) or getattr(type_, "values", None)
    if enums:
        return next((v for v in enums if v != default), enums[0])
    if isinstance(type_, types.Boolean):
        return 0 if default in ("1", "true", "TRUE") else 1
    if json_text:  # MariaDB's JSON: a LONGTEXT with CHECK (json_valid(...))
        return json.dumps({"schemactl": n})
    if type(type_).__name__ == "YEAR":
        return 2001
    try:
        python = type_.python_type
    except NotImplementedError:
        python = str if dialect_name == "sqlite" else None  # SQLite stores anything
    if python is bool:
        return 0 if default in ("1", "true") else 1
    if python is int:
        return 7 + n % 50 if str(7 + n % 50) != default else 6
    if python in (float, Decimal):
        return 7 if default != "7" else 6
    if python is str:
        length = getattr(type_, "length", None)
        if length is None:  # (valid JSON too: MariaDB's JSON is such a text, checked)
            return json.dumps({"schemactl": f"s{n}{token}"})
        return f"s{n}{token}"[:length]
    if python is bytes:
        return f"b{n}".encode()[: getattr(type_, "length", None) or 8]
    if python is dt.datetime:
        return "2001-02-03 04:05:06"
    if python is dt.date:
        return "2001-02-03"
    if python is dt.time:
        return "04:05:06"
    if python in (dict, list):
        return json.dumps({"schemactl": n})
    return None


def _rows(sync_conn: Connection, name: str, columns: list[str]) -> list[dict[str, Any]]:
    from sqlalchemy import column, select, table

    if not columns:
        return [{}] if sync_conn.execute(select(1).select_from(table(name))).first() else []
    query: Any = select(*(column(c) for c in columns)).select_from(table(name)).limit(10000)
    return [dict(row._mapping) for row in sync_conn.execute(query)]


def _delete(sync_conn: Connection, sentinel: Sentinel) -> None:
    from sqlalchemy import column, delete, table

    key = sentinel.key or tuple(
        c for c, v in sentinel.values.items() if isinstance(v, int | str) and c in sentinel.tracked
    )
    if not key:
        return
    target = table(sentinel.table, *(column(c) for c in key))
    condition = [target.c[c] == sentinel.values[c] for c in key]
    sync_conn.execute(delete(target).where(*condition))


def _same(inserted: Any, found: Any) -> bool:
    """A value read back as the one written, whatever the driver made of it."""
    if found == inserted:
        return True
    if found is None:
        return False
    if isinstance(found, bytes | bytearray):
        return bool(bytes(found).rstrip(b"\0") == inserted)
    if isinstance(found, dt.timedelta):  # MySQL's TIME
        found = (dt.datetime.min + found).time().isoformat()
    try:
        return Decimal(str(found)) == Decimal(str(inserted))
    except InvalidOperation:
        pass
    if isinstance(found, str) and isinstance(inserted, str) and inserted.startswith("{"):
        try:
            return bool(json.loads(found) == json.loads(inserted))
        except ValueError:
            return False
    return str(found).rstrip() == str(inserted)
