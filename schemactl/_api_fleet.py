"""The fleet coroutines: ``up``, ``migrate``, ``rollback``, ``status``, ``plan`` and ``lint``
over many databases, each with the options of its one-database function (the same for every
database) and how the fleet runs (``FleetOptions``):

- ``concurrency``: how many at a time (default 4);

- ``schemas`` or ``schemas_from`` (PostgreSQL): run in each of these schemas of each database
  (named, or listed by a query on it), one URL with ``?search_path=<schema>`` each;
- ``shard=(k, n)``: only part k of n of the (expanded) list, for n machines sharing a fleet;
- ``on_start``: called with the number of targets before the first starts (a progress bar's
  total), ``on_done`` with each one's ``FleetDatabase`` as it finishes;
- ``canary=n`` (``up_many``, ``migrate_many``, ``rollback_many``): the first n targets run
  first, and if one fails the others are not run (each ``skipped``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar, Unpack

from ._api import migrate, plan, rollback, status, up
from ._fleet import DEFAULT_CONCURRENCY, FleetDatabase, FleetResult, check_concurrency, run_many
from ._fleet import shard as shard_of
from ._results import MigrateResult, RollbackResult, Status
from ._tenants import expand

if TYPE_CHECKING:
    from ._options import Dirs
    from ._password import Password
    from .lint.policy import Policy
    from .lint.run import LintResult
    from .planner.model import PlanResult


R = TypeVar("R")


class FleetOptions(TypedDict, Generic[R], total=False):
    """How a fleet runs; every ``*_many`` takes these beside its command's options."""

    concurrency: int
    schemas: Sequence[str] | None
    schemas_from: str | None
    shard: tuple[int, int] | None
    on_done: Callable[[FleetDatabase[R]], None] | None
    on_start: Callable[[int], None] | None


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


class _Canary(TypedDict, total=False):
    canary: int  # (the commands that change the databases)


class UpMany(UpOptions, FleetOptions[MigrateResult], _Canary, total=False): ...


class RollbackMany(RollbackOptions, FleetOptions[RollbackResult], _Canary, total=False): ...


class StatusMany(StatusOptions, FleetOptions[Status], total=False): ...


class PlanMany(PlanOptions, FleetOptions["PlanResult"], total=False): ...


class LintOptions(TypedDict, total=False):
    migrations_dir: Dirs
    migrations_table: str
    policy: Policy | None
    all: bool
    ddl_lock_timeout: float | None
    password: Password | None


class LintMany(LintOptions, FleetOptions["LintResult"], total=False): ...


async def up_many(urls: Iterable[str], **options: Unpack[UpMany]) -> FleetResult[MigrateResult]:
    """``up`` on every database of ``urls``, at most ``concurrency`` at a time: one failing
    stops none of the others. ``on_done`` is called as each database finishes.

    >>> fleet = await schemactl.up_many(urls, concurrency=8, migrations_dir="migrations")
    >>> fleet.failed, [d.url for d in fleet.databases if not d.ok]
    """
    return await _many(up, urls, dict(options))


async def migrate_many(
    urls: Iterable[str], **options: Unpack[UpMany]
) -> FleetResult[MigrateResult]:
    """``migrate`` on every database of ``urls`` (each must exist); see ``up_many``.

    >>> fleet = await schemactl.migrate_many(urls, concurrency=8)
    """
    return await _many(migrate, urls, dict(options))


async def rollback_many(
    urls: Iterable[str], **options: Unpack[RollbackMany]
) -> FleetResult[RollbackResult]:
    """``rollback`` on every database of ``urls``; see ``up_many``.

    >>> fleet = await schemactl.rollback_many(urls, to="20260101120000")
    """
    return await _many(rollback, urls, dict(options))


async def status_many(urls: Iterable[str], **options: Unpack[StatusMany]) -> FleetResult[Status]:
    """``status`` of every database of ``urls``; see ``up_many``.

    >>> fleet = await schemactl.status_many(urls)
    >>> [d.url for d in fleet.databases if d.ok and d.result.pending]
    """
    return await _many(status, urls, dict(options))


async def plan_many(urls: Iterable[str], **options: Unpack[PlanMany]) -> FleetResult[PlanResult]:
    """``plan`` of every database of ``urls``, changing nothing; see ``up_many``.

    >>> fleet = await schemactl.plan_many(urls, preflight=True)
    >>> [d.url for d in fleet.databases if d.ok and d.result.decision == "block"]
    """
    return await _many(plan, urls, dict(options))


async def lint_many(urls: Iterable[str], **options: Unpack[LintMany]) -> FleetResult[LintResult]:
    """``lint_database`` of every database of ``urls``, reading only; see ``up_many``. A
    database with blocking findings is ``ok`` (it was linted): look at its ``blocking``.

    >>> fleet = await schemactl.lint_many(urls, concurrency=8, migrations_dir="migrations")
    >>> [d.url for d in fleet.databases if d.ok and d.result.blocking]
    """
    return await _many(_lint, urls, dict(options))


async def _lint(url: str, **options: Any) -> LintResult:
    from .lint.run import lint_database  # the linter loads on first use

    return await lint_database(url, **options)


async def _many(
    function: Callable[..., Awaitable[R]], urls: Iterable[str], options: dict[str, Any]
) -> FleetResult[R]:
    """``function`` on every target (the URLs, each once per schema, the shard's part), with
    the fleet's options taken out of ``options`` and the rest given to it."""
    concurrency = options.pop("concurrency", DEFAULT_CONCURRENCY)
    schemas, schemas_from = options.pop("schemas", None), options.pop("schemas_from", None)
    shard, canary = options.pop("shard", None), options.pop("canary", 0)
    on_done, on_start = options.pop("on_done", None), options.pop("on_start", None)
    check_concurrency(concurrency)  # (before any schema is listed)
    targets, failed = await expand(
        list(dict.fromkeys(urls)),
        schemas,
        schemas_from,
        password=options.get("password"),
        concurrency=concurrency,
    )
    if shard is not None:
        targets = shard_of(targets, *shard)
    if on_start is not None:
        on_start(len(targets))

    async def operation(url: str) -> R:
        if url in failed:  # its schemas could not be listed
            raise failed[url]
        return await function(url, **options)

    return await run_many(
        operation, targets, concurrency=concurrency, on_done=on_done, canary=canary
    )
