"""The fleet coroutines: ``up``, ``migrate``, ``rollback`` and ``status`` over many databases,
each with the options of its one-database function (the same for every database)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypedDict, Unpack

from ._api import migrate, plan, rollback, status, up
from ._fleet import DEFAULT_CONCURRENCY, FleetDatabase, FleetResult, run_many
from ._results import MigrateResult, RollbackResult, Status

if TYPE_CHECKING:
    from ._options import Dirs
    from ._password import Password
    from .lint.policy import Policy
    from .lint.run import LintResult
    from .planner.model import PlanResult


class StatusOptions(TypedDict, total=False):
    migrations_dir: Dirs
    migrations_table: str
    link_timeout: float
    lock_timeout: float
    password: Password | None  # the same for every database (a command: run per connection)


class PlanOptions(TypedDict, total=False):
    migrations_dir: Dirs
    migrations_table: str
    password: Password | None
    preflight: bool
    statement_timeout: float | None
    policy: Policy | None
    rollback: bool
    steps: int | None
    to: str | None
    ddl_lock_timeout: float | None
    link_timeout: float


class RollbackOptions(StatusOptions, total=False):
    steps: int | None
    to: str | None
    ddl_lock_timeout: float | None
    statement_timeout: float | None
    lock_retries: int
    lock_strategy: str


class UpOptions(StatusOptions, total=False):
    """``up``'s and ``migrate``'s options but ``plan_digest`` (one database's plan) and
    ``progress`` (one database's migrations)."""

    single_transaction: bool
    wait: bool
    wait_timeout: float
    ddl_lock_timeout: float | None
    statement_timeout: float | None
    lock_retries: int
    lock_strategy: str
    strict: bool
    fail_on_drift: bool
    to: str | None
    policy: Policy | None


async def up_many(
    urls: Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[FleetDatabase[MigrateResult]], None] | None = None,
    **options: Unpack[UpOptions],
) -> FleetResult[MigrateResult]:
    """``up`` on every database of ``urls``, at most ``concurrency`` at a time: one failing
    stops none of the others. ``on_done`` is called as each database finishes.

    >>> fleet = await schemactl.up_many(urls, concurrency=8, migrations_dir="migrations")
    >>> fleet.failed, [d.url for d in fleet.databases if not d.ok]
    """
    return await run_many(
        functools.partial(up, **options), urls, concurrency=concurrency, on_done=on_done
    )


async def migrate_many(
    urls: Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[FleetDatabase[MigrateResult]], None] | None = None,
    **options: Unpack[UpOptions],
) -> FleetResult[MigrateResult]:
    """``migrate`` on every database of ``urls`` (each must exist); see ``up_many``.

    >>> fleet = await schemactl.migrate_many(urls, concurrency=8)
    """
    return await run_many(
        functools.partial(migrate, **options), urls, concurrency=concurrency, on_done=on_done
    )


async def rollback_many(
    urls: Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[FleetDatabase[RollbackResult]], None] | None = None,
    **options: Unpack[RollbackOptions],
) -> FleetResult[RollbackResult]:
    """``rollback`` on every database of ``urls``; see ``up_many``.

    >>> fleet = await schemactl.rollback_many(urls, to="20260101120000")
    """
    return await run_many(
        functools.partial(rollback, **options), urls, concurrency=concurrency, on_done=on_done
    )


async def status_many(
    urls: Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[FleetDatabase[Status]], None] | None = None,
    **options: Unpack[StatusOptions],
) -> FleetResult[Status]:
    """``status`` of every database of ``urls``; see ``up_many``.

    >>> fleet = await schemactl.status_many(urls)
    >>> [d.url for d in fleet.databases if d.ok and d.result.pending]
    """
    return await run_many(
        functools.partial(status, **options), urls, concurrency=concurrency, on_done=on_done
    )


async def plan_many(
    urls: Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[FleetDatabase[PlanResult]], None] | None = None,
    **options: Unpack[PlanOptions],
) -> FleetResult[PlanResult]:
    """``plan`` of every database of ``urls``, changing nothing; see ``up_many``.

    >>> fleet = await schemactl.plan_many(urls, preflight=True)
    >>> [d.url for d in fleet.databases if d.ok and d.result.decision == "block"]
    """
    return await run_many(
        functools.partial(plan, **options), urls, concurrency=concurrency, on_done=on_done
    )


class LintOptions(TypedDict, total=False):
    migrations_dir: Dirs
    migrations_table: str
    policy: Policy | None
    all: bool
    ddl_lock_timeout: float | None
    password: Password | None


async def lint_many(
    urls: Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[FleetDatabase[LintResult]], None] | None = None,
    **options: Unpack[LintOptions],
) -> FleetResult[LintResult]:
    """``lint_database`` of every database of ``urls``, reading only; see ``up_many``. A
    database with blocking findings is ``ok`` (it was linted): look at its ``blocking``.

    >>> fleet = await schemactl.lint_many(urls, concurrency=8, migrations_dir="migrations")
    >>> [d.url for d in fleet.databases if d.ok and d.result.blocking]
    """
    from .lint.run import lint_database  # the linter loads on first use

    return await run_many(
        functools.partial(lint_database, **options),
        urls,
        concurrency=concurrency,
        on_done=on_done,
    )
