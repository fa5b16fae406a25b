"""SQLite URLs that point at the wrong thing, and many processes creating one database."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import anyio
import pytest

import schemactl

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("not a database\n"), "is not an SQLite database"),
        (lambda p: p.mkdir(), "is a directory, not an SQLite database file"),
    ],
    ids=["text-file", "directory"],
)
@pytest.mark.parametrize("command", ["up", "status", "migrate", "create"])
def test_a_url_at_something_else_is_one_line_exit_5(
    tmp_path: Path, make: object, message: str, command: str
) -> None:
    target = tmp_path / "app.db"
    make(target)  # type: ignore[operator]
    (tmp_path / "migrations").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "schemactl", command, "--url", f"sqlite:{target}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 5, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr
    if target.is_file():
        assert target.read_text() == "not a database\n"  # left as it was


async def test_the_api_says_the_same(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("hello\n")
    with pytest.raises(schemactl.DatabaseConnectionError, match="is not an SQLite database"):
        await schemactl.up(f"sqlite:{target}", migrations_dir=str(tmp_path))


def _create(url: str, barrier: object) -> bool:
    barrier.wait()  # type: ignore[attr-defined]

    async def create() -> bool:
        return (await schemactl.create(url)).changed

    return anyio.run(create)


def test_of_processes_creating_one_database_file_exactly_one_creates_it(
    tmp_path: Path,
) -> None:
    workers = 12
    for attempt in range(5):
        url = f"sqlite:{tmp_path / f'race_{attempt}.db'}"
        with multiprocessing.Manager() as manager:
            barrier = manager.Barrier(workers)
            with ProcessPoolExecutor(max_workers=workers) as pool:
                created = list(pool.map(_create, [url] * workers, [barrier] * workers))
        assert created.count(True) == 1, created
