"""Accounts, second version as ``accounts_v2``, on a MetaData with a naming convention."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

metadata = MetaData(
    naming_convention={
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

teams = Table("teams", metadata, Column("id", Integer, primary_key=True))

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(100), nullable=False, unique=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="SET NULL")),
)
