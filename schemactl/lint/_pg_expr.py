"""Type names, default volatility and expression text from libpg_query's JSON parse tree.

``parse_postgresql`` reads the tree ``pglast.parser.parse_sql_json`` returns: about eight times
faster than building pglast's node objects (measured 16 us against 130 us for a two-command
ALTER TABLE), and the rules need facts, not objects. A node is ``{"NodeType": {fields}}``;
libpg_query leaves out every field that is false, zero or empty.
"""

from __future__ import annotations

from typing import Any

from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

JsonNode = dict[str, Any]

# pg_catalog's internal names to the canonical spelling the rules compare.
_TYPE_NAMES = {
    "int2": "smallint",
    "int4": "integer",
    "int": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "bpchar": "char",
    "decimal": "numeric",
    "timestamptz": "timestamptz",
    "timetz": "timetz",
}
_SERIALS = {"smallserial": "smallint", "serial2": "smallint", "serial": "integer"}
_SERIALS |= {"serial4": "integer", "bigserial": "bigint", "serial8": "bigint"}
# Only these carry typmods worth keeping; interval's typmod is a field mask, not a size.
_SIZED = {"varchar", "char", "numeric", "bit", "varbit", "timestamp", "timestamptz", "time"}
_SIZED |= {"timetz"}


def names(items: list[JsonNode] | None) -> str:
    """``[{"String": {"sval": "s"}}, {"String": {"sval": "t"}}]`` -> ``"s.t"``."""
    return ".".join(item["String"]["sval"] for item in items or () if "String" in item)


def relation(rangevar: JsonNode) -> str:
    """A RangeVar (the RangeVar's fields, unwrapped) as ``schema.table`` or ``table``."""
    parts = (rangevar.get("catalogname"), rangevar.get("schemaname"), rangevar["relname"])
    return ".".join(part for part in parts if part)


def type_name(node: JsonNode) -> tuple[str, bool]:
    """A TypeName as its canonical text, and whether it is a serial (an identity column).

    >>> type_name({"names": [{"String": {"sval": "pg_catalog"}}, {"String": {"sval": "int4"}}]})
    ('integer', False)
    """
    parts = [item["String"]["sval"] for item in node.get("names", ())]
    if len(parts) == 2 and parts[0] == "pg_catalog":
        parts = parts[1:]
    name = ".".join(parts)
    serial = name in _SERIALS
    name = _SERIALS.get(name) or _TYPE_NAMES.get(name, name)
    mods = [_const_int(mod) for mod in node.get("typmods", ())]
    if mods and name in _SIZED and None not in mods:
        name += "(" + ",".join(str(mod) for mod in mods) + ")"
    name += "[]" * len(node.get("arrayBounds", ()))
    return name, serial


def _const_int(node: JsonNode) -> int | None:
    const = node.get("A_Const")
    if const is None or "ival" not in const:
        return None
    return int(const["ival"].get("ival", 0))


# Volatility, as pg_proc.provolatile says. PostgreSQL evaluates a non-volatile DEFAULT once
# and stores it in the catalog (no rewrite); a volatile one per row (a rewrite).
VOLATILE_FUNCTIONS = frozenset(
    {
        "clock_timestamp",
        "random",
        "random_normal",
        "setseed",
        "gen_random_uuid",
        "gen_random_bytes",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "uuidv4",
        "uuidv7",
        "nextval",
        "currval",
        "lastval",
        "setval",
        "timeofday",
        "txid_current",
        "txid_current_if_assigned",
        "pg_current_xact_id",
        "pg_current_xact_id_if_assigned",
    }
)
NON_VOLATILE_FUNCTIONS = frozenset(
    {
        "now",
        "transaction_timestamp",
        "statement_timestamp",
        "current_setting",
        "current_database",
        "current_schema",
        "pg_backend_pid",
        "inet_client_addr",
        "to_timestamp",
        "to_date",
        "to_char",
        "date_trunc",
        "date_part",
        "make_date",
        "make_time",
        "make_timestamp",
        "make_timestamptz",
        "make_interval",
        "timezone",
        "age",
        "lower",
        "upper",
        "length",
        "concat",
        "concat_ws",
        "md5",
        "sha256",
        "encode",
        "decode",
        "replace",
        "btrim",
        "ltrim",
        "rtrim",
        "lpad",
        "rpad",
        "left",
        "right",
        "format",
        "abs",
        "round",
        "floor",
        "ceil",
        "array_fill",
        "jsonb_build_object",
        "jsonb_build_array",
        "json_build_object",
        "json_build_array",
        "to_jsonb",
        "to_json",
        "uuid_generate_v3",
        "uuid_generate_v5",
        "uuid_nil",
    }
)


def is_volatile(expr: Any) -> bool:
    """Whether an expression calls a volatile function anywhere in it.

    A function neither list knows counts as volatile: CREATE FUNCTION makes a function VOLATILE
    unless it says otherwise, so a user's function is volatile unless proven not to be, and
    the safe answer for a rewrite check is "it may rewrite".
    """
    if isinstance(expr, list):
        return any(is_volatile(item) for item in expr)
    if not isinstance(expr, dict):
        return False
    call = expr.get("FuncCall")
    if call is not None:
        name = call["funcname"][-1]["String"]["sval"]
        if name in VOLATILE_FUNCTIONS or name not in NON_VOLATILE_FUNCTIONS:
            return True
    return any(is_volatile(value) for value in expr.values())


# -- expression text ----------------------------------------------------------------------------
# Text the way pglast's RawStream prints it. The common DEFAULT forms (a constant, a plain call,
# a column, CURRENT_TIMESTAMP, a cast to a one-word type) are printed here from the JSON; anything
# else by RawStream on pglast's object tree, built only then (test_lint_parse_postgresql checks
# that both agree).

_SVF = {
    "SVFOP_CURRENT_DATE": "CURRENT_DATE",
    "SVFOP_CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP",
    "SVFOP_LOCALTIMESTAMP": "LOCALTIMESTAMP",
    "SVFOP_CURRENT_USER": "CURRENT_USER",
    "SVFOP_SESSION_USER": "SESSION_USER",
}
_KEYWORDS = RESERVED_KEYWORDS | TYPE_FUNC_NAME_KEYWORDS | COL_NAME_KEYWORDS
_PLAIN_CALL = {"funcname", "args", "funcformat", "location"}


class _NotSimple(Exception):
    pass


def _ident(name: str) -> str:
    if not name or name in _KEYWORDS or not (name[0].isalpha() or name[0] == "_"):
        raise _NotSimple
    if not all(ch.isdigit() or ch == "_" or ("a" <= ch <= "z") for ch in name):
        raise _NotSimple
    return name


def fast_text(expr: JsonNode) -> str:
    """The RawStream text of a simple expression; raises ``_NotSimple`` otherwise."""
    ((kind, node),) = expr.items()
    if kind == "A_Const":
        return _const_text(node)
    if kind == "FuncCall" and set(node) <= _PLAIN_CALL and len(node["funcname"]) == 1:
        args = ", ".join(fast_text(arg) for arg in node.get("args", ()))
        return f"{_ident(names(node['funcname']))}({args})"
    if kind == "ColumnRef" and all("String" in field for field in node["fields"]):
        return ".".join(_ident(field["String"]["sval"]) for field in node["fields"])
    if kind == "SQLValueFunction" and node["op"] in _SVF and node.get("typmod", -1) == -1:
        return _SVF[node["op"]]
    if kind == "TypeCast":
        type_node = node["typeName"]
        if len(type_node["names"]) == 1 and set(type_node) <= {"names", "typemod", "location"}:
            return f"CAST({fast_text(node['arg'])} AS {_ident(names(type_node['names']))})"
    raise _NotSimple


def _const_text(node: JsonNode) -> str:
    # Every constant is printed here: pglast's A_Const objects carry no offset to find them by.
    if node.get("isnull"):
        return "NULL"
    if "ival" in node:
        return str(node["ival"].get("ival", 0))
    if "fval" in node:
        return str(node["fval"]["fval"])
    if "boolval" in node:
        return "TRUE" if node["boolval"].get("boolval") else "FALSE"
    if "bsval" in node:
        bits = str(node["bsval"]["bsval"])
        return f"{bits[0]}'{bits[1:]}'"
    value = str(node.get("sval", {}).get("sval", ""))
    return "'" + value.replace("'", "''") + "'"


def fallback_text(sql: str, kind: str, location: int) -> str | None:
    """RawStream's text of the node of this type at this offset, from pglast's object tree."""
    from pglast.parser import parse_sql
    from pglast.stream import RawStream

    stack: list[Any] = list(parse_sql(sql))
    while stack:
        node = stack.pop()
        if isinstance(node, tuple | list):
            stack.extend(node)
        elif hasattr(node, "__slots__") and not isinstance(node, str | int | float | bool):
            if type(node).__name__ == kind and getattr(node, "location", None) == location:
                return str(RawStream()(node))
            stack.extend(getattr(node, slot, None) for slot in node.__slots__)
    return None


def expression_text(sql: str, expr: JsonNode) -> str:
    """An expression of the statement ``sql`` as SQL text, as RawStream prints it.

    >>> expression_text("", {"FuncCall": {"funcname": [{"String": {"sval": "now"}}]}})
    'now()'
    """
    try:
        return fast_text(expr)
    except _NotSimple:
        pass
    ((kind, node),) = expr.items()
    location = node.get("location", -1)
    text = fallback_text(sql, kind, location) if location >= 0 else None
    # A node with no offset of its own (a cast written `type 'literal'`) is found by its operand.
    if text is None and kind == "TypeCast":
        return f"CAST({expression_text(sql, node['arg'])} AS {type_name(node['typeName'])[0]})"
    return text if text is not None else kind
