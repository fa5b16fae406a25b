"""Database URLs: to_sqlalchemy_url(), redact() and describe()."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from schemactl._errors import ConfigurationError
from schemactl._redact import redact
from schemactl._urls import describe, to_sqlalchemy_url

SECRET = "s3cr3tpw"

# raw URL -> (drivername, host, port, database, username, password)
Parts = tuple[str, str | None, int | None, str | None, str | None, str | None]

VALID: list[tuple[str, Parts]] = [
    ("postgres://app:pw@db:5432/app", ("postgresql+asyncpg", "db", 5432, "app", "app", "pw")),
    ("postgresql://app@db/app", ("postgresql+asyncpg", "db", None, "app", "app", None)),
    ("postgresql+asyncpg://app@db/app", ("postgresql+asyncpg", "db", None, "app", "app", None)),
    ("POSTGRES://app@db/app", ("postgresql+asyncpg", "db", None, "app", "app", None)),
    ("  postgres://app@db/app\n", ("postgresql+asyncpg", "db", None, "app", "app", None)),
    ("postgres:///app", ("postgresql+asyncpg", None, None, "app", None, None)),
    (
        "mysql://root:pw@127.0.0.1:3306/app",
        ("mysql+aiomysql", "127.0.0.1", 3306, "app", "root", "pw"),
    ),
    ("mariadb://root@db/app", ("mysql+aiomysql", "db", None, "app", "root", None)),
    ("mysql+aiomysql://root@db/app", ("mysql+aiomysql", "db", None, "app", "root", None)),
    ("mariadb+aiomysql://root@db/app", ("mysql+aiomysql", "db", None, "app", "root", None)),
    ("sqlite:relative/path.db", ("sqlite+aiosqlite", None, None, "relative/path.db", None, None)),
    ("sqlite:/abs/path.db", ("sqlite+aiosqlite", None, None, "/abs/path.db", None, None)),
    ("sqlite:///rel.db", ("sqlite+aiosqlite", None, None, "rel.db", None, None)),
    ("sqlite:////abs.db", ("sqlite+aiosqlite", None, None, "/abs.db", None, None)),
    ("sqlite+aiosqlite:///x.db", ("sqlite+aiosqlite", None, None, "x.db", None, None)),
    ("sqlite3:data/app.db", ("sqlite+aiosqlite", None, None, "data/app.db", None, None)),
    ("sqlite:app.db", ("sqlite+aiosqlite", None, None, "app.db", None, None)),
    # an application's sync-driver URL runs on the async driver schemactl uses
    ("postgresql+psycopg://app@db/app", ("postgresql+asyncpg", "db", None, "app", "app", None)),
    ("postgresql+psycopg2://app@db/app", ("postgresql+asyncpg", "db", None, "app", "app", None)),
    ("mysql+pymysql://root@db/app", ("mysql+aiomysql", "db", None, "app", "root", None)),
    ("sqlite+pysqlite:///x.db", ("sqlite+aiosqlite", None, None, "x.db", None, None)),
]


@pytest.mark.parametrize(("raw", "parts"), VALID, ids=[raw.strip() for raw, _ in VALID])
def test_to_sqlalchemy_url(raw: str, parts: Parts) -> None:
    url = to_sqlalchemy_url(raw)
    assert (url.drivername, url.host, url.port, url.database, url.username, url.password) == parts
    assert dict(url.query) == {}


def test_sslmode_becomes_ssl_for_postgres() -> None:
    url = to_sqlalchemy_url("postgres://app@db/app?sslmode=require&application_name=web")
    assert dict(url.query) == {"ssl": "require", "application_name": "web"}


def test_docstring_example() -> None:
    url = to_sqlalchemy_url("postgres://app@db/app?sslmode=require")
    assert url.render_as_string() == "postgresql+asyncpg://app@db/app?ssl=require"


@pytest.mark.parametrize(
    "raw",
    ["postgres://app@db/app?ssl=true", "postgresql+asyncpg://app@db/app?ssl=true"],
)
def test_ssl_is_kept_for_postgres(raw: str) -> None:
    assert dict(to_sqlalchemy_url(raw).query) == {"ssl": "true"}


def test_mysql_query_is_kept() -> None:
    url = to_sqlalchemy_url("mysql://root@db/app?charset=utf8mb4")
    assert dict(url.query) == {"charset": "utf8mb4"}


@pytest.mark.parametrize(
    ("raw", "password"),
    [
        ("postgres://app:p%40ss%3Aw%2Frd@db/app", "p@ss:w/rd"),
        ("postgres://app:100%25sure@db:5432/app", "100%sure"),
        ("mysql://root:a%23b%3Fc%20d@db/app", "a#b?c d"),
        ("mariadb://root:%3A%40%2F%3F%23@db:3306/app", ":@/?#"),
        ("postgres://app:p%C3%A4ss@db/app", "p\u00e4ss"),
    ],
)
def test_password_with_special_characters_survives(raw: str, password: str) -> None:
    url = to_sqlalchemy_url(raw)
    assert url.password == password
    assert url.host == "db"
    assert url.database == "app"
    again = make_url(url.render_as_string(hide_password=False))
    assert again.password == password
    assert again.host == "db"


ERRORS: list[tuple[str, str]] = [
    ("", "cannot parse"),
    ("   ", "cannot parse"),
    ("db.example.com/app", "cannot parse"),
    (f"://app:{SECRET}@db/app", "cannot parse"),
    (f"oracle://app:{SECRET}@db/app", "unsupported"),
    (f"postgresql+pg8000://app:{SECRET}@db/app", "unsupported"),
    (f"mysql+asyncmy://root:{SECRET}@db/app", "unsupported"),
    (f"mssql://sa:{SECRET}@db/app", "unsupported"),
    (f"app:{SECRET}@db/app", "unsupported"),
    (f"postgres://app:{SECRET}@db", "no database"),
    (f"postgres://app:{SECRET}@db/", "no database"),
    (f"postgres://app:{SECRET}@db:5432", "no database"),
    (f"mysql://root:{SECRET}@db:3306", "no database"),
    (f"mariadb://root:{SECRET}@db/", "no database"),
    (f"postgres://app:{SECRET}@db:notaport/app", "cannot parse"),
    (f"postgres://app:{SECRET}@[::1/app", "cannot parse"),
    (f"postgres:app:{SECRET}@db/app", "cannot parse"),
    (f"postgres:/app:{SECRET}@db/app", "cannot parse"),
    ("sqlite://host/app.db", "host"),
]


@pytest.mark.parametrize(("raw", "fragment"), ERRORS, ids=[raw for raw, _ in ERRORS])
def test_to_sqlalchemy_url_errors(raw: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        to_sqlalchemy_url(raw)
    message = str(info.value)
    assert fragment in message
    assert SECRET not in message


def test_unencoded_at_in_password_is_not_misread() -> None:
    # "se@cret" should have been written se%40cret. dbmate (Go net/url) takes the last "@"
    # as the end of the user info; reading the first one would connect to host "cret@db"
    # and show half the password in every message naming the host.
    try:
        url = to_sqlalchemy_url("postgres://app:se@cret@db/app")
    except ConfigurationError as exc:
        message = str(exc)
    else:
        assert (url.password, url.host, url.database) == ("se@cret", "db", "app")
        message = describe(url)
    assert "cret" not in message


# --------------------------------------------------------------------------
# redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"postgres://app:{SECRET}@db/app", "postgres://app:***@db/app"),
        (
            f"postgresql+asyncpg://app:{SECRET}@db:5432/app",
            "postgresql+asyncpg://app:***@db:5432/app",
        ),
        (f"mysql://root:{SECRET}@127.0.0.1:3306/app", "mysql://root:***@127.0.0.1:3306/app"),
        (f"postgres://:{SECRET}@db/app", "postgres://:***@db/app"),
        ("postgres://app:p%40ss%3Aw@db/app", "postgres://app:***@db/app"),
        (
            f"cannot connect to postgres://app:{SECRET}@db/app: connection refused",
            "cannot connect to postgres://app:***@db/app: connection refused",
        ),
        (
            f"from postgres://a:{SECRET}@one/x to mysql://b:{SECRET}@two/y",
            "from postgres://a:***@one/x to mysql://b:***@two/y",
        ),
        (f"'postgres://app:{SECRET}@db/app'", "'postgres://app:***@db/app'"),
    ],
)
def test_redact_url_password(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_password_with_unencoded_at_sign() -> None:
    assert redact("postgres://app:se@cret@db/app") == "postgres://app:***@db/app"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "postgres://app@db/app",
        "postgres://db:5432/app",
        "sqlite:relative/path.db",
        "sqlite:////abs/path.db",
        "mail admin@example.com: it failed",
        "ratio 3:4 @ noon",
        "no password here",
    ],
)
def test_redact_leaves_text_without_passwords_unchanged(text: str) -> None:
    assert redact(text) == text
    assert redact(text, None) == text
    assert redact(text, "") == text


@pytest.mark.parametrize(
    ("text", "password", "expected"),
    [
        (
            f'password authentication failed for user "app" ({SECRET})',
            SECRET,
            'password authentication failed for user "app" (***)',
        ),
        (f"{SECRET} and {SECRET} again", SECRET, "*** and *** again"),
        ("p@ss:w/rd leaked", "p@ss:w/rd", "*** leaked"),
        (
            f"postgres://app:{SECRET}@db/app failed: {SECRET}",
            SECRET,
            "postgres://app:***@db/app failed: ***",
        ),
        ("nothing to hide", SECRET, "nothing to hide"),
    ],
)
def test_redact_explicit_password(text: str, password: str, expected: str) -> None:
    assert redact(text, password) == expected


# --------------------------------------------------------------------------
# describe


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"postgres://app:{SECRET}@db:5432/app", "postgresql://db/app"),
        (f"postgresql+asyncpg://app:{SECRET}@db/app?sslmode=require", "postgresql://db/app"),
        (f"postgres://app:{SECRET}@/app", "postgresql://localhost/app"),
        (f"mysql://root:{SECRET}@127.0.0.1:3306/app", "mysql://127.0.0.1/app"),
        (f"mariadb://root:{SECRET}@db/app", "mysql://db/app"),
        ("postgres://app:p%40ss%3Aw%2Frd@db/app", "postgresql://db/app"),
        ("sqlite:relative/path.db", "sqlite:relative/path.db"),
        ("sqlite:/abs/path.db", "sqlite:/abs/path.db"),
        ("sqlite:///rel.db", "sqlite:rel.db"),
    ],
)
def test_describe(raw: str, expected: str) -> None:
    url = to_sqlalchemy_url(raw)
    text = describe(url)
    assert text == expected
    if url.password:
        assert url.password not in text
        assert "***" not in text
