"""The exception tree. Every error a user can cause is one of these.

    SchemactlError                  exit code
    ├── ConfigurationError          3   no URL, bad URL, bad option, missing migrations dir
    ├── MigrationFileError          4   a file cannot be parsed, two files share a version,
    │                                   an applied migration's file is missing
    ├── DatabaseConnectionError     5   unreachable, bad credentials, database missing,
    │   └── WaitTimeoutError        5   `wait` gave up
    ├── StatementError              6   the database refused one of schemactl's own statements
    │   └── MigrationFailedError    6   a statement of a migration failed
    ├── LockTimeoutError            7   another run held the migration lock too long
    ├── LockLostError               7   another run took over the lease lock this run held
    ├── StateError                  8   nothing to roll back, unknown --to version, ...
    │   ├── PlanDigestError         8   `up --plan-digest`: the plan changed since approved
    │   └── ReadOnlyServerError     8   up/migrate/rollback/resolve on a standby or replica
    └── PolicyError                 9   the lint policy refuses a pending migration

The CLI turns each into one line on stderr and its exit code. Exit code 1 means
"the check found something" (pending migrations with --exit-code) and 2 is a usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class SchemactlError(Exception):
    """Base class of every error schemactl raises on purpose."""

    exit_code = 70


class ConfigurationError(SchemactlError):
    exit_code = 3


class MigrationFileError(SchemactlError):
    exit_code = 4


class DatabaseConnectionError(SchemactlError):
    exit_code = 5


class WaitTimeoutError(DatabaseConnectionError):
    pass


class StatementError(SchemactlError):
    """The database refused a statement: one of schemactl's own on its tracking tables
    (permission denied, a statement timeout, a read-only server), or a migration's."""

    exit_code = 6


class MigrationFailedError(StatementError):
    """A migration's SQL failed. Nothing after it was applied."""

    def __init__(
        self,
        message: str,
        *,
        version: str,
        line: int | None,
        statements_run: int = 0,
        path: Path | None = None,
    ) -> None:
        super().__init__(message)
        self.version = version
        self.line = line
        self.statements_run = statements_run
        self.path = path  # the migration's file


class LockTimeoutError(SchemactlError):
    exit_code = 7


class LockLostError(SchemactlError):
    """The lease lock (``--lock-strategy table``, PgBouncer, Galera) expired unrenewed and
    another run took it over. Found before a migration starts: that migration and the ones
    after it were not applied."""

    exit_code = 7


class StateError(SchemactlError):
    exit_code = 8


class PlanDigestError(StateError):
    """``up --plan-digest``: what would run is not the plan that was approved (a file changed,
    one was added or applied since, another database). Nothing was applied."""

    def __init__(self, message: str, *, expected: str, actual: str, changes: list[str]) -> None:
        super().__init__(message)
        self.expected = expected  # the approved digest
        self.actual = actual  # the digest of what would run now
        self.changes = changes  # what changed, one sentence each


class ReadOnlyServerError(StateError):
    """``up``, ``migrate``, ``rollback`` or ``resolve`` pointed at a server that takes no
    writes: a PostgreSQL hot standby, a MySQL/MariaDB replica with ``read_only``. Checked
    first: nothing was attempted (no lock, no tracking table). ``status`` and
    ``wait --migrated`` work there."""


class PolicyError(SchemactlError):
    """With the lint policy enforced, a pending migration has a blocking, unapproved finding:
    it was not applied, nor anything after it (the pending ones before it were)."""

    exit_code = 9

    def __init__(
        self, message: str, *, version: str, file: str, findings: list[dict[str, Any]]
    ) -> None:
        super().__init__(message)
        self.version = version
        self.file = file
        self.findings = findings  # as `schemactl lint --json` prints them
