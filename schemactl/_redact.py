"""Passwords out of everything schemactl shows or logs: the one place that removes them.

Every output path (error lines, JSON, logs, failure marks, tracebacks with --verbose) passes
its text through :func:`redact` with the run's password.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

# user:password@ up to the last @ before the path, as Go's net/url (dbmate) reads it
_USERINFO_PASSWORD = re.compile(r"(\w[\w+.-]*://[^:/@\s]*:)\S*@")
# query parameters that carry a credential (libpq's password and sslpassword, MySQL's passwd,
# cloud drivers' tokens), up to the next parameter
_SECRET_PARAMETERS = (
    "password|passwd|pwd|sslpassword|secret|client_secret|token|access_token|auth_token"
    "|api_key|apikey"
)
_QUERY_SECRET = re.compile(rf"([?&;](?:{_SECRET_PARAMETERS})=)[^&;#\s'\"]*", re.IGNORECASE)
# the same in a URL as written, where the value runs to the next parameter, spaces included
_QUERY_SECRET_IN_URL = re.compile(rf"[?&;](?:{_SECRET_PARAMETERS})=([^&;#]*)", re.IGNORECASE)


def redact(text: str, password: str | None = None) -> str:
    """Remove URL passwords, and ``password`` (raw and percent-decoded), from a text.

    >>> redact("postgres://app:s3cret@db/app failed")
    'postgres://app:***@db/app failed'
    >>> redact("postgres://app@db/?password=s3cret&sslmode=require")
    'postgres://app@db/?password=***&sslmode=require'
    """
    # the known password first, whole: the patterns below stop at a space it may hold
    for secret in sorted({password, unquote(password)} if password else (), key=len)[::-1]:
        # as a whole token only, so "postgres" does not mangle "postgresql://"
        text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", "***", text)
    text = _USERINFO_PASSWORD.sub(r"\1***@", text)
    return _QUERY_SECRET.sub(r"\1***", text)


def password_in(url: str) -> str | None:
    """The password of a database URL as the user wrote it, read as the URL is parsed (the
    host starts after the last '@' before the query: a raw '@', '/' or space in the password
    included), or given as a ``?password=`` query parameter."""
    rest = url.partition("://")[2]
    userinfo, at, _ = rest.partition("?")[0].rpartition("@")
    password = userinfo.partition(":")[2] if at else ""
    if not password:
        found = _QUERY_SECRET_IN_URL.search(url)
        if found is not None:
            password = found.group(1)
    return password or None  # redact() hides it raw and percent-decoded


def error_words(chain: list[BaseException], password: str | None) -> str:
    """The driver's own words for an error (the innermost non-empty message), on one line."""
    message = ""
    for item in chain:
        text = str(item).strip()
        if text:
            message = text.splitlines()[0]
    return redact(message or type(chain[0]).__name__, password)
