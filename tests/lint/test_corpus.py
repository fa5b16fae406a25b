"""Each rule flags its risky example and leaves its safe alternative alone: offline (the setup
replayed from an earlier file) and online (the setup applied to a real database, where the safe
alternative must then apply)."""

from __future__ import annotations

from pathlib import Path

import pytest

import schemactl
from schemactl._files import Migration, discover
from schemactl.lint.engine import Settings, analyse

from ..conftest import fresh_url
from .cases import CASES, SETUP, Case


def write(directory: Path, version: str, sql: str, *, transaction: bool = True) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    option = "" if transaction else " transaction:false"
    (directory / f"{version}_m.sql").write_text(
        f"-- migrate:up{option}\n{sql};\n\n-- migrate:down\n-- schemactl: no-op\n"
    )


def migrations(directory: Path) -> list[Migration]:
    files, _ = discover([directory])
    return [f.read() for f in files]


def rules_found(case: Case, directory: Path, sql: str, transaction: bool) -> set[str]:
    write(directory, "1", SETUP[case.dialect].strip().rstrip(";"))
    write(directory, "2", sql, transaction=transaction)
    setup, target = migrations(directory)
    reports = analyse([target], Settings(case.dialect), history=[setup])  # type: ignore[arg-type]
    return {f.rule for f in reports[0].findings}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_offline(case: Case, tmp_path: Path) -> None:
    risky = rules_found(case, tmp_path / "risky", case.risky, case.risky_transaction)
    assert case.rule in risky
    safe = rules_found(case, tmp_path / "safe", case.safe, case.safe_transaction)
    assert case.rule not in safe


@pytest.mark.anyio
@pytest.mark.parametrize("case", [c for c in CASES if c.online], ids=lambda c: c.id)
async def test_online(case: Case, tmp_path: Path) -> None:
    """The setup applied to a real database, the case pending: the live catalog gives the
    same verdicts as the replayed files, and the safe alternative then applies."""
    url = fresh_url(case.dialect, tmp_path)
    risky_dir, safe_dir = tmp_path / "risky", tmp_path / "safe"
    try:
        write(risky_dir, "1", SETUP[case.dialect].strip().rstrip(";"))
        await schemactl.up(url, migrations_dir=risky_dir)
        write(risky_dir, "2", case.risky, transaction=case.risky_transaction)
        risky = await schemactl.lint_database(url, migrations_dir=risky_dir)
        assert [m.version for m in risky.migrations] == ["2"]
        assert case.rule in {f.rule for f in risky.findings}

        write(safe_dir, "1", SETUP[case.dialect].strip().rstrip(";"))
        write(safe_dir, "2", case.safe, transaction=case.safe_transaction)
        safe = await schemactl.lint_database(url, migrations_dir=safe_dir)
        assert case.rule not in {f.rule for f in safe.findings}
        result = await schemactl.up(url, migrations_dir=safe_dir)
        assert [m.version for m in result.applied] == ["2"]
    finally:
        await schemactl.drop(url)
