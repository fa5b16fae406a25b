#!/usr/bin/env python3
"""Soak test: many processes run `schemactl up` in a loop on one database while new
migrations keep arriving.

Run it with the project's venv interpreter, from anywhere::

    .venv/bin/python benchmarks/soak.py [--seconds 60] [--processes 20]
        [--db postgresql|mysql|sqlite|all] [--out FILE]

For ``--seconds`` (default 60), each of ``--processes`` (default 20) workers runs
``schemactl up --json --lock-timeout 60`` back to back against the same database (which the
first runs create), while a writer adds migration N (``CREATE TABLE t_N``, then
``INSERT INTO ledger (version) VALUES ('N')``) to the shared migrations directory every
~0.5 s, atomically (written to a dotfile, then renamed into place). Every 100 ms the harness
samples the migration lock on the server. At the end it stops the writer, lets running runs
finish, runs one last ``up`` and checks that every migration was recorded once and applied
once, and that every run exited 0. See benchmarks/README.md ("Soak test").

Each database is named ``bench_soak_<run id>`` and dropped at the end, also on failure,
Ctrl-C or SIGTERM; each database's soak, cleanup included, ends by --seconds + 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import importlib
import json
import math
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

Kind = Literal["postgresql", "mysql", "sqlite"]
KINDS: tuple[Kind, ...] = ("postgresql", "mysql", "sqlite")
TITLES: dict[Kind, str] = {"postgresql": "PostgreSQL", "mysql": "MariaDB/MySQL", "sqlite": "SQLite"}
FIRST_VERSION = 20240101000000  # migration i has version FIRST_VERSION + i (14 digits)
TABLE = "schema_migrations"
LOCK_TIMEOUT = 60  # `up --lock-timeout`
SAMPLE_EVERY = 0.1  # seconds between lock samples
HARD_STOP_EXTRA = 60.0  # a database's soak, cleanup included, ends by --seconds + this
CLEANUP_RESERVE = 10.0  # of which this much is kept for killing runs and dropping the database
SCRUBBED_ENV_PREFIXES = ("DBMATE_", "SCHEMACTL_", "DATABASE_URL", "ALEMBIC_")
HERE = Path(__file__).resolve().parent


def log(msg: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- records


@dataclass
class Run:
    """One `schemactl up` process."""

    worker: int  # -1: the final run
    started: float  # seconds since the soak began
    wall: float  # seconds, from spawn to exit
    rc: int | None  # None: not started, or killed at the hard stop
    applied: tuple[str, ...] = ()  # versions, from the --json document
    created: bool = False  # the run reported creating the database
    stdout: str = ""
    stderr: str = ""
    problem: str | None = None  # why the run counts as failed although it may have exited 0

    @property
    def ok(self) -> bool:
        return self.rc == 0 and self.problem is None


@dataclass(frozen=True)
class Sample:
    """What one look at the server showed about the migration lock."""

    at: float  # seconds since the soak began
    holder: int | None  # backend pid / connection id holding the migration lock
    pollers: int  # other sessions seen polling for it (see Backend.observe)
    blocked: int  # sessions blocked in the create-database lock (a blocking lock call)
    sessions: int  # schemactl sessions connected to the database


@dataclass
class DbState:
    """The database after the final run, as verification reads it."""

    versions: list[str]  # schema_migrations.version, every row
    applied_at: dict[str, str]
    ledger: list[tuple[str, str, str]]  # (version, at, session id)
    tables: set[str]  # tables named t_<n>
    failures: list[str]  # rows of schema_migrations_failures, if that table exists


@dataclass
class Soak:
    kind: Kind
    db: str
    server: str = "?"
    runs: list[Run] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    sample_errors: int = 0
    sample_error: str = ""
    added: int = 0  # migrations the writer added (migration 0 excluded)
    final: Run | None = None
    checks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    verified: bool | None = None  # None: verification did not run
    soak_seconds: float = 0.0  # from the first spawn until the last soak run ended
    stopped: str | None = None  # why the soak was cut short
    dropped: str = ""


# --------------------------------------------------------------------------- formatting


def fmt_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def p95(values: Sequence[float]) -> float:
    """The nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def timing(values: Sequence[float]) -> str:
    if not values:
        return "0 runs"
    return (
        f"{len(values)} runs: median {fmt_seconds(statistics.median(values))}, "
        f"p95 {fmt_seconds(p95(values))}, max {fmt_seconds(max(values))}"
    )


def shorten(text: str, limit: int = 2000) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------------- migrations


def migration_name(index: int) -> str:
    what = "create_ledger" if index == 0 else f"create_t_{index}"
    return f"{FIRST_VERSION + index}_{what}.sql"


def migration_sql(index: int, kind: Kind) -> str:
    if index == 0:
        # No unique constraint: applying a migration twice shows as two rows. `at` and
        # `conn_id` say when and from which session, as evidence if that happens.
        ledger = {
            "postgresql": "CREATE TABLE ledger (version TEXT NOT NULL, "
            "at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), "
            "conn_id INTEGER DEFAULT pg_backend_pid());",
            "mysql": "CREATE TABLE ledger (version VARCHAR(32) NOT NULL, "
            "at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), "
            "conn_id BIGINT DEFAULT (CONNECTION_ID()));",
            "sqlite": "CREATE TABLE ledger (version TEXT NOT NULL, "
            "at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), conn_id INTEGER);",
        }[kind]
        return (
            f"-- migrate:up\n{ledger}\nINSERT INTO ledger (version) VALUES ('0');\n\n"
            "-- migrate:down\nDROP TABLE ledger;\n"
        )
    return (
        "-- migrate:up\n"
        f"CREATE TABLE t_{index} (id INTEGER PRIMARY KEY, note VARCHAR(50));\n"
        f"INSERT INTO ledger (version) VALUES ('{index}');\n\n"
        "-- migrate:down\n"
        f"DELETE FROM ledger WHERE version = '{index}';\n"
        f"DROP TABLE t_{index};\n"
    )


def write_migration(directory: Path, index: int, kind: Kind) -> Path:
    """Write migration `index` atomically: a runner sees the whole file or none of it
    (schemactl skips dotfiles; rename within one directory is atomic)."""
    name = migration_name(index)
    tmp = directory / f".{name}.tmp"
    tmp.write_text(migration_sql(index, kind))
    final = directory / name
    os.rename(tmp, final)
    return final


def migration_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))


# --------------------------------------------------------------------------- servers


class Backend:
    """One database under test: its URL, the lock sampler, reading the result, dropping it."""

    kind: Kind
    # What "waiters" means on this database, for the report.
    observe = ""

    def __init__(self, db: str) -> None:
        self.db = db

    def url(self) -> str:
        raise NotImplementedError

    async def server_version(self) -> str:
        raise NotImplementedError

    async def open_sampler(self) -> None:
        return None

    async def sample(self, at: float) -> Sample | None:
        return None

    async def close_sampler(self) -> None:
        return None

    async def fetch_state(self) -> DbState:
        raise NotImplementedError

    async def drop(self) -> list[str]:
        raise NotImplementedError


def lock_keys(url: str, db: str) -> tuple[str, str]:
    """The migration lock's and the create-database lock's names, from schemactl itself."""
    from sqlalchemy.engine import make_url

    from schemactl.dialects import dialect_for

    dialect = dialect_for(make_url(url))
    if dialect.name == "postgresql":  # postgresql.py create_database
        return dialect.lock_key(TABLE), f"schemactl:create:{db}"
    return dialect.lock_key(TABLE), dialect.lock_key(f"create:{db}")  # mysql.py


class Postgres(Backend):
    kind = "postgresql"
    observe = (
        "schemactl takes the lock with `pg_try_advisory_lock` in a polling loop (10 ms, "
        "doubling up to 500 ms), so a waiter never shows as a waiting row in `pg_locks`. "
        "Counted as waiters: sessions on the database, other than the holder, whose last "
        "statement (`pg_stat_activity.query`, kept while the session sleeps between polls) is "
        "that `pg_try_advisory_lock` call. The create-database lock is a blocking "
        "`pg_advisory_lock` on the maintenance database: its waiters are `pg_locks` rows with "
        "`granted = false`."
    )

    def __init__(self, db: str, server_url: str) -> None:
        super().__init__(db)
        parts = urlsplit(server_url)
        self.netloc = parts.netloc
        self.asyncpg: Any = importlib.import_module("asyncpg")
        from schemactl.dialects._base import int64_key

        lock, create = lock_keys(f"postgresql+asyncpg://{self.netloc}/{db}", db)
        self.key = int64_key(lock)
        self.create_key = int64_key(create)
        self.poll_sql = f"SELECT pg_try_advisory_lock({self.key})"  # postgresql.py try_lock
        self.conn: Any = None

    def url(self) -> str:
        return f"postgres://{self.netloc}/{self.db}?sslmode=disable"

    async def connect(self, db: str) -> Any:
        return await self.asyncpg.connect(f"postgresql://{self.netloc}/{db}")

    async def server_version(self) -> str:
        conn = await self.connect("postgres")
        try:
            return "PostgreSQL " + str(await conn.fetchval("SHOW server_version")).split()[0]
        finally:
            await conn.close()

    @staticmethod
    def _where(key: int) -> str:
        number = key & 0xFFFFFFFFFFFFFFFF  # as in postgresql.py lock_holder
        return (
            f"locktype = 'advisory' AND classid = {number >> 32}::oid "
            f"AND objid = {number & 0xFFFFFFFF}::oid AND objsubid = 1"
        )

    async def open_sampler(self) -> None:
        self.conn = await self.connect("postgres")
        self.sample_sql = (
            "WITH lk AS (SELECT pid, granted FROM pg_locks WHERE "
            f"{self._where(self.key)} AND database = "
            "(SELECT oid FROM pg_database WHERE datname = $1)), "
            "holder AS (SELECT pid FROM lk WHERE granted) "
            "SELECT (SELECT min(pid) FROM holder), "
            "(SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query = $2 "
            " AND pid NOT IN (SELECT pid FROM holder)), "
            f"(SELECT count(*) FROM pg_locks WHERE {self._where(self.create_key)} "
            " AND NOT granted), "
            "(SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
            " AND application_name = 'schemactl')"
        )

    async def sample(self, at: float) -> Sample | None:
        row = await self.conn.fetchrow(self.sample_sql, self.db, self.poll_sql)
        holder = None if row[0] is None else int(row[0])
        return Sample(at, holder, int(row[1]), int(row[2]), int(row[3]))

    async def close_sampler(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)

    async def fetch_state(self) -> DbState:
        conn = await self.connect(self.db)
        try:
            rows = await conn.fetch(f"SELECT version, applied_at::text AS at FROM {TABLE}")
            ledger = await conn.fetch(
                "SELECT version, at::text AS at, coalesce(conn_id::text, '') AS c FROM ledger "
                "ORDER BY at"
            )
            tables = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename ~ '^t_[0-9]+$'"
            )
            failures: list[str] = []
            if await conn.fetchval(f"SELECT to_regclass('{TABLE}_failures') IS NOT NULL"):
                found = await conn.fetch(f"SELECT row_to_json(f)::text FROM {TABLE}_failures f")
                failures = [str(r[0]) for r in found]
        finally:
            await conn.close()
        return DbState(
            versions=[str(r["version"]) for r in rows],
            applied_at={str(r["version"]): str(r["at"]) for r in rows},
            ledger=[(str(r["version"]), str(r["at"]), str(r["c"])) for r in ledger],
            tables={str(r[0]) for r in tables},
            failures=failures,
        )

    async def drop(self) -> list[str]:
        conn = await self.connect("postgres")
        try:
            rows = await conn.fetch(
                "SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $2)",
                self.db,
                self.db + "_",
            )
            names = [str(r[0]) for r in rows]
            for name in names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return names
        finally:
            await conn.close()


class MySQL(Backend):
    kind = "mysql"
    observe = (
        "schemactl takes the lock with `GET_LOCK(name, 0)` in a polling loop (10 ms, doubling "
        "up to 500 ms), so a waiter never blocks on the server. `IS_USED_LOCK(name)` gives the "
        "holder. `information_schema.PROCESSLIST` shows a statement only while it runs, so "
        "counted as waiters are only the sessions caught inside a `GET_LOCK(name, 0)` call, "
        "an undercount: sessions sleeping between polls are not distinguishable from other "
        "idle ones (`performance_schema` is off and the `METADATA_LOCK_INFO` plugin is not "
        "installed on this server; either would only list the granted named lock anyway). "
        "The last column is an upper bound: every session on the database except the holder. "
        "The create-database lock is a blocking `GET_LOCK(name, 60)`: its waiters are caught "
        "in PROCESSLIST while they wait."
    )

    def __init__(self, db: str, server_url: str) -> None:
        super().__init__(db)
        parts = urlsplit(server_url)
        self.netloc = parts.netloc
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 3306
        self.user = unquote(parts.username or "root")
        self.password = unquote(parts.password or "")
        self.aiomysql: Any = importlib.import_module("aiomysql")
        self.key, self.create_key = lock_keys(f"mysql+aiomysql://{self.netloc}/{db}", db)
        self.conn: Any = None

    def url(self) -> str:
        return f"mysql://{self.netloc}/{self.db}"

    async def connect(self, db: str | None) -> Any:
        return await self.aiomysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            db=db,
            autocommit=True,
        )

    async def query(self, conn: Any, sql: str, *args: object) -> list[tuple[Any, ...]]:
        async with conn.cursor() as cursor:
            await cursor.execute(sql, args or None)
            return list(await cursor.fetchall())

    async def server_version(self) -> str:
        conn = await self.connect(None)
        try:
            rows = await self.query(conn, "SELECT VERSION()")
        finally:
            conn.close()
        version = str(rows[0][0])
        return ("MariaDB " if "mariadb" in version.lower() else "MySQL ") + version.split("-")[0]

    async def open_sampler(self) -> None:
        self.conn = await self.connect(None)

    async def sample(self, at: float) -> Sample | None:
        rows = await self.query(
            self.conn,
            "SELECT IS_USED_LOCK(%s), "
            "(SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = %s), "
            "(SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = %s), "
            "(SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s "
            " AND ID <> CONNECTION_ID())",
            self.key,
            f"SELECT GET_LOCK('{self.key}', 0)",  # mysql.py try_lock, as the server shows it
            f"SELECT GET_LOCK('{self.create_key}', 60)",  # mysql.py create_database
            self.db,
        )
        holder, polling, blocked, sessions = rows[0]
        return Sample(
            at,
            None if holder is None else int(holder),
            int(polling),
            int(blocked),
            int(sessions),
        )

    async def close_sampler(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()

    async def fetch_state(self) -> DbState:
        conn = await self.connect(self.db)
        try:
            rows = await self.query(conn, f"SELECT version, CAST(applied_at AS CHAR) FROM {TABLE}")
            ledger = await self.query(
                conn,
                "SELECT version, CAST(at AS CHAR), COALESCE(CAST(conn_id AS CHAR), '') "
                "FROM ledger ORDER BY at",
            )
            tables = await self.query(
                conn,
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                "AND TABLE_NAME REGEXP '^t_[0-9]+$'",
                self.db,
            )
            failures: list[str] = []
            exists = await self.query(
                conn,
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                "AND TABLE_NAME = %s",
                self.db,
                f"{TABLE}_failures",
            )
            if exists[0][0]:
                found = await self.query(conn, f"SELECT * FROM {TABLE}_failures")
                failures = [repr(r) for r in found]
        finally:
            conn.close()
        return DbState(
            versions=[str(r[0]) for r in rows],
            applied_at={str(r[0]): str(r[1]) for r in rows},
            ledger=[(str(r[0]), str(r[1]), str(r[2])) for r in ledger],
            tables={str(r[0]) for r in tables},
            failures=failures,
        )

    async def drop(self) -> list[str]:
        conn = await self.connect(None)
        try:
            pattern = self.db.replace("_", "\\_")
            rows = await self.query(conn, "SHOW DATABASES LIKE %s", pattern + "%")
            names = [str(r[0]) for r in rows if str(r[0]) == self.db or r[0].startswith(self.db)]
            for name in names:
                await self.query(conn, f"DROP DATABASE IF EXISTS `{name}`")
            return names
        finally:
            conn.close()


class SQLite(Backend):
    kind = "sqlite"
    observe = "SQLite has no server to ask; no lock samples are taken."

    def __init__(self, db: str, workdir: Path) -> None:
        super().__init__(db)
        self.path = workdir / f"{db}.db"

    def url(self) -> str:
        return f"sqlite:{self.path}"

    async def server_version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version} (Python's; the runs use aiosqlite)"

    def _read(self) -> DbState:
        conn = sqlite3.connect(self.path)
        try:
            rows = conn.execute(f"SELECT version, applied_at FROM {TABLE}").fetchall()
            ledger = conn.execute(
                "SELECT version, at, coalesce(conn_id, '') FROM ledger ORDER BY at"
            ).fetchall()
            tables = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 't_[0-9]*'"
            ).fetchall()
            failures: list[str] = []
            if conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = ?", (f"{TABLE}_failures",)
            ).fetchone():
                failures = [repr(r) for r in conn.execute(f"SELECT * FROM {TABLE}_failures")]
        finally:
            conn.close()
        return DbState(
            versions=[str(r[0]) for r in rows],
            applied_at={str(r[0]): str(r[1]) for r in rows},
            ledger=[(str(r[0]), str(r[1]), str(r[2])) for r in ledger],
            tables={str(r[0]) for r in tables},
            failures=failures,
        )

    async def fetch_state(self) -> DbState:
        return await asyncio.to_thread(self._read)

    def _unlink(self) -> list[str]:
        gone = []
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = Path(f"{self.path}{suffix}")
            if path.exists():
                path.unlink()
                gone.append(path.name)
        return gone

    async def drop(self) -> list[str]:
        return await asyncio.to_thread(self._unlink)


# --------------------------------------------------------------------------- the soak


@dataclass(frozen=True)
class Options:
    seconds: float
    processes: int
    kinds: tuple[Kind, ...]
    interval: float
    out: Path | None
    runs_json: Path | None
    pg_url: str
    mysql_url: str
    schemactl: Path
    keep_workdir: bool


def child_env(workdir: Path) -> dict[str, str]:
    """No DATABASE_URL or SCHEMACTL_* from the caller; a .pyc cache outside the repo."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_ENV_PREFIXES)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    env["NO_COLOR"] = "1"
    return env


class Harness:
    def __init__(self, opts: Options, backend: Backend, workdir: Path) -> None:
        self.o = opts
        self.backend = backend
        self.workdir = workdir
        self.migrations = workdir / f"migrations_{backend.kind}"
        self.soak = Soak(kind=backend.kind, db=backend.db)
        self.env = child_env(workdir)
        self.live: set[asyncio.subprocess.Process] = set()
        self.killed: list[Run] = []
        self.loop = asyncio.get_running_loop()
        self.t0 = self.loop.time()
        self.soak_end = self.t0
        self.hard_stop = self.t0

    def argv(self) -> list[str]:
        return [
            str(self.o.schemactl), "up", "--json", "--lock-timeout", str(LOCK_TIMEOUT),
            "--url", self.backend.url(), "--migrations-dir", str(self.migrations),
        ]  # fmt: skip

    async def run_up(self, worker: int) -> Run:
        started = self.loop.time()
        at = started - self.t0
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.workdir,
                env=self.env,
            )
        except OSError as exc:
            return Run(worker, at, 0.0, None, problem=f"could not start schemactl: {exc}")
        self.live.add(proc)
        try:
            out, err = await proc.communicate()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            self.killed.append(
                Run(worker, at, self.loop.time() - started, None, problem="killed at the hard stop")
            )
            raise
        wall = self.loop.time() - started
        self.live.discard(proc)
        run = Run(
            worker,
            at,
            wall,
            proc.returncode,
            stdout=out.decode(errors="replace"),
            stderr=err.decode(errors="replace"),
        )
        if run.rc == 0:
            try:
                doc = json.loads(run.stdout)
                run.applied = tuple(str(m["version"]) for m in doc["applied"])
                run.created = bool(doc.get("created_database"))
            except (ValueError, KeyError, TypeError) as exc:
                run.problem = f"exit 0 but no readable --json document ({exc!r})"
        return run

    async def worker(self, index: int) -> None:
        while self.loop.time() < self.soak_end:
            run = await self.run_up(index)
            self.soak.runs.append(run)
            if run.rc is None:  # could not even start: do not spin
                await asyncio.sleep(0.5)

    async def writer(self) -> None:
        index = 0
        while True:
            index += 1
            due = self.t0 + index * self.o.interval
            if due >= self.soak_end:
                return
            await asyncio.sleep(max(0.0, due - self.loop.time()))
            write_migration(self.migrations, index, self.backend.kind)
            self.soak.added = index

    async def sampler(self, stop: asyncio.Event) -> None:
        soak = self.soak
        try:
            await self.backend.open_sampler()
        except Exception as exc:
            soak.sample_errors += 1
            soak.sample_error = f"could not connect: {exc}"
            return
        try:
            due = self.loop.time()
            while not stop.is_set():
                try:
                    async with asyncio.timeout(1.0):
                        sample = await self.backend.sample(self.loop.time() - self.t0)
                    if sample is None:
                        return
                    soak.samples.append(sample)
                except Exception as exc:
                    soak.sample_errors += 1
                    soak.sample_error = soak.sample_error or f"{type(exc).__name__}: {exc}"
                    await self.backend.close_sampler()  # the connection may be mid-query
                    with contextlib.suppress(Exception):
                        await self.backend.open_sampler()
                due += SAMPLE_EVERY
                delay = due - self.loop.time()
                if delay < 0:  # fell behind (a loaded machine): no burst of catch-up samples
                    due, delay = self.loop.time(), 0.0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
        finally:
            await self.backend.close_sampler()

    async def body(self) -> None:
        soak = self.soak
        async with asyncio.timeout(10):
            soak.server = await self.backend.server_version()
        log(
            f"{soak.server}: {self.o.processes} processes x `schemactl up` for "
            f"{self.o.seconds:g} s on {soak.db}, a migration every {self.o.interval:g} s"
        )
        stop = asyncio.Event()
        sampler = asyncio.create_task(self.sampler(stop))
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.writer())
                for index in range(self.o.processes):
                    group.create_task(self.worker(index))
        finally:
            soak.soak_seconds = self.loop.time() - self.t0
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sampler, 3)
        log(
            f"soak over after {soak.soak_seconds:.1f} s: {len(soak.runs)} runs, "
            f"{soak.added} migrations added; final `up`"
        )
        soak.final = await self.run_up(-1)
        log(f"final `up` exit {soak.final.rc}, applied {len(soak.final.applied)}; verifying")
        state = await self.backend.fetch_state()
        self.verify(state)

    async def kill_all(self) -> None:
        for proc in list(self.live):
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
        for proc in list(self.live):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 3)
        self.live.clear()

    async def execute(self) -> Soak:
        self.migrations.mkdir()
        write_migration(self.migrations, 0, self.backend.kind)
        self.t0 = self.loop.time()
        self.soak_end = self.t0 + self.o.seconds
        self.hard_stop = self.soak_end + HARD_STOP_EXTRA
        try:
            async with asyncio.timeout_at(self.hard_stop - CLEANUP_RESERVE) as scope:
                await self.body()
        except TimeoutError:
            if not scope.expired():
                raise
            self.soak.stopped = (
                f"hard stop: not finished {self.o.seconds + HARD_STOP_EXTRA - CLEANUP_RESERVE:g} s "
                "after the start; runs still going were killed"
            )
            log(self.soak.stopped)
        except Exception as exc:
            self.soak.stopped = f"the harness failed: {type(exc).__name__}: {exc}"
            log(self.soak.stopped)
        finally:
            # Kill runs first: `up` creates a missing database, so a run still going could
            # re-create it after the drop.
            await self.kill_all()
            self.soak.runs.extend(self.killed)
            try:
                budget = max(3.0, self.hard_stop - self.loop.time())
                async with asyncio.timeout(budget):
                    dropped = await self.backend.drop()
                self.soak.dropped = f"dropped {', '.join(dropped) or 'nothing (not created)'}"
            except Exception as exc:
                self.soak.dropped = f"**could not drop {self.soak.db}**: {exc!r}"
            log(self.soak.dropped)
        return self.soak

    # -- verification

    def verify(self, state: DbState) -> None:
        soak = self.soak
        checks, problems = soak.checks, soak.problems
        files = migration_files(self.migrations)
        index_of = {
            str(FIRST_VERSION + i): i for i in range(soak.added + 1) if migration_name(i) in files
        }
        if len(files) != soak.added + 1 or len(index_of) != len(files):
            problems.append(
                f"the migrations directory holds {len(files)} files, expected {soak.added + 1}"
            )
        expected = set(index_of)

        counts = Counter(state.versions)
        doubled = {v: n for v, n in counts.items() if n > 1}
        missing = sorted(expected - set(counts))
        extra = sorted(set(counts) - expected)
        if doubled or missing or extra:
            problems.append(
                f"{TABLE}: {len(counts)} versions for {len(expected)} files; recorded more "
                f"than once: {doubled or 'none'}; missing: {missing or 'none'}; "
                f"unknown: {extra or 'none'}"
            )
        else:
            checks.append(f"every one of the {len(expected)} migration files is in {TABLE} once")

        labels = {str(i) for i in index_of.values()}
        ledger = Counter(v for v, _, _ in state.ledger)
        twice = {v: n for v, n in ledger.items() if n > 1}
        absent = sorted(labels - set(ledger), key=int)
        stray = sorted(set(ledger) - labels)
        if twice or absent or stray:
            evidence = []
            for label in sorted(twice, key=int):
                rows = [f"at {at} by session {c or '?'}" for v, at, c in state.ledger if v == label]
                version = str(FIRST_VERSION + int(label))
                evidence.append(
                    f"migration {label} ({version}, recorded at "
                    f"{state.applied_at.get(version, '?')}): {len(rows)} rows: {'; '.join(rows)}"
                )
            problems.append(
                f"ledger: {len(state.ledger)} rows for {len(labels)} migrations; "
                f"applied more than once: {'; '.join(evidence) or 'none'}; "
                f"never applied: {absent or 'none'}; unknown: {stray or 'none'}"
            )
        else:
            checks.append(
                f"the ledger has exactly one row for each of the {len(labels)} migrations"
            )

        want_tables = {f"t_{i}" for i in index_of.values() if i > 0}
        if state.tables != want_tables:
            problems.append(
                f"tables t_N: missing {sorted(want_tables - state.tables) or 'none'}, "
                f"unexpected {sorted(state.tables - want_tables) or 'none'}"
            )
        else:
            checks.append(f"all {len(want_tables)} tables t_1..t_{soak.added} exist")

        if state.failures:
            problems.append(f"{TABLE}_failures has rows: {state.failures}")

        runs = [*soak.runs, *([soak.final] if soak.final else [])]
        failed = [r for r in runs if not r.ok]
        if failed:
            problems.append(f"{len(failed)} of {len(runs)} runs failed (listed below)")
        else:
            checks.append(f"all {len(runs)} runs (the final one included) exited 0")

        by_version: dict[str, list[Run]] = {}
        for run in runs:
            for version in run.applied:
                by_version.setdefault(version, []).append(run)
        reported_twice = {v: rs for v, rs in by_version.items() if len(rs) > 1}
        if reported_twice:
            for version, rs in sorted(reported_twice.items()):
                who = ", ".join(f"worker {r.worker} started at {r.started:.2f} s" for r in rs)
                problems.append(f"{version} was reported applied by {len(rs)} runs: {who}")
        elif set(by_version) != expected:
            problems.append(
                f"the runs' --json documents report {len(by_version)} applied versions, "
                f"expected {len(expected)}"
            )
        else:
            checks.append(
                "the runs' --json documents report each migration applied by exactly one run"
            )

        creators = [r for r in runs if r.created]
        if len(creators) != 1:
            problems.append(f"{len(creators)} runs reported creating the database, expected 1")
        else:
            checks.append("exactly one run reported creating the database")
        soak.verified = not problems


# --------------------------------------------------------------------------- report


def source_state() -> str:
    """The commit under test, and whether the working tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            cwd=HERE,
            timeout=10,
            check=False,
        )
        diff = subprocess.run(
            ["git", "diff", "--shortstat", "HEAD", "--", "."],
            capture_output=True,
            cwd=HERE.parent,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "not a git checkout"
    if head.returncode != 0:
        return "not a git checkout"
    changes = diff.stdout.decode().strip()
    return f"git {head.stdout.decode().strip()}" + (f", uncommitted: {changes}" if changes else "")


def header(opts: Options) -> str:
    try:
        proc = subprocess.run(
            [str(opts.schemactl), "--version"], capture_output=True, timeout=30, check=False
        )
        version = proc.stdout.decode(errors="replace").strip() or f"exit {proc.returncode}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        version = f"unavailable ({exc})"
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"## schemactl soak test — {now}\n\n"
        f"- machine: {platform.platform()}, {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}; {version} ({source_state()})\n"
        f"- {opts.processes} processes, each running `schemactl up --json --lock-timeout "
        f"{LOCK_TIMEOUT}` back to back for {opts.seconds:g} s against one database (created by "
        f"the first runs); a new migration every {opts.interval:g} s, renamed into place; "
        f"lock sampled every {SAMPLE_EVERY * 1000:.0f} ms\n"
    )


def render(soak: Soak, backend: Backend, opts: Options) -> str:
    runs = soak.runs
    ok = [r for r in runs if r.ok]
    noop = [r.wall for r in ok if not r.applied]
    applying = [r for r in ok if r.applied]
    failed = [r for r in runs if not r.ok]
    final = soak.final
    if final is not None and not final.ok:
        failed.append(final)
    per_run = [len(r.applied) for r in applying]
    soak_applied = sum(per_run)
    rate = len(runs) / soak.soak_seconds if soak.soak_seconds else 0.0
    verdict = {True: "**passed**", False: "**FAILED**", None: "**not run**"}[soak.verified]

    rows: list[tuple[str, str]] = [
        ("server", soak.server),
        ("runs (until the last one ended)", f"{len(runs)} in {soak.soak_seconds:.1f} s"),
        ("runs/s", f"{rate:.2f}"),
        ("no-op runs (applied nothing)", timing(noop)),
        ("runs that applied", timing([r.wall for r in applying])),
        (
            "migrations per applying run",
            f"mean {statistics.mean(per_run):.2f}, max {max(per_run)}" if per_run else "—",
        ),
        ("migrations added by the writer", f"{soak.added} (+ migration 0, there from the start)"),
        (
            "applied by soak runs / by the final `up`",
            f"{soak_applied} / {len(final.applied) if final else '—'}",
        ),
        ("non-zero exits (final `up` included)", str(len(failed))),
    ]
    samples = soak.samples
    if samples:
        held = [s for s in samples if s.holder is not None]
        span = samples[-1].at - samples[0].at
        interval = span / (len(samples) - 1) if len(samples) > 1 else 0.0
        holders = len({s.holder for s in held})
        pollers_held = [s.pollers for s in held]
        rows += [
            (
                "lock held",
                f"{len(held) / len(samples):.1%} of {len(samples)} samples "
                f"(mean interval {interval * 1000:.0f} ms)",
            ),
            ("distinct lock holders seen (sessions)", str(holders)),
            (
                "max waiters seen (polling the lock)",
                f"{max(s.pollers for s in samples)}"
                + (f" (mean {statistics.mean(pollers_held):.2f} while held)" if held else ""),
            ),
            ("max waiting on the create-database lock", str(max(s.blocked for s in samples))),
            (
                "max schemactl sessions on the database"
                if backend.kind == "postgresql"
                else "max other sessions on the database (waiters' upper bound)",
                str(max(s.sessions for s in samples)),
            ),
        ]
    elif backend.kind != "sqlite":
        rows.append(("lock samples", f"none ({soak.sample_error or 'no sample taken'})"))
    if soak.sample_errors:
        rows.append(("failed samples", f"{soak.sample_errors} (first: {soak.sample_error})"))
    rows.append(("verification", verdict))

    out = [f"### {TITLES[soak.kind]} (`{soak.db}`)\n", "| measure | value |", "|---|---|"]
    out += [f"| {escape(k)} | {escape(v)} |" for k, v in rows]
    out.append("")
    if soak.stopped:
        out.append(f"- **{soak.stopped}**")
    out += [f"- ok: {c}" for c in soak.checks]
    out += [f"- **problem**: {p}" for p in soak.problems]
    out.append(f"- lock waiters: {backend.observe}")
    out.append(f"- cleanup: {soak.dropped}")
    if failed:
        out.append("\n<details open><summary>failed runs</summary>\n")
        for run in failed[:20]:
            who = "final `up`" if run.worker < 0 else f"worker {run.worker}"
            out.append(
                f"- {who}, started at {run.started:.2f} s, {fmt_seconds(run.wall)}, "
                f"exit {run.rc if run.rc is not None else 'none'}"
                + (f" ({run.problem})" if run.problem else "")
            )
            if run.stderr.strip():
                out.append(f"\n  stderr:\n\n  ```\n{shorten(run.stderr)}\n  ```\n")
            if run.stdout.strip() and run.rc != 0:
                out.append(f"\n  stdout:\n\n  ```\n{shorten(run.stdout)}\n  ```\n")
        if len(failed) > 20:
            out.append(f"- … and {len(failed) - 20} more")
        out.append("\n</details>")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- driver


def make_backend(kind: Kind, db: str, opts: Options, workdir: Path) -> Backend:
    if kind == "postgresql":
        return Postgres(db, opts.pg_url)
    if kind == "mysql":
        return MySQL(db, opts.mysql_url)
    return SQLite(db, workdir)


def runs_document(soaks: Sequence[Soak]) -> dict[str, Any]:
    def one(run: Run) -> dict[str, Any]:
        return {
            "worker": run.worker, "started": round(run.started, 4), "wall": round(run.wall, 4),
            "rc": run.rc, "applied": list(run.applied), "created_database": run.created,
            "problem": run.problem, "stderr": run.stderr if not run.ok else "",
        }  # fmt: skip

    return {
        soak.kind: {
            "database": soak.db,
            "runs": [one(r) for r in sorted(soak.runs, key=lambda r: r.started)],
            "final": one(soak.final) if soak.final else None,
            "samples": [
                [round(s.at, 3), s.holder, s.pollers, s.blocked, s.sessions] for s in soak.samples
            ],
        }
        for soak in soaks
    }


async def amain(opts: Options, workdir: Path) -> tuple[str, bool]:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        task.cancel()  # unwinds through the cleanup that kills runs and drops databases

    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, on_signal, signum)
    run_id = f"{os.getpid()}_{int(time.time()) % 100000}"
    sections = [header(opts)]
    soaks: list[Soak] = []
    passed = True
    try:
        for kind in opts.kinds:
            backend = make_backend(kind, f"bench_soak_{run_id}", opts, workdir)
            harness = Harness(opts, backend, workdir)
            soak = await harness.execute()
            passed = passed and soak.verified is True
            soaks.append(soak)
            if opts.runs_json is not None:
                opts.runs_json.write_text(json.dumps(runs_document(soaks), indent=1) + "\n")
            section = render(soak, backend, opts)
            log(f"{TITLES[kind]}: verification {soak.verified}")
            sections.append(section)
    except asyncio.CancelledError:
        if received:
            raise SystemExit(128 + received[0]) from None
        raise
    return "\n".join(sections), passed


def parse_args(argv: Sequence[str] | None = None) -> Options:
    bindir = Path(sys.executable).parent
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seconds", type=float, default=60.0, help="soak duration (default 60)")
    p.add_argument("--processes", type=int, default=20, help="concurrent `up` loops (default 20)")
    p.add_argument(
        "--db", choices=(*KINDS, "all"), default="postgresql",
        help="database to soak (default postgresql; all: one after the other)",
    )  # fmt: skip
    p.add_argument(
        "--interval", type=float, default=0.5,
        help="seconds between new migration files (default 0.5)",
    )  # fmt: skip
    p.add_argument("--out", type=Path, help="also write the markdown summary to this file")
    p.add_argument(
        "--runs-json", type=Path,
        help="also write every run (worker, start, wall time, exit code, versions applied) "
        "as JSON to this file",
    )  # fmt: skip
    p.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server, without a database name (default: $BENCH_PG_URL or %(default)s)",
    )  # fmt: skip
    p.add_argument(
        "--mysql-url", default=os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306"),
        help="MySQL/MariaDB server, without a database name "
        "(default: $BENCH_MYSQL_URL or %(default)s)",
    )  # fmt: skip
    p.add_argument("--schemactl", type=Path, default=bindir / "schemactl")
    p.add_argument("--keep-workdir", action="store_true", help="keep the generated temp dir")
    a = p.parse_args(argv)
    if a.seconds <= 0 or a.processes < 1 or a.interval <= 0:
        p.error("--seconds, --processes and --interval must be positive")
    kinds: tuple[Kind, ...] = KINDS if a.db == "all" else (a.db,)
    return Options(
        seconds=a.seconds, processes=a.processes, kinds=kinds, interval=a.interval, out=a.out,
        runs_json=a.runs_json, pg_url=a.pg_url, mysql_url=a.mysql_url, schemactl=a.schemactl,
        keep_workdir=a.keep_workdir,
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="schemactl-soak-"))
    try:
        report, passed = asyncio.run(amain(opts, workdir))
    finally:
        if opts.keep_workdir:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(report)
    if opts.out is not None:
        opts.out.write_text(report)
        log(f"wrote {opts.out}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
