"""The rules about a migration's file and its place in history: a missing down section
(RB101), a file edited after it was applied (IN101), a pending file older than an applied
one (IN102)."""

from __future__ import annotations

from pathlib import Path

import pytest

import schemactl

from ..conftest import fresh_url

UP = "-- migrate:up\nCREATE TABLE t{n} (id integer);\n"
DOWN = "\n-- migrate:down\nDROP TABLE t{n};\n"


def write(directory: Path, version: str, *, down: bool = True) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    n = version.lstrip("0")
    text = UP.format(n=n) + (DOWN.format(n=n) if down else "")
    (directory / f"{version}_t{n}.sql").write_text(text)


def rules_of(result: schemactl.LintResult, version: str) -> set[str]:
    return {f.rule for f in result.findings if f.version == version}


def test_missing_down_offline(tmp_path: Path) -> None:
    write(tmp_path, "001", down=False)
    write(tmp_path, "002")
    empty = tmp_path / "003_t3.sql"
    empty.write_text(UP.format(n=3) + "\n-- migrate:down\n")
    result = schemactl.lint_files([], "sqlite", migrations_dirs=[tmp_path])
    assert "RB101" in rules_of(result, "001")
    assert "RB101" not in rules_of(result, "002")
    assert "RB101" in rules_of(result, "003")


@pytest.mark.anyio
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
async def test_history_online(dialect: str, tmp_path: Path) -> None:
    url = fresh_url(dialect, tmp_path)
    directory = tmp_path / "migrations"
    try:
        write(directory, "001")
        write(directory, "003")
        await schemactl.up(url, migrations_dir=directory)
        write(directory, "002", down=False)  # merged from another branch
        result = await schemactl.lint_database(url, migrations_dir=directory)
        assert [m.version for m in result.migrations] == ["002"]
        assert {"IN102", "RB101"} <= rules_of(result, "002")

        (directory / "001_t1.sql").write_text(UP.format(n=1) + "-- edited\n" + DOWN.format(n=1))
        every = await schemactl.lint_database(url, migrations_dir=directory, all=True)
        assert "IN101" in rules_of(every, "001")
        assert "IN101" not in rules_of(every, "003")
        assert "IN102" not in rules_of(every, "003")
    finally:
        await schemactl.drop(url)
