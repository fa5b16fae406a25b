"""Run the rules over migration files: parse, replay, check, report.

``analyse`` walks the files in order with one schema model: the files before the first one
asked about are replayed into it (offline), or it comes from the live catalog (online); then
each file's up section is read statement by statement. Each operation is checked against the
schema as it stands just before it, then folded in, so a table created earlier in the same
migration is known to be new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .._split import split_statements
from . import ops
from .catalog import Rule, Severity, rules
from .locks import NONE, LockFact, lock_of, pg_type_change_rewrites
from .ops import OnlineClause
from .parse import LintDialect, parse_statement
from .schema import Schema

if TYPE_CHECKING:
    from .._files import Migration, Section

SectionName = Literal["up", "down"]
# sees each operation with the schema just before it is folded in (``plan``'s pre-flight checks)
Observer = Callable[["Migration", "ParsedStatement", ops.Op, Schema], None]


@dataclass(frozen=True)
class ParsedStatement:
    sql: str
    line: int  # 1-based line in the file
    ops: tuple[ops.Op, ...]
    error: str | None = None  # the parser's message when it could not read the statement

    @property
    def online(self) -> OnlineClause | None:
        return next((op for op in self.ops if isinstance(op, OnlineClause)), None)

    @property
    def first_line(self) -> str:
        return self.sql.strip().splitlines()[0] if self.sql.strip() else ""


@dataclass(frozen=True)
class Settings:
    """What the analysis knows beyond the files."""

    dialect: LintDialect
    runner_lock_timeout: bool = False  # the runner sets a DDL lock timeout (`ddl_lock_timeout`)
    server_version: int | None = None  # e.g. 150004, 101106 (online)
    applied: Mapping[str, str | None] = field(default_factory=dict)  # version -> checksum
    latest_applied: str | None = None  # the newest applied version (online)


@dataclass(frozen=True)
class Hit:
    """What a migration rule found: where and why."""

    line: int
    statement: str
    message: str
    section: SectionName = "up"


@dataclass(frozen=True)
class Finding:
    rule: str
    name: str
    severity: Severity
    version: str
    file: str
    line: int
    section: SectionName
    statement: str
    message: str
    lock: str
    blocks: str
    rewrite: bool
    safe_alternative: str
    approved: str | None = None  # the approval's reason, when an approval covers it

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity.value,
            "file": self.file,
            "line": self.line,
            "section": self.section,
            "statement": self.statement,
            "message": self.message,
            "lock": self.lock,
            "blocks": self.blocks,
            "rewrite": self.rewrite,
            "safe_alternative": self.safe_alternative,
            "approved": None if self.approved is None else {"reason": self.approved},
        }


@dataclass(frozen=True)
class StatementReport:
    line: int
    sql: str
    lock: LockFact
    tables: tuple[str, ...]  # the tables it locks that existed before the migration


@dataclass
class MigrationReport:
    version: str
    file: str
    transaction: bool
    statements: list[StatementReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def tables(self) -> list[str]:
        """The existing tables the migration locks, in first-touched order."""
        seen: dict[str, None] = {}
        for statement in self.statements:
            seen.update(dict.fromkeys(statement.tables))
        return list(seen)


@dataclass
class OpContext:
    """What an operation rule sees: the schema just before the operation, and the migration."""

    settings: Settings
    schema: Schema
    migration: Migration
    statements: Sequence[ParsedStatement]  # the up section's
    index: int  # of the statement being checked
    transactional: bool

    @property
    def dialect(self) -> str:
        return self.settings.dialect

    @property
    def statement(self) -> ParsedStatement:
        return self.statements[self.index]

    def before(self) -> Iterator[ops.Op]:
        """The operations of the section's earlier statements."""
        for statement in self.statements[: self.index]:
            yield from statement.ops

    def after(self) -> Iterator[ops.Op]:
        for statement in self.statements[self.index + 1 :]:
            yield from statement.ops

    def exists_before(self, table: str | None) -> bool:
        """The table was there before this migration (or is unknown: assume it was)."""
        return self.schema.exists_before(table)

    def lock(self, op: ops.Op) -> LockFact:
        return lock_in(op, self.schema, self.dialect, self.statement.online)


@dataclass
class MigrationContext:
    settings: Settings
    migration: Migration
    file: str
    up: Sequence[ParsedStatement]
    down: Sequence[ParsedStatement] | None  # None: no down section at all
    transactional: bool

    @property
    def dialect(self) -> str:
        return self.settings.dialect

    def up_ops(self) -> Iterator[tuple[ParsedStatement, ops.Op]]:
        for statement in self.up:
            for op in statement.ops:
                yield statement, op


def lock_in(op: ops.Op, schema: Schema, dialect: str, online: ops.OnlineClause | None) -> LockFact:
    """``lock_of``, refined by what the schema knows (the old type, a proving check)."""
    fact = lock_of(op, dialect, online=online)
    table = schema.table(op.table)
    if isinstance(op, ops.AlterColumnType) and table is not None:
        column = table.column(op.column)
        old = column.type if column else None
        if dialect == "postgresql" and not pg_type_change_rewrites(old, op.new_type):
            return LockFact(fact.lock, fact.blocks)
        if dialect == "mysql" and old and _varchar_grows(old, op.new_type):
            return LockFact("INPLACE", "nothing")
    if (
        isinstance(op, ops.SetNotNull)
        and dialect == "postgresql"
        and proven_not_null(schema, op.table, op.column)
    ):
        return LockFact(fact.lock, fact.blocks)
    return fact


def proven_not_null(schema: Schema, table_name: str | None, column: str) -> bool:
    """A validated CHECK (column IS NOT NULL) exists: PostgreSQL then skips SET NOT NULL's scan."""
    table = schema.table(table_name)
    if table is None:
        return False
    return any(
        c.kind == "check" and c.validated and (c.proves_not_null or "").lower() == column.lower()
        for c in table.constraints.values()
    )


def _varchar_grows(old: str, new: str) -> bool:
    def length(t: str) -> int | None:
        t = t.lower()
        if t.startswith("varchar(") and t.endswith(")") and t[8:-1].isdigit():
            return int(t[8:-1])
        return None

    before, after = length(old), length(new)
    # a length byte: <= 255 bytes (utf8mb4: 63 characters) vs more; growing across it copies
    return (
        before is not None
        and after is not None
        and after >= before
        and (after <= 63 or before > 63)
    )


def parse_section(section: Section, dialect: LintDialect) -> list[ParsedStatement]:
    out = []
    for statement in split_statements(section.sql, dialect):
        line = section.line + statement.line - 1
        try:
            parsed = parse_statement(statement.sql, dialect)
        except ops.ParseError as exc:
            out.append(ParsedStatement(statement.sql, line, (), error=str(exc) or "unreadable"))
        else:
            out.append(ParsedStatement(statement.sql, line, parsed))
    return out


def replay(schema: Schema, migration: Migration, dialect: LintDialect) -> None:
    """Fold a migration's up section into the schema, checking nothing."""
    schema.begin(migration.version)
    for statement in parse_section(migration.up, dialect):
        for op in statement.ops:
            schema.apply(op)


def analyse(
    targets: Sequence[Migration],
    settings: Settings,
    *,
    history: Sequence[Migration] = (),
    schema: Schema | None = None,
    display: Mapping[str, str] | None = None,
    observer: Observer | None = None,
) -> list[MigrationReport]:
    """The reports of ``targets`` (in apply order), after replaying ``history`` into ``schema``.

    ``display`` maps a version to the file name to show (default: the file's path);
    ``observer`` is called with each operation of the targets and the schema before it."""
    dialect = settings.dialect
    if schema is None:
        schema = Schema({"postgresql": "public"}.get(dialect))
    for migration in history:
        replay(schema, migration, dialect)
    active = [r for r in rules() if dialect in r.dialects]
    op_rules = [r for r in active if r.on_op is not None]
    migration_rules = [r for r in active if r.on_migration is not None]
    reports = []
    for migration in targets:
        file = (display or {}).get(migration.version) or str(migration.path)
        reports.append(
            _analyse_one(migration, file, schema, settings, op_rules, migration_rules, observer)
        )
    return reports


def _analyse_one(
    migration: Migration,
    file: str,
    schema: Schema,
    settings: Settings,
    op_rules: list[Rule],
    migration_rules: list[Rule],
    observer: Observer | None = None,
) -> MigrationReport:
    dialect = settings.dialect
    schema.begin(migration.version)
    up = parse_section(migration.up, dialect)
    down = parse_section(migration.down, dialect) if migration.down is not None else None
    report = MigrationReport(migration.version, file, migration.up.transaction)
    context = OpContext(settings, schema, migration, up, 0, migration.up.transaction)

    def finding(
        rule: Rule, line: int, sql: str, message: str, section: SectionName, lock: LockFact
    ) -> None:
        report.findings.append(
            Finding(
                rule=rule.id,
                name=rule.name,
                severity=rule.severity,
                version=migration.version,
                file=file,
                line=line,
                section=section,
                statement=sql,
                message=message,
                lock=lock.lock if lock is not NONE else rule.lock,
                blocks=lock.blocks if lock is not NONE else rule.blocks,
                rewrite=lock.long if lock is not NONE else rule.rewrite,
                safe_alternative=rule.safe_alternative,
            )
        )

    for index, statement in enumerate(up):
        context.index = index
        strongest, tables = NONE, []
        for op in statement.ops:
            lock = context.lock(op)
            for rule in op_rules:
                assert rule.on_op is not None
                message = rule.on_op(context, op)
                if message:
                    finding(rule, statement.line, statement.sql, message, "up", lock)
            if lock.level > strongest.level or (
                lock.long and not strongest.long and lock.level == strongest.level
            ):
                strongest = lock
            named = op.table or _index_owner(schema, op)
            known = schema.table(named)
            if lock.level > 0 and named and schema.exists_before(named):
                tables.append(known.name if known else named)
            if observer is not None:
                observer(migration, statement, op, schema)
            schema.apply(op)
        report.statements.append(
            StatementReport(statement.line, statement.sql, strongest, tuple(dict.fromkeys(tables)))
        )
    whole = MigrationContext(settings, migration, file, up, down, migration.up.transaction)
    for rule in migration_rules:
        assert rule.on_migration is not None
        for hit in rule.on_migration(whole):
            finding(rule, hit.line, hit.statement, hit.message, hit.section, NONE)
    report.findings.sort(key=lambda f: (f.section != "up", f.line, f.rule))
    return report


def _index_owner(schema: Schema, op: ops.Op) -> str | None:
    """The table of an index named alone (PostgreSQL's ``DROP INDEX name``, ``REINDEX INDEX
    name``), as the schema knows it: its lock and its size are that table's. (``REINDEX
    TABLE name`` names the table itself.)"""
    if isinstance(op, ops.DropIndex):
        return schema.index_tables.get(op.name)
    if isinstance(op, ops.Reindex):
        if schema.table(op.target) is not None:
            return op.target
        return schema.index_tables.get(op.target)
    return None
