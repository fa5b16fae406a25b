"""sqlglot nodes to ``ops`` values: names, column types, column and constraint definitions.

Shared by the MySQL/MariaDB and SQLite readers (``parse_sqlglot``)."""

from __future__ import annotations

from typing import Literal

from sqlglot import exp

from .ops import ColumnDef, ConstraintDef, CreateIndex, ParseError

SqlglotDialect = Literal["mysql", "sqlite"]

_T = exp.DataType.Type
# sqlglot folds UNSIGNED into the type; ops spell it as MySQL does
_UNSIGNED = {
    _T.UTINYINT: "tinyint",
    _T.USMALLINT: "smallint",
    _T.UMEDIUMINT: "mediumint",
    _T.UINT: "int",
    _T.UBIGINT: "bigint",
    _T.UDECIMAL: "decimal",
    _T.UDOUBLE: "double",
}
_INTEGERS = {_T.TINYINT, _T.SMALLINT, _T.MEDIUMINT, _T.INT, _T.BIGINT, *_UNSIGNED}
# MySQL synonyms sqlglot keeps apart: BOOLEAN is TINYINT(1), NVARCHAR is VARCHAR
_MYSQL_SYNONYMS = {_T.BOOLEAN: "tinyint", _T.NVARCHAR: "varchar", _T.NCHAR: "char"}


def fold(node: exp.Expr | None) -> str:
    """An identifier as ``ops`` names it: unquoted folded to lower case, quoted kept."""
    if node is None:
        raise ParseError("a name was expected")
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else str(node.this).lower()
    if isinstance(node, exp.Column | exp.Table):
        return ".".join(fold(part) for part in node.parts)
    if isinstance(node, exp.Ordered):
        return fold(node.this)
    return node.name.lower()


def column_or_sql(node: exp.Expr, dialect: SqlglotDialect) -> str:
    """A key part: the column's name, or an expression's SQL text (``lower(email)``)."""
    if isinstance(node, exp.Ordered):
        node = node.this
    if isinstance(node, exp.ColumnPrefix):  # MySQL key prefix: name(10)
        node = node.this
    if isinstance(node, exp.Identifier | exp.Column):
        return fold(node)
    return node.sql(dialect=dialect)


def type_text(node: exp.DataType | None, dialect: SqlglotDialect) -> str:
    """The normalised type: ``int``, ``bigint unsigned``, ``varchar(255)``, ``enum('a','b')``;
    "" for an SQLite column declared without a type. MySQL's integer display widths
    (``int(11)``) are dropped: they change neither storage nor range."""
    if node is None:
        return ""
    kind = node.this
    if kind == _T.USERDEFINED:
        base = str(node.args.get("kind") or "").lower()
    elif dialect == "mysql" and kind in _MYSQL_SYNONYMS:
        base = _MYSQL_SYNONYMS[kind]
    else:
        base = _UNSIGNED.get(kind, str(kind.value).lower())
    params = node.expressions
    if params and not (dialect == "mysql" and kind in _INTEGERS):
        base += "(" + ",".join(_param(p, dialect) for p in params) + ")"
    return base + (" unsigned" if kind in _UNSIGNED else "")


def _param(node: exp.Expr, dialect: SqlglotDialect) -> str:
    if isinstance(node, exp.DataTypeParam):
        node = node.this
    return node.sql(dialect=dialect).lower() if not node.is_string else node.sql(dialect=dialect)


def _volatile(default: exp.Expr, dialect: SqlglotDialect) -> bool:
    """Whether a default is an expression evaluated per row: MySQL's ``(expr)`` defaults
    (8.0.13+); SQLite's ``(expr)`` and CURRENT_* (ADD COLUMN refuses those)."""
    if isinstance(default, exp.Paren):
        return True
    return dialect == "sqlite" and isinstance(
        default, exp.CurrentTimestamp | exp.CurrentDate | exp.CurrentTime
    )


def column_def(node: exp.ColumnDef, dialect: SqlglotDialect) -> ColumnDef:
    """A column definition of CREATE TABLE, ADD COLUMN, MODIFY or CHANGE."""
    kind = node.args.get("kind")
    fields: dict[str, object] = {"name": fold(node.this), "type": type_text(kind, dialect)}
    if kind is not None and kind.this == _T.SERIAL and dialect == "mysql":
        # BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE
        fields.update(type="bigint unsigned", identity=True, nullable=False, unique=True)
    for constraint in node.constraints:
        fields.update(_column_constraint(constraint.kind, dialect))
    if fields.get("primary_key") and dialect == "mysql":
        fields["nullable"] = False
    return ColumnDef(**fields)  # type: ignore[arg-type]


def _column_constraint(kind: exp.Expr, dialect: SqlglotDialect) -> dict[str, object]:
    if isinstance(kind, exp.NotNullColumnConstraint):
        return {"nullable": bool(kind.args.get("allow_null"))}
    if isinstance(kind, exp.DefaultColumnConstraint):
        default = kind.this
        return {
            "default": default.sql(dialect=dialect),
            "volatile_default": _volatile(default, dialect),
        }
    if isinstance(kind, exp.AutoIncrementColumnConstraint):
        return {"identity": True}
    if isinstance(kind, exp.ComputedColumnConstraint):
        return {"generated": "stored" if kind.args.get("persisted") else "virtual"}
    if isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
        # MySQL/SQLite GENERATED ALWAYS AS (expr) without STORED: virtual
        return {"generated": "virtual"} if kind.args.get("expression") else {"identity": True}
    if isinstance(kind, exp.PrimaryKeyColumnConstraint):
        return {"primary_key": True}
    if isinstance(kind, exp.UniqueColumnConstraint):
        return {"unique": True}
    if isinstance(kind, exp.CheckColumnConstraint):
        return {"check": True}
    if isinstance(kind, exp.Reference):
        return {"references": _referenced_table(kind)}
    return {}  # CHARACTER SET, COLLATE, COMMENT, ON UPDATE, INVISIBLE...: no lock fact


def _referenced_table(reference: exp.Reference) -> str:
    target = reference.this
    if isinstance(target, exp.Schema):
        target = target.this
    return fold(target)


def _proves_not_null(check: exp.Expr) -> str | None:
    """``CHECK (col IS NOT NULL)``: the column."""
    inner = check.this
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if isinstance(inner, exp.Not) and isinstance(inner.this, exp.Is):
        subject, value = inner.this.this, inner.this.expression
        if isinstance(subject, exp.Column) and isinstance(value, exp.Null):
            return fold(subject.this)
    return None


def _names(nodes: list[exp.Expr], dialect: SqlglotDialect) -> tuple[str, ...]:
    return tuple(column_or_sql(n, dialect) for n in nodes)


def constraint_def(
    node: exp.Expr, dialect: SqlglotDialect, name: str | None = None
) -> ConstraintDef | None:
    """A table constraint (CREATE TABLE element, ADD CONSTRAINT); None for a plain index."""
    if isinstance(node, exp.Constraint):
        inner = node.expressions[0] if node.expressions else None
        return None if inner is None else constraint_def(inner, dialect, fold(node.this))
    if isinstance(node, exp.PrimaryKey):
        return ConstraintDef(kind="primary", name=name, columns=_names(node.expressions, dialect))
    if isinstance(node, exp.ForeignKey):
        reference = node.args.get("reference")
        target = reference.this if reference else None
        return ConstraintDef(
            kind="fk",
            name=name,
            columns=_names(node.expressions, dialect),
            references=_referenced_table(reference) if reference else None,
            ref_columns=_names(target.expressions, dialect)
            if isinstance(target, exp.Schema)
            else (),
        )
    if isinstance(node, exp.CheckColumnConstraint):
        return ConstraintDef(
            kind="check",
            name=name,
            proves_not_null=_proves_not_null(node),
            expression=node.this.sql(dialect=dialect),
        )
    if isinstance(node, exp.UniqueColumnConstraint):
        target = node.this
        columns = _names(target.expressions, dialect) if isinstance(target, exp.Schema) else ()
        own = target.this if isinstance(target, exp.Schema) else None
        return ConstraintDef(
            kind="unique", name=name or (fold(own) if own is not None else None), columns=columns
        )
    return None


def index_op(node: exp.Expr, table: str, dialect: SqlglotDialect) -> CreateIndex | None:
    """MySQL ``INDEX``/``KEY``/``FULLTEXT``/``SPATIAL``/``UNIQUE [INDEX]`` of CREATE TABLE or
    ALTER TABLE ADD: an index, not a constraint."""
    if isinstance(node, exp.IndexColumnConstraint):
        name = node.this
        kind = node.args.get("kind")
        return CreateIndex(
            table=table,
            name=fold(name) if name is not None else None,
            columns=_names(node.expressions, dialect),
            method=str(kind).lower() if kind else _using(node),
        )
    if isinstance(node, exp.UniqueColumnConstraint):
        unique = constraint_def(node, dialect)
        assert unique is not None
        return CreateIndex(table=table, name=unique.name, columns=unique.columns, unique=True)
    return None


def _using(node: exp.IndexColumnConstraint) -> str | None:
    for option in node.args.get("options") or ():
        using = option.args.get("using")
        if using:
            return str(using).lower()
    return None
