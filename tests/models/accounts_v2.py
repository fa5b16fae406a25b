"""Accounts, second version: ``unique=True`` and a ``ForeignKey`` on existing columns, neither
named, and no naming convention: the database would choose the names."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

metadata = MetaData()

teams = Table("teams", metadata, Column("id", Integer, primary_key=True))

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(100), nullable=False, unique=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="SET NULL")),
)
