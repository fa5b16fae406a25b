"""Accounts, first version: users and teams, no unique constraint and no foreign key yet."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()

teams = Table("teams", metadata, Column("id", Integer, primary_key=True))

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(100), nullable=False),
    Column("team_id", Integer),
)
