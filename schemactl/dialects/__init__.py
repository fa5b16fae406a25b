"""One module per database, each a subclass of :class:`Dialect`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import ConnectFailure, Dialect, ScriptError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

__all__ = ["ConnectFailure", "Dialect", "ScriptError", "dialect_for"]


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
