"""schemactl: async-first, dbmate-compatible schema migrations for SQLAlchemy projects.

    >>> import schemactl
    >>> result = await schemactl.up("postgresql://app@db/app")

Importing this package is cheap: SQLAlchemy and the drivers load on the first call that
touches a database.
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
    PolicyError,
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
    from .lint.policy import Policy as LintPolicy


def __getattr__(name: str) -> Any:
    """``LintPolicy`` loads the linter's catalog on first use, not with the package."""
    if name == "LintPolicy":
        from .lint.policy import Policy

        return Policy
    raise AttributeError(f"module 'schemactl' has no attribute {name!r}")


__all__ = [
    "AppliedMigration",
    "Change",
    "CheckResult",
    "ConfigurationError",
    "DatabaseConnectionError",
    "DatabaseResult",
    "LintPolicy",
    "LockTimeoutError",
    "MigrateResult",
    "MigrationFailedError",
    "MigrationFileError",
    "MigrationStatus",
    "Migrator",
    "NewResult",
    "PolicyError",
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
