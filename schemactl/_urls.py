"""Database URLs: accept what users are handed, give SQLAlchemy what it needs, hide secrets."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ._errors import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

# scheme as written -> SQLAlchemy async driver name
_SCHEMES = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
    "mariadb": "mysql+aiomysql",
    "mysql+aiomysql": "mysql+aiomysql",
    "mariadb+aiomysql": "mysql+aiomysql",
    "sqlite": "sqlite+aiosqlite",
    "sqlite3": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}
_USERINFO_PASSWORD = re.compile(r"(\w[\w+.-]*://[^:/@\s]*:)[^@\s]*@")


def to_sqlalchemy_url(raw: str) -> URL:
    """Normalise a user's URL to an async SQLAlchemy URL.

    >>> to_sqlalchemy_url("postgres://app@db/app?sslmode=require").render_as_string()
    'postgresql+asyncpg://app@db/app?ssl=require'
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    raw = raw.strip()
    scheme, sep, rest = raw.partition(":")
    if not sep or not scheme:
        raise ConfigurationError(f"cannot parse database URL {redact(raw)!r}: no scheme")
    driver = _SCHEMES.get(scheme.lower())
    if driver is None:
        supported = "postgres://, mysql://, sqlite:, or their +asyncpg/+aiomysql/+aiosqlite forms"
        raise ConfigurationError(f"unsupported database URL scheme {scheme!r}; use {supported}")
    if driver.startswith("sqlite") and not rest.startswith("//"):
        # dbmate's forms: sqlite:relative/path.db and sqlite:/absolute/path.db
        rest = "///" + rest
    try:
        url = make_url(f"{driver}:{rest}")
    except (ArgumentError, ValueError) as exc:
        raise ConfigurationError(f"cannot parse database URL {redact(raw)!r}: {exc}") from None
    if driver.startswith("postgresql"):
        query = dict(url.query)
        if "sslmode" in query:
            query["ssl"] = query.pop("sslmode")
        url = url.set(query=query)
    if driver.startswith("sqlite"):
        if url.host:
            raise ConfigurationError("an SQLite URL has no host: use sqlite:path/to/file.db")
    elif not url.database:
        raise ConfigurationError(f"database URL {redact(raw)!r} names no database")
    return url


def redact(text: str, password: str | None = None) -> str:
    """Remove a URL password from any text that may be shown to a user or logged."""
    if password:
        text = text.replace(password, "***")
    return _USERINFO_PASSWORD.sub(r"\1***@", text)


def describe(url: URL) -> str:
    """A short, password-free name for a database, for messages."""
    if url.get_backend_name() == "sqlite":
        return f"sqlite:{url.database or ':memory:'}"
    return f"{url.get_backend_name()}://{url.host or 'localhost'}/{url.database}"
