"""PostgreSQL's ``search_path`` as a URL gives it (``?search_path=tenant_a,public``, dbmate's
option): its schemas, and the spelling of one schema as an entry of it."""

from __future__ import annotations

import re

from ._errors import ConfigurationError

_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")
_ENTRY = re.compile(r'\s*("(?:[^"]|"")*"|[^,"]*)\s*(,|$)')


def schemas(search_path: str) -> list[str]:
    """The schema names of a search_path, in order: a quoted entry unquoted, a plain one as
    the server folds it (to lower case).

    >>> schemas('tenant_a, "Tenant B", public')
    ['tenant_a', 'Tenant B', 'public']
    """
    names: list[str] = []
    position = 0
    while position < len(search_path):
        match = _ENTRY.match(search_path, position)
        if match is None or match.end() == position:
            raise ConfigurationError(f"search_path {search_path!r} is not a list of schemas")
        entry = match.group(1)
        if entry.startswith('"'):
            names.append(entry[1:-1].replace('""', '"'))
        elif entry:
            names.append(entry.lower())
        else:
            raise ConfigurationError(f"search_path {search_path!r} has an empty entry")
        position = match.end()
    if not names:
        raise ConfigurationError("search_path is empty: name at least one schema")
    return names


def entry(schema: str) -> str:
    """A schema's name as a search_path entry: as it is when the server would read it back
    unchanged, otherwise quoted.

    >>> entry("tenant_a"), entry("Tenant B")
    ('tenant_a', '"Tenant B"')
    """
    if not schema:
        raise ConfigurationError("a schema needs a name")
    if _PLAIN.match(schema):
        return schema
    return '"' + schema.replace('"', '""') + '"'


def tracking_table(table: str, search_path: str | None) -> str:
    """The tracking table's name: as given when it names its schema (or there is no search
    path), else in the search path's first schema, as dbmate places it."""
    if search_path is None or "." in table:
        return table
    return f"{schemas(search_path)[0]}.{table}"
