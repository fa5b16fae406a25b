#!/usr/bin/env python3
"""Time schemactl against dbmate and Alembic on the same work, as whole processes.

Run it with the project's venv interpreter, from anywhere::

    npm install --prefix benchmarks     # installs the pinned dbmate binary
    .venv/bin/pip install psycopg2-binary   # Alembic's sync driver
    .venv/bin/python benchmarks/run.py [--reps 3] [--count 1000] [--only up,status] [--out FILE]

See benchmarks/README.md for what each row measures.  Everything generated (migration
files, the Alembic project) lives in a temporary directory; every database the run
creates is named ``bench_<run id>_...`` and dropped at the end, also on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import importlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
# "psql" is not a peer: it runs the same SQL with no tracking, as the PostgreSQL floor.
Tool = Literal["schemactl", "dbmate", "alembic", "psql"]
TOOLS: tuple[Tool, ...] = ("schemactl", "dbmate", "alembic")  # the table's columns
# "ddl": migration i creates table t_i. "dml": migration 1 creates table events, and
# migrations 2..N each insert one row into it (cheap SQL: commits and round trips dominate).
Workload = Literal["ddl", "dml"]
X = "\u00d7"  # the multiplication sign, for ratios
ITEMS = (
    "help", "version", "up", "up-single", "up-dml", "up-dml-single", "status", "inprocess",
    "rollback",
)  # fmt: skip
DML_ITEMS = ("up-dml", "up-dml-single")
DEFAULT_DML_REPS = 5
FIRST_VERSION = 20240101000000  # migration i has version FIRST_VERSION + i (14 digits)
SCRUBBED_ENV_PREFIXES = ("DBMATE_", "SCHEMACTL_", "DATABASE_URL", "ALEMBIC_")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- results


class ToolError(Exception):
    """A tool exited non-zero, could not be started, or did not do the work."""


@dataclass(frozen=True)
class Cell:
    """One tool's measurements for one work item (seconds), or why there are none."""

    samples: tuple[float, ...] = ()
    error: str | None = None
    scale: int = 1  # the reported value is median(samples) * scale (dbmate rollback)

    @property
    def value(self) -> float | None:
        if self.error is not None or not self.samples:
            return None
        return statistics.median(self.samples) * self.scale


@dataclass(frozen=True)
class Target:
    """A spec target: schemactl's median below `limit` seconds, or its ratio to `peer`."""

    text: str
    peer: Tool | None = None
    limit: float = 0.0  # absolute seconds when peer is None, otherwise the max ratio


@dataclass
class Row:
    key: str
    title: str
    cells: dict[Tool, Cell] = field(default_factory=dict)
    notes: dict[Tool, str] = field(default_factory=dict)
    target: Target | None = None
    workload: Workload = "ddl"
    single: bool = False  # the psql floor of this row runs as one transaction (`psql -1`)


# --------------------------------------------------------------------------- formatting


def fmt_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_cell(cell: Cell | None, note: str = "") -> str:
    if cell is None:
        return "—"
    if cell.error is not None:
        error = cell.error if len(cell.error) <= 160 else cell.error[:159] + "…"
        return f"n/a (error: {error})"
    value = cell.value
    assert value is not None
    text = fmt_seconds(value)
    if cell.scale != 1:
        text += f" ({cell.scale:,} {X} {fmt_seconds(statistics.median(cell.samples))})"
    return f"{text} {note}".strip()


def ratio(row: Row, peer: Tool) -> float | None:
    mine, theirs = row.cells.get("schemactl"), row.cells.get(peer)
    if mine is None or theirs is None or mine.value is None or not theirs.value:
        return None
    return mine.value / theirs.value


def fmt_ratio(row: Row, peer: Tool) -> str:
    r = ratio(row, peer)
    return "—" if r is None else f"{r:.2f}{X}"


def verdict(row: Row) -> str:
    target = row.target
    if target is None:
        return "—"
    if target.peer is None:
        mine = row.cells.get("schemactl")
        value = None if mine is None else mine.value
        if value is None:
            return "n/a"
        return "yes" if value < target.limit else "**no**"
    r = ratio(row, target.peer)
    if r is None:
        return "n/a"
    return "yes" if r <= target.limit else "**no**"


def escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(rows: Sequence[Row]) -> str:
    head = (
        "| work | schemactl | dbmate | alembic | schemactl / dbmate | schemactl / alembic "
        "| target | met |\n|---|---:|---:|---:|---:|---:|---|---|\n"
    )
    lines = []
    for row in rows:
        cols = [
            row.title,
            *(fmt_cell(row.cells.get(t), row.notes.get(t, "")) for t in TOOLS),
            fmt_ratio(row, "dbmate"),
            fmt_ratio(row, "alembic"),
            row.target.text if row.target else "—",
            verdict(row),
        ]
        lines.append("| " + " | ".join(escape(c) for c in cols) + " |")
    return head + "\n".join(lines) + "\n"


def render_floor(rows: Sequence[Row], count: int) -> str:
    """The PostgreSQL floor: the same SQL through psql, no tracking table, one process."""
    what: dict[Workload, str] = {
        "ddl": "- PostgreSQL floor, the same CREATE TABLEs",
        "dml": f"- PostgreSQL floor of the DML workload, the same CREATE TABLE events and "
        f"{count - 1:,} INSERTs,",
    }
    out = ""
    for workload, intro in what.items():
        parts = []
        for row in rows:
            cell = row.cells.get("psql")
            if cell is None or row.workload != workload:
                continue
            how = "`psql -1 -f`, one transaction" if row.single else "`psql -f`, autocommit"
            parts.append(f"{how}: {fmt_cell(cell)}")
        if parts:
            out += f"{intro} with no tracking table in one psql process: {'; '.join(parts)}.\n"
    return out


def render_min_ratios(rows: Sequence[Row]) -> str:
    """schemactl / peer on each side's fastest run: less sensitive to other load."""

    def fastest(row: Row, tool: Tool) -> float | None:
        cell = row.cells.get(tool)
        if cell is None or cell.error is not None or not cell.samples:
            return None
        return min(cell.samples) * cell.scale

    out = [
        "| work | fastest schemactl / dbmate | fastest schemactl / alembic |",
        "|---|---:|---:|",
    ]
    for row in rows:
        mine = fastest(row, "schemactl")
        cols = []
        for peer in ("dbmate", "alembic"):
            theirs = fastest(row, peer)
            cols.append("—" if mine is None or not theirs else f"{mine / theirs:.2f}{X}")
        out.append(f"| {escape(row.title)} | {cols[0]} | {cols[1]} |")
    return "\n".join(out) + "\n"


def render_details(rows: Sequence[Row]) -> str:
    out = [
        "| work | tool | n | median | min | max | samples (ms) |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        for tool in (*TOOLS, "psql"):
            cell = row.cells.get(tool)
            if cell is None or cell.error is not None or not cell.samples:
                continue
            s = cell.samples
            samples = ", ".join(f"{x * 1000:.0f}" if x >= 0.01 else f"{x * 1000:.1f}" for x in s)
            out.append(
                f"| {escape(row.title)} | {tool} | {len(s)} | {fmt_seconds(statistics.median(s))} "
                f"| {fmt_seconds(min(s))} | {fmt_seconds(max(s))} | {samples} |"
            )
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- PostgreSQL admin


class Postgres:
    """Create, clone, inspect and drop throwaway databases (asyncpg, outside timed regions)."""

    def __init__(self, base_url: str, prefix: str) -> None:
        parts = urlsplit(base_url)
        self._scheme, self._netloc = parts.scheme or "postgres", parts.netloc
        self.prefix = prefix
        self._asyncpg: Any = importlib.import_module("asyncpg")

    def url(self, db: str, *, scheme: str | None = None, query: str = "") -> str:
        return urlunsplit((scheme or self._scheme, self._netloc, f"/{db}", query, ""))

    def dbmate_url(self, db: str) -> str:
        return self.url(db, scheme="postgres", query="sslmode=disable")

    def alembic_url(self, db: str) -> str:
        return self.url(db, scheme="postgresql+psycopg2")

    def _run(self, db: str, fn: Callable[[Any], Any]) -> Any:
        async def go() -> Any:
            conn = await self._asyncpg.connect(self.url(db, scheme="postgresql"))
            try:
                return await fn(conn)
            finally:
                await conn.close()

        return asyncio.run(go())

    def _check(self, name: str) -> None:
        if not name.startswith(self.prefix) or not name.replace("_", "").isalnum():
            raise ValueError(f"refusing to touch database {name!r}")

    def create(self, name: str, template: str | None = None) -> str:
        self._check(name)
        sql = f'CREATE DATABASE "{name}"'
        if template is not None:
            self._check(template)
            sql += f' TEMPLATE "{template}"'
        self._run("postgres", lambda c: c.execute(sql))
        return name

    def drop(self, name: str) -> None:
        self._check(name)
        self._run("postgres", lambda c: c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_all(self) -> list[str]:
        """Drop every database of this run (also ones a tool created by itself)."""

        async def go(conn: Any) -> list[str]:
            rows = await conn.fetch(
                "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", self.prefix
            )
            names = [str(r["datname"]) for r in rows]
            for name in names:
                self._check(name)
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return names

        result: list[str] = self._run("postgres", go)
        return result

    def event_count(self, db: str) -> int:
        """How many rows the DML workload's table has; -1 if there is no such table."""

        async def go(conn: Any) -> int:
            if await conn.fetchval("SELECT to_regclass('public.events')") is None:
                return -1
            return int(await conn.fetchval("SELECT count(*) FROM public.events"))

        result: int = self._run(db, go)
        return result

    def table_count(self, db: str) -> int:
        """How many benchmark tables t_<i> exist in db's public schema."""

        async def go(conn: Any) -> int:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename ~ '^t_[0-9]+$'"
                )
            )

        result: int = self._run(db, go)
        return result

    def checkpoint(self) -> None:
        """Flush dirty buffers now, so no checkpoint lands inside the next timed run."""
        self._run("postgres", lambda c: c.execute("CHECKPOINT"))

    def server_version(self) -> str:
        result: str = self._run("postgres", lambda c: c.fetchval("SHOW server_version"))
        return result


# --------------------------------------------------------------------------- generated projects


def version_of(i: int) -> str:
    return str(FIRST_VERSION + i)


def migration(workload: Workload, i: int) -> tuple[str, str, str]:
    """Migration i (1-based) of a workload: (file name suffix, up SQL, down SQL)."""
    if workload == "ddl":
        return (
            f"create_t_{i}",
            f"CREATE TABLE t_{i} (id integer primary key, name text);",
            f"DROP TABLE t_{i};",
        )
    if i == 1:
        return (
            "create_events",
            "CREATE TABLE events (id integer primary key, note text);",
            "DROP TABLE events;",
        )
    return (
        f"insert_event_{i}",
        f"INSERT INTO events (id, note) VALUES ({i}, 'migration {i}');",
        f"DELETE FROM events WHERE id = {i};",
    )


def generate_sql_migrations(directory: Path, count: int, workload: Workload = "ddl") -> None:
    """dbmate-format files, one statement each, shared by schemactl and dbmate."""
    directory.mkdir(parents=True)
    for i in range(1, count + 1):
        name, up, down = migration(workload, i)
        (directory / f"{version_of(i)}_{name}.sql").write_text(
            f"-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n"
        )


def generate_floor_sql(path: Path, count: int, workload: Workload = "ddl") -> None:
    """The up SQL of all migrations in one file, for psql (the PostgreSQL floor)."""
    path.write_text("".join(migration(workload, i)[1] + "\n" for i in range(1, count + 1)))


ALEMBIC_INI = """\
[alembic]
script_location = %(here)s
path_separator = os
sqlalchemy.url = postgresql+psycopg2://set-by-env-py

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %%(levelname)-5.5s [%%(name)s] %%(message)s
datefmt = %%H:%%M:%%S
"""

# Alembic's generic template env.py, with the URL from the environment and one
# transaction per migration (like dbmate and schemactl without --single-transaction),
# unless BENCH_ALEMBIC_SINGLE=1: then Alembic's default, which on PostgreSQL
# (transactional DDL) runs all pending migrations in the one begin_transaction() below.
ALEMBIC_ENV = """\
import os
from logging.config import fileConfig

from sqlalchemy import engine_from_config, pool

from alembic import context

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
config.set_main_option("sqlalchemy.url", os.environ["BENCH_ALEMBIC_URL"])


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=None,
            transaction_per_migration=os.environ.get("BENCH_ALEMBIC_SINGLE") != "1",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
"""

ALEMBIC_REVISION = '''\
"""{name}"""

from alembic import op

revision = "{rev}"
down_revision = {down}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute({up})


def downgrade() -> None:
    op.execute({down_sql})
'''


def generate_alembic_project(directory: Path, count: int, workload: Workload = "ddl") -> Path:
    """An Alembic project with one revision per migration, in a linear chain."""
    versions = directory / "versions"
    versions.mkdir(parents=True)
    ini = directory / "alembic.ini"
    ini.write_text(ALEMBIC_INI)
    (directory / "env.py").write_text(ALEMBIC_ENV)
    (directory / "script.py.mako").write_text("")
    for i in range(1, count + 1):
        name, up, down_sql = migration(workload, i)
        down = "None" if i == 1 else repr(version_of(i - 1))
        (versions / f"{version_of(i)}_{name}.py").write_text(
            ALEMBIC_REVISION.format(
                name=name.replace("_", " ", 1),  # "create t_1", "insert event_2"
                rev=version_of(i),
                down=down,
                up=json.dumps(up),  # a double-quoted Python string literal
                down_sql=json.dumps(down_sql),
            )
        )
    return ini


INPROCESS_SCHEMACTL = """\
import asyncio, json, sys, time
import schemactl

url, migrations_dir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])

async def once() -> float:
    t0 = time.perf_counter()
    result = await schemactl.up(url, migrations_dir=migrations_dir)
    elapsed = time.perf_counter() - t0
    applied = getattr(result, "applied", ())
    if applied:
        raise SystemExit(f"not a no-op: applied {len(applied)} migrations")
    return elapsed

print(json.dumps([asyncio.run(once()) for _ in range(n)]))
"""

INPROCESS_ALEMBIC = """\
import json, os, sys, time
from alembic import command
from alembic.config import Config

ini, url, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.environ["BENCH_ALEMBIC_URL"] = url
cfg = Config(ini)
samples = []
for _ in range(n):
    t0 = time.perf_counter()
    command.upgrade(cfg, "head")
    samples.append(time.perf_counter() - t0)
print(json.dumps(samples))
"""


# --------------------------------------------------------------------------- the harness


@dataclass(frozen=True)
class Options:
    reps: int
    dml_reps: int
    fast_reps: int
    count: int
    only: tuple[str, ...]
    out: Path | None
    pg_url: str
    schemactl: Path
    dbmate: Path
    alembic: Path
    python: Path
    keep_workdir: bool
    psql: Path | None


def clean_env(workdir: Path) -> dict[str, str]:
    """The environment for every tool: none of their settings, and .pyc files written
    (to a cache in the temp dir, not the repo) as on a normal machine, where Python does
    not recompile schemactl, or Alembic's 1,000 revision files, on every start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_ENV_PREFIXES)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    return env


def tail(text: bytes, limit: int = 200) -> str:
    lines = [ln for ln in text.decode(errors="replace").strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    return last if len(last) <= limit else last[: limit - 1] + "…"


class Bench:
    def __init__(self, opts: Options, workdir: Path, pg: Postgres) -> None:
        self.o = opts
        self.work = workdir
        self.pg = pg
        # the DDL workload (every row but up-dml*) and the DML one
        self.sql_dir = workdir / "migrations"
        self.alembic_ini = workdir / "alembic" / "alembic.ini"
        self.floor_sql = workdir / "floor.sql"
        self.sql_dirs: dict[Workload, Path] = {"ddl": self.sql_dir, "dml": workdir / "dml"}
        self.alembic_inis: dict[Workload, Path] = {
            "ddl": self.alembic_ini,
            "dml": workdir / "alembic_dml" / "alembic.ini",
        }
        self.floor_sqls: dict[Workload, Path] = {
            "ddl": self.floor_sql,
            "dml": workdir / "floor_dml.sql",
        }
        self.env = clean_env(workdir)
        self.golden: dict[Tool, str] = {}
        self.golden_errors: dict[Tool, str] = {}
        self.cache: dict[tuple[Tool, str], Cell] = {}
        self._serial = 0
        self._dml_warm = False

    # ---- processes

    def run(
        self, argv: Sequence[str | Path], env: dict[str, str] | None = None
    ) -> tuple[float, bytes]:
        """Run one whole process; return its wall time and stdout. Raise on failure."""
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                [str(a) for a in argv],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                cwd=self.work,  # no stray .env / pyproject.toml / db/ from the repo
                env=env or self.env,
                check=False,
            )
        except FileNotFoundError as exc:
            raise ToolError(f"{argv[0]} does not exist (not installed?)") from exc
        except OSError as exc:
            raise ToolError(f"cannot run {argv[0]}: {exc}") from exc
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            why = tail(proc.stderr) or tail(proc.stdout)
            raise ToolError(f"`{Path(argv[0]).name} {argv[1]}` exit {proc.returncode}: {why}")
        return elapsed, proc.stdout

    def timed(self, argv: Sequence[str | Path], env: dict[str, str] | None = None) -> float:
        return self.run(argv, env)[0]

    def alembic_env(self, db: str, *, single: bool = False) -> dict[str, str]:
        env = {**self.env, "BENCH_ALEMBIC_URL": self.pg.alembic_url(db)}
        if single:
            env["BENCH_ALEMBIC_SINGLE"] = "1"
        return env

    def new_db_name(self, label: str) -> str:
        self._serial += 1
        return f"{self.pg.prefix}{label}_{self._serial}"

    # ---- the work, one invocation per tool

    def cmd_up(
        self, tool: Tool, db: str, *, single: bool = False, workload: Workload = "ddl"
    ) -> float:
        """Apply all migrations of `workload`. single: schemactl --single-transaction,
        Alembic without transaction_per_migration, `psql -1`; dbmate has no such mode."""
        sql_dir = self.sql_dirs[workload]
        if tool == "schemactl":
            argv: list[str | Path] = [self.o.schemactl, "up", "--url", self.pg.dbmate_url(db)]
            argv += ["--migrations-dir", sql_dir]
            if single:
                argv.append("--single-transaction")
            return self.timed(argv)
        if tool == "dbmate":
            if single:
                raise ToolError("dbmate has no single-transaction mode")
            return self.timed(
                [self.o.dbmate, "--url", self.pg.dbmate_url(db), "--migrations-dir",
                 sql_dir, "--no-dump-schema", "up"]
            )  # fmt: skip
        if tool == "psql":
            if self.o.psql is None:
                raise ToolError("psql not found")
            argv = [self.o.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
            argv += ["-f", self.floor_sqls[workload], "-d", self.pg.url(db, scheme="postgresql")]
            if single:
                argv.append("-1")
            return self.timed(argv)
        return self.timed(
            [self.o.alembic, "-c", self.alembic_inis[workload], "upgrade", "head"],
            self.alembic_env(db, single=single),
        )

    def cmd_status(self, tool: Tool, db: str) -> float:
        if tool == "psql":
            raise ToolError("not applicable")
        if tool == "schemactl":
            return self.timed(
                [self.o.schemactl, "status", "--url", self.pg.dbmate_url(db),
                 "--migrations-dir", self.sql_dir]
            )  # fmt: skip
        if tool == "dbmate":
            return self.timed(
                [self.o.dbmate, "--url", self.pg.dbmate_url(db), "--migrations-dir",
                 self.sql_dir, "--no-dump-schema", "status"]
            )  # fmt: skip
        return self.timed([self.o.alembic, "-c", self.alembic_ini, "current"], self.alembic_env(db))

    def cmd_rollback(self, tool: Tool, db: str) -> float:
        """schemactl and alembic: everything; dbmate: the most recent migration only."""
        if tool == "psql":
            raise ToolError("not applicable")
        if tool == "schemactl":
            return self.timed(
                [self.o.schemactl, "rollback", "--to", "0", "--url", self.pg.dbmate_url(db),
                 "--migrations-dir", self.sql_dir]
            )  # fmt: skip
        if tool == "dbmate":
            return self.timed(
                [self.o.dbmate, "--url", self.pg.dbmate_url(db), "--migrations-dir",
                 self.sql_dir, "--no-dump-schema", "rollback"]
            )  # fmt: skip
        return self.timed(
            [self.o.alembic, "-c", self.alembic_ini, "downgrade", "base"], self.alembic_env(db)
        )

    def expect_tables(self, db: str, expected: int, what: str) -> None:
        got = self.pg.table_count(db)
        if got != expected:
            raise ToolError(f"{what} left {got} tables t_<i>, expected {expected}")

    def expect_applied(self, db: str, workload: Workload, what: str) -> None:
        """All migrations of `workload` took effect: N tables t_<i>, or N - 1 events."""
        if workload == "ddl":
            self.expect_tables(db, self.o.count, what)
            return
        got = self.pg.event_count(db)
        if got != self.o.count - 1:
            found = "no table events" if got < 0 else f"{got} rows in events"
            raise ToolError(f"{what} left {found}, expected {self.o.count - 1} rows")

    # ---- databases with everything applied

    def golden_db(self, tool: Tool) -> str:
        """A database with all migrations applied by `tool` itself (built once, untimed)."""
        if tool in self.golden_errors:  # do not retry a setup that failed once
            raise ToolError(self.golden_errors[tool])
        if tool not in self.golden:
            db = self.pg.create(self.new_db_name(f"golden_{tool}"))
            log(f"  preparing {db} with {self.o.count} migrations applied by {tool} (untimed)")
            try:
                self.cmd_up(tool, db, single=False)
                self.expect_tables(db, self.o.count, f"{tool} up")
            except Exception as exc:
                self.golden_errors[tool] = f"setup failed: {exc}"
                self.pg.drop(db)
                raise ToolError(self.golden_errors[tool]) from exc
            self.golden[tool] = db
        return self.golden[tool]

    def clone_golden(self, tool: Tool, label: str) -> str:
        return self.pg.create(self.new_db_name(label), template=self.golden_db(tool))

    # ---- measurement loops

    def measure(
        self, tools: Sequence[Tool], reps: int, once: Callable[[Tool], float]
    ) -> dict[Tool, Cell]:
        """Interleave the tools rep by rep, rotating who goes first, so that drift in the
        machine's speed is shared; a tool that fails once is out of the row."""
        samples: dict[Tool, list[float]] = {t: [] for t in tools}
        errors: dict[Tool, str] = {}
        for rep in range(reps):
            shift = rep % len(tools)
            for tool in [*tools[shift:], *tools[:shift]]:
                if tool in errors:
                    continue
                try:
                    samples[tool].append(once(tool))
                except Exception as exc:  # report the cell as n/a, keep measuring the peers
                    errors[tool] = str(exc) or type(exc).__name__
                    log(f"  {tool}: {errors[tool]}")
            done = {t: fmt_seconds(statistics.median(s)) for t, s in samples.items() if s}
            log(f"  rep {rep + 1}/{reps}: medians so far {done}")
        return {
            t: Cell(error=errors[t]) if t in errors else Cell(samples=tuple(samples[t]))
            for t in tools
        }

    # ---- the work items

    def item_cli(self, flag: str) -> Row:
        title = f"CLI start: `{flag}` (whole process)"
        argv: dict[Tool, list[str | Path]] = {
            "schemactl": [self.o.schemactl, flag],
            "dbmate": [self.o.dbmate, flag],
            "alembic": [self.o.alembic, flag],
        }
        for cmd in argv.values():  # one untimed run each: page cache, .pyc files
            with contextlib.suppress(Exception):
                self.timed(cmd)
        cells = self.measure(TOOLS, self.o.fast_reps, lambda t: self.timed(argv[t]))
        target = Target("< 150 ms absolute", None, 0.150) if flag == "--help" else None
        return Row(flag, title, cells, target=target)

    def apply_once(self, tool: Tool, *, single: bool, workload: Workload = "ddl") -> float:
        db = self.pg.create(self.new_db_name(f"up_{tool}" if workload == "ddl" else f"dml_{tool}"))
        try:
            self.pg.checkpoint()
            elapsed = self.cmd_up(tool, db, single=single, workload=workload)
            self.expect_applied(db, workload, f"{tool} up")
            return elapsed
        finally:
            self.pg.drop(db)

    def item_up(self) -> Row:
        title = f"apply {self.o.count:,} migrations, one transaction each"
        runners: list[Tool] = [*TOOLS, "psql"] if self.o.psql else list(TOOLS)
        cells = self.measure(runners, self.o.reps, lambda t: self.apply_once(t, single=False))
        for tool, cell in cells.items():
            self.cache[(tool, "up")] = cell
        return Row("up", title, cells, target=Target(f"≤ 1.2{X} dbmate", "dbmate", 1.2))

    def item_up_single(self) -> Row:
        title = f"apply {self.o.count:,}: schemactl `--single-transaction` vs dbmate per-migration"
        runners: list[Tool] = ["schemactl", "psql"] if self.o.psql else ["schemactl"]
        cells = self.measure(runners, self.o.reps, lambda t: self.apply_once(t, single=True))
        shared = ("dbmate", "up") in self.cache
        if not shared:
            log("  dbmate's per-migration apply was not measured yet: measuring it now")
            peer = self.measure(["dbmate"], self.o.reps, lambda t: self.apply_once(t, single=False))
            self.cache[("dbmate", "up")] = peer["dbmate"]
        cells["dbmate"] = self.cache[("dbmate", "up")]
        row = Row("up-single", title, cells, target=Target(f"≤ 0.33{X} dbmate", "dbmate", 0.33))
        row.single = True
        if shared:
            row.notes["dbmate"] = "(same runs as the row above)"
        return row

    def warm_up_dml(self) -> None:
        """One untimed DML apply per tool (Alembic compiles its DML revision files here)."""
        if self._dml_warm:
            return
        self._dml_warm = True
        log("  warm-up: each tool applies the DML migrations once (untimed)")
        for tool in TOOLS:
            with contextlib.suppress(Exception):  # the timed runs report the failure
                self.apply_once(tool, single=False, workload="dml")

    def item_up_dml(self) -> Row:
        title = (
            f"apply {self.o.count:,} small DML migrations (CREATE TABLE events, then "
            f"{self.o.count - 1:,} one-row INSERTs), one transaction each"
        )
        self.warm_up_dml()
        runners: list[Tool] = [*TOOLS, "psql"] if self.o.psql else list(TOOLS)
        cells = self.measure(
            runners, self.o.dml_reps, lambda t: self.apply_once(t, single=False, workload="dml")
        )
        for tool, cell in cells.items():
            self.cache[(tool, "up-dml")] = cell
        row = Row("up-dml", title, cells, target=Target(f"≤ 1.2{X} dbmate", "dbmate", 1.2))
        row.workload = "dml"
        return row

    def item_up_dml_single(self) -> Row:
        title = (
            f"apply {self.o.count:,} small DML: schemactl `--single-transaction` "
            "vs dbmate per-migration"
        )
        self.warm_up_dml()
        runners: list[Tool] = ["schemactl", "alembic"]
        if self.o.psql:
            runners.append("psql")
        cells = self.measure(
            runners, self.o.dml_reps, lambda t: self.apply_once(t, single=True, workload="dml")
        )
        shared = ("dbmate", "up-dml") in self.cache
        if not shared:
            log("  dbmate's per-migration DML apply was not measured yet: measuring it now")
            peer = self.measure(
                ["dbmate"],
                self.o.dml_reps,
                lambda t: self.apply_once(t, single=False, workload="dml"),
            )
            self.cache[("dbmate", "up-dml")] = peer["dbmate"]
        cells["dbmate"] = self.cache[("dbmate", "up-dml")]
        row = Row("up-dml-single", title, cells, target=Target(f"≤ 0.33{X} dbmate", "dbmate", 0.33))
        row.workload, row.single = "dml", True
        row.notes["alembic"] = "(default mode: one transaction)"
        if shared:
            row.notes["dbmate"] = "(same runs as the row above)"
        return row

    def item_status(self) -> Row:
        title = f"`status` with {self.o.count:,} applied (alembic: `current`)"
        dbs: dict[Tool, str] = {}
        cells: dict[Tool, Cell] = {}
        for tool in TOOLS:
            try:
                dbs[tool] = self.golden_db(tool)
                with contextlib.suppress(Exception):
                    self.cmd_status(tool, dbs[tool])  # untimed warm-up
            except Exception as exc:
                cells[tool] = Cell(error=str(exc))
        cells |= self.measure(list(dbs), self.o.fast_reps, lambda t: self.cmd_status(t, dbs[t]))
        return Row("status", title, cells, target=Target(f"≤ 0.8{X} alembic", "alembic", 0.8))

    def rollback_once(self, tool: Tool) -> float:
        db = self.clone_golden(tool, f"rb_{tool}")
        try:
            self.pg.checkpoint()
            elapsed = self.cmd_rollback(tool, db)
            self.expect_tables(db, 0, f"{tool} rollback")
            return elapsed
        finally:
            self.pg.drop(db)

    def item_rollback(self) -> Row:
        title = (
            f"roll back all {self.o.count:,} "
            "(schemactl `rollback --to 0`, alembic `downgrade base`)"
        )
        cells: dict[Tool, Cell] = {}
        tools: list[Tool] = []
        for tool in ("schemactl", "alembic"):
            try:
                self.golden_db(tool)
                tools.append(tool)
            except Exception as exc:
                cells[tool] = Cell(error=str(exc))
        cells |= self.measure(tools, self.o.reps, self.rollback_once)
        # dbmate rolls back one migration per invocation: time single invocations on one
        # clone and extrapolate, rather than timing a shell loop of `count` processes.
        try:
            db = self.clone_golden("dbmate", "rb_dbmate")
            try:
                per = []
                for _ in range(self.o.fast_reps):
                    self.pg.checkpoint()
                    per.append(self.cmd_rollback("dbmate", db))
                self.expect_tables(db, self.o.count - self.o.fast_reps, "dbmate rollback")
            finally:
                self.pg.drop(db)
            cells["dbmate"] = Cell(samples=tuple(per), scale=self.o.count)
            log(
                f"  dbmate: one rollback {fmt_seconds(statistics.median(per))} "
                f"(median of {len(per)})"
            )
        except Exception as exc:
            cells["dbmate"] = Cell(error=str(exc))
        row = Row("rollback", title, cells)
        row.notes["dbmate"] = "extrapolated: one `dbmate rollback` per migration"
        return row

    def inprocess_samples(self, tool: Tool) -> tuple[float, ...]:
        db = self.golden_db(tool)
        script = self.work / f"inprocess_{tool}.py"
        if tool == "schemactl":
            script.write_text(INPROCESS_SCHEMACTL)
            args = [self.pg.dbmate_url(db), str(self.sql_dir)]
        else:
            script.write_text(INPROCESS_ALEMBIC)
            args = [str(self.alembic_ini), self.pg.alembic_url(db)]
        _, out = self.run([self.o.python, script, *args, str(self.o.fast_reps)])
        samples = json.loads(out.decode().strip().splitlines()[-1])
        self.expect_tables(db, self.o.count, f"{tool} in-process up")
        return tuple(float(x) for x in samples)

    def item_inprocess(self) -> Row:
        title = (
            f"in-process no-op up, {self.o.count:,} applied (`schemactl.up` vs `command.upgrade`)"
        )
        cells: dict[Tool, Cell] = {}
        for tool in ("schemactl", "alembic"):
            try:
                cells[tool] = Cell(samples=self.inprocess_samples(tool))
                log(f"  {tool}: {fmt_seconds(cells[tool].value or 0)}")
            except Exception as exc:
                cells[tool] = Cell(error=str(exc))
                log(f"  {tool}: {exc}")
        return Row("inprocess", title, cells, target=Target(f"≤ 0.2{X} alembic", "alembic", 0.2))

    # ---- driver

    def prepare(self) -> None:
        workloads: tuple[Workload, ...] = ("ddl",)
        if set(self.o.only) & set(DML_ITEMS):
            workloads += ("dml",)
        log(
            f"generating {self.o.count} migrations and an Alembic project per workload "
            f"({', '.join(workloads)}) in {self.work}"
        )
        for workload in workloads:
            generate_sql_migrations(self.sql_dirs[workload], self.o.count, workload)
            generate_floor_sql(self.floor_sqls[workload], self.o.count, workload)
            generate_alembic_project(self.alembic_inis[workload].parent, self.o.count, workload)
        # Untimed warm-up: each tool applies everything once to the database that status,
        # in-process and rollback use later. This also fills the .pyc cache (schemactl,
        # SQLAlchemy, drivers, Alembic's revision files) and the OS page cache.
        if set(self.o.only) - {"help", "version", *DML_ITEMS}:
            for tool in TOOLS:
                with contextlib.suppress(Exception):  # the rows report the failure
                    self.golden_db(tool)

    def rows(self) -> Iterator[Row]:
        items: dict[str, Callable[[], Row]] = {
            "help": lambda: self.item_cli("--help"),
            "version": lambda: self.item_cli("--version"),
            "up": self.item_up,
            "up-single": self.item_up_single,
            "up-dml": self.item_up_dml,
            "up-dml-single": self.item_up_dml_single,
            "status": self.item_status,
            "inprocess": self.item_inprocess,
            "rollback": self.item_rollback,
        }
        for key in ITEMS:
            if key in self.o.only:
                log(f"== {key}")
                yield items[key]()


def tool_version(argv: Sequence[str | Path], cwd: Path) -> str:
    try:
        proc = subprocess.run(
            [str(a) for a in argv], capture_output=True, cwd=cwd, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    text = (proc.stdout or proc.stderr).decode(errors="replace").strip()
    if proc.returncode != 0:
        return f"unavailable (exit {proc.returncode}: {tail(proc.stderr) or tail(proc.stdout)})"
    return text.splitlines()[-1] if text else "?"


def header(opts: Options, pg: Postgres, workdir: Path) -> str:
    import sqlalchemy  # only for the report

    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        server = pg.server_version()
    except Exception as exc:
        server = f"unknown ({exc})"
    lines = [
        f"## schemactl vs dbmate vs Alembic — {now}",
        "",
        f"- machine: {platform.platform()}, {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}",
        f"- PostgreSQL {server} at {urlsplit(opts.pg_url).netloc}",
        f"- schemactl: {tool_version([opts.schemactl, '--version'], workdir)}",
        f"- dbmate: {tool_version([opts.dbmate, '--version'], workdir)} "
        f"(native binary, {opts.dbmate})",
        f"- alembic: {tool_version([opts.alembic, '--version'], workdir)}, "
        f"SQLAlchemy {sqlalchemy.__version__}, psycopg2 driver, transaction_per_migration=True "
        "(in the DML single-transaction row: Alembic's default, one transaction)",
        f"- {opts.count:,} migrations; medians of {opts.reps} runs (apply, rollback), "
        f"{opts.dml_reps} runs (DML apply) "
        f"or {opts.fast_reps} runs (--help, --version, status, in-process, one dbmate rollback)",
        "",
    ]
    return "\n".join(lines)


def find_dbmate() -> Path:
    """The native binary from the pinned npm package (not the Node wrapper in .bin/)."""
    machine = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    system = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(
        sys.platform, sys.platform
    )
    exe = ".exe" if system == "win32" else ""
    native = HERE / "node_modules" / "@dbmate" / f"{system}-{machine}" / "bin" / f"dbmate{exe}"
    if native.exists():
        return native
    return Path(shutil.which("dbmate") or HERE / "node_modules" / ".bin" / "dbmate")


def parse_args(argv: Sequence[str] | None = None) -> Options:
    bindir = Path(sys.executable).parent
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--reps", type=int, default=3, help="runs per heavy item: apply, rollback (default 3)"
    )
    p.add_argument(
        "--dml-reps", type=int, default=DEFAULT_DML_REPS,
        help=f"runs per tool in up-dml and up-dml-single (default {DEFAULT_DML_REPS})",
    )  # fmt: skip
    p.add_argument(
        "--fast-reps", type=int, default=10,
        help="runs per cheap item: --help, --version, status, in-process calls, single dbmate "
        "rollbacks (default 10)",
    )  # fmt: skip
    p.add_argument("--count", type=int, default=1000, help="number of migrations (default 1000)")
    p.add_argument(
        "--only", default=",".join(ITEMS), help=f"comma-separated subset of: {', '.join(ITEMS)}"
    )
    p.add_argument("--out", type=Path, help="also write the markdown report to this file")
    p.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"),
        help="server to use, without a database name (default: $BENCH_PG_URL or %(default)s)",
    )  # fmt: skip
    p.add_argument("--schemactl", type=Path, default=bindir / "schemactl")
    p.add_argument("--alembic", type=Path, default=bindir / "alembic")
    p.add_argument("--dbmate", type=Path, default=find_dbmate())
    p.add_argument(
        "--no-floor", action="store_true",
        help="skip the PostgreSQL floor (the same DDL through psql) in the apply rows",
    )  # fmt: skip
    p.add_argument("--keep-workdir", action="store_true", help="keep the generated temp dir")
    a = p.parse_args(argv)
    found = shutil.which("psql")
    psql = None if a.no_floor or found is None else Path(found)
    only = tuple(x.strip() for x in a.only.split(",") if x.strip())
    unknown = [x for x in only if x not in ITEMS]
    if unknown:
        p.error(f"unknown --only item(s) {unknown}; choose from {', '.join(ITEMS)}")
    if a.reps < 1 or a.dml_reps < 1 or a.fast_reps < 1 or a.count < 1:
        p.error("--reps, --dml-reps, --fast-reps and --count must be positive")
    if a.count < 2 and set(only) & set(DML_ITEMS):
        p.error("the DML workload needs --count 2 or more")
    if a.fast_reps >= a.count and "rollback" in only:
        p.error("--fast-reps must be below --count (dbmate rolls back that many)")
    return Options(
        reps=a.reps, dml_reps=a.dml_reps, fast_reps=a.fast_reps, count=a.count, only=only,
        out=a.out, pg_url=a.pg_url, schemactl=a.schemactl, dbmate=a.dbmate, alembic=a.alembic,
        python=Path(sys.executable), keep_workdir=a.keep_workdir, psql=psql,
    )  # fmt: skip


def npm_wrapper_note(bench: Bench) -> str:
    wrapper = HERE / "node_modules" / ".bin" / "dbmate"
    if not wrapper.exists() or wrapper.resolve() == bench.o.dbmate.resolve():
        return ""
    try:
        bench.timed([wrapper, "--help"])
        samples = [bench.timed([wrapper, "--help"]) for _ in range(bench.o.fast_reps)]
    except Exception:
        return ""
    return (
        f"- dbmate is timed as its native Go binary; through npm's Node wrapper "
        "(`node_modules/.bin/dbmate --help`) the same call takes "
        f"{fmt_seconds(statistics.median(samples))}.\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally that drops databases

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    run_id = f"{os.getpid()}_{int(time.time()) % 100000}"
    pg = Postgres(opts.pg_url, prefix=f"bench_{run_id}_")
    workdir = Path(tempfile.mkdtemp(prefix="schemactl-bench-"))
    bench = Bench(opts, workdir, pg)
    rows: list[Row] = []
    try:
        report_head = header(opts, pg, workdir)
        bench.prepare()
        t0 = time.perf_counter()
        for row in bench.rows():
            rows.append(row)
        notes = npm_wrapper_note(bench) if "help" in opts.only else ""
        log(f"measured in {time.perf_counter() - t0:.0f} s")
    except BaseException as exc:
        if isinstance(exc, Exception):
            traceback.print_exc()
        else:
            log(f"stopped by {type(exc).__name__}")
        if not rows:
            raise
        notes = "- **the run stopped early**; rows measured before that are shown.\n"
    finally:
        with contextlib.suppress(Exception):
            dropped = pg.drop_all()
            log(f"dropped {len(dropped)} bench databases")
        if not opts.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"kept {workdir}")

    report = (
        f"{report_head}\n{render_table(rows)}\n"
        f"Ratios are schemactl / peer: below 1.00{X} means schemactl is faster.\n"
        f"{render_floor(rows, opts.count)}{notes}\n"
        "<details><summary>all samples, and ratios of the fastest runs</summary>\n\n"
        f"{render_details(rows)}\n{render_min_ratios(rows)}\n</details>\n"
    )
    print(report)
    if opts.out is not None:
        opts.out.write_text(report)
        log(f"wrote {opts.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
