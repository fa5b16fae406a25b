"""schemactl: async-first, dbmate-compatible schema migrations for SQLAlchemy projects.

    >>> import schemactl
    >>> result = await schemactl.up("postgresql://app@db/app")

Importing this package is cheap: SQLAlchemy and the drivers load on the first call that
touches a database, the linter (``lint_files``, ``lint_database``, ``plan``) on its first use.
"""

from typing import TYPE_CHECKING, Any

from ._api import (
    baseline,
    check,
    create,
    drop,
    dump,
    load,
    migrate,
    new,
    plan,
    redo,
    resolve,
    rollback,
    show,
    status,
    up,
    wait,
)
from ._api_fleet import lint_many, migrate_many, plan_many, rollback_many, status_many, up_many
from ._errors import (
    ConfigurationError,
    DatabaseConnectionError,
    LockLostError,
    LockTimeoutError,
    MigrationFailedError,
    MigrationFileError,
    PlanDigestError,
    PolicyError,
    ReadOnlyServerError,
    SchemactlError,
    StateError,
    StatementError,
    WaitTimeoutError,
)
from ._fleet import FleetDatabase, FleetResult, read_url_file, shard
from ._migrator import Migrator
from ._results import (
    AppliedMigration,
    BaselineResult,
    Change,
    CheckResult,
    DatabaseResult,
    DumpResult,
    LoadResult,
    MigrateResult,
    MigrationStatus,
    NewFile,
    NewResult,
    Progress,
    RedoResult,
    ResolveResult,
    RollbackResult,
    ShowResult,
    Status,
    WaitResult,
)
from ._verify import VerifiedMigration, VerifyProblem, VerifyResult, verify
from ._version import __version__

if TYPE_CHECKING:
    from .lint.policy import Policy as LintPolicy
    from .lint.run import LintResult, lint_database, lint_files
    from .planner.model import PlanResult

# The linter (its SQL parsers, its rule catalog) loads on first use: `import schemactl` stays
# cheap. Public name -> (module, its name there).
_LAZY = {
    "LintPolicy": ("policy", "Policy"),
    "LintResult": ("run", "LintResult"),
    "lint_database": ("run", "lint_database"),
    "lint_files": ("run", "lint_files"),
    "PlanResult": ("schemactl.planner.model", "PlanResult"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        if "." not in module:
            module = f"{__name__}.lint.{module}"
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AppliedMigration",
    "BaselineResult",
    "Change",
    "CheckResult",
    "ConfigurationError",
    "DatabaseConnectionError",
    "DatabaseResult",
    "DumpResult",
    "FleetDatabase",
    "FleetResult",
    "LintPolicy",
    "LintResult",
    "LoadResult",
    "LockLostError",
    "LockTimeoutError",
    "MigrateResult",
    "MigrationFailedError",
    "MigrationFileError",
    "MigrationStatus",
    "Migrator",
    "NewFile",
    "NewResult",
    "PlanDigestError",
    "PlanResult",
    "PolicyError",
    "Progress",
    "ReadOnlyServerError",
    "RedoResult",
    "ResolveResult",
    "RollbackResult",
    "SchemactlError",
    "ShowResult",
    "StateError",
    "StatementError",
    "Status",
    "VerifiedMigration",
    "VerifyProblem",
    "VerifyResult",
    "WaitResult",
    "WaitTimeoutError",
    "__version__",
    "baseline",
    "check",
    "create",
    "drop",
    "dump",
    "lint_database",
    "lint_files",
    "lint_many",
    "load",
    "migrate",
    "migrate_many",
    "new",
    "plan",
    "plan_many",
    "read_url_file",
    "redo",
    "resolve",
    "rollback",
    "rollback_many",
    "shard",
    "show",
    "status",
    "status_many",
    "up",
    "up_many",
    "verify",
    "wait",
]
