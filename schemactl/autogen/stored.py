"""Compare column types by what the server stores, not by how the models spell them.

Alembic compares the models' type, as the dialect compiles it, with the reflected one. A
server that stores a type as another one then differs from the models forever: every
``new --auto`` rewrites the column, and ``check`` never passes. Each dialect's hooks say
which model types the server stores differently (``stored``); the comparison here decides
those, and leaves every other type to Alembic.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect
    from sqlalchemy.types import TypeEngine

    from .hooks import TypeComparator

# The type the server stores for a model type, on that dialect; None: as the model spells it
Stored = Callable[["TypeEngine[Any]", "Dialect"], "TypeEngine[Any] | None"]


def comparing_stored(stored: Stored) -> TypeComparator:
    """Alembic's ``compare_type`` callable: differ when the reflected type is not the one the
    server stores for the model's type; undecided (None: Alembic compares) when the server
    stores the model's type as spelled."""

    def compare(
        context: Any,
        inspected_column: Any,
        metadata_column: Any,
        inspected_type: TypeEngine[Any],
        metadata_type: TypeEngine[Any],
    ) -> bool | None:
        dialect = context.dialect
        target = stored(metadata_type, dialect)
        if target is None:
            return None
        return spelling(inspected_type, dialect) != spelling(target, dialect)

    return compare


def spelling(type_: TypeEngine[Any], dialect: Dialect) -> str:
    """A type as the dialect writes it in DDL, case and spacing normalised."""
    return " ".join(str(type_.compile(dialect=dialect)).upper().split())


def binary_float(type_: TypeEngine[Any], *, unsized_double: bool) -> str | None:
    """How a server that reads FLOAT(p) as binary digits (PostgreSQL, MySQL/MariaDB) stores a
    ``Float``: "single" up to 24 digits, "double" beyond; a FLOAT without digits is a double
    when ``unsized_double`` (PostgreSQL), else a single. None: not such a float (a ``Double``,
    a ``REAL``, MySQL's FLOAT(M, D) with its own rules, or another type)."""
    from sqlalchemy import REAL, Double, Float

    if not isinstance(type_, Float) or isinstance(type_, Double | REAL):
        return None
    if getattr(type_, "scale", None) is not None:
        return None
    precision = type_.precision
    if precision is None:
        return "double" if unsized_double else "single"
    return "single" if precision <= 24 else "double"


def same_spelling(one: str, other: str) -> bool:
    """Whether two SQL expressions differ in spelling only: case and whitespace outside
    their string literals, and parentheses around the whole (``(GEN_RANDOM_UUID())`` and
    ``gen_random_uuid()``), as servers rewrite a default's text."""
    return _spelling(one) == _spelling(other)


def _spelling(expression: str) -> str:
    """An SQL expression without case and whitespace outside its string literals, and
    without parentheses around the whole of it: ``(GEN_RANDOM_UUID())`` is
    ``gen_random_uuid()``."""
    parts = re.split(r"('(?:[^']|'')*')", expression)
    text = "".join(p if p.startswith("'") else re.sub(r"\s+", "", p).lower() for p in parts)
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1]
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in re.sub(r"'(?:[^']|'')*'", "''", text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0
