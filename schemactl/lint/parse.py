"""One statement's SQL to operations, with the real parser of its dialect."""

from __future__ import annotations

from typing import Literal

from .ops import Op

LintDialect = Literal["postgresql", "mysql", "sqlite"]


def parse_statement(sql: str, dialect: LintDialect) -> tuple[Op, ...]:
    """The operations of one statement (as ``split_statements`` cuts them).

    Raises ``ParseError`` when the parser cannot read it."""
    if dialect == "postgresql":
        from .parse_postgresql import parse

        return parse(sql)
    from .parse_sqlglot import parse as parse_with_sqlglot

    return parse_with_sqlglot(sql, dialect)
