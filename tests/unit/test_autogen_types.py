"""Which type changes autogenerate marks as destructive (narrowing)."""

from __future__ import annotations

import pytest
from sqlalchemy import (
    BigInteger,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    types,
)

from schemactl.autogen.changes import narrows


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
