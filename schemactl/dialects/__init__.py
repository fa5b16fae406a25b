"""One module per database, each a subclass of :class:`Dialect`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._config import SessionSettings
from ._base import ConnectFailure, Dialect, ScriptError, locked_table

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

__all__ = [
    "ConnectFailure",
    "Dialect",
    "ScriptError",
    "SessionSettings",
    "dialect_for",
    "locked_table",
]


def dialect_for(url: URL) -> Dialect:
    backend = url.get_backend_name()
    if backend == "postgresql":
        from .postgresql import PostgreSQL

        return PostgreSQL(url)
    if backend in ("mysql", "mariadb"):
        from .mysql import MySQL

        return MySQL(url)
    from .sqlite import SQLite

    return SQLite(url)
