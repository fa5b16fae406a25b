"""examples/fastapi: the app under ``uvicorn --workers 4`` migrates its database at start-up,
once, whether the database does not exist yet or the server itself starts after the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from schemactl._urls import to_sqlalchemy_url
from tests.conftest import DB_PREFIX, drop_quietly, fresh_url
from tests.recipes.conftest import EXAMPLES, LatePostgres, free_port

pytestmark = pytest.mark.own_server
APP = EXAMPLES / "fastapi"
WORKERS = 4
VERSIONS = sorted(p.name.split("_")[0] for p in (APP / "migrations").glob("*.sql"))


@contextmanager
def uvicorn(url: str, log: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """The example app under uvicorn with four workers, on a free port; stopped afterwards."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SCHEMACTL_WAIT_TIMEOUT": "30"}
    command = [sys.executable, "-m", "uvicorn", "app:app", "--app-dir", str(APP)]
    command += ["--workers", str(WORKERS), "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield port, process
    finally:
        process.terminate()  # uvicorn's graceful shutdown: each worker's lifespan ends
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def get_items(port: int) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/items", timeout=5) as response:
            return dict(json.load(response))
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None  # not listening yet, or no worker has started serving


def every_worker_serves(port: int, process: subprocess.Popen[bytes], log: Path) -> dict[int, Any]:
    """Ask until each of the four workers (by its pid) has answered; what each answered."""
    answers: dict[int, Any] = {}
    deadline = time.monotonic() + 45
    with ThreadPoolExecutor(8) as pool:
        while len(answers) < WORKERS:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{len(answers)} of {WORKERS} workers served:\n{log.read_text()}")
            for answer in pool.map(get_items, [port] * 16):
                if answer is not None:
                    answers[answer["pid"]] = answer["items"]
            time.sleep(0.1)
    return answers


def database_rows(
    url: str, table: str = "items", column: str = "name"
) -> tuple[list[str], list[str]]:
    """The versions schema_migrations records, and the seed's rows (a table without a unique
    key: a seed applied twice would show twice)."""

    async def read() -> tuple[list[str], list[str]]:
        engine = create_async_engine(to_sqlalchemy_url(url))
        try:
            async with engine.connect() as conn:
                versions = await conn.scalars(text("SELECT version FROM schema_migrations"))
                names = await conn.scalars(text(f"SELECT {column} FROM {table} ORDER BY id"))
                return sorted(versions), list(names)
        finally:
            await engine.dispose()

    return anyio.run(read)


def check_served_and_migrated_once(url: str, answers: dict[int, Any], log: Path) -> None:
    assert all(items == ["first", "second"] for items in answers.values()), answers
    assert database_rows(url) == (VERSIONS, ["first", "second"])
    output = log.read_text()
    assert output.count("Application startup complete") == WORKERS, output
    assert "Traceback" not in output


def test_four_workers_create_and_migrate_a_missing_database_once(tmp_path: Path) -> None:
    url = fresh_url("postgresql", tmp_path)
    log = tmp_path / "uvicorn.log"
    try:
        with uvicorn(url, log) as (port, process):
            answers = every_worker_serves(port, process, log)
        check_served_and_migrated_once(url, answers, log)
    finally:
        drop_quietly(url)


def test_the_app_starts_before_its_postgresql(late_postgres: LatePostgres, tmp_path: Path) -> None:
    """uvicorn starts; PostgreSQL starts 3 s later, on a port nobody listened on before."""
    url = f"{late_postgres.base_url}/{DB_PREFIX}app"
    log = tmp_path / "uvicorn.log"
    with uvicorn(url, log) as (port, process):
        time.sleep(3)
        assert process.poll() is None  # the workers wait for the server, they do not fail
        assert "Application startup complete" not in log.read_text()
        late_postgres.start()
        answers = every_worker_serves(port, process, log)
    check_served_and_migrated_once(url, answers, log)
