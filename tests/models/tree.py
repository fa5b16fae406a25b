"""Tree schema: Core ``Table`` objects on a plain ``MetaData()`` (no ORM, no naming convention).

``nodes`` is an adjacency list (``parent_id`` references ``nodes.id``, ON DELETE SET NULL) and
``node_paths`` is its closure table, with ON DELETE CASCADE on both FKs. The keys are BIGINT
everywhere except SQLite, where they must be INTEGER so that ``id`` is the rowid alias and
autoincrements (a BIGINT primary key on SQLite is a plain NOT NULL column).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    text,
)

Key = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

nodes = Table(
    "nodes",
    metadata,
    Column("id", Key, primary_key=True),
    Column("parent_id", Key, ForeignKey("nodes.id", ondelete="SET NULL")),
    Column("name", String(100), nullable=False),
    Column("kind", String(20), nullable=False, server_default="leaf"),
    Column("position", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ix_nodes_parent_position", "parent_id", "position"),  # multi-column index
    Index("ux_nodes_parent_name", "parent_id", "name", unique=True),  # unique index
)

node_paths = Table(
    "node_paths",
    metadata,
    Column("ancestor_id", Key, ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True),
    Column("descendant_id", Key, ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True),
    Column("depth", Integer, nullable=False),
    Index("ix_node_paths_descendant_depth", "descendant_id", "depth"),
)
