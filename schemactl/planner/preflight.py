"""Pre-flight checks: queries that tell whether a statement will fail on the data there now.

Derived from the linter's operations, each against the schema just before it:

=============  ====================================================================  ==========
check          before                                                                counts
=============  ====================================================================  ==========
duplicates     a UNIQUE/PRIMARY KEY constraint or a unique index on existing rows    rows sharing
                                                                                     a key
nulls          SET NOT NULL (MySQL: MODIFY ... NOT NULL), a PRIMARY KEY's columns   NULL rows
rows           ADD COLUMN ... NOT NULL without a default (PostgreSQL)                rows
too-long       a narrower VARCHAR/CHAR (or TEXT to VARCHAR(n))                       longer rows
out-of-range   a narrower integer or NUMERIC(p, s)                                   rows outside
check          ADD CONSTRAINT ... CHECK (not NOT VALID)                              violating rows
orphans        ADD FOREIGN KEY (not NOT VALID)                                       rows without
                                                                                     a parent
=============  ====================================================================  ==========

A check is only made on a table that exists in the database now: one the same migration (or
an earlier pending one) creates holds no rows to check. MySQL fills a NOT NULL column added
without a default with the type's implicit default, and SQLite refuses one whatever the rows,
so ``rows`` is PostgreSQL's. A partial unique index counts the rows its WHERE keeps.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..lint import ops

if TYPE_CHECKING:
    from .._files import Migration
    from ..lint.engine import ParsedStatement
    from ..lint.schema import Schema, TableState

CheckKind = Literal["duplicates", "nulls", "rows", "too-long", "out-of-range", "check", "orphans"]


@dataclass(frozen=True)
class Check:
    """One pre-flight check; ``count``/``fails`` are None until it runs (``--preflight``).
    ``error``: why it gave no count (a timeout, the server's refusal)."""

    check: CheckKind
    version: str
    line: int  # of the statement it is about
    table: str
    columns: tuple[str, ...]
    sql: str
    about: str  # what it counts, in words
    count: int | None = None
    fails: bool | None = None
    error: str | None = None
    timed_out: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "line": self.line,
            "table": self.table,
            "columns": list(self.columns),
            "about": self.about,
            "sql": self.sql,
            "count": self.count,
            "fails": self.fails,
            "error": self.error,
            "timed_out": self.timed_out,
        }


def quote(name: str, dialect: str) -> str:
    """An identifier, quoted for ``dialect``; a qualified name part by part."""
    mark = "`" if dialect == "mysql" else '"'
    return ".".join(mark + part.replace(mark, mark * 2) + mark for part in name.split("."))


@dataclass
class Collector:
    """An ``engine.Observer``: gathers the checks of each operation, by version."""

    dialect: str
    checks: dict[str, list[Check]] = field(default_factory=dict)

    def __call__(
        self, migration: Migration, statement: ParsedStatement, op: ops.Op, schema: Schema
    ) -> None:
        table = schema.table(op.table)
        if table is None or table.created_in is not None:  # not in the database now
            return
        found = self.checks.setdefault(migration.version, [])
        context = _Context(self.dialect, migration.version, statement.line, table, schema)
        found += [c for c in _checks_of(op, context) if c not in found]


@dataclass(frozen=True)
class _Context:
    dialect: str
    version: str
    line: int
    table: TableState
    schema: Schema

    def q(self, name: str) -> str:
        return quote(name, self.dialect)

    def column(self, name: str) -> str:
        """A column's name as the database spells it (when known)."""
        found = self.table.column(name)
        return found.name if found is not None else name

    def make(self, kind: CheckKind, columns: Sequence[str], sql: str, about: str) -> Check:
        return Check(kind, self.version, self.line, self.table.name, tuple(columns), sql, about)


def _checks_of(op: ops.Op, c: _Context) -> list[Check]:
    if isinstance(op, ops.SetNotNull):
        return [_nulls(c, [op.column], "SET NOT NULL")]
    if isinstance(op, ops.AddColumn):
        return _add_column(op, c)
    if isinstance(op, ops.AlterColumnType):
        return _narrower(op, c)
    if isinstance(op, ops.CreateIndex) and op.unique:
        return [_duplicates(c, op.columns, op.where, "a unique index")]
    if isinstance(op, ops.AddConstraint):
        return _constraint(op.constraint, c)
    return []


def _add_column(op: ops.AddColumn, c: _Context) -> list[Check]:
    column = op.column
    generated = column.identity or column.serial or column.generated is not None
    if c.dialect != "postgresql" or column.nullable or column.default is not None or generated:
        return []
    sql = f"SELECT count(*) FROM {c.q(c.table.name)}"
    about = f"rows of {c.table.name}, which a NOT NULL column {column.name} without a default fails"
    return [c.make("rows", [column.name], sql, about)]


def _constraint(constraint: ops.ConstraintDef, c: _Context) -> list[Check]:
    if constraint.kind in ("unique", "primary") and constraint.using_index is None:
        checks = []
        if constraint.kind == "primary":
            nullable = [n for n in constraint.columns if _nullable(c, n)]
            if nullable:
                checks.append(_nulls(c, nullable, "PRIMARY KEY"))
        what = "a primary key" if constraint.kind == "primary" else "a unique constraint"
        return [*checks, _duplicates(c, constraint.columns, None, what)]
    if constraint.kind == "check" and not constraint.not_valid and constraint.expression:
        sql = f"SELECT count(*) FROM {c.q(c.table.name)} WHERE NOT ({constraint.expression})"
        about = f"rows of {c.table.name} for which CHECK ({constraint.expression}) is false"
        return [c.make("check", constraint.columns, sql, about)]
    if constraint.kind == "fk" and not constraint.not_valid:
        orphans = _orphans(constraint, c)
        return [orphans] if orphans is not None else []
    return []


def _nullable(c: _Context, name: str) -> bool:
    found = c.table.column(name)
    return found is None or found.nullable


def _nulls(c: _Context, columns: Sequence[str], what: str) -> Check:
    names = [c.column(n) for n in columns]
    where = " OR ".join(f"{c.q(n)} IS NULL" for n in names)
    sql = f"SELECT count(*) FROM {c.q(c.table.name)} WHERE {where}"
    about = f"rows of {c.table.name} with a NULL {' or '.join(names)}, which {what} fails"
    return c.make("nulls", names, sql, about)


def _key(c: _Context, item: str) -> str:
    """An index element: a column (quoted) or an expression (as written)."""
    return c.q(c.column(item)) if c.table.column(item) is not None else item


def _duplicates(c: _Context, columns: Sequence[str], where: str | None, what: str) -> Check:
    keys = [_key(c, item) for item in columns]
    conditions = [f"{k} IS NOT NULL" for k in keys] + ([f"({where})"] if where else [])
    sql = (
        f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {c.q(c.table.name)} "
        f"WHERE {' AND '.join(conditions)} GROUP BY {', '.join(keys)} HAVING count(*) > 1) "
        "AS duplicated"
    )
    shown = ", ".join(c.column(item) for item in columns)
    about = f"rows of {c.table.name} sharing a ({shown}) with another row, which {what} fails"
    return c.make("duplicates", [c.column(item) for item in columns], sql, about)


def _orphans(constraint: ops.ConstraintDef, c: _Context) -> Check | None:
    parent = c.schema.table(constraint.references)
    if parent is None or parent.created_in is not None:  # no rows to look the keys up in
        return None
    keys = constraint.ref_columns or next(
        (k.columns for k in parent.constraints.values() if k.kind == "primary"), ()
    )
    if not keys or len(keys) != len(constraint.columns):
        return None
    child = [c.column(n) for n in constraint.columns]
    parent_keys = [(parent.column(k) or _Named(k)).name for k in keys]
    present = " AND ".join(f"child.{c.q(n)} IS NOT NULL" for n in child)
    match = " AND ".join(
        f"parent.{c.q(p)} = child.{c.q(n)}" for p, n in zip(parent_keys, child, strict=True)
    )
    sql = (
        f"SELECT count(*) FROM {c.q(c.table.name)} AS child WHERE {present} AND NOT EXISTS "
        f"(SELECT 1 FROM {c.q(parent.name)} AS parent WHERE {match})"
    )
    about = (
        f"rows of {c.table.name} whose ({', '.join(child)}) is not in {parent.name} "
        f"({', '.join(parent_keys)}), which the foreign key fails"
    )
    return c.make("orphans", child, sql, about)


@dataclass(frozen=True)
class _Named:
    name: str


# -- narrower types --------------------------------------------------------------------------

_INT_RANGES = {
    "tinyint": (-(2**7), 2**7 - 1),
    "smallint": (-(2**15), 2**15 - 1),
    "mediumint": (-(2**23), 2**23 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
_INT_ALIASES = {"int": "integer", "int2": "smallint", "int4": "integer", "int8": "bigint"}
_STRING_TYPES = re.compile(
    r"^(varchar|char|character varying|character|nvarchar|nchar|text|tinytext|mediumtext|"
    r"longtext|string|bpchar)\b"
)
_LENGTH = re.compile(r"^(?:varchar|char|character varying|character|nvarchar|nchar)\((\d+)\)$")
_NUMERIC = re.compile(r"^(?:numeric|decimal)\((\d+)(?:,\s*(\d+))?\)$")
_FLOATS = ("real", "float", "double", "double precision", "float4", "float8")


def _int_range(type_: str) -> tuple[int, int] | None:
    text = type_.strip().lower()
    unsigned = text.endswith(" unsigned")
    base = _INT_ALIASES.get(text.removesuffix(" unsigned"), text.removesuffix(" unsigned"))
    if base not in _INT_RANGES:
        return None
    low, high = _INT_RANGES[base]
    return (0, high * 2 + 1) if unsigned else (low, high)


def _numeric(type_: str) -> tuple[int, int] | None:
    match = _NUMERIC.match(type_.strip().lower())
    return (int(match.group(1)), int(match.group(2) or 0)) if match else None


def _is_number(type_: str) -> bool:
    text = type_.strip().lower()
    return _int_range(text) is not None or _numeric(text) is not None or text in _FLOATS


def _narrower(op: ops.AlterColumnType, c: _Context) -> list[Check]:
    column = c.table.column(op.column)
    if column is None or op.using is not None or c.dialect == "sqlite":
        return []
    old, new = column.type.strip().lower(), op.new_type.strip().lower()
    name, table = c.q(column.name), c.q(c.table.name)
    length = _LENGTH.match(new)
    if length and _STRING_TYPES.match(old):
        limit = int(length.group(1))
        before = _LENGTH.match(old)
        if before and int(before.group(1)) <= limit:
            return []
        measure = "char_length" if c.dialect == "postgresql" else "CHAR_LENGTH"
        sql = f"SELECT count(*) FROM {table} WHERE {measure}({name}) > {limit}"
        about = f"rows of {c.table.name} whose {column.name} is longer than {limit} characters"
        return [c.make("too-long", [column.name], sql, about)]
    if not _is_number(old):
        return []
    new_range, old_range = _int_range(new), _int_range(old)
    if new_range is not None:
        if old_range is not None and new_range[0] <= old_range[0] and old_range[1] <= new_range[1]:
            return []
        low, high = new_range
        condition = f"{name} < {low} OR {name} > {high}"
        about = f"rows of {c.table.name} whose {column.name} is outside {low}..{high}"
    elif (precision := _numeric(new)) is not None:
        digits = precision[0] - precision[1]
        was = _numeric(old)
        if was is not None and was[0] - was[1] <= digits and was[1] <= precision[1]:
            return []
        if old_range is not None and len(str(old_range[1])) <= digits:
            return []
        bound = "1" + "0" * digits
        value = f"abs({name})" if old in _FLOATS else f"round(abs({name}), {precision[1]})"
        condition = f"{value} >= {bound}"
        about = f"rows of {c.table.name} whose {column.name} does not fit {new}"
    else:
        return []
    sql = f"SELECT count(*) FROM {table} WHERE {condition}"
    return [c.make("out-of-range", [column.name], sql, about)]
