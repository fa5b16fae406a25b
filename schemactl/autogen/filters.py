"""Which tables and schemas autogenerate and ``check`` look at: the user's exclusions.

A table left out is left out on both sides: a table only the database holds (made by a
hand-written migration, or an extension's like PostGIS's ``spatial_ref_sys``) is not
proposed for dropping, and a models table is not created. The filter is applied where
Alembic asks (``include_name`` for the database's names, ``include_object`` for both sides'
objects), and to the models' tables before anything is read.

Patterns are shell globs (``audit_*``), matched case-sensitively. One with a dot is
schema-qualified (``audit.*``: every table of schema ``audit``) and matches a table of the
default schema under that schema's name too (``public.spatial_ref_sys``); one without a
dot matches the table's name in any schema.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from .._errors import ConfigurationError

# Alembic's include_object: (object, name, type_, reflected, compare_to) -> include it?
IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]


@dataclass(frozen=True)
class ObjectFilter:
    """Excluded table and schema patterns, and the user's own ``include_object``."""

    exclude_tables: tuple[str, ...] = ()
    exclude_schemas: tuple[str, ...] = ()
    include_object: IncludeObject | None = None
    default_schema: str | None = None  # the name of schema None, set once connected

    @classmethod
    def build(
        cls,
        exclude_tables: Iterable[str] | str = (),
        exclude_schemas: Iterable[str] | str = (),
        include_object: IncludeObject | None = None,
    ) -> ObjectFilter:
        """Checked arguments (one pattern given as a plain string is one pattern, not a
        sequence of one-letter patterns)."""
        tables = _patterns("exclude_tables", exclude_tables)
        schemas = _patterns("exclude_schemas", exclude_schemas)
        if include_object is not None and not callable(include_object):
            raise ConfigurationError("include_object must be a callable, like Alembic's")
        return cls(tables, schemas, include_object)

    def connected(self, default_schema: str | None) -> ObjectFilter:
        return dataclasses.replace(self, default_schema=default_schema)

    def schema_excluded(self, schema: str | None) -> bool:
        name = schema if schema is not None else self.default_schema
        return name is not None and any(fnmatchcase(name, p) for p in self.exclude_schemas)

    def table_excluded(self, schema: str | None, name: str) -> bool:
        """Left out by name: its schema, or a table pattern, excludes it."""
        if self.schema_excluded(schema):
            return True
        qualified = f"{schema if schema is not None else self.default_schema}.{name}"
        return any(
            fnmatchcase(qualified if "." in pattern else name, pattern)
            for pattern in self.exclude_tables
        )

    def includes(
        self, obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        """Alembic's ``include_object``: the patterns for tables, then the user's callable."""
        if type_ == "table" and name is not None and self.table_excluded(obj.schema, name):
            return False
        if self.include_object is None:
            return True
        return bool(self.include_object(obj, name, type_, reflected, compare_to))


def _patterns(what: str, value: Iterable[str] | str) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(item, str) and item for item in items):
        raise ConfigurationError(f"{what} takes table or schema names and globs, as strings")
    return items
