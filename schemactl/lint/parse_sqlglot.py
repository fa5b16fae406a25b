"""MySQL/MariaDB and SQLite statements to operations, with sqlglot's lexer and parser.

MariaDB is read as MySQL. A few statements and clauses sqlglot does not read are taken from
its tokens (``_sqlglot_tokens``); a statement that still cannot be read raises ``ParseError``
(the engine reports it as "not analysed"), and so does an ``ALTER TABLE`` that sqlglot only
keeps as an opaque command. Never a regular expression over the SQL.

>>> parse("ALTER TABLE `users` ADD COLUMN age INT, ALGORITHM=INSTANT", "mysql")[-1]
OnlineClause(table='users', algorithm='INSTANT', lock=None, wait_timeout=None)
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Sequence

import sqlglot.errors
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.mysql import MySQL
from sqlglot.dialects.sqlite import SQLite
from sqlglot.tokenizer_core import Token

from . import _sqlglot_tokens as toks
from ._sqlglot_columns import SqlglotDialect, column_def, column_or_sql, constraint_def, fold
from ._sqlglot_columns import index_op as _index_op
from ._sqlglot_statements import alter_table_ops, other_statement_ops
from .ops import (
    ColumnDef,
    CreateIndex,
    CreateTable,
    DropIndex,
    DropSchema,
    DropTable,
    DropTrigger,
    Op,
    Other,
    ParseError,
    Reindex,
    TableMaintenance,
    Transaction,
)

__all__ = ["parse"]


class _MariaMySQL(MySQL):
    """MySQL as sqlglot reads it, plus type names it does not know (POINT, POLYGON,
    MariaDB's INET6): kept as user-defined types instead of failing the statement."""

    SUPPORTS_USER_DEFINED_TYPES = True


@functools.cache
def _reader(dialect: SqlglotDialect) -> Dialect:
    return _MariaMySQL() if dialect == "mysql" else SQLite()


@functools.cache
def _keyword(dialect: SqlglotDialect, text: str) -> Token:
    return _reader(dialect).tokenize(text)[0]


class _QuietCommandFallback(logging.Filter):
    """sqlglot logs a warning when it keeps a statement as an opaque command; this module
    handles that case itself (an ``Other`` or a ``ParseError``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


_QUIET = _QuietCommandFallback()
_SQLGLOT_LOG = logging.getLogger("sqlglot")


def parse(sql: str, dialect: SqlglotDialect) -> tuple[Op, ...]:
    """The operations of one MySQL/MariaDB or SQLite statement.

    Raises ``ParseError`` when the statement cannot be read."""
    reader = _reader(dialect)
    tokens = _tokenize(reader, sql)
    if not tokens:
        return (Other(kind="comment"),)
    direct = _read_from_tokens(tokens, dialect)
    if direct is not None:
        return direct
    if toks.word(tokens[0]) == "REPLACE":  # REPLACE INTO: an INSERT that may delete first
        tokens = [_keyword(dialect, "INSERT"), *toks.command_rest(tokens, reader.tokenize)]
    tokens, found = toks.normalise(tokens, dialect, functools.partial(_keyword, dialect))
    ops: list[Op] = []
    for statement in [] if found.nothing_left else _parse_tokens(reader, tokens, sql):
        ops.extend(_statement_ops(statement, dialect, tokens, found))
    ops.extend(found.extra)
    table = next((op.table for op in ops if op.table is not None), None)
    online = found.online(table)
    return (*ops, online) if online is not None else tuple(ops)


def _tokenize(reader: Dialect, sql: str) -> list[Token]:
    try:
        return reader.tokenize(sql)
    except sqlglot.errors.TokenError as error:
        raise ParseError(str(error).splitlines()[0]) from None


def _parse_tokens(reader: Dialect, tokens: list[Token], sql: str) -> list[exp.Expr]:
    _SQLGLOT_LOG.addFilter(_QUIET)
    try:
        statements = reader.parser().parse(tokens, sql)
    except sqlglot.errors.ParseError as error:
        first = error.errors[0] if error.errors else {}
        where = f" (line {first.get('line')}, column {first.get('col')})" if first else ""
        raise ParseError(f"{first.get('description', error)}{where}") from None
    finally:
        _SQLGLOT_LOG.removeFilter(_QUIET)
    return [statement for statement in statements if statement is not None]


# Statements that change no schema and take no table lock worth a rule.
_NO_RULE = {
    "ANALYZE", "ATTACH", "BINLOG", "CACHE", "CALL", "CHECK", "CHECKSUM", "DEALLOCATE",
    "DELIMITER", "DESC", "DESCRIBE", "DETACH", "DO", "EXECUTE", "EXPLAIN", "FLUSH", "GRANT",
    "HANDLER", "HELP", "INSTALL", "KILL", "PREPARE", "PURGE", "RESET", "RESIGNAL", "REVOKE",
    "SHOW", "SIGNAL", "UNINSTALL", "UNLOCK", "UNLOCK TABLES", "USE",
}  # fmt: skip


def _read_from_tokens(tokens: list[Token], dialect: SqlglotDialect) -> tuple[Op, ...] | None:
    """Statements read from the tokens alone (sqlglot keeps them opaque or misreads them)."""
    first = toks.word(tokens[0])
    tokenize = _reader(dialect).tokenize
    if first == "RENAME" and dialect == "mysql":
        return toks.read_rename(tokens, tokenize)
    if first == "OPTIMIZE":
        return toks.read_optimize(tokens, tokenize)
    if first in ("LOCK", "LOCK TABLES") and dialect == "mysql":
        return toks.read_lock_tables(tokens, tokenize)
    if first == "CREATE":
        return toks.read_trigger(tokens)
    if first in ("SAVEPOINT", "RELEASE"):
        return (Transaction(kind="savepoint"),)
    if first == "END" and dialect == "sqlite":
        return (Transaction(kind="commit"),)
    if first == "VACUUM":
        return (TableMaintenance(kind="vacuum_full"),)
    if first == "REINDEX":
        target = toks.read_name(tokens, 1)[0] if len(tokens) > 1 else ""
        return (Reindex(target=target),)
    if first == "LOAD":
        return _load_data(tokens)
    if first in _NO_RULE:
        return (Other(kind=first.lower().replace(" ", "_")),)
    return None


def _load_data(tokens: list[Token]) -> tuple[Op, ...]:
    """``LOAD DATA ... INTO TABLE t``: a bulk insert."""
    from .ops import DataChange

    into = next((k for k, t in enumerate(tokens) if toks.word(t) == "INTO"), None)
    if into is None:
        return (Other(kind="load"),)
    at = into + 2 if into + 1 < len(tokens) and toks.word(tokens[into + 1]) == "TABLE" else into + 1
    return (DataChange(table=toks.read_name(tokens, at)[0], kind="insert_select"),)


def _statement_ops(
    statement: exp.Expr,
    dialect: SqlglotDialect,
    tokens: Sequence[Token],
    found: toks.Clauses,
) -> Iterator[Op]:
    if isinstance(statement, exp.Create):
        yield from _create(statement, dialect, found)
    elif isinstance(statement, exp.Drop):
        yield from _drop(statement, dialect)
    elif isinstance(statement, exp.Alter):
        yield from alter_table_ops(statement, dialect, found)
    elif isinstance(statement, exp.Command):
        yield _command(tokens)
    else:
        yield from other_statement_ops(statement, dialect)


def _command(tokens: Sequence[Token]) -> Op:
    """sqlglot kept the statement as an opaque command: fine for CREATE USER or CREATE
    EVENT, not for anything on a table or an index."""
    words = [toks.word(t) for t in tokens[:4]]
    if words[0] in ("ALTER", "RENAME") or {"TABLE", "INDEX"} & set(words[:3]):
        shown = " ".join(t.text for t in tokens[:5])
        raise ParseError(f"{shown} ...: not readable by the SQL parser")
    return Other(kind="_".join(w.lower() for w in words[:2] if w))


# -- CREATE ------------------------------------------------------------------------------------


def _temporary(create: exp.Create | exp.Drop) -> bool:
    if create.args.get("temporary"):
        return True
    properties = create.args.get("properties")
    return properties is not None and any(
        isinstance(p, exp.TemporaryProperty) for p in properties.expressions
    )


def _create(create: exp.Create, dialect: SqlglotDialect, found: toks.Clauses) -> Iterator[Op]:
    kind = str(create.args.get("kind") or "").upper()
    if kind == "TABLE" and not _temporary(create):
        yield from _create_table(create, dialect)
    elif kind == "INDEX":
        yield from _create_index(create, dialect, found)
    else:
        temporary = "temporary_" if _temporary(create) else ""
        yield Other(kind=f"create_{temporary}{kind.lower() or 'other'}")


def _create_table(create: exp.Create, dialect: SqlglotDialect) -> Iterator[Op]:
    target = create.this
    elements: list[exp.Expr] = []
    if isinstance(target, exp.Schema):
        elements, target = list(target.expressions), target.this
    table = fold(target)
    if create.args.get("replace"):  # MariaDB CREATE OR REPLACE TABLE drops the old one
        yield DropTable(table=table, if_exists=True)
    columns, constraints, indexes = [], [], []
    for element in elements:
        if isinstance(element, exp.ColumnDef):
            columns.append(column_def(element, dialect))
        elif isinstance(
            element, exp.Identifier
        ):  # SQLite: a column with neither type nor constraint
            columns.append(ColumnDef(name=fold(element), type=""))
        elif isinstance(element, exp.IndexColumnConstraint):
            index = _index_op(element, table, dialect)
            assert index is not None
            indexes.append(index)
        elif (constraint := constraint_def(element, dialect)) is not None:
            constraints.append(constraint)
        else:
            raise ParseError(f"CREATE TABLE {table}: {element.sql(dialect=dialect)} not analysed")
    yield CreateTable(
        table=table,
        columns=tuple(columns),
        constraints=tuple(constraints),
        if_not_exists=bool(create.args.get("exists")),
        as_select=isinstance(create.expression, exp.Query),
    )
    yield from indexes


def _create_index(create: exp.Create, dialect: SqlglotDialect, found: toks.Clauses) -> Iterator[Op]:
    index = create.this
    if not isinstance(index, exp.Index) or index.args.get("table") is None:
        raise ParseError("CREATE INDEX: the table was not read")
    table = fold(index.args["table"])
    name = fold(index.this) if index.this else None
    params = index.args.get("params")
    columns = params.args.get("columns") or () if params is not None else ()
    where = params.args.get("where") if params is not None else None
    if create.args.get("replace") and name is not None:  # MariaDB CREATE OR REPLACE INDEX
        yield DropIndex(table=table, name=name, if_exists=True)
    yield CreateIndex(
        table=table,
        name=name,
        columns=tuple(column_or_sql(c, dialect) for c in columns),
        unique=bool(create.args.get("unique")),
        if_not_exists=bool(create.args.get("exists")),
        method=found.index_method,
        where=where.this.sql(dialect=dialect) if isinstance(where, exp.Where) else None,
    )


# -- DROP --------------------------------------------------------------------------------------


def _drop(drop: exp.Drop, dialect: SqlglotDialect) -> Iterator[Op]:
    kind = str(drop.args.get("kind") or "").upper()
    targets = drop.args.get("tables") or drop.expressions
    if_exists = bool(drop.args.get("exists"))
    if kind == "TABLE" and not _temporary(drop):
        for target in targets:
            yield DropTable(
                table=fold(target), if_exists=if_exists, cascade=bool(drop.args.get("cascade"))
            )
    elif kind == "INDEX":
        on = drop.args.get("cluster")
        table = fold(on.this) if isinstance(on, exp.OnProperty) else None
        yield DropIndex(table=table, name=fold(targets[0]), if_exists=if_exists)
    elif kind in ("DATABASE", "SCHEMA"):
        yield DropSchema(name=fold(targets[0]), kind="database" if dialect == "mysql" else "schema")
    elif kind == "TRIGGER":
        yield DropTrigger(name=fold(targets[0]))
    else:
        temporary = "temporary_" if _temporary(drop) else ""
        yield Other(kind=f"drop_{temporary}{kind.lower() or 'other'}")
