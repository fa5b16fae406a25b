"""PostgreSQL statements to operations, with libpg_query (PostgreSQL's own parser, via pglast).

One call parses the statement once into libpg_query's JSON tree and reads the facts from it;
expression text (a DEFAULT, a USING) is printed from the same tree, and only an unusual
expression costs a second parse (see ``_pg_expr``).

>>> parse("CREATE INDEX CONCURRENTLY users_email ON users (email)")
(CreateIndex(table='users', name='users_email', columns=('email',), unique=False, concurrently=True, if_not_exists=False, method='btree'),)
"""  # noqa: E501

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

from pglast.parser import ParseError as PgParseError
from pglast.parser import parse_sql_json

from ._pg_data import DATA_HANDLERS
from ._pg_expr import JsonNode, expression_text, is_volatile, names, relation, type_name
from .ops import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    ColumnDef,
    ConstraintDef,
    ConstraintKind,
    CreateEnum,
    CreateIndex,
    CreateTable,
    CreateTrigger,
    DomainConstraint,
    DropColumn,
    DropConstraint,
    DropDefault,
    DropIndex,
    DropNotNull,
    DropSchema,
    DropTable,
    DropTrigger,
    EnumAddValue,
    EnumRenameValue,
    Op,
    Other,
    ParseError,
    Reindex,
    RenameColumn,
    RenameSchema,
    RenameTable,
    SetDefault,
    SetNotNull,
    TableMaintenance,
    Truncate,
    ValidateConstraint,
)

Handler = Callable[[JsonNode, "_Statement"], Iterator[Op]]


class _Statement:
    """The statement's text, for the rare expression printed from pglast's object tree."""

    def __init__(self, sql: str) -> None:
        self.sql = sql

    def text(self, expr: JsonNode) -> str:
        return expression_text(self.sql, expr)


def parse(sql: str) -> tuple[Op, ...]:
    """The operations of one PostgreSQL statement (or of several, if ``sql`` holds several).

    Raises ``ParseError`` when libpg_query cannot read it.
    """
    try:
        tree = json.loads(parse_sql_json(sql))
    except PgParseError as exc:
        message, *rest = exc.args
        where = f" (at character {rest[0] + 1})" if rest and isinstance(rest[0], int) else ""
        raise ParseError(f"{message}{where}") from None
    statement = _Statement(sql)
    ops: list[Op] = []
    for raw in tree.get("stmts", ()):
        ((kind, node),) = raw["stmt"].items()
        handler = _HANDLERS.get(kind)
        ops.extend(handler(node, statement) if handler else (Other(kind=_other_kind(kind)),))
    return tuple(ops)


_OTHER_KINDS = {
    "ViewStmt": "create_view",
    "CreateSeqStmt": "create_sequence",
    "AlterSeqStmt": "alter_sequence",
    "CompositeTypeStmt": "create_type",
    "CreateRangeStmt": "create_type",
    "DefineStmt": "create_aggregate_or_operator",
    "CreatePLangStmt": "create_language",
    "CreateForeignTableStmt": "create_foreign_table",
}


def _other_kind(node_type: str) -> str:
    """``"CreateFunctionStmt"`` -> ``"create_function"``, ``"ViewStmt"`` -> ``"create_view"``."""
    known = _OTHER_KINDS.get(node_type)
    if known is not None:
        return known
    words = "".join("_" + ch.lower() if ch.isupper() else ch for ch in node_type)
    return words.strip("_").removesuffix("_stmt")


# -- columns and constraints --------------------------------------------------------------------


def _column(node: JsonNode, statement: _Statement) -> ColumnDef:
    column_type, serial = type_name(node["typeName"])
    facts: dict[str, Any] = {"identity": serial, "serial": serial, "volatile_default": serial}
    if serial:
        facts["nullable"] = False
    for item in node.get("constraints", ()):
        constraint = item["Constraint"]
        contype = constraint["contype"]
        if contype == "CONSTR_NOTNULL":
            facts["nullable"] = False
        elif contype == "CONSTR_NULL":
            facts["nullable"] = True
        elif contype == "CONSTR_DEFAULT":
            facts["default"] = statement.text(constraint["raw_expr"])
            facts["volatile_default"] = is_volatile(constraint["raw_expr"])
        elif contype == "CONSTR_IDENTITY":
            facts["identity"] = True
            facts["nullable"] = False
        elif contype == "CONSTR_GENERATED":
            facts["generated"] = "virtual" if constraint.get("generated_kind") == "v" else "stored"
        elif contype == "CONSTR_PRIMARY":
            facts["primary_key"] = True
            facts["nullable"] = False
        elif contype == "CONSTR_UNIQUE":
            facts["unique"] = True
        elif contype == "CONSTR_FOREIGN":
            facts["references"] = relation(constraint["pktable"])
        elif contype == "CONSTR_CHECK":
            facts["check"] = True
    return ColumnDef(name=node["colname"], type=column_type, **facts)


_CONSTRAINT_KINDS: dict[str, ConstraintKind] = {
    "CONSTR_FOREIGN": "fk",
    "CONSTR_CHECK": "check",
    "CONSTR_UNIQUE": "unique",
    "CONSTR_PRIMARY": "primary",
    "CONSTR_EXCLUSION": "exclude",
}


def _constraint(node: JsonNode, statement: _Statement | None = None) -> ConstraintDef | None:
    """A constraint; with ``statement`` (ALTER TABLE ... ADD), a CHECK's expression text."""
    kind = _CONSTRAINT_KINDS.get(node["contype"])
    if kind is None:
        return None
    if kind == "fk":
        columns = _strings(node.get("fk_attrs"))
    elif kind == "exclude":
        columns = tuple(
            pair["List"]["items"][0]["IndexElem"].get("name", "")
            for pair in node.get("exclusions", ())
        )
    elif kind == "check":
        columns = tuple(dict.fromkeys(_column_refs(node.get("raw_expr"))))
    else:
        columns = _strings(node.get("keys"))
    return ConstraintDef(
        kind=kind,
        name=node.get("conname"),
        columns=columns,
        references=relation(node["pktable"]) if kind == "fk" else None,
        not_valid=bool(node.get("skip_validation")),
        using_index=node.get("indexname"),
        proves_not_null=_not_null_column(node.get("raw_expr")) if kind == "check" else None,
        ref_columns=_strings(node.get("pk_attrs")) if kind == "fk" else (),
        expression=statement.text(node["raw_expr"])
        if statement is not None and kind == "check" and node.get("raw_expr")
        else None,
    )


def _not_null_column(expr: JsonNode | None) -> str | None:
    """The column of ``CHECK (col IS NOT NULL)``."""
    test = (expr or {}).get("NullTest")
    if test is None or test.get("nulltesttype") != "IS_NOT_NULL":
        return None
    fields = test["arg"].get("ColumnRef", {}).get("fields", ())
    return fields[-1]["String"]["sval"] if fields and "String" in fields[-1] else None


def _column_refs(expr: Any) -> Iterator[str]:
    """The column names an expression reads (the last part of each column reference)."""
    if isinstance(expr, list):
        for item in expr:
            yield from _column_refs(item)
    elif isinstance(expr, dict):
        ref = expr.get("ColumnRef")
        if ref is not None:
            if "String" in ref["fields"][-1]:
                yield ref["fields"][-1]["String"]["sval"]
            return
        for value in expr.values():
            yield from _column_refs(value)


def _strings(items: list[JsonNode] | None) -> tuple[str, ...]:
    return tuple(item["String"]["sval"] for item in items or ())


# -- tables -------------------------------------------------------------------------------------


def _create_table(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    columns: list[ColumnDef] = []
    constraints: list[ConstraintDef] = []
    for element in node.get("tableElts", ()):
        if "ColumnDef" in element:
            columns.append(_column(element["ColumnDef"], statement))
            constraints.extend(_inline_checks(element["ColumnDef"]))
        elif "Constraint" in element:
            constraint = _constraint(element["Constraint"])
            if constraint is not None:
                constraints.append(constraint)
    yield CreateTable(
        table=relation(node["relation"]),
        columns=tuple(columns),
        constraints=tuple(constraints),
        if_not_exists=bool(node.get("if_not_exists")),
    )


def _inline_checks(column: JsonNode) -> Iterator[ConstraintDef]:
    for item in column.get("constraints", ()):
        if item["Constraint"]["contype"] == "CONSTR_CHECK":
            check = _constraint(item["Constraint"])
            if check is not None:
                columns = tuple(dict.fromkeys((column["colname"], *check.columns)))
                yield dataclasses.replace(check, columns=columns)


def _create_table_as(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    table = relation(node["into"]["rel"])
    if node.get("objtype") == "OBJECT_MATVIEW":
        yield Other(table=table, kind="create_materialized_view")
        return
    yield CreateTable(table=table, as_select=True, if_not_exists=bool(node.get("if_not_exists")))


def _drop(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    remove = node["removeType"]
    cascade = node.get("behavior") == "DROP_CASCADE"
    if_exists = bool(node.get("missing_ok"))
    for obj in node.get("objects", ()):
        name = names(obj["List"]["items"]) if "List" in obj else names([obj])
        if remove == "OBJECT_TABLE":
            yield DropTable(table=name, if_exists=if_exists, cascade=cascade)
        elif remove == "OBJECT_INDEX":
            concurrently = bool(node.get("concurrent"))
            yield DropIndex(name=name, concurrently=concurrently, if_exists=if_exists)
        elif remove == "OBJECT_SCHEMA":
            yield DropSchema(name=name, cascade=cascade)
        elif remove == "OBJECT_TRIGGER":  # (table.trigger)
            yield DropTrigger(table=name.rpartition(".")[0], name=name.rpartition(".")[2])
        else:
            yield Other(kind="drop_" + remove.removeprefix("OBJECT_").lower())


def _drop_database(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    yield DropSchema(name=node["dbname"], kind="database")


def _truncate(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    cascade = node.get("behavior") == "DROP_CASCADE"
    for item in node["relations"]:
        yield Truncate(table=relation(item["RangeVar"]), cascade=cascade)


def _rename(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    rename, new_name = node["renameType"], node["newname"]
    if rename == "OBJECT_TABLE":
        yield RenameTable(table=relation(node["relation"]), new_name=new_name)
    elif rename == "OBJECT_COLUMN" and node.get("relationType") == "OBJECT_TABLE":
        table = relation(node["relation"])
        yield RenameColumn(table=table, column=node["subname"], new_name=new_name)
    elif rename == "OBJECT_SCHEMA":
        yield RenameSchema(name=node["subname"], new_name=new_name)
    else:
        yield Other(kind="rename_" + rename.removeprefix("OBJECT_").lower())


# -- ALTER TABLE --------------------------------------------------------------------------------

_MAINTENANCE = {
    "AT_SetLogged": "set_logged",
    "AT_SetUnLogged": "set_unlogged",
    "AT_SetTableSpace": "set_tablespace",
    "AT_SetAccessMethod": "set_access_method",
    "AT_SetStatistics": "set_statistics",
    "AT_AttachPartition": "attach_partition",
    "AT_DetachPartition": "detach_partition",
}
_TRIGGER_SUBTYPES = {
    "AT_EnableTrig",
    "AT_EnableAlwaysTrig",
    "AT_EnableReplicaTrig",
    "AT_DisableTrig",
    "AT_EnableTrigAll",
    "AT_DisableTrigAll",
    "AT_EnableTrigUser",
    "AT_DisableTrigUser",
}


def _alter_table(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    objtype = node.get("objtype", "OBJECT_TABLE")
    table = relation(node["relation"])
    if objtype not in {"OBJECT_TABLE", "OBJECT_FOREIGN_TABLE"}:
        yield Other(table=table, kind="alter_" + objtype.removeprefix("OBJECT_").lower())
        return
    for item in node["cmds"]:
        yield _alter_command(table, item["AlterTableCmd"], statement)


def _alter_command(table: str, cmd: JsonNode, statement: _Statement) -> Op:
    subtype, column = cmd["subtype"], cmd.get("name", "")
    definition: JsonNode = cmd.get("def", {})
    if subtype == "AT_AddColumn":
        column_def = _column(definition["ColumnDef"], statement)
        return AddColumn(table=table, column=column_def, if_not_exists=bool(cmd.get("missing_ok")))
    if subtype == "AT_DropColumn":
        return DropColumn(table=table, column=column, if_exists=bool(cmd.get("missing_ok")))
    if subtype == "AT_AlterColumnType":
        new_type = type_name(definition["ColumnDef"]["typeName"])[0]
        using = definition["ColumnDef"].get("raw_default")
        using_text = statement.text(using) if using else None
        collation = definition["ColumnDef"].get("collClause", {}).get("collname")
        return AlterColumnType(
            table=table,
            column=column,
            new_type=new_type,
            using=using_text,
            collation=".".join(n["String"]["sval"] for n in collation) if collation else None,
        )
    if subtype == "AT_SetNotNull":
        return SetNotNull(table=table, column=column)
    if subtype == "AT_DropNotNull":
        return DropNotNull(table=table, column=column)
    if subtype == "AT_ColumnDefault":
        if not definition:
            return DropDefault(table=table, column=column)
        text, volatile = statement.text(definition), is_volatile(definition)
        return SetDefault(table=table, column=column, default=text, volatile=volatile)
    if subtype == "AT_AddConstraint":
        constraint = _constraint(definition["Constraint"], statement)
        if constraint is not None:
            return AddConstraint(table=table, constraint=constraint)
    if subtype == "AT_ValidateConstraint":
        return ValidateConstraint(table=table, name=column)
    if subtype == "AT_DropConstraint":
        if_exists = bool(cmd.get("missing_ok"))
        return DropConstraint(table=table, name=column, if_exists=if_exists)
    if subtype in _MAINTENANCE:
        concurrently = bool(definition.get("PartitionCmd", {}).get("concurrent"))
        kind: Any = _MAINTENANCE[subtype]
        return TableMaintenance(table=table, kind=kind, concurrently=concurrently)
    if subtype in _TRIGGER_SUBTYPES:
        return TableMaintenance(table=table, kind="enable_disable_trigger")
    return Other(table=table, kind="alter_table_" + subtype.removeprefix("AT_").lower())


# -- indexes and maintenance --------------------------------------------------------------------


def _create_index(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    columns = []
    for param in node.get("indexParams", ()):
        element = param["IndexElem"]
        columns.append(element.get("name") or statement.text(element["expr"]))
    yield CreateIndex(
        table=relation(node["relation"]),
        name=node.get("idxname"),
        columns=tuple(columns),
        unique=bool(node.get("unique")),
        concurrently=bool(node.get("concurrent")),
        if_not_exists=bool(node.get("if_not_exists")),
        method=node.get("accessMethod"),
        where=statement.text(node["whereClause"]) if node.get("whereClause") else None,
    )


def _reindex(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    concurrently = any(
        param["DefElem"]["defname"] == "concurrently" for param in node.get("params", ())
    )
    target = relation(node["relation"]) if "relation" in node else node.get("name", "")
    table = target if node["kind"] == "REINDEX_OBJECT_TABLE" else None
    yield Reindex(table=table, target=target, concurrently=concurrently)


def _vacuum(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    options = {option["DefElem"]["defname"] for option in node.get("options", ())}
    if not node.get("is_vacuumcmd"):
        yield Other(kind="analyze")
    elif "full" not in options:
        yield Other(kind="vacuum")
    elif not node.get("rels"):
        yield TableMaintenance(kind="vacuum_full")
    else:
        for rel in node["rels"]:
            table = relation(rel["VacuumRelation"]["relation"])
            yield TableMaintenance(table=table, kind="vacuum_full")


def _cluster(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    table = relation(node["relation"]) if "relation" in node else None
    yield TableMaintenance(table=table, kind="cluster")


def _refresh(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    yield TableMaintenance(
        table=relation(node["relation"]),
        kind="refresh_materialized_view",
        concurrently=bool(node.get("concurrent")),
    )


_LOCK_MODES = (
    "",
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "SHARE",
    "SHARE ROW EXCLUSIVE",
    "EXCLUSIVE",
    "ACCESS EXCLUSIVE",
)


def _lock(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    mode = _LOCK_MODES[node.get("mode", 8)]
    for item in node["relations"]:
        yield TableMaintenance(table=relation(item["RangeVar"]), kind="lock_table", mode=mode)


def _create_trigger(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    yield CreateTrigger(table=relation(node["relation"]), name=node.get("trigname"))


# -- types and domains --------------------------------------------------------------------------


def _create_enum(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    yield CreateEnum(name=names(node["typeName"]), values=_strings(node.get("vals")))


def _alter_enum(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    name = names(node["typeName"])
    if node.get("oldVal"):
        yield EnumRenameValue(name=name, value=node["oldVal"], new_value=node["newVal"])
        return
    yield EnumAddValue(
        name=name,
        value=node["newVal"],
        positioned="newValNeighbor" in node,
        if_not_exists=bool(node.get("skipIfNewValExists")),
    )


def _create_domain(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    name = names(node["domainname"])
    checks = [
        item["Constraint"]
        for item in node.get("constraints", ())
        if item["Constraint"]["contype"] == "CONSTR_CHECK"
    ]
    if checks:
        yield DomainConstraint(name=name, new_domain=True)
    else:
        yield Other(kind="create_domain")


def _alter_domain(node: JsonNode, statement: _Statement) -> Iterator[Op]:
    constraint = node.get("def", {}).get("Constraint", {})
    if node["subtype"] == "C" and constraint.get("contype") == "CONSTR_CHECK":
        not_valid = bool(constraint.get("skip_validation"))
        yield DomainConstraint(name=names(node["typeName"]), not_valid=not_valid)
    else:
        yield Other(kind="alter_domain")


_HANDLERS: dict[str, Handler] = {
    "CreateStmt": _create_table,
    "CreateTableAsStmt": _create_table_as,
    "DropStmt": _drop,
    "DropdbStmt": _drop_database,
    "TruncateStmt": _truncate,
    "RenameStmt": _rename,
    "AlterTableStmt": _alter_table,
    "IndexStmt": _create_index,
    "ReindexStmt": _reindex,
    "VacuumStmt": _vacuum,
    "ClusterStmt": _cluster,
    "RefreshMatViewStmt": _refresh,
    "LockStmt": _lock,
    "CreateTrigStmt": _create_trigger,
    "CreateEnumStmt": _create_enum,
    "AlterEnumStmt": _alter_enum,
    "CreateDomainStmt": _create_domain,
    "AlterDomainStmt": _alter_domain,
    **DATA_HANDLERS,
}
