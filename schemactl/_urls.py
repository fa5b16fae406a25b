"""Database URLs: accept what users are handed, give SQLAlchemy what it needs, hide secrets."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ._errors import ConfigurationError
from ._redact import password_in, redact
from .dialects import dialect_for_scheme, dialect_named

if TYPE_CHECKING:
    from sqlalchemy.engine import URL


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
    dialect = dialect_for_scheme(scheme)
    if dialect is None:
        supported = "postgres://, mysql://, sqlite:, or their +asyncpg/+aiomysql/+aiosqlite forms"
        raise ConfigurationError(f"unsupported database URL scheme {scheme!r}; use {supported}")
    driver = dialect.async_driver
    if not dialect.has_server:
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
    url = dialect.adapt_url(url)
    if not dialect.has_server:
        if url.host:
            raise ConfigurationError("an SQLite URL has no host: use sqlite:path/to/file.db")
        if not url.database:
            raise ConfigurationError(
                "the SQLite URL names no file: use sqlite:path/to/file.db "
                "(or sqlite:///:memory: for a throwaway in-memory database)"
            )
    elif not url.database:
        raise ConfigurationError(
            f"database URL {redact(raw, password_in(raw))!r} names no database"
        )
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


def describe(url: URL) -> str:
    """A short, password-free name for a database, for messages."""
    if not dialect_named(url.get_backend_name()).has_server:
        return f"{url.get_backend_name()}:{url.database or ':memory:'}"
    return f"{url.get_backend_name()}://{url.host or 'localhost'}/{url.database}"
