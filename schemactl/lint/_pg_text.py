"""Facts the PostgreSQL rules read from a statement's text with libpg_query itself: its
string constants (from the parse tree) and its over-long identifiers (from the scanner, since
the parser only ever sees them cut to 63 bytes)."""

from __future__ import annotations

import json
from typing import Any

from pglast.parser import ParseError as PgParseError
from pglast.parser import parse_sql_json, scan


def string_constants(sql: str) -> set[str]:
    """Every string constant in ``sql`` (``'active'``, ``'x'::mood``): what a statement may
    compare or store. Empty when libpg_query cannot read it."""
    try:
        tree = json.loads(parse_sql_json(sql))
    except PgParseError:
        return set()
    found: set[str] = set()
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            const = node.get("A_Const")
            if const is not None and "sval" in const:
                found.add(const["sval"].get("sval", ""))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def long_identifiers(sql: str, limit: int = 63) -> list[str]:
    """Identifiers of ``sql`` longer than ``limit`` bytes, as written. PostgreSQL's scanner cuts
    them to 63 bytes before the parser sees them, so they are found among its tokens."""
    try:
        tokens = scan(sql)
    except PgParseError:
        return []
    found = []
    for token in tokens:
        if token.name == "IDENT":
            text = sql[token.start : token.end + 1]
            if text.startswith('"'):
                text = text[1:-1].replace('""', '"')
            if len(text.encode()) > limit:
                found.append(text)
    return found
