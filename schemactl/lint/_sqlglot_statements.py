"""sqlglot's ALTER TABLE, data, transaction and setting statements to operations."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from . import _sqlglot_tokens as toks
from ._sqlglot_columns import SqlglotDialect, column_def, constraint_def, fold, index_op
from .ops import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    ConstraintKind,
    DataChange,
    DropColumn,
    DropConstraint,
    DropDefault,
    DropIndex,
    DropNotNull,
    Op,
    Other,
    ParseError,
    RenameColumn,
    RenameTable,
    SetDefault,
    SetNotNull,
    SetOption,
    TableMaintenance,
    Transaction,
    Truncate,
)

# -- ALTER TABLE -------------------------------------------------------------------------------


def alter_table_ops(alter: exp.Alter, dialect: SqlglotDialect, found: toks.Clauses) -> Iterator[Op]:
    """One operation per action; ALGORITHM= and LOCK= go to ``found`` (one OnlineClause for
    the statement)."""
    kind = str(alter.args.get("kind") or "").upper()
    if kind != "TABLE":
        yield Other(kind=f"alter_{kind.lower() or 'other'}")
        return
    table = fold(alter.this)
    said = False
    for option in alter.args.get("options") or ():
        said = True
        yield from _table_option(option, table, found)
    for action in alter.args.get("actions") or ():
        said = True
        yield from _action(action, table, dialect)
    if not said and not found.extra:
        yield Other(table=table, kind="alter_table")


def _table_option(option: exp.Expr, table: str, found: toks.Clauses) -> Iterator[Op]:
    if isinstance(option, exp.AlgorithmProperty):
        found.algorithm = option.name.upper()
    elif isinstance(option, exp.LockProperty):
        found.lock = option.name.upper()
    elif isinstance(option, exp.EngineProperty | exp.Order):
        # ENGINE=... (even the same engine) and ORDER BY copy the table
        yield TableMaintenance(table=table, kind="rebuild")
    else:  # COMMENT=, AUTO_INCREMENT=, DEFAULT CHARSET= (new columns only): metadata
        yield Other(table=table, kind="alter_table_option")


def _action(action: exp.Expr, table: str, dialect: SqlglotDialect) -> Iterator[Op]:
    if isinstance(action, exp.ColumnDef):
        yield AddColumn(
            table=table,
            column=column_def(action, dialect),
            if_not_exists=bool(action.args.get("exists")),
        )
    elif isinstance(action, exp.ModifyColumn):
        yield from _modify(action, table, dialect)
    elif isinstance(action, exp.RenameColumn):
        yield RenameColumn(table=table, column=fold(action.this), new_name=fold(action.args["to"]))
    elif isinstance(action, exp.AddConstraint):
        for element in action.expressions:
            yield _added(element, table, dialect)
    elif isinstance(action, exp.Drop):
        yield _dropped(action, table)
    elif isinstance(action, exp.DropPrimaryKey):
        yield DropConstraint(table=table, name=None, kind="primary")
    elif isinstance(action, exp.AlterColumn):
        yield _alter_column(action, table, dialect)
    elif isinstance(action, exp.AlterRename):
        yield RenameTable(table=table, new_name=fold(action.this))
    elif isinstance(action, exp.RenameIndex | exp.AlterIndex):
        yield Other(
            table=table,
            kind="rename_index" if isinstance(action, exp.RenameIndex) else "alter_index",
        )
    elif isinstance(action, exp.ForceProperty):
        yield TableMaintenance(table=table, kind="rebuild")
    else:
        raise ParseError(f"ALTER TABLE {table}: {action.sql(dialect=dialect)} not analysed")


def _modify(action: exp.ModifyColumn, table: str, dialect: SqlglotDialect) -> Iterator[Op]:
    """MODIFY/CHANGE restate the whole column: its type (the schema model knows whether it
    differs), its nullability and its default, each as the new definition says."""
    definition = column_def(action.this, dialect)
    renamed_from = action.args.get("rename_from")
    old = fold(renamed_from) if renamed_from is not None else definition.name
    column = definition.name
    if old != column:
        yield RenameColumn(table=table, column=old, new_name=column)
    yield AlterColumnType(
        table=table, column=column, new_type=definition.type, definition=definition
    )
    yield (
        DropNotNull(table=table, column=column)
        if definition.nullable
        else SetNotNull(table=table, column=column)
    )
    if definition.default is None:
        yield DropDefault(table=table, column=column)
    else:
        yield SetDefault(
            table=table,
            column=column,
            default=definition.default,
            volatile=definition.volatile_default,
        )


def _added(element: exp.Expr, table: str, dialect: SqlglotDialect) -> Op:
    if not isinstance(element, exp.Constraint):
        index = index_op(element, table, dialect)
        if index is not None:
            return index
    constraint = constraint_def(element, dialect)
    if constraint is None:
        raise ParseError(f"ALTER TABLE {table} ADD {element.sql(dialect=dialect)} not analysed")
    return AddConstraint(table=table, constraint=constraint)


_DROPPED_KINDS: dict[str, ConstraintKind] = {
    "FOREIGN KEY": "fk",
    "CHECK": "check",
    "PRIMARY KEY": "primary",
}


def _dropped(action: exp.Drop, table: str) -> Op:
    kind = str(action.args.get("kind") or "").upper()
    targets = action.args.get("tables") or action.expressions
    name = fold(targets[0]) if targets else None
    if_exists = bool(action.args.get("exists"))
    if kind == "COLUMN" and name is not None:
        return DropColumn(table=table, column=name, if_exists=if_exists)
    if kind in ("INDEX", "KEY") and name is not None:
        return DropIndex(table=table, name=name, if_exists=if_exists)
    if kind in ("FOREIGN KEY", "CHECK", "CONSTRAINT", "PRIMARY KEY"):
        return DropConstraint(
            table=table, name=name, kind=_DROPPED_KINDS.get(kind), if_exists=if_exists
        )
    raise ParseError(f"ALTER TABLE {table} DROP {kind} not analysed")


def _alter_column(action: exp.AlterColumn, table: str, dialect: SqlglotDialect) -> Op:
    column = fold(action.this)
    default = action.args.get("default")
    if default is not None:
        return SetDefault(
            table=table,
            column=column,
            default=default.sql(dialect=dialect),
            volatile=isinstance(default, exp.Paren),
        )
    allow_null = action.args.get("allow_null")
    if allow_null is not None:  # SQLite (draft) ALTER COLUMN SET/DROP NOT NULL
        return (
            DropNotNull(table=table, column=column)
            if allow_null
            else SetNotNull(table=table, column=column)
        )
    if action.args.get("drop"):
        return DropDefault(table=table, column=column)
    if action.args.get("dtype") is not None:
        from ._sqlglot_columns import type_text

        return AlterColumnType(
            table=table, column=column, new_type=type_text(action.args["dtype"], dialect)
        )
    if action.args.get("visible") is not None:  # MySQL SET VISIBLE/INVISIBLE: metadata
        return Other(table=table, kind="alter_column_visibility")
    raise ParseError(f"ALTER TABLE {table} ALTER COLUMN {column}: not analysed")


# -- data, transactions, settings, the rest ----------------------------------------------------


def other_statement_ops(statement: exp.Expr, dialect: SqlglotDialect) -> Iterator[Op]:
    if isinstance(statement, exp.TruncateTable):
        for table in statement.expressions:
            yield Truncate(table=fold(table))
    elif isinstance(statement, exp.Insert):
        yield _insert(statement)
    elif isinstance(statement, exp.Update | exp.Delete):
        yield _update_or_delete(statement)
    elif isinstance(statement, exp.Transaction):
        yield Transaction(kind="begin")
    elif isinstance(statement, exp.Commit):
        yield Transaction(kind="commit")
    elif isinstance(statement, exp.Rollback):
        yield Transaction(kind="savepoint" if statement.args.get("savepoint") else "rollback")
    elif isinstance(statement, exp.Set):
        for item in statement.expressions:
            yield _set_item(item, dialect)
    elif isinstance(statement, exp.Pragma):
        yield _pragma(statement, dialect)
    elif isinstance(statement, exp.Query):
        yield Other(kind="select")
    elif isinstance(
        statement, exp.Grant | exp.Revoke | exp.Use | exp.Show | exp.Analyze | exp.Describe
    ):
        yield Other(kind=type(statement).__name__.lower())
    else:
        raise ParseError(f"{type(statement).__name__} statement not analysed")


def _insert(statement: exp.Insert) -> Op:
    target, columns = statement.this, None
    if isinstance(target, exp.Schema):
        target, columns = target.this, tuple(c.name for c in target.expressions) or None
    source = statement.expression
    if isinstance(source, exp.Query) and not isinstance(source, exp.Values):
        return DataChange(table=fold(target), kind="insert_select", columns=columns)
    return DataChange(table=fold(target), kind="insert")


def _update_or_delete(statement: exp.Update | exp.Delete) -> Op:
    target = statement.this
    if isinstance(target, exp.Join | exp.Alias):
        target = target.this
    table = fold(target) if isinstance(target, exp.Table) else None
    has_where = statement.args.get("where") is not None
    if isinstance(statement, exp.Update):
        return DataChange(table=table, kind="update", has_where=has_where)
    return DataChange(table=table, kind="delete", has_where=has_where)


def _value(node: exp.Expr, dialect: SqlglotDialect) -> str:
    if isinstance(node, exp.Literal | exp.Column | exp.Var | exp.Identifier):
        return node.name
    return node.sql(dialect=dialect)


def _set_item(item: exp.Expr, dialect: SqlglotDialect) -> Op:
    """``SET [SESSION] name = value``, ``SET @@session.name = value``; GLOBAL and PERSIST
    settings do not apply to the migration's own session."""
    scope = str(item.args.get("kind") or "").upper()
    assignment = item.this
    if scope in ("GLOBAL", "PERSIST", "PERSIST_ONLY") or not isinstance(assignment, exp.EQ):
        return Other(kind="set_" + (scope.lower() or "other"))
    target = assignment.this
    if isinstance(target, exp.SessionParameter):
        if str(target.args.get("kind") or "session").lower() != "session":
            return Other(kind="set_global")
        name = target.name.lower()
    elif isinstance(target, exp.Parameter):
        name = "@" + target.name.lower()  # a user variable
    else:
        name = target.name.lower()
    return SetOption(name=name, value=_value(assignment.expression, dialect))


# PRAGMAs that query rather than set (PRAGMA table_info(t) looks like an assignment)
_PRAGMA_QUERIES = {
    "foreign_key_check", "foreign_key_list", "index_info", "index_list", "index_xinfo",
    "integrity_check", "quick_check", "table_info", "table_list", "table_xinfo",
}  # fmt: skip


def _pragma(statement: exp.Pragma, dialect: SqlglotDialect) -> Op:
    """SQLite ``PRAGMA [schema.]name = value``: a setting (foreign_keys, legacy_alter_table)."""
    body = statement.this
    if not isinstance(body, exp.EQ):
        return Other(kind="pragma")
    target = body.this
    name = (target.expression if isinstance(target, exp.Dot) else target).name.lower()
    if name in _PRAGMA_QUERIES:
        return Other(kind="pragma")
    return SetOption(name=name, value=_value(body.expression, dialect).lower())
