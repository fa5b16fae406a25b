"""Schema per tenant (PostgreSQL): one URL per schema, each with ``?search_path=<schema>``, so
that a fleet run migrates every tenant's schema as it migrates every database of a URL file.

The schemas are named (``--schemas a,b,c``) or listed by a query on each database
(``--schemas-from "SELECT ..."``), run in a read-only transaction; listed schemas are sorted,
so every runner of ``--shard K/N`` sees the same list whatever the query's order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qs, quote

from ._errors import ConfigurationError, SchemactlError, StatementError
from ._options import Options
from ._password import Password, PasswordSource
from ._search_path import entry
from .dialects import dialect_for_scheme

QUERY_SECONDS = 30  # a query that lists schemas is a catalog read: it needs no longer


def tenant_urls(url: str, schemas: Iterable[str]) -> list[str]:
    """``url`` once per schema, with ``?search_path=<schema>``: the migrations run in that
    schema, and its tracking table is ``<schema>.schema_migrations``.

    >>> tenant_urls("postgresql://app@db/app", ["tenant_a", "tenant_b"])
    ['postgresql://app@db/app?search_path=tenant_a', 'postgresql://app@db/app?search_path=tenant_b']
    """
    dialect = dialect_for_scheme(url.strip().partition(":")[0])
    if dialect is not None and dialect.name != "postgresql":
        raise ConfigurationError(
            "a schema per tenant is PostgreSQL's: on MySQL and MariaDB a schema is a database "
            "(list each in a URL file); SQLite has none"
        )
    query = url.partition("?")[2]
    if "search_path" in parse_qs(query):
        raise ConfigurationError("the URL sets search_path already: give the schemas one way")
    separator = "&" if query else ("" if url.endswith("?") else "?")
    return [f"{url}{separator}search_path={quote(entry(schema), safe='')}" for schema in schemas]


def parse_schemas(text: str) -> list[str]:
    """``--schemas a,b,c`` as names (spaces around each removed, duplicates once).

    >>> parse_schemas("tenant_a, tenant_b")
    ['tenant_a', 'tenant_b']
    """
    names = list(dict.fromkeys(name.strip() for name in text.split(",")))
    if not names or not all(names):
        raise ConfigurationError(f"--schemas must be names separated by commas, not {text!r}")
    return names


async def list_schemas(
    url: str, query: str, *, password: Password | PasswordSource | None = None
) -> list[str]:
    """The schemas a query lists on the database at ``url`` (its first column), sorted, each
    once. The query runs in a read-only transaction, for at most 30 seconds.

    >>> await list_schemas(url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant%'")
    ['tenant_a', 'tenant_b']
    """
    from ._database import open_database

    options = Options.build(password=password)
    async with open_database(url, options) as db, db.connection() as conn:
        try:
            await conn.exec_driver_sql("BEGIN READ ONLY")
            await conn.exec_driver_sql(f"SET LOCAL statement_timeout = '{QUERY_SECONDS}s'")
            result = await conn.exec_driver_sql(query)
            rows = result.all() if result.returns_rows else None
        except SchemactlError:
            raise
        except Exception as exc:
            if not db.dialect.classify(exc).statement:
                raise
            raise StatementError(f"--schemas-from: the query failed: {db.reason(exc)}") from exc
        finally:
            with contextlib.suppress(Exception):  # (a broken link says so above)
                await conn.exec_driver_sql("ROLLBACK")
    if rows is None or (rows and len(rows[0]) != 1):
        raise ConfigurationError("--schemas-from: the query must return one column, the schema")
    return sorted({str(row[0]) for row in rows if row[0] is not None})


async def expand(
    urls: Sequence[str],
    schemas: Sequence[str] | None,
    schemas_from: str | None,
    *,
    password: Password | PasswordSource | None = None,
    concurrency: int = 4,
) -> tuple[list[str], dict[str, SchemactlError]]:
    """Each URL once per schema (none given: the URLs as they are); with ``schemas_from``,
    the schemas each database lists. A database whose query fails stays in the list as its
    URL, with its error: the run reports it as that database's failure."""
    if schemas is not None and schemas_from is not None:
        raise ConfigurationError("give --schemas or --schemas-from, not both")
    if schemas is not None:
        return [t for url in urls for t in tenant_urls(url, schemas)], {}
    if schemas_from is None:
        return list(urls), {}
    import anyio

    limiter = anyio.CapacityLimiter(concurrency)
    listed: dict[str, list[str] | SchemactlError] = {}

    async def one(url: str) -> None:
        async with limiter:
            try:
                listed[url] = await list_schemas(url, schemas_from, password=password)
            except SchemactlError as exc:
                listed[url] = exc

    for url in urls:
        tenant_urls(url, [])  # (not PostgreSQL, or search_path set: refused before querying)
    async with anyio.create_task_group() as group:
        for url in dict.fromkeys(urls):
            group.start_soon(one, url)
    targets: list[str] = []
    failed: dict[str, SchemactlError] = {}
    for url in dict.fromkeys(urls):
        found = listed[url]
        if isinstance(found, SchemactlError):
            failed[url] = found
            targets.append(url)
        else:
            targets += tenant_urls(url, found)
    return targets, failed
