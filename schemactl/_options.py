"""The options of one run, validated once, where they enter, before anything connects.

The public functions and the CLI both build an :class:`Options`; a bad value is a
``ConfigurationError`` (exit 3) at once, even when the database URL is unreachable. Every
timeout is a finite number of seconds: ``nan`` compares false with everything and would slip
through a plain ``< 0`` test, and ``inf`` overflows the servers' settings.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from ._errors import ConfigurationError
from ._password import Password, password_source

if TYPE_CHECKING:
    from ._password import PasswordSource
    from ._results import Progress
    from .lint.policy import Policy

LockStrategy = Literal["auto", "session", "table"]
Dirs = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]

DEFAULT_DIR = "migrations"
DEFAULT_TABLE = "schema_migrations"
DEFAULT_SCHEMA_FILE = "schema.sql"
DEFAULT_LOCK_TIMEOUT = 120.0
DEFAULT_WAIT_TIMEOUT = 60.0
DEFAULT_LINK_TIMEOUT = 60.0


@dataclass(frozen=True, kw_only=True)
class Options:
    """Where the migrations are and how a run behaves on the database."""

    migrations_dirs: tuple[Path, ...] = (Path(DEFAULT_DIR),)
    migrations_table: str = DEFAULT_TABLE
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT  # seconds to wait for another run's lock
    lock_strategy: LockStrategy = "auto"  # session lock, lease row ("table"), or by the URL
    lock_retries: int = 0  # retries of a migration that timed out waiting for a table lock
    ddl_lock_timeout: float | None = None  # None: the server's own setting
    statement_timeout: float | None = None
    # seconds a silent TCP link (no reply, no acknowledgement) is tolerated (TCP keepalives)
    link_timeout: float = DEFAULT_LINK_TIMEOUT
    strict: bool = False  # refuse a pending migration older than one applied (dbmate's --strict)
    fail_on_drift: bool = False  # refuse to run while an applied migration's file changed
    # `up`/`migrate` lint the pending migrations with it (None: no lint, as dbmate)
    policy: Policy | None = None
    # `up`/`migrate` apply only what this plan digest covers (`schemactl plan`)
    plan_digest: str | None = None
    # called before each migration of `up`/`migrate`/`rollback` and after the last
    progress: Callable[[Progress], None] | None = None
    # a password made for each new connection of an engine schemactl owns (None: the URL's)
    password: PasswordSource | None = None

    def __post_init__(self) -> None:
        if not self.migrations_dirs:
            raise ConfigurationError("give at least one migrations directory")
        if not self.migrations_table or not self.migrations_table.rpartition(".")[2]:
            raise ConfigurationError("the migrations table needs a name")
        if not self.lock_timeout >= 0 or math.isinf(self.lock_timeout):
            raise ConfigurationError(
                f"lock timeout must be zero or more seconds, not {self.lock_timeout:g}"
            )
        if self.lock_strategy not in get_args(LockStrategy):
            raise ConfigurationError(
                f"lock strategy must be auto, session or table, not {self.lock_strategy!r}"
            )
        if self.lock_retries < 0:
            raise ConfigurationError(f"lock retries must be 0 or more, not {self.lock_retries}")
        for name, value in (
            ("ddl lock timeout", self.ddl_lock_timeout),
            ("statement timeout", self.statement_timeout),
            ("link timeout", self.link_timeout),
        ):
            if value is not None and not 0 < value < math.inf:
                raise ConfigurationError(f"{name} must be more than 0 seconds, not {value:g}")
        if self.plan_digest is not None:
            from .planner.digest import check_digest

            object.__setattr__(self, "plan_digest", check_digest(self.plan_digest))

    @classmethod
    def build(
        cls,
        *,
        migrations_dir: Dirs = DEFAULT_DIR,
        migrations_table: str = DEFAULT_TABLE,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        lock_strategy: str = "auto",
        lock_retries: int = 0,
        ddl_lock_timeout: float | None = None,
        statement_timeout: float | None = None,
        link_timeout: float = DEFAULT_LINK_TIMEOUT,
        strict: bool = False,
        fail_on_drift: bool = False,
        policy: Policy | None = None,
        plan_digest: str | None = None,
        progress: Callable[[Progress], None] | None = None,
        password: Password | PasswordSource | None = None,
    ) -> Options:
        """Options from the public functions' keyword arguments (one directory or several)."""
        if isinstance(migrations_dir, str | os.PathLike):
            dirs: tuple[Path, ...] = (Path(migrations_dir),)
        else:
            dirs = tuple(Path(item) for item in migrations_dir)
        return cls(
            migrations_dirs=dirs,
            migrations_table=migrations_table,
            lock_timeout=lock_timeout,
            lock_strategy=lock_strategy,  # type: ignore[arg-type]  # checked in __post_init__
            lock_retries=lock_retries,
            ddl_lock_timeout=ddl_lock_timeout,
            statement_timeout=statement_timeout,
            link_timeout=link_timeout,
            strict=strict,
            fail_on_drift=fail_on_drift,
            policy=policy,
            plan_digest=plan_digest,
            progress=progress,
            password=password_source(password),
        )


def check_wait_timeout(timeout: float) -> float:
    if not timeout >= 0 or math.isinf(timeout):
        raise ConfigurationError(f"timeout must be zero or more seconds, not {timeout:g}")
    return timeout
