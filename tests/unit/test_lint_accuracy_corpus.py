"""The accuracy corpus of `benchmarks/lint_accuracy.py`: every pair is a well-formed set of
dbmate migrations, schemactl catches every risky case and raises no error or warning on any
safe alternative, counted as the benchmark counts (up sections only, the setup replayed as
history), but for the warnings listed below, each with why: they are true of the safe form
too, and the benchmark counts them as alarms. That the safe forms run on PostgreSQL is
checked by `benchmarks/lint_accuracy.py --apply`."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemactl import lint_files
from schemactl._files import Migration, discover

CORPUS = Path(__file__).resolve().parents[2] / "benchmarks" / "lint_accuracy"
PAIRS = sorted(p for p in CORPUS.iterdir() if p.is_dir())

# DD101 may-fail-on-data warns on every unique index built on an existing table, the
# CONCURRENTLY safe form included: it fails on duplicates (and, built concurrently, leaves an
# INVALID index behind); `plan --preflight` counts them
TRUE_OF_THE_SAFE_FORM = {
    name: {"DD101"} for name in ("02_create_unique_index", "19_unique_constraint", "20_primary_key")
}


def read(directory: Path) -> list[Migration]:
    files, warnings = discover([directory])
    assert warnings == []
    return [f.read() for f in files]


def counting(pair: Path, side: str) -> list[str]:
    """schemactl's findings that the benchmark counts: error or warning, in an up section."""
    files = sorted((pair / side).glob("*.sql"))
    result = lint_files(files, "postgresql", migrations_dirs=[pair])
    wanted = {f.resolve() for f in files}
    return [
        f"{f.rule} {Path(f.file).name}:{f.line}"
        for f in result.findings
        if Path(f.file).resolve() in wanted
        and f.section == "up"
        and f.severity.value in ("error", "warning")
        and f.approved is None
    ]


def test_the_corpus_has_at_least_40_pairs() -> None:
    assert len(PAIRS) >= 40


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.name)
def test_pair_is_well_formed(pair: Path) -> None:
    (setup,) = read(pair)
    assert "INSERT INTO" in setup.up.sql, "the setup gives the tables rows"
    for side in ("risky", "safe"):
        migrations = read(pair / side)
        assert migrations, f"{pair.name}/{side} has no migration"
        for m in migrations:
            assert m.version > setup.version
            assert not m.up.is_empty
            assert m.down is not None, f"{m.path.name} has no down section"
            header = m.path.read_text().splitlines()[0]
            assert header.startswith(f"-- {side}: "), "the first line says what the case is"


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.name)
def test_schemactl_catches_the_risky_migration(pair: Path) -> None:
    assert counting(pair, "risky") != []


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.name)
def test_schemactl_is_quiet_on_the_safe_alternative(pair: Path) -> None:
    rules = {alarm.split()[0] for alarm in counting(pair, "safe")}
    assert rules == TRUE_OF_THE_SAFE_FORM.get(pair.name, set())
