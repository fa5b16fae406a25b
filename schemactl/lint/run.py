"""Lint migration files: offline against the schema their history builds, or online against a
database's live catalog and table sizes. The core of ``schemactl lint``; it never prints.

>>> result = lint_files(["migrations"], "postgresql")
>>> result.blocking          # the findings that fail the check, after the policy
>>> result = await lint_database("postgresql://app@db/app")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError, MigrationFileError
from .._files import MigrationFile, discover
from .._options import DEFAULT_DIR, DEFAULT_TABLE, Dirs, Options
from .catalog import Severity
from .engine import Finding, MigrationReport, Settings, StatementReport, analyse
from .parse import LintDialect
from .policy import Policy, judge
from .risk import Risk, Size, migration_risk, overall_risk
from .schema import Schema

if TYPE_CHECKING:
    from .._files import Migration
    from .._password import Password
    from .._session import Session
    from .._tracking import AppliedRow
    from .engine import Observer

DIALECTS: tuple[LintDialect, ...] = ("postgresql", "mysql", "sqlite")
FORMAT = "schemactl.lint/1"


@dataclass(frozen=True)
class TableSize:
    name: str
    rows: int | None  # None: not known (offline)
    bytes: int | None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "rows": self.rows, "bytes": self.bytes}


@dataclass(frozen=True)
class LintedMigration:
    version: str
    file: str
    transaction: bool
    findings: tuple[Finding, ...]
    statements: tuple[StatementReport, ...]
    tables: tuple[TableSize, ...]  # the existing tables it locks, with their sizes
    risk: Risk

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "file": self.file,
            "risk": self.risk.as_json(),
            "tables": [t.as_json() for t in self.tables],
        }


@dataclass(frozen=True)
class LintResult:
    """What ``lint_files`` and ``lint_database`` found, after the policy."""

    dialect: LintDialect
    migrations: tuple[LintedMigration, ...]
    risk: Risk  # of the whole set
    policy: Policy = field(default_factory=Policy)
    database: str | None = None  # online: the database (password hidden)
    warnings: tuple[str, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for m in self.migrations for f in m.findings)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Unapproved findings at or above the policy's blocking severity."""
        return tuple(f for f in self.findings if self.policy.blocks(f))

    def summary(self) -> dict[str, int]:
        count = {s: 0 for s in Severity}
        for finding in self.findings:
            count[finding.severity] += 1
        return {
            "errors": count[Severity.ERROR],
            "warnings": count[Severity.WARNING],
            "infos": count[Severity.INFO],
            "blocking": len(self.blocking),
        }

    def as_json(self) -> dict[str, Any]:
        """The ``schemactl.lint/1`` document."""
        return {
            "format": FORMAT,
            "dialect": self.dialect,
            "database": self.database,
            "findings": [f.as_json() for f in self.findings],
            "migrations": [m.as_json() for m in self.migrations],
            "risk": self.risk.as_json(),
            "summary": self.summary(),
            "warnings": list(self.warnings),
        }


def check_dialect(dialect: str) -> LintDialect:
    if dialect not in DIALECTS:
        raise ConfigurationError(f"unknown dialect {dialect!r}: use postgresql, mysql or sqlite")
    return dialect


def lint_files(
    paths: Sequence[str | Path],
    dialect: str,
    policy: Policy | None = None,
    *,
    migrations_dirs: Sequence[str | Path] = ("migrations",),
) -> LintResult:
    """Lint migration files offline.

    ``paths``: files and directories; none means every file of ``migrations_dirs``. Each file
    is read against the schema the files before it build (every migration file of its own
    directory and of ``migrations_dirs``, replayed in apply order)."""
    lint_dialect = check_dialect(dialect)
    policy = policy or Policy()
    directories, chosen = _targets(paths, migrations_dirs)
    files, warnings = discover(directories)
    if chosen is not None:
        missing = chosen - {f.path.resolve() for f in files}
        if missing:
            raise MigrationFileError(
                f"{sorted(missing)[0]}: not a migration file (named <version>_<name>.sql)"
            )
    schema = Schema({"postgresql": "public"}.get(lint_dialect))
    settings = Settings(lint_dialect)
    reports: list[MigrationReport] = []
    history: list[Migration] = []
    batch: list[Migration] = []  # consecutive targets, analysed in one pass
    for file in files:
        wanted = chosen is None or file.path.resolve() in chosen
        if wanted and not _before_start(file, policy):
            batch.append(file.read())
            continue
        if batch:
            reports += analyse(batch, settings, history=history, schema=schema)
            history, batch = [], []
        history.append(file.read())
    if batch:
        reports += analyse(batch, settings, history=history, schema=schema)
    return _result(lint_dialect, reports, policy, None, None, tuple(warnings))


async def lint_database(
    target: Any,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    policy: Policy | None = None,
    all: bool = False,
    ddl_lock_timeout: float | None = None,
    password: Password | None = None,
) -> LintResult:
    """Lint the migrations the database at ``target`` (a URL or an AsyncEngine) has not
    applied, or with ``all`` every file, against its live catalog; risk uses the live size of
    each table touched. Reads only: nothing is created, locked or written. A
    ``ddl_lock_timeout`` the runner will set satisfies the lock-timeout rules. ``password``:
    as ``up``'s (a str, or a function that makes one for each new connection).

    >>> result = await schemactl.lint_database("postgresql://app@db/app")
    >>> [f.rule for f in result.blocking]
    """
    options = Options.build(
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        ddl_lock_timeout=ddl_lock_timeout,
        password=password,
    )
    return await lint_with_options(target, options, policy, all=all)


async def lint_with_options(
    target: Any, options: Options, policy: Policy | None = None, *, all: bool = False
) -> LintResult:
    """Lint the migrations the database at ``target`` (a URL or an AsyncEngine) has not
    applied, or with ``all`` every file, against its live catalog; risk uses the live size of
    each table touched. Reads only: nothing is created, locked or written."""
    from .._database import open_database
    from .._session import open_session

    policy = policy or Policy()
    files, warnings = discover(options.migrations_dirs)
    async with open_database(target, options) as db, open_session(db, options) as session:
        state = await session.state()
        chosen = [f for f in files if all or f.version not in state.applied]
        targets = [f.read() for f in chosen if not _before_start(f, policy)]
        return await lint_session(
            session, targets, policy, files=files, applied=state.applied, warnings=warnings
        )


async def lint_session(
    session: Session,
    targets: Sequence[Migration],
    policy: Policy,
    *,
    files: Sequence[MigrationFile],
    applied: Mapping[str, AppliedRow],
    warnings: Sequence[str] = (),
    observer: Observer | None = None,
) -> LintResult:
    """Lint ``targets`` (in the order they would run) on an open session, against the live
    catalog and table sizes; ``applied``: the tracking table's rows. ``observer``: see
    ``engine.analyse``."""
    from . import live

    dialect = check_dialect(session.dialect.name)
    schema = await live.read_schema(session.conn, dialect)
    live_names = {key: table.name for key, table in schema.tables.items()}
    settings = Settings(
        dialect,
        runner_lock_timeout=session.options.ddl_lock_timeout is not None,
        server_version=await live.server_version(session.conn, dialect),
        applied={v: row.checksum for v, row in applied.items()},
        latest_applied=max(applied, key=_file_order(files)) if applied else None,
    )
    reports = analyse(targets, settings, schema=schema, observer=observer)
    touched = {t for r in reports for t in r.tables}
    names = {t: live_names[schema.key(t)] for t in touched if schema.key(t) in live_names}
    measured = await live.table_sizes(session.conn, dialect, names.values())
    sizes = {t: measured[name] for t, name in names.items()}
    return _result(dialect, reports, policy, sizes, session.db.label, tuple(warnings))


def _result(
    dialect: LintDialect,
    reports: list[MigrationReport],
    policy: Policy,
    sizes: Mapping[str, Any] | None,
    database: str | None,
    warnings: tuple[str, ...],
) -> LintResult:
    """``sizes``: by table name as the migrations spell it (online), or None (offline)."""
    risk_sizes = None if sizes is None else {t: Size(s.rows, s.bytes) for t, s in sizes.items()}
    migrations = []
    for report in judge(reports, policy):
        tables = tuple(_size_of(t, sizes) for t in report.tables)
        risk = migration_risk(report.statements, report.findings, risk_sizes)
        migrations.append(
            LintedMigration(
                report.version,
                report.file,
                report.transaction,
                tuple(report.findings),
                tuple(report.statements),
                tables,
                risk,
            )
        )
    overall = overall_risk(m.risk for m in migrations)
    return LintResult(dialect, tuple(migrations), overall, policy, database, warnings)


def _size_of(table: str, sizes: Mapping[str, Any] | None) -> TableSize:
    if sizes is None:
        return TableSize(table, None, None)
    found = sizes.get(table)
    if found is None:  # not in the database yet: an earlier pending migration creates it
        return TableSize(table, 0, 0)
    return TableSize(table, found.rows, found.bytes)


def _before_start(file: MigrationFile, policy: Policy) -> bool:
    return policy.start_after is not None and file.version <= policy.start_after


def _file_order(files: Iterable[MigrationFile]) -> Any:
    names = {f.version: f.path.name for f in files}
    return lambda version: names.get(version, version)


def _targets(
    paths: Sequence[str | Path], migrations_dirs: Sequence[str | Path]
) -> tuple[list[Path], set[Path] | None]:
    """The directories to discover (for history) and the chosen files (None: all of them)."""
    existing = [Path(d) for d in migrations_dirs if Path(d).is_dir()]
    if not paths:
        if not existing:
            raise ConfigurationError(
                f"migrations directory {str(migrations_dirs[0])!r} does not exist; "
                "give the files to lint, or --migrations-dir"
            )
        return [Path(d) for d in migrations_dirs], None
    directories: dict[Path, None] = dict.fromkeys(existing)
    chosen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            directories[path] = None
            chosen.update(f.path.resolve() for f in discover([path])[0])
        elif path.is_file():
            directories[path.parent] = None
            chosen.add(path.resolve())
        else:
            raise ConfigurationError(f"{str(path)!r} does not exist")
    unique: dict[Path, Path] = {}
    for directory in directories:
        unique.setdefault(directory.resolve(), directory)
    return list(unique.values()), chosen
