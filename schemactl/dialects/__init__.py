"""One module per database, each a subclass of :class:`Dialect`, found by URL scheme."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError
from ._base import (
    Dialect,
    Failure,
    LockSQL,
    Profile,
    ScriptError,
    locked_table,
    refuse_read_only,
    transaction_control,
)
from .mysql import MySQL
from .postgresql import PostgreSQL
from .sqlite import SQLite

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from .._password import PasswordSource

__all__ = [
    "DIALECTS",
    "Dialect",
    "Failure",
    "LockSQL",
    "Profile",
    "ScriptError",
    "dialect_for",
    "dialect_for_scheme",
    "dialect_named",
    "locked_table",
    "refuse_read_only",
    "transaction_control",
]

DIALECTS: tuple[type[Dialect[Any]], ...] = (PostgreSQL, MySQL, SQLite)


def dialect_for_scheme(scheme: str) -> type[Dialect[Any]] | None:
    """The dialect for a URL scheme as a user writes it (``postgres``, ``mysql+aiomysql``)."""
    scheme = scheme.lower()
    return next((d for d in DIALECTS if scheme in d.schemes), None)


def dialect_named(backend: str) -> type[Dialect[Any]]:
    """The dialect SQLAlchemy calls ``backend`` (``postgresql``, ``mysql``, ``mariadb``, ...)."""
    cls = next((d for d in DIALECTS if d.name == backend), MySQL if backend == "mariadb" else None)
    if cls is None:
        names = ", ".join(d.name for d in DIALECTS)
        raise ConfigurationError(f"schemactl supports {names}, not {backend}")
    return cls


def dialect_for(
    url: URL,
    *,
    per_statement: bool = False,
    pooled: bool = False,
    password: PasswordSource | None = None,
) -> Dialect[Any]:
    """The dialect of a SQLAlchemy URL (as ``to_sqlalchemy_url`` makes them, or a host's
    ``AsyncEngine`` has: PostgreSQL's may be on psycopg too)."""
    cls = dialect_named(url.get_backend_name())
    if url.get_driver_name() not in cls.engine_drivers:
        drivers = (  # (psycopg_async: SQLAlchemy's other name for psycopg's)
            f"{d.name}+{driver}"
            for d in DIALECTS
            for driver in d.engine_drivers
            if not driver.endswith("_async")
        )
        raise ConfigurationError(
            f"schemactl does not support {url.drivername!r}; use one of " + ", ".join(drivers)
        )
    profile = cls.profile_for(url, per_statement=per_statement, pooled=pooled)
    return cls(dataclasses.replace(profile, password=password) if password else profile)
