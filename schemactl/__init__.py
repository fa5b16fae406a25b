"""schemactl: async-first, dbmate-compatible schema migrations for SQLAlchemy projects.

    >>> import schemactl
    >>> result = await schemactl.up("postgresql://app@db/app")

Importing this package is cheap: SQLAlchemy and the drivers load on the first call that
touches a database, the linter (``lint_files``, ``lint_database``) on its first use.
"""

from typing import TYPE_CHECKING, Any

from ._api import (
    check,
    create,
    drop,
    migrate,
    new,
    redo,
    resolve,
    rollback,
    show,
    status,
    up,
    wait,
)
from ._errors import (
    ConfigurationError,
    DatabaseConnectionError,
    LockTimeoutError,
    MigrationFailedError,
    MigrationFileError,
    SchemactlError,
    StateError,
    StatementError,
    WaitTimeoutError,
)
from ._migrator import Migrator
from ._results import (
    AppliedMigration,
    Change,
    CheckResult,
    DatabaseResult,
    MigrateResult,
    MigrationStatus,
    NewFile,
    NewResult,
    RedoResult,
    ResolveResult,
    RollbackResult,
    ShowResult,
    Status,
    WaitResult,
)
from ._version import __version__

if TYPE_CHECKING:
    from .lint.run import LintResult, lint_database, lint_files

# The linter (its SQL parsers) loads on first use: `import schemactl` stays cheap.
_LAZY = {"LintResult", "lint_database", "lint_files"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from .lint import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AppliedMigration",
    "Change",
    "CheckResult",
    "ConfigurationError",
    "DatabaseConnectionError",
    "DatabaseResult",
    "LintResult",
    "LockTimeoutError",
    "MigrateResult",
    "MigrationFailedError",
    "MigrationFileError",
    "MigrationStatus",
    "Migrator",
    "NewFile",
    "NewResult",
    "RedoResult",
    "ResolveResult",
    "RollbackResult",
    "SchemactlError",
    "ShowResult",
    "StateError",
    "StatementError",
    "Status",
    "WaitResult",
    "WaitTimeoutError",
    "__version__",
    "check",
    "create",
    "drop",
    "lint_database",
    "lint_files",
    "migrate",
    "new",
    "redo",
    "resolve",
    "rollback",
    "show",
    "status",
    "up",
    "wait",
]
