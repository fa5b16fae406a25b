"""MySQL's and MariaDB's online DDL clauses (``online_form``), for changes to existing tables.

``ALGORITHM=INSTANT`` / ``ALGORITHM=INPLACE, LOCK=NONE`` keep the table readable and writable
while it changes; stated, they also make the server refuse (error 1846) rather than fall back
silently to a copy that blocks writes for as long as it takes. They are written only where
the server honours them for the operation:

- ADD COLUMN, SET/DROP DEFAULT: INSTANT (ADD from MariaDB 10.3 and MySQL 8.0.12; before,
  INPLACE with LOCK=NONE); not for a generated column or an AUTO_INCREMENT one, which fill
  every row;
- DROP COLUMN, CREATE INDEX, DROP INDEX, a unique constraint added or dropped, a foreign key
  dropped, NULL / NOT NULL: INPLACE, LOCK=NONE (a column an index covers cannot be dropped
  instantly: MariaDB refuses INSTANT there); DROP INDEX is written as ``ALTER TABLE ... DROP
  INDEX``: MariaDB takes no ALGORITHM on ``DROP INDEX ... ON``;
- none where the server would copy the table: a type change, a FULLTEXT or SPATIAL index,
  adding a foreign key (INPLACE only with ``foreign_key_checks=0``, which would skip the
  check of the rows) or a CHECK constraint. No safe form exists for those; the linter's
  finding says so in the file.

MySQL 8 takes no ``LOCK`` clause beside ``ALGORITHM=INSTANT`` (error 1221; from its manual: no MySQL
server runs here), MariaDB takes ``LOCK=NONE`` there: each server gets the spelling it takes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.operations import ops

INPLACE = "ALGORITHM=INPLACE, LOCK=NONE"


def online_form(op: ops.MigrateOperation, sql: str, facts: Any, dialect: Any) -> str:
    """``sql``, what Alembic rendered for ``op``, with the clause that keeps the table online
    on its first statement; unchanged when there is none.

    >>> online_form(DropColumnOp("users", "nick"), "ALTER TABLE users DROP COLUMN nick;\\n\\n", ...)
    'ALTER TABLE users DROP COLUMN nick, ALGORITHM=INPLACE, LOCK=NONE;\\n\\n'
    """
    from alembic.operations import ops

    first, terminator, rest = sql.partition(";\n\n")
    if not terminator:
        return sql
    if isinstance(op, ops.DropIndexOp) and first.startswith("DROP INDEX "):
        table = _table(dialect, op.schema, str(op.table_name))
        name = dialect.identifier_preparer.quote(str(op.index_name))
        return f"ALTER TABLE {table} DROP INDEX {name}, {INPLACE}{terminator}{rest}"
    if isinstance(op, ops.CreateIndexOp) and first.startswith("CREATE "):
        if op.kw.get("mysql_prefix"):  # FULLTEXT, SPATIAL: built in place, but writes wait
            return sql
        return f"{first} {INPLACE.replace(',', '')}{terminator}{rest}"
    clause = _clause(op, facts)
    if clause is None or not first.startswith("ALTER TABLE "):
        return sql
    return f"{first}, {clause}{terminator}{rest}"


def _clause(op: ops.MigrateOperation, facts: Any) -> str | None:
    from alembic.operations import ops

    if isinstance(op, ops.AddColumnOp):
        column = op.column
        if column.computed is not None or (column.primary_key and column.autoincrement is True):
            return None
        return _instant(facts, mariadb=(10, 3), mysql=(8, 0, 12))
    if isinstance(op, ops.DropColumnOp):  # not INSTANT: an indexed column cannot be
        return INPLACE
    if isinstance(op, ops.CreateUniqueConstraintOp):
        return INPLACE
    if isinstance(op, ops.DropConstraintOp) and op.constraint_type in ("unique", "foreignkey"):
        return INPLACE
    if isinstance(op, ops.AlterColumnOp) and op.modify_type is None and op.modify_name is None:
        if op.modify_nullable is None and op.modify_comment is False:  # SET/DROP DEFAULT
            return _instant(facts, mariadb=(10, 0), mysql=(8, 0))
        return INPLACE
    return None


def _instant(facts: Any, *, mariadb: tuple[int, ...], mysql: tuple[int, ...]) -> str:
    version = tuple(facts.version)
    if facts.mariadb:
        return "ALGORITHM=INSTANT, LOCK=NONE" if version >= mariadb else INPLACE
    return "ALGORITHM=INSTANT" if version >= mysql else INPLACE


def _table(dialect: Any, schema: str | None, name: str) -> str:
    preparer = dialect.identifier_preparer
    quoted = str(preparer.quote(name))
    return f"{preparer.quote_schema(schema)}.{quoted}" if schema else quoted
