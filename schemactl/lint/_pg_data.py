"""PostgreSQL's data, transaction and setting statements to operations: the handlers of
``parse_postgresql`` for INSERT, UPDATE, DELETE, MERGE, SELECT (INTO), BEGIN/COMMIT/... and
SET."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from ._pg_expr import JsonNode, relation
from .ops import CreateTable, DataChange, Op, Other, SetOption, Transaction


class Statement(Protocol):
    def text(self, expr: JsonNode) -> str:
        """The SQL text of a node of the statement's tree."""
        ...


def _insert(node: JsonNode, statement: Statement) -> Iterator[Op]:
    table = relation(node["relation"])
    select = node.get("selectStmt", {}).get("SelectStmt")
    if select is None or "valuesLists" in select:
        yield DataChange(table=table, kind="insert")
    else:
        columns = tuple(target["ResTarget"]["name"] for target in node.get("cols", []))
        where = "whereClause" in select
        yield DataChange(
            table=table, kind="insert_select", has_where=where, columns=columns or None
        )


def _update(node: JsonNode, statement: Statement) -> Iterator[Op]:
    table = relation(node["relation"])
    yield DataChange(table=table, kind="update", has_where="whereClause" in node)


def _delete(node: JsonNode, statement: Statement) -> Iterator[Op]:
    table = relation(node["relation"])
    yield DataChange(table=table, kind="delete", has_where="whereClause" in node)


def _merge(node: JsonNode, statement: Statement) -> Iterator[Op]:
    # MERGE's ON condition is its WHERE: it touches only the rows the join matches.
    yield DataChange(table=relation(node["relation"]), kind="merge")


_TRANSACTIONS: dict[str, Any] = {
    "TRANS_STMT_BEGIN": "begin",
    "TRANS_STMT_START": "begin",
    "TRANS_STMT_COMMIT": "commit",
    "TRANS_STMT_PREPARE": "commit",  # PREPARE TRANSACTION ends the transaction block too
    "TRANS_STMT_ROLLBACK": "rollback",
    "TRANS_STMT_SAVEPOINT": "savepoint",
    "TRANS_STMT_RELEASE": "savepoint",
    "TRANS_STMT_ROLLBACK_TO": "savepoint",
}


def _transaction(node: JsonNode, statement: Statement) -> Iterator[Op]:
    kind = _TRANSACTIONS.get(node["kind"])
    yield Transaction(kind=kind) if kind else Other(kind="transaction")


def _set(node: JsonNode, statement: Statement) -> Iterator[Op]:
    kind = node["kind"]
    if kind == "VAR_SET_MULTI":  # SET TRANSACTION ..., SET SESSION CHARACTERISTICS ...
        yield Other(kind="set_transaction")
        return
    name = node.get("name", "all")
    local = bool(node.get("is_local"))
    if kind in {"VAR_SET_DEFAULT", "VAR_RESET", "VAR_RESET_ALL"}:
        yield SetOption(name=name.lower(), value="default", local=local)
        return
    value = ", ".join(_set_value(arg, statement) for arg in node.get("args", ()))
    yield SetOption(name=name.lower(), value=value, local=local)


def _set_value(arg: JsonNode, statement: Statement) -> str:
    const = arg.get("A_Const")
    if const is not None and "sval" in const:
        return str(const["sval"]["sval"])
    return statement.text(arg)


def _select(node: JsonNode, statement: Statement) -> Iterator[Op]:
    into = node.get("intoClause")
    if into is not None:  # SELECT ... INTO new_table
        yield CreateTable(table=relation(into["rel"]), as_select=True)
    else:
        yield Other(kind="select")


DATA_HANDLERS = {
    "InsertStmt": _insert,
    "UpdateStmt": _update,
    "DeleteStmt": _delete,
    "MergeStmt": _merge,
    "TransactionStmt": _transaction,
    "VariableSetStmt": _set,
    "SelectStmt": _select,
}
