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
# user:password@ up to the last @ before the path, as Go's net/url (dbmate) reads it
_USERINFO_PASSWORD = re.compile(r"(\w[\w+.-]*://[^:/@\s]*:)\S*@")


def to_sqlalchemy_url(raw: str) -> URL:
    """Normalise a user's URL to an async SQLAlchemy URL.

    >>> to_sqlalchemy_url("postgres://app@db/app?sslmode=require").render_as_string()
    'postgresql+asyncpg://app@db/app?ssl=require'
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    raw = raw.strip()
    scheme, sep, rest = raw.partition(":")
    if not sep or not scheme or not re.fullmatch(r"[A-Za-z][\w+.-]*", scheme):
        raise ConfigurationError(f"cannot parse the database URL: {_EXAMPLE}")
    driver = _SCHEMES.get(scheme.lower())
    if driver is None:
        supported = "postgres://, mysql://, sqlite:, or their +asyncpg/+aiomysql/+aiosqlite forms"
        raise ConfigurationError(f"unsupported database URL scheme {scheme!r}; use {supported}")
    if driver.startswith("sqlite"):
        if not rest.startswith("//"):  # dbmate's sqlite:relative.db and sqlite:/absolute.db
            rest = "///" + rest
    elif not rest.startswith("//"):
        raise ConfigurationError(f"cannot parse the database URL: {_EXAMPLE}")
    else:
        rest = _encode_userinfo(rest)
    try:
        url = make_url(f"{driver}:{rest}")
    except (ArgumentError, ValueError):
        raise ConfigurationError(f"cannot parse the database URL: {_EXAMPLE}") from None
    if driver.startswith("postgresql"):
        query = dict(url.query)
        if "sslmode" in query:
            query["ssl"] = query.pop("sslmode")
        url = url.set(query=query)
    if driver.startswith("sqlite"):
        if url.host:
            raise ConfigurationError("an SQLite URL has no host: use sqlite:path/to/file.db")
        if not url.database:
            raise ConfigurationError(
                "the SQLite URL names no file: use sqlite:path/to/file.db "
                "(or sqlite:///:memory: for a throwaway in-memory database)"
            )
    elif not url.database:
        raise ConfigurationError(f"database URL {redact(raw)!r} names no database")
    return url


_EXAMPLE = "expected a form like postgres://user@host:5432/dbname"


def _encode_userinfo(rest: str) -> str:
    """Percent-encode a raw '@' or '/' in the password: the host starts after the last '@'."""
    query_start = rest.find("?")
    head = rest if query_start < 0 else rest[:query_start]
    at = head.rfind("@")
    if at < 0:
        return rest
    userinfo = rest[2:at]
    if "@" not in userinfo and "/" not in userinfo:
        return rest
    return "//" + userinfo.replace("@", "%40").replace("/", "%2F") + rest[at:]


def redact(text: str, password: str | None = None) -> str:
    """Remove a URL password from any text that may be shown to a user or logged."""
    text = _USERINFO_PASSWORD.sub(r"\1***@", text)
    if password:  # as a whole token only, so "postgres" does not mangle "postgresql://"
        text = re.sub(rf"(?<!\w){re.escape(password)}(?!\w)", "***", text)
    return text


def describe(url: URL) -> str:
    """A short, password-free name for a database, for messages."""
    if url.get_backend_name() == "sqlite":
        return f"sqlite:{url.database or ':memory:'}"
    return f"{url.get_backend_name()}://{url.host or 'localhost'}/{url.database}"
