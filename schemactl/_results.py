"""What the public coroutines return: small frozen dataclasses, easy to print as JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._files import is_empty_sql, noop_marked


@dataclass(frozen=True)
class AppliedMigration:
    """One migration that was applied or rolled back by this call."""

    version: str
    name: str
    path: Path
    duration: float  # seconds


@dataclass(frozen=True)
class Progress:
    """Where a run of ``up``, ``migrate`` or ``rollback`` is, given to its ``progress``
    callback before each migration and once after the last: ``done`` of ``total`` finished,
    ``current`` the file running now (None once all are done)."""

    done: int
    total: int
    current: str | None
    direction: str  # "up" or "down"


@dataclass(frozen=True)
class MigrateResult:
    applied: tuple[AppliedMigration, ...]
    created_database: bool = False
    warnings: tuple[str, ...] = ()
    total: int = 0  # migration files found
    pending: int = 0  # of those, not recorded as applied after the run


@dataclass(frozen=True)
class RollbackResult:
    rolled_back: tuple[AppliedMigration, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RedoResult:
    rolled_back: tuple[AppliedMigration, ...]  # the one applied last first
    applied: tuple[AppliedMigration, ...]  # in order
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class DumpResult:
    """A schema file written by ``dump``: which database, by which tool (``pg_dump``,
    ``mariadb-dump``, ``mysqldump``, ``sqlite3``, or ``builtin``: schemactl's own connection),
    the applied versions recorded at its end, and whether its bytes changed."""

    path: Path
    database: str
    tool: str
    versions: tuple[str, ...]
    changed: bool


@dataclass(frozen=True)
class LoadResult:
    """A schema file applied by ``load``: into which database (``created`` when ``load``
    created it), and the versions the tracking table then records as applied."""

    path: Path
    database: str
    created: bool
    versions: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class MigrationStatus:
    version: str
    name: str | None  # None when the file of an applied migration is missing
    path: Path | None
    applied: bool
    applied_at: dt.datetime | None
    checksum_ok: bool | None  # None when unknown: not applied, or applied by dbmate
    state: str = "pending"  # "applied", "pending", or "failed" (part-way, or interrupted)
    failure: str | None = None  # what failed, when, after how many statements
    out_of_order: bool = False  # pending, and older than the newest applied version

    @property
    def file_missing(self) -> bool:
        return self.path is None


@dataclass(frozen=True)
class Status:
    migrations: tuple[MigrationStatus, ...]
    warnings: tuple[str, ...] = ()

    @property
    def pending(self) -> tuple[MigrationStatus, ...]:
        return tuple(m for m in self.migrations if not m.applied)

    @property
    def applied(self) -> tuple[MigrationStatus, ...]:
        return tuple(m for m in self.migrations if m.applied)

    @property
    def failed(self) -> tuple[MigrationStatus, ...]:
        return tuple(m for m in self.migrations if m.state == "failed")

    @property
    def drifted(self) -> tuple[MigrationStatus, ...]:
        """Applied migrations whose file changed since, or is gone."""
        return tuple(m for m in self.applied if m.file_missing or m.checksum_ok is False)


@dataclass(frozen=True)
class ShowResult:
    """One section of one migration, as `up` or `rollback` would run it."""

    version: str
    path: Path
    direction: str  # "up" or "down"
    transaction: bool  # run in a transaction of its own (False: transaction:false)
    line: int  # the file's line where the SQL starts
    sql: str


@dataclass(frozen=True)
class ResolveResult:
    """A failed migration marked by hand as applied or as rolled back."""

    version: str
    applied: bool


@dataclass(frozen=True)
class BaselineResult:
    """``baseline``: the migrations recorded as applied without running them, because the
    database already has their changes (``recorded``: those it had not recorded yet)."""

    version: str
    recorded: tuple[str, ...]


@dataclass(frozen=True)
class DatabaseResult:
    """Outcome of `create` or `drop`: ``changed`` is False when there was nothing to do."""

    database: str
    changed: bool


@dataclass(frozen=True)
class WaitResult:
    attempts: int
    elapsed: float  # seconds
    migrated: bool = False  # waited for every migration to be applied, not only the server
    version: str | None = None  # waited for this migration only


@dataclass(frozen=True)
class Change:
    """One schema change found by autogenerate or `check`."""

    kind: str  # add_table, drop_table, add_column, drop_column, alter_column, add_index, ...
    table: str
    detail: str  # "+ column users.email VARCHAR(255)"
    destructive: bool = False


@dataclass(frozen=True)
class NewFile:
    """One migration file ``new --auto`` writes (``path`` None: a dry run)."""

    path: Path | None
    up_sql: str
    down_sql: str
    up_transaction: bool = True  # False: the up section is marked transaction:false
    down_transaction: bool = True  # False: the down section is marked transaction:false

    @property
    def content(self) -> str:
        """The migration file's text."""
        up_option = "" if self.up_transaction else " transaction:false"
        down_option = "" if self.down_transaction else " transaction:false"
        # an up section with nothing to run is left for the user to write, its down as well
        down = self.down_sql if is_empty_sql(self.up_sql) else noop_marked(self.down_sql)
        return f"-- migrate:up{up_option}\n{self.up_sql}\n-- migrate:down{down_option}\n{down}"


@dataclass(frozen=True)
class NewResult:
    """A new migration. With ``auto``: ``path`` is None when nothing differed (or dry run);
    ``database`` is the database compared (its URL without the password), ``notes`` the
    warnings the SQL carries as comments (data loss, possible renames).

    ``files``: every file written, in order: the main migration, then the steps that must
    run apart from it on existing tables (PostgreSQL's concurrent index builds, constraint
    validations); ``findings``: the linter's warnings and errors on them (``RULE name:
    message``), written above their statements as ``-- schemactl:`` comments. ``path``,
    ``up_sql``, ``down_sql``, ``up_transaction`` and ``content`` are the first file's."""

    path: Path | None
    changes: tuple[Change, ...] = ()
    up_sql: str = ""
    down_sql: str = ""
    up_transaction: bool = True  # False: the up section is marked transaction:false
    database: str | None = None
    notes: tuple[str, ...] = ()
    files: tuple[NewFile, ...] = ()
    findings: tuple[str, ...] = ()  # what the linter says of the files, as they say it too

    @property
    def content(self) -> str:
        """The first migration file's text."""
        if self.files:
            return self.files[0].content
        return NewFile(None, self.up_sql, self.down_sql, self.up_transaction).content


@dataclass(frozen=True)
class CheckResult:
    """The differences between the models and the database (``database``: its URL without
    the password); empty when they match. ``notes``: data loss and possible renames."""

    changes: tuple[Change, ...]
    database: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.changes


def to_json(result: object) -> Any:
    """A result as plain JSON-ready data (paths and datetimes as strings)."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        data = {f.name: to_json(getattr(result, f.name)) for f in dataclasses.fields(result)}
        if isinstance(result, CheckResult):
            data["clean"] = result.clean
        if isinstance(result, Status):
            data["pending"] = len(result.pending)
            data["applied"] = len(result.applied)
            data["drifted"] = len(result.drifted)
            data["failed"] = len(result.failed)
        return data
    if isinstance(result, tuple | list):
        return [to_json(item) for item in result]
    if isinstance(result, Path):
        return str(result)
    if isinstance(result, dt.datetime):
        return result.isoformat()
    return result


def plural(count: int, noun: str) -> str:
    """``count`` and its noun, singular or plural (regular nouns only).

    >>> plural(1, "attempt"), plural(3, "migration")
    ('1 attempt', '3 migrations')
    """
    return f"{count} {noun}{'' if count == 1 else 's'}"
