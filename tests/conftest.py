"""Shared fixtures: a fresh, throwaway database on each real server, and migration files."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import anyio
import pytest

import schemactl

pytest_plugins = ["pytester"]  # the pytest plugin's tests run projects of their own

PG_BASE = os.environ.get("SCHEMACTL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
MYSQL_BASE = os.environ.get("SCHEMACTL_TEST_MYSQL", "mysql://root@127.0.0.1:3306")
DIALECTS = ("sqlite", "postgresql", "mysql")
# the start of every test database's name: sessions sharing one server each use their own
DB_PREFIX = os.environ.get("SCHEMACTL_TEST_DB_PREFIX", "sct_")


def server(dialect: str) -> SplitResult:
    """The test server of ``dialect`` ("postgresql" or "mysql"), from SCHEMACTL_TEST_*: its
    ``hostname``, ``port`` (the default one when the URL has none) and ``username``."""
    base = urlsplit(PG_BASE if dialect == "postgresql" else MYSQL_BASE)
    if base.port is None:
        default = 5432 if dialect == "postgresql" else 3306
        base = base._replace(netloc=f"{base.netloc}:{default}")
    return base


def shown_url(dialect: str, database: str, *, password: bool = False) -> str:
    """How schemactl names a database of the test server in its output: no driver, no
    options, the password (if any) as ***."""
    base = server(dialect)
    user = f"{base.username}:***" if password else base.username
    return f"{dialect}://{user}@{base.hostname}:{base.port}/{database}"


@pytest.fixture(autouse=True, scope="session")
def _plans_recorded_in_a_temporary_directory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """`plan` records each plan in the user's cache; the suite's go to a directory of its own
    (subprocesses inherit it). A test that needs its own sets SCHEMACTL_PLANS_DIR again."""
    before = os.environ.get("SCHEMACTL_PLANS_DIR")
    os.environ["SCHEMACTL_PLANS_DIR"] = str(tmp_path_factory.mktemp("plans"))
    yield
    if before is None:
        del os.environ["SCHEMACTL_PLANS_DIR"]
    else:
        os.environ["SCHEMACTL_PLANS_DIR"] = before


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # SQLAlchemy's async engine runs on asyncio only


def fresh_url(dialect: str, tmp_path: Path) -> str:
    """A URL naming a database that does not exist yet."""
    name = f"{DB_PREFIX}{uuid.uuid4().hex[:12]}"
    if dialect == "sqlite":
        return f"sqlite:{tmp_path / name}.db"
    if dialect == "postgresql":
        return f"{PG_BASE}/{name}"
    return f"{MYSQL_BASE}/{name}"


def drop_quietly(url: str) -> None:
    async def drop() -> None:
        await schemactl.drop(url)

    anyio.run(drop)


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(dialect: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL on each of SQLite, PostgreSQL and MariaDB; dropped afterwards."""
    url = fresh_url(dialect, tmp_path)
    yield url
    drop_quietly(url)


class MigrationsDir:
    """A temporary migrations directory and a way to add files to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def add(
        self,
        version: str,
        name: str,
        up: str,
        down: str | None = "",
        *,
        up_options: str = "",
        down_options: str = "",
    ) -> Path:
        text = f"-- migrate:up {up_options}".rstrip() + f"\n{up}\n"
        if down is not None:
            text += f"\n-- migrate:down {down_options}".rstrip() + f"\n{down}\n"
        file = self.path / f"{version}_{name}.sql"
        file.write_text(text, encoding="utf-8")
        return file

    def __str__(self) -> str:
        return str(self.path)


def latest_version(migrations: MigrationsDir) -> str:
    """The newest migration's version ("0": none), to roll back to: one ``new --auto`` may
    write several files (PostgreSQL's concurrent index builds run in files of their own)."""
    versions = [p.name.split("_")[0] for p in migrations.path.glob("*.sql")]
    return max(versions, default="0")


@pytest.fixture
def migrations(tmp_path: Path) -> MigrationsDir:
    return MigrationsDir(tmp_path / "migrations")


def under_seeds(command: Sequence[str], seeds: Sequence[str], *, cwd: Path) -> list[str]:
    """The standard output of ``command`` under each PYTHONHASHSEED (the runs started
    together; each must exit 0). DATABASE_URL and SCHEMACTL_* are not passed on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SCHEMACTL"))}
    processes = [
        subprocess.Popen(
            list(command),
            cwd=cwd,
            env={**env, "PYTHONHASHSEED": seed},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in seeds
    ]
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outputs.append(out)
    return outputs
