"""schemactl: async-first, dbmate-compatible schema migrations for SQLAlchemy projects.

    >>> import schemactl
    >>> result = await schemactl.up("postgresql://app@db/app")

Importing this package is cheap: SQLAlchemy and the drivers load on the first call that
touches a database.
"""

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

__all__ = [
    "AppliedMigration",
    "Change",
    "CheckResult",
    "ConfigurationError",
    "DatabaseConnectionError",
    "DatabaseResult",
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
