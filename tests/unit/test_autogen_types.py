"""Which type changes autogenerate marks as destructive (narrowing), and which types and
defaults the server stores as the models spell them differently."""

from __future__ import annotations

import pytest
from alembic.migration import MigrationContext
from sqlalchemy import (
    BigInteger,
    Column,
    DefaultClause,
    Double,
    Float,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    types,
)
from sqlalchemy.dialects import mysql, postgresql

from schemactl.autogen.changes import narrows
from schemactl.dialects import dialect_named


@pytest.mark.parametrize(
    ("old", "new", "narrowing"),
    [
        (types.VARCHAR(100), String(255), False),
        (types.VARCHAR(255), String(100), True),
        (types.VARCHAR(100), Text(), False),
        (types.TEXT(), String(100), True),
        (types.INTEGER(), BigInteger(), False),
        (types.BIGINT(), Integer(), True),
        (types.SMALLINT(), Integer(), False),
        (types.INTEGER(), SmallInteger(), True),
        (types.NUMERIC(10, 2), Numeric(12, 2), False),
        (types.NUMERIC(12, 4), Numeric(12, 2), True),
        (types.VARCHAR(10), Integer(), True),
    ],
)
def test_narrowing(
    old: types.TypeEngine[object], new: types.TypeEngine[object], narrowing: bool
) -> None:
    assert narrows(old, new) is narrowing


# -- types compared by what the server stores ------------------------------------------------

FLOAT_STORAGE = [
    # (dialect, reflected type, model type, differs: None when Alembic decides)
    ("postgresql", postgresql.REAL(), Float(precision=24), False),
    ("postgresql", postgresql.DOUBLE_PRECISION(), Float(precision=24), True),
    ("postgresql", postgresql.DOUBLE_PRECISION(), Float(precision=25), False),
    ("postgresql", postgresql.REAL(), Float(precision=53), True),
    ("postgresql", postgresql.DOUBLE_PRECISION(), Float(), False),
    ("postgresql", types.INTEGER(), Float(precision=10), True),
    ("postgresql", postgresql.REAL(), postgresql.REAL(), None),
    ("postgresql", types.INTEGER(), Integer(), None),
    ("mysql", mysql.DOUBLE(), Float(precision=53), False),
    ("mysql", mysql.DOUBLE(), mysql.FLOAT(32), False),
    ("mysql", mysql.FLOAT(), Float(precision=24), False),
    ("mysql", mysql.FLOAT(), Float(), False),
    ("mysql", mysql.FLOAT(), Float(precision=53), True),
    ("mysql", mysql.DOUBLE(), Float(precision=24), True),
    ("mysql", mysql.DOUBLE(), Double(), None),
    ("mysql", mysql.FLOAT(10, 2), mysql.FLOAT(10, 2), None),  # FLOAT(M, D): its own rules
]


@pytest.mark.parametrize(("dialect", "reflected", "model", "differs"), FLOAT_STORAGE)
def test_float_compared_as_stored(
    dialect: str,
    reflected: types.TypeEngine[object],
    model: types.TypeEngine[object],
    differs: bool | None,
) -> None:
    """FLOAT(p) is a single up to 24 binary digits and a double beyond, on PostgreSQL and
    MariaDB alike: the comparison says so, and leaves every other type to Alembic."""
    hooks = dialect_named(dialect).autogen_hooks()
    comparator = hooks.type_comparator()
    assert comparator is not None
    context = MigrationContext.configure(dialect_name=dialect)
    result = comparator(context, Column("x", reflected), Column("x", model), reflected, model)
    assert result is differs


@pytest.mark.parametrize(
    ("reflected", "model", "differs"),
    [
        ("''", "", False),
        ("'it''s'", "it's", False),
        ("('0')", "0", False),
        ("'a'", "", True),
        ("''", "a", True),
    ],
)
def test_sqlite_string_defaults_compared_as_written(
    reflected: str, model: str, differs: bool
) -> None:
    comparator = dialect_named("sqlite").autogen_hooks().server_default_comparator()
    assert comparator is not None
    context = MigrationContext.configure(dialect_name="sqlite")
    default = DefaultClause(model)
    column = Column("x", String(10), server_default=default)
    assert comparator(context, column, column, reflected, default, model) is differs


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("(GEN_RANDOM_UUID())", "gen_random_uuid()", True),
        ("NOW( )", "now()", True),
        (
            "\n    (\n        lower(hex(randomblob(4)))\n    )\n    ",
            "lower(hex(randomblob(4)))",
            True,
        ),
        ("'A B'::text", "'a b'::text", False),  # string literals keep case and spaces
        ("(a) + (b)", "a + b", False),  # parentheses of parts are not the whole's
        ("('(x')", "'(x'", True),  # a parenthesis inside a literal is no parenthesis
        ("now()", "clock_timestamp()", False),
    ],
)
def test_expressions_differing_in_spelling_only(one: str, other: str, same: bool) -> None:
    from schemactl.autogen.stored import same_spelling

    assert same_spelling(one, other) is same
