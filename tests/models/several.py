"""Two distinct ``MetaData`` objects in one module: discovery must refuse to guess.

The expected error lists both candidates (``metadata_main`` and ``metadata_audit``).
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

metadata_main = MetaData()
metadata_audit = MetaData()

items = Table(
    "items",
    metadata_main,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata_audit,
    Column("id", Integer, primary_key=True),
    Column("message", String(255), nullable=False),
)
