"""Run the lint engine offline on one migration after a setup migration (test helper)."""

from __future__ import annotations

from pathlib import Path

from schemactl._files import discover
from schemactl.lint.engine import Finding, Settings, analyse
from schemactl.lint.parse import LintDialect


def findings(
    tmp_path: Path, dialect: LintDialect, setup: str, sql: str, **settings: object
) -> list[Finding]:
    """The findings of ``sql`` (the up section of migration 2) after ``setup`` (migration 1)."""
    directory = tmp_path / "migrations"
    directory.mkdir(parents=True, exist_ok=True)
    for version, body in (("1", setup), ("2", sql)):
        (directory / f"{version}_m.sql").write_text(
            f"-- migrate:up\n{body}\n\n-- migrate:down\n-- schemactl: no-op\n"
        )
    files, _ = discover([directory])
    before, target = (f.read() for f in files)
    reports = analyse([target], Settings(dialect, **settings), history=[before])  # type: ignore[arg-type]
    return reports[0].findings


def rules(
    tmp_path: Path, dialect: LintDialect, setup: str, sql: str, **settings: object
) -> set[str]:
    return {f.rule for f in findings(tmp_path, dialect, setup, sql, **settings)}
