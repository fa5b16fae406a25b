"""The coroutines users call: each is one :class:`Migrator` call, or (``new``, ``show``) needs
no database at all. They never print, never start an event loop, and return frozen
dataclasses. The CLI is a thin layer over exactly these calls.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ._errors import ConfigurationError, MigrationFileError
from ._files import discover, slugify, write_migrations, write_new
from ._migrator import Migrator
from ._options import (
    DEFAULT_DIR,
    DEFAULT_LINK_TIMEOUT,
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_SCHEMA_FILE,
    DEFAULT_TABLE,
    DEFAULT_WAIT_TIMEOUT,
    Dirs,
    Options,
)
from ._password import Password
from ._results import (
    BaselineResult,
    CheckResult,
    DatabaseResult,
    DumpResult,
    LoadResult,
    MigrateResult,
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

if TYPE_CHECKING:
    from sqlalchemy import MetaData
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .autogen.filters import IncludeObject
    from .lint.policy import Policy
    from .planner.model import PlanResult

    Target = str | AsyncEngine


# -- the one-shot functions ------------------------------------------------------------------


async def new(
    name: str,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    auto: bool = False,
    url: Target | None = None,
    models: str | MetaData | None = None,
    migrations_table: str = DEFAULT_TABLE,
    include_schemas: bool = False,
    dry_run: bool = False,
    allow_pending: bool = False,
    exclude_tables: Iterable[str] | str = (),
    exclude_schemas: Iterable[str] | str = (),
    include_object: IncludeObject | None = None,
    password: Password | None = None,
) -> NewResult:
    """Write a migration file into the first migrations directory: empty, or with ``auto``
    the SQL that takes the database at ``url`` to the ``models``' schema, and back.

    With ``auto``: a ``StateError`` while the database lacks migrations of the migrations
    directories (unless ``allow_pending``), since their changes would be copied into this
    one; the tables and schemas excluded (see ``check``) are neither created nor dropped.
    A database that does not exist yet is a ``DatabaseConnectionError`` naming
    `schemactl create`: comparing needs the server (its version, how it stores defaults
    and names), and creating a database is not a side effect `new` should have. ``password``:
    the database's, as ``up``'s (a str, or a function that makes one for each new connection).

    >>> await schemactl.new("add users")  # migrations/20260101120000_add_users.sql
    >>> await schemactl.new("add users", auto=True, url=url, models="app.models")
    """
    options = Options.build(migrations_dir=migrations_dir, migrations_table=migrations_table)
    directory = options.migrations_dirs[0]
    if not auto:  # a dry run writes nothing here either: the empty file it would write
        return NewResult(path=None if dry_run else write_new(name, directory))
    from ._models import metadata_of
    from .autogen.filters import ObjectFilter

    slug = slugify(name)
    metadata = metadata_of(models)
    if url is None:
        raise ConfigurationError("--auto compares with a database: give --url")
    objects = ObjectFilter.build(exclude_tables, exclude_schemas, include_object)
    migrator = Migrator(
        url, migrations_dir=migrations_dir, migrations_table=migrations_table, password=password
    )
    diff, database = await migrator._compare(
        metadata, include_schemas, name=slug, allow_pending=allow_pending, objects=objects
    )
    if diff.is_empty:
        return NewResult(path=None, database=database)
    from .autogen.review import with_findings

    files, findings = with_findings(
        [
            NewFile(None, f.up_sql, f.down_sql, f.up_transaction, f.down_transaction)
            for f in diff.files
        ],
        diff.dialect,
    )
    result = NewResult(
        None,
        diff.changes,
        files[0].up_sql,
        files[0].down_sql,
        diff.up_transaction,
        database=database,
        notes=diff.notes,
        findings=findings,
        files=files,
    )
    if dry_run:
        return result
    names = [f"{name} {step.label}".strip() for step in diff.files]
    paths = write_migrations(list(zip(names, (f.content for f in files), strict=True)), directory)
    written = tuple(dataclasses.replace(f, path=p) for f, p in zip(files, paths, strict=True))
    return dataclasses.replace(result, path=paths[0], files=written)


async def show(
    version: str, *, migrations_dir: Dirs = DEFAULT_DIR, down: bool = False
) -> ShowResult:
    """A migration's up (or ``down``) section as it would run; reads no database.

    >>> print((await schemactl.show("20250101000000")).sql)
    """
    options = Options.build(migrations_dir=migrations_dir)
    files, _ = discover(options.migrations_dirs)
    file = next((f for f in files if f.version == version), None)
    if file is None:
        raise ConfigurationError(f"no migration file has version {version}")
    migration = file.read()
    section = migration.down if down else migration.up
    if section is None:
        raise MigrationFileError(f"{file.path}: it has no '-- migrate:down' section")
    direction = "down" if down else "up"
    sql = section.sql.lstrip("\r\n")
    line = section.line + section.sql[: len(section.sql) - len(sql)].count("\n")
    return ShowResult(version, file.path, direction, section.transaction, line, sql.rstrip() + "\n")


async def check(
    target: Target,
    *,
    models: str | MetaData,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    include_schemas: bool = False,
    allow_pending: bool = False,
    exclude_tables: Iterable[str] | str = (),
    exclude_schemas: Iterable[str] | str = (),
    include_object: IncludeObject | None = None,
    password: Password | None = None,
) -> CheckResult:
    """Compare the database with the models: the CI gate for "models match the schema".

    Refuses (``StateError``) while migrations in ``migrations_dir`` are not applied, unless
    ``allow_pending``; see ``Migrator.check`` for the exclusions.

    >>> result = await schemactl.check("postgresql://app@db/app", models="app.models")
    >>> result.clean
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        password=password,
    )
    return await migrator.check(
        models,
        include_schemas=include_schemas,
        allow_pending=allow_pending,
        exclude_tables=exclude_tables,
        exclude_schemas=exclude_schemas,
        include_object=include_object,
    )


async def up(
    target: Target,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    single_transaction: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    wait: bool = False,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    ddl_lock_timeout: float | None = None,
    statement_timeout: float | None = None,
    lock_retries: int = 0,
    lock_strategy: str = "auto",
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    strict: bool = False,
    fail_on_drift: bool = False,
    to: str | None = None,
    policy: Policy | None = None,
    plan_digest: str | None = None,
    progress: Callable[[Progress], None] | None = None,
    password: Password | None = None,
) -> MigrateResult:
    """Create the database if it is missing, then apply every pending migration.

    With a lint ``policy`` (``schemactl.LintPolicy``), the pending migrations are linted
    first: see ``Migrator``. With ``plan_digest`` (``schemactl.plan(url).digest``, approved
    by a person or an agent), it applies only if what would run is still exactly that plan;
    otherwise a ``PlanDigestError`` (exit 8) names what changed and nothing is applied.
    ``progress`` is called with a ``Progress`` (done, total, the file running now) before
    each migration and after the last.

    >>> result = await schemactl.up("postgresql://app@db/app")
    >>> await schemactl.up(url, policy=schemactl.LintPolicy(enforce=True))
    >>> await schemactl.up(url, plan_digest=(await schemactl.plan(url)).digest)
    >>> [m.version for m in result.applied]
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        lock_timeout=lock_timeout,
        lock_strategy=lock_strategy,
        lock_retries=lock_retries,
        ddl_lock_timeout=ddl_lock_timeout,
        statement_timeout=statement_timeout,
        link_timeout=link_timeout,
        strict=strict,
        fail_on_drift=fail_on_drift,
        policy=policy,
        plan_digest=plan_digest,
        progress=progress,
        password=password,
    )
    return await migrator.up(
        single_transaction=single_transaction, wait=wait, wait_timeout=wait_timeout, to=to
    )


async def migrate(
    target: Target,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    single_transaction: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    wait: bool = False,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    ddl_lock_timeout: float | None = None,
    statement_timeout: float | None = None,
    lock_retries: int = 0,
    lock_strategy: str = "auto",
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    strict: bool = False,
    fail_on_drift: bool = False,
    to: str | None = None,
    policy: Policy | None = None,
    plan_digest: str | None = None,
    progress: Callable[[Progress], None] | None = None,
    password: Password | None = None,
) -> MigrateResult:
    """Apply every pending migration to an existing database.

    >>> await schemactl.migrate("sqlite:app.db", migrations_dir="db/migrations")
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        lock_timeout=lock_timeout,
        lock_strategy=lock_strategy,
        lock_retries=lock_retries,
        ddl_lock_timeout=ddl_lock_timeout,
        statement_timeout=statement_timeout,
        link_timeout=link_timeout,
        strict=strict,
        fail_on_drift=fail_on_drift,
        policy=policy,
        plan_digest=plan_digest,
        progress=progress,
        password=password,
    )
    return await migrator.migrate(
        single_transaction=single_transaction, wait=wait, wait_timeout=wait_timeout, to=to
    )


async def plan(
    target: Target,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    preflight: bool = False,
    statement_timeout: float | None = None,
    policy: Policy | None = None,
    rollback: bool = False,
    steps: int | None = None,
    to: str | None = None,
    ddl_lock_timeout: float | None = None,
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    password: Password | None = None,
) -> PlanResult:
    """What ``up`` would do to the database at ``target``, changing nothing: each pending
    migration's statements with their locks, findings and risk, the live sizes of the tables
    they touch, what its down section would lose, and the pre-flight checks (run, read-only
    and each bounded by ``statement_timeout`` seconds, with ``preflight``). With
    ``rollback``: what a rollback of ``steps`` (default 1), or to ``to``, would do; otherwise
    ``to`` stops the plan at that version, as ``up --to``. ``ddl_lock_timeout``: the one
    ``up`` will run with (it satisfies the lock-timeout rules, as in ``lint_database``).

    The plan is recorded under its digest in the user's cache directory, so that a refused
    ``up(plan_digest=...)`` can name what changed.

    >>> plan = await schemactl.plan("postgresql://app@db/app", preflight=True)
    >>> print(plan.markdown())
    >>> if plan.decision != "block":
    ...     await schemactl.up("postgresql://app@db/app", plan_digest=plan.digest)
    """
    from .planner.build import build_plan

    options = Options.build(
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        ddl_lock_timeout=ddl_lock_timeout,
        link_timeout=link_timeout,
        password=password,
    )
    return await build_plan(
        target,
        options,
        policy=policy,
        preflight=preflight,
        statement_timeout=statement_timeout,
        rollback=rollback,
        steps=steps,
        to=to,
    )


async def rollback(
    target: Target,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    steps: int | None = None,
    to: str | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ddl_lock_timeout: float | None = None,
    statement_timeout: float | None = None,
    lock_retries: int = 0,
    lock_strategy: str = "auto",
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    progress: Callable[[Progress], None] | None = None,
    password: Password | None = None,
) -> RollbackResult:
    """Roll back the last ``steps`` applied migrations (default 1), or all applied after ``to``.

    ``to="0"`` rolls back everything.

    >>> await schemactl.rollback("sqlite:app.db", to="20260101120000")
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        lock_timeout=lock_timeout,
        lock_strategy=lock_strategy,
        lock_retries=lock_retries,
        ddl_lock_timeout=ddl_lock_timeout,
        statement_timeout=statement_timeout,
        link_timeout=link_timeout,
        progress=progress,
        password=password,
    )
    return await migrator.rollback(steps=steps, to=to)


async def redo(
    target: Target,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    steps: int = 1,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ddl_lock_timeout: float | None = None,
    statement_timeout: float | None = None,
    lock_retries: int = 0,
    lock_strategy: str = "auto",
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    password: Password | None = None,
) -> RedoResult:
    """Roll back the last ``steps`` applied migrations and apply them again.

    >>> await schemactl.redo("sqlite:app.db")  # the migration you are writing, once more
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        lock_timeout=lock_timeout,
        lock_strategy=lock_strategy,
        lock_retries=lock_retries,
        ddl_lock_timeout=ddl_lock_timeout,
        statement_timeout=statement_timeout,
        link_timeout=link_timeout,
        password=password,
    )
    return await migrator.redo(steps=steps)


async def status(
    target: Target,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    password: Password | None = None,
) -> Status:
    """Every migration, applied or pending, and applied ones whose file changed or is missing.
    ``lock_timeout``: how long to wait for an SQLite database another process has locked.

    >>> s = await schemactl.status("sqlite:app.db")
    >>> [m.version for m in s.pending]
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        link_timeout=link_timeout,
        lock_timeout=lock_timeout,
        password=password,
    )
    return await migrator.status()


async def resolve(
    target: Target,
    version: str,
    *,
    applied: bool,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    lock_strategy: str = "auto",
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    password: Password | None = None,
) -> ResolveResult:
    """Mark a migration that failed part-way as applied (you finished it by hand) or as rolled
    back (you undid it), after fixing the database. Like Prisma's `migrate resolve`.

    >>> await schemactl.resolve(url, "20260101120000", applied=False)
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        lock_timeout=lock_timeout,
        lock_strategy=lock_strategy,
        link_timeout=link_timeout,
        password=password,
    )
    return await migrator.resolve(version, applied=applied)


async def baseline(
    target: Target,
    version: str,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    lock_strategy: str = "auto",
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    password: Password | None = None,
) -> BaselineResult:
    """Record every migration up to ``version`` (in the order ``up`` applies them) as applied
    without running it: adopt a database that already has their changes, made by hand or by
    another tool. Those already recorded are left as they are; the tracking table is created
    if missing. Like Flyway's ``baseline`` and Alembic's ``stamp``.

    >>> await schemactl.baseline(url, "20260101120000")
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        lock_timeout=lock_timeout,
        lock_strategy=lock_strategy,
        link_timeout=link_timeout,
        password=password,
    )
    return await migrator.baseline(version)


async def create(target: Target, *, password: Password | None = None) -> DatabaseResult:
    """Create the database named by the URL; ``changed`` is False if it already existed.

    >>> await schemactl.create("postgresql://postgres@localhost/app")
    """
    return await Migrator(target, password=password).create()


async def drop(target: Target, *, password: Password | None = None) -> DatabaseResult:
    """Drop the database named by the URL, disconnecting other sessions on PostgreSQL.

    >>> await schemactl.drop("postgresql://postgres@localhost/app_test")
    """
    return await Migrator(target, password=password).drop()


async def wait(
    target: Target,
    *,
    timeout: float = DEFAULT_WAIT_TIMEOUT,
    migrated: bool = False,
    version: str | None = None,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    password: Password | None = None,
) -> WaitResult:
    """Wait until the server accepts and authenticates a connection (the database may not
    exist yet). With ``migrated``: until the database exists and every migration file of
    ``migrations_dir`` is applied, read without taking the migration lock (an application's
    readiness while another process runs `up`); a migration recorded as failed part-way is a
    ``StateError`` at once. With ``version`` (implies ``migrated``): until that migration is
    applied. On a replica this waits until it has replayed the migration: a deploy's gate
    before traffic moves to it. Raises WaitTimeoutError after ``timeout`` seconds.

    >>> await schemactl.wait("postgresql://app@db/app", timeout=60)
    >>> await schemactl.wait(url, migrated=True, migrations_dir="db/migrations")
    >>> await schemactl.wait(replica_url, version="20260101120000", timeout=300)
    """
    migrator = Migrator(
        target,
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        password=password,
    )
    return await migrator.wait(timeout=timeout, migrated=migrated, version=version)


async def dump(
    target: Target,
    *,
    schema_file: str | os.PathLike[str] = DEFAULT_SCHEMA_FILE,
    builtin: bool = False,
    migrations_table: str = DEFAULT_TABLE,
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    password: Password | None = None,
) -> DumpResult:
    """Write the database's schema to ``schema_file``, then its applied versions as dbmate
    does, so that ``load`` restores a database ``status`` sees as up to date.

    pg_dump, mariadb-dump (or mysqldump) or sqlite3 dumps when it is on PATH and as new as
    the server; otherwise, or with ``builtin``, schemactl reads the catalogs itself. The
    output is deterministic: the same schema gives the same bytes, and an unchanged file is
    not rewritten (``changed``).

    >>> result = await schemactl.dump("postgresql://app@db/app", schema_file="db/schema.sql")
    >>> result.tool, result.versions
    """
    migrator = Migrator(
        target, migrations_table=migrations_table, link_timeout=link_timeout, password=password
    )
    return await migrator.dump(schema_file, builtin=builtin)


async def load(
    target: Target,
    *,
    schema_file: str | os.PathLike[str] = DEFAULT_SCHEMA_FILE,
    migrations_table: str = DEFAULT_TABLE,
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    password: Password | None = None,
) -> LoadResult:
    """Apply a schema file (``dump``'s, or dbmate's) to an empty database in one go,
    creating the database if it is missing; a database with tables is a ``StateError``.

    >>> await schemactl.load("postgresql://app@localhost/app_test", schema_file="schema.sql")
    """
    migrator = Migrator(
        target, migrations_table=migrations_table, link_timeout=link_timeout, password=password
    )
    return await migrator.load(schema_file)
