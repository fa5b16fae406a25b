"""The linter's findings on the files ``new --auto`` is about to write, as comments in them.

Where a change has no safe form (dropping a table or a column, a type change that rewrites
the table, a foreign key MySQL can only add by copying the table), what the linter says is
written above the statement for the reviewer, as ``-- schemactl: DS102 drop-column: ...``.
Nothing is approved: an approval is the reviewer's to write.

The files are analysed offline, in the order they will run, on a schema model that starts
empty: a table the files do not create is taken to exist (it is the database's), one they
create is known to be new. Info findings (style) are left out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._files import Migration
    from .._results import NewFile
    from ..lint.engine import Finding
    from ..lint.parse import LintDialect
    from ..lint.schema import Schema

PREFIX = "-- schemactl:"


def with_findings(
    files: Sequence[NewFile], dialect: str
) -> tuple[tuple[NewFile, ...], tuple[str, ...]]:
    """``files`` with the linter's warnings and errors as comments above their statements,
    and those findings as one line each (``notes``)."""
    from .._files import MigrationFile, is_empty_sql, parse_migration
    from ..lint.engine import Settings, analyse

    lint_dialect: LintDialect
    if dialect in ("mysql", "mariadb"):
        lint_dialect = "mysql"
    elif dialect in ("postgresql", "sqlite"):
        lint_dialect = "postgresql" if dialect == "postgresql" else "sqlite"
    else:
        return tuple(files), ()
    migrations = []
    for number, file in enumerate(files, start=1):
        version = f"{number:014d}"
        name = f"{version}_new.sql"
        source = MigrationFile(version, "new", Path(name))
        migrations.append(parse_migration(source, file.content.encode()))
    schema = _existing_tables(migrations, lint_dialect)
    reports = analyse(migrations, Settings(dialect=lint_dialect), schema=schema)
    annotated, notes = [], []
    for file, migration, report in zip(files, migrations, reports, strict=True):
        shown = [f for f in report.findings if f.severity.value != "info"]
        if is_empty_sql(file.up_sql):  # left for the user to write: nothing read yet
            shown = []
        up = _commented(file.up_sql, migration.up.line, [f for f in shown if f.section == "up"])
        down_section = migration.down
        down = file.down_sql
        if down_section is not None:
            found = [f for f in shown if f.section == "down"]
            down = _commented(file.down_sql, down_section.line, found)
        annotated.append(dataclasses.replace(file, up_sql=up, down_sql=down))
        notes += [f"{f.rule} {f.name}: {_one_line(f.message)}" for f in shown]
    return tuple(annotated), tuple(dict.fromkeys(notes))


def _existing_tables(migrations: Sequence[Migration], dialect: LintDialect) -> Schema:
    """A schema model that holds, as tables from before, every table the files change but do
    not create: the database's. (Without them, the model would not follow what the files do
    to those tables: a CHECK added in one file, validated in the next, proving NOT NULL in
    the third.) Their columns are not known: rules that need them assume the worst."""
    from ..lint import ops
    from ..lint.engine import parse_section
    from ..lint.schema import Schema

    schema = Schema("public" if dialect == "postgresql" else None)
    statements = [s for m in migrations for s in parse_section(m.up, dialect)]
    created = {op.table for s in statements for op in s.ops if isinstance(op, ops.CreateTable)}
    schema.begin("0")
    for statement in statements:
        for op in statement.ops:
            if op.table and op.table not in created and schema.table(op.table) is None:
                schema.apply(ops.CreateTable(table=op.table))
    return schema


def _commented(sql: str, first_line: int, findings: Sequence[Finding]) -> str:
    """``sql`` (a section starting at file line ``first_line``) with a comment line above
    the line of each finding's statement."""
    if not findings:
        return sql
    lines = sql.split("\n")
    above: dict[int, list[str]] = {}
    for finding in findings:
        index = min(max(finding.line - first_line, 0), len(lines) - 1)
        comment = f"{PREFIX} {finding.rule} {finding.name}: {_one_line(finding.message)}"
        if comment not in above.setdefault(index, []):
            above[index].append(comment)
    out: list[str] = []
    for index, line in enumerate(lines):
        out += above.get(index, [])
        out.append(line)
    return "\n".join(out)


def _one_line(text: str) -> str:
    return " ".join(text.split())
