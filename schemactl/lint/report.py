"""A lint result as text for people, as the ``schemactl.lint/1`` JSON document, and as GitHub
workflow commands (annotations on the pull request's files). SARIF is in ``sarif``."""

from __future__ import annotations

import json

from .catalog import Severity
from .engine import Finding
from .run import LintedMigration, LintResult, TableSize


def as_json(result: LintResult) -> str:
    """Exactly one JSON document (``"format": "schemactl.lint/1"``)."""
    return json.dumps(result.as_json(), indent=2, sort_keys=True)


def as_text(result: LintResult) -> str:
    """Findings grouped per migration: file:line, rule, severity, message, lock, safe form."""
    lines: list[str] = []
    for migration in result.migrations:
        lines += _migration_text(migration, result)
    if not result.migrations:
        lines.append("Nothing to lint.")
    summary = result.summary()
    lines.append(
        f"{_count(len(result.migrations), 'migration')}: {_count(summary['errors'], 'error')}, "
        f"{_count(summary['warnings'], 'warning')}, {_count(summary['infos'], 'info')}; "
        f"risk {result.risk.score}/100 {result.risk.tier.value}; "
        f"{summary['blocking']} blocking (at {result.policy.block.value} and above)"
    )
    return "\n".join(lines) + "\n"


def _migration_text(migration: LintedMigration, result: LintResult) -> list[str]:
    head = f"{migration.file}  risk {migration.risk.score}/100 {migration.risk.tier.value}"
    if migration.tables:
        head += "; " + ", ".join(_table(t) for t in migration.tables)
    lines = [head]
    if not migration.findings:
        lines.append("  no findings")
    for finding in migration.findings:
        blocking = "  [blocks]" if result.policy.blocks(finding) else ""
        lines.append(
            f"  {finding.file}:{finding.line}: {finding.severity.value} {finding.rule} "
            f"{finding.name}{blocking}"
        )
        if finding.statement:
            lines.append(f"    {_first_line(finding.statement)}")
        lines.append(f"    {finding.message}")
        lock = _lock(finding)
        if lock:
            lines.append(f"    lock: {lock}")
        if finding.safe_alternative:
            lines.append(f"    instead: {finding.safe_alternative}")
        if finding.approved is not None:
            lines.append(f"    approved: {finding.approved}")
    lines.append("")
    return lines


def _lock(finding: Finding) -> str:
    if not finding.lock or finding.lock == "none":
        return ""
    text = finding.lock
    if finding.blocks:
        text += f", blocks {finding.blocks}"
    if finding.rewrite:
        text += ", rewrites or scans the table"
    return text


def _table(table: TableSize) -> str:
    if table.rows is None:
        return f"{table.name} (size unknown)"
    size = f", {human_bytes(table.bytes)}" if table.bytes is not None else ""
    return f"{table.name} ({_count(table.rows, 'row')}{size})"


def human_bytes(count: int) -> str:
    """1536 -> "1.5 KiB"."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _first_line(sql: str) -> str:
    """The statement's first line of SQL (comments skipped), cut at 100 characters."""
    code = [
        ln.strip()
        for ln in sql.strip().splitlines()
        if ln.strip() and not ln.strip().startswith("--")
    ]
    first = code[0] if code else sql.strip().splitlines()[0] if sql.strip() else ""
    more = len(code) > 1 or len(first) > 100
    return first[:100] + (" ..." if more else "")


# -- GitHub workflow commands ----------------------------------------------------------------

_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def as_github(result: LintResult) -> str:
    """One ``::error file=...,line=...,title=...::message`` line per finding (approved ones as
    notices), for GitHub Actions to annotate the pull request."""
    lines = []
    for finding in result.findings:
        level = "notice" if finding.approved is not None else _GITHUB_LEVEL[finding.severity]
        title = f"{finding.rule} {finding.name}"
        message = finding.message
        if finding.approved is not None:
            message += f" (approved: {finding.approved})"
        elif finding.safe_alternative:
            message += f"\nInstead: {finding.safe_alternative}"
        properties = f"file={_property(finding.file)},line={finding.line},title={_property(title)}"
        lines.append(f"::{level} {properties}::{_data(message)}")
    return "".join(line + "\n" for line in lines)


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
