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
    from alembic.operations import ops
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


def normal_spelling(expression: str) -> str:
    """An SQL expression as ``same_spelling`` compares it (for keeping, not comparing)."""
    return _spelling(expression)


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


def without_respelled_defaults(container: ops.OpContainer, dialect: Dialect) -> None:
    """Leave out, in place, the server-default changes between two spellings of one
    expression (``(GEN_RANDOM_UUID())`` in the models, ``gen_random_uuid()`` as PostgreSQL
    keeps it): asked whether the two are equal, the server evaluates them, and a volatile
    function never equals itself. A column change left with nothing to change goes too."""
    from alembic.operations import ops

    kept_tables = []
    for table_ops in container.ops:
        if isinstance(table_ops, ops.ModifyTableOps):
            for op in table_ops.ops:
                if isinstance(op, ops.AlterColumnOp) and _respelled(op, dialect):
                    op.modify_server_default = False
            table_ops.ops = [
                op
                for op in table_ops.ops
                if not isinstance(op, ops.AlterColumnOp) or op.has_changes()
            ]
            if not table_ops.ops:
                continue
        kept_tables.append(table_ops)
    container.ops = kept_tables


def _respelled(op: ops.AlterColumnOp, dialect: Dialect) -> bool:
    new = op.modify_server_default
    old = op.existing_server_default or op.kw.get("existing_server_default")
    if new is False or new is None or old is None or old is False:
        return False
    one, other = _default_sql(new, dialect), _default_sql(old, dialect)
    return one is not None and other is not None and same_spelling(one, other)


def _default_sql(default: Any, dialect: Dialect) -> str | None:
    """A server default's SQL text, as the dialect writes it."""
    arg = getattr(default, "arg", default)
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    try:
        return str(arg.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except Exception:  # not an expression this dialect compiles: not ours to judge
        return None
