"""A wide generated schema for the autogenerate benchmark.

``build(n)`` makes tables ``wide_0000`` .. ``wide_{n-1:04d}``, each with the same 8 columns:
``id`` (PK), ``prev_id`` (FK to the previous table's ``id``; table 0 has the column but no FK),
``name`` VARCHAR(100), ``qty`` INTEGER, ``flag`` BOOLEAN, ``seen_at`` DATETIME,
``amount`` NUMERIC(10, 2) and ``notes`` TEXT; plus one index (on ``prev_id``, which is also the
index MariaDB needs for the FK) and one UNIQUE constraint (on ``name``). All names are
deterministic and come from the naming convention.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


def table_name(i: int) -> str:
    return f"wide_{i:04d}"


def build(tables: int = 500) -> MetaData:
    """A new MetaData holding ``tables`` chained tables (see the module docstring)."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    for i in range(tables):
        if i == 0:
            prev_id = Column("prev_id", Integer)
        else:
            prev_id = Column("prev_id", Integer, ForeignKey(f"{table_name(i - 1)}.id"))
        Table(
            table_name(i),
            metadata,
            Column("id", Integer, primary_key=True),
            prev_id,
            Column("name", String(100), nullable=False),
            Column("qty", Integer, nullable=False),
            Column("flag", Boolean, nullable=False),
            Column("seen_at", DateTime),
            Column("amount", Numeric(10, 2)),
            Column("notes", Text),
            Index(None, "prev_id"),
            UniqueConstraint("name"),
        )
    return metadata


metadata = build(500)
