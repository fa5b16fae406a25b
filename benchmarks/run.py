#!/usr/bin/env python3
"""schemactl vs dbmate vs Alembic on the same PostgreSQL work, timed by hyperfine.

    .venv/bin/python benchmarks/run.py [--only up,status] [--count 1000] [--out FILE]

Python writes the workloads (migration files, an Alembic project per workload, the databases
that each timed run's --prepare resets) and turns hyperfine's JSON into a markdown table of
medians and ratios. See benchmarks/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent  # schemactl and alembic from the venv running this script
X = "\u00d7"
TOOLS = ("schemactl", "dbmate", "alembic")
ITEMS = ("help", "version", "up", "up-single", "up-dml", "up-dml-single", "status", "inprocess",
         "rollback")  # fmt: skip
FIRST_VERSION = 20240101000000  # migration i has version FIRST_VERSION + i


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def clean_env(workdir: Path) -> dict[str, str]:
    """No tool settings from the caller; .pyc files written (outside the repo) and reused, as on
    a normal machine, also where PYTHONDONTWRITEBYTECODE is set."""
    scrub = ("DBMATE_", "SCHEMACTL_", "DATABASE_URL", "ALEMBIC_", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(scrub)}
    return env | {"PYTHONPYCACHEPREFIX": str(workdir / "pycache")}


def version_of(tool: str | Path) -> str:
    out = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).strip().splitlines()[-1]


# --------------------------------------------------------------------------- PostgreSQL, via psql


class PG:
    """Databases named prefix + name, (re)created by psql commands that hyperfine can run."""

    def __init__(self, server_url: str, prefix: str) -> None:
        self.netloc, self.prefix = urlsplit(server_url).netloc, prefix

    def url(self, db: str, scheme: str = "postgresql", query: str = "") -> str:
        return f"{scheme}://{self.netloc}/{db}" + (f"?{query}" if query else "")

    def psql(self, db: str = "postgres") -> list[str]:
        return ["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", self.url(db)]

    def reset(self, db: str, template: str = "") -> list[str]:
        """A command that (re)creates db, empty or as a copy of template, then CHECKPOINTs so
        that no checkpoint lands in the timed run."""
        assert db.startswith(self.prefix), db
        create = f"CREATE DATABASE {db}" + (f" TEMPLATE {template}" if template else "")
        drop = f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"
        return [*self.psql(), "-c", drop, "-c", create, "-c", "CHECKPOINT"]

    def query(self, db: str, sql: str) -> str:
        out = subprocess.run([*self.psql(db), "-c", sql], capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(out.stderr.strip())
        return out.stdout.strip()

    def tables(self, db: str) -> int:
        """How many of the DDL workload's tables t_<i> db has."""
        sql = (
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t_\\d+$'"
        )
        return int(self.query(db, sql))

    def drop_all(self) -> None:
        sql = f"SELECT datname FROM pg_database WHERE starts_with(datname, '{self.prefix}')"
        for db in self.query("postgres", sql).split():
            self.query("postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


# --------------------------------------------------------------------------- hyperfine and report

Cell = list[float] | str  # a tool's run times in seconds, or why there are none
Commands = dict[str, tuple[list[str], list[str] | None]]  # name: argv, prepare argv or None


def hyperfine(
    commands: Commands,
    export: Path,
    *,
    runs: int = 0,
    min_runs: int = 10,
    warmup: int = 0,
    setup: list[str] | None = None,
    interleave: bool = False,
    env: dict[str, str],
) -> dict[str, Cell]:
    """Time {name: (argv, prepare argv or None)} with hyperfine, no shell, in export's dir.
    interleave: one hyperfine call per run, the commands' order rotating from call to call, so
    that a slow phase of a shared machine is shared by all tools (as with no interleaving it
    would land on one)."""
    cells: dict[str, Cell] = {name: [] for name in commands}
    names = list(commands)
    for i in range(runs if interleave else 1):
        order = names[i % len(names) :] + names[: i % len(names)]
        argv = ["hyperfine", "-N", "-i", "--style", "basic", "--warmup", str(warmup * (i == 0))]
        argv += (
            ["--runs", str(1 if interleave else runs)] if runs else ["--min-runs", str(min_runs)]
        )
        argv += ["--export-json", str(export)] + (["--setup", shlex.join(setup)] if setup else [])
        for name in order:
            cmd, prepare = commands[name]
            argv += ["--prepare", shlex.join(prepare)] if prepare else []
            argv += ["-n", name, shlex.join(map(str, cmd))]
        rc = subprocess.run(argv, cwd=export.parent, env=env, stdout=sys.stderr).returncode
        if rc:
            return dict.fromkeys(commands, f"hyperfine exit {rc}")
        for result in json.loads(export.read_text())["results"]:
            failed = [c for c in result["exit_codes"] if c]
            name, times = result["command"], result["times"]
            if failed:
                cells[name] = f"exit {failed[0]} in {len(failed)} of {len(times)} runs"
            elif isinstance(cells[name], list):
                cells[name] += times
    return cells


@dataclass
class Row:
    title: str
    cells: dict[str, Cell]
    target: tuple[str, str | None, float] | None = None  # text, peer (None: seconds), limit
    notes: dict[str, str] = field(default_factory=dict)
    floor: str = ""  # how psql ran in this row, for the line under the table
    workload: str = "ddl"


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def median(cell: Cell | None) -> float | None:
    return statistics.median(cell) if isinstance(cell, list) and cell else None


def cell_text(row: Row, tool: str) -> str:
    cell = row.cells.get(tool)
    if cell is None:
        return "—"
    text = f"n/a ({cell})" if isinstance(cell, str) else fmt(statistics.median(cell))
    return f"{text} {row.notes.get(tool, '')}".strip()


def ratio(row: Row, peer: str) -> float | None:
    mine, theirs = median(row.cells.get("schemactl")), median(row.cells.get(peer))
    return None if mine is None or not theirs else mine / theirs


def render_table(rows: list[Row], tools: tuple[str, ...] = TOOLS) -> str:
    peers = tools[1:]
    lines = [
        "| work | " + " | ".join(tools) + "".join(f" | schemactl / {p}" for p in peers)
        + " | target | met |",
        "|---|" + "---:|" * (len(tools) + len(peers)) + "---|---|",
    ]  # fmt: skip
    for row in rows:
        ratios = {p: ratio(row, p) for p in peers}
        met = "—"
        if row.target:
            _, peer, limit = row.target
            value = ratios[peer] if peer else median(row.cells.get("schemactl"))
            met = "n/a" if value is None else "yes" if value <= limit else "**no**"
        cols = [row.title, *(cell_text(row, t) for t in tools)]
        cols += ["—" if r is None else f"{r:.2f}{X}" for r in ratios.values()]
        cols += [row.target[0] if row.target else "—", met]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cols) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the workloads


def migration(workload: str, i: int) -> tuple[str, str, str]:
    """Migration i (1-based): file name suffix, up SQL, down SQL."""
    if workload == "ddl":
        up = f"CREATE TABLE t_{i} (id integer primary key, name text);"
        return f"create_t_{i}", up, f"DROP TABLE t_{i};"
    if i == 1:
        up = "CREATE TABLE events (id integer primary key, note text);"
        return "create_events", up, "DROP TABLE events;"
    up = f"INSERT INTO events (id, note) VALUES ({i}, 'migration {i}');"
    return f"insert_event_{i}", up, f"DELETE FROM events WHERE id = {i};"


# Alembic's generic env.py (online), the URL from `-x url=...`; one transaction per migration
# like dbmate and schemactl, unless `-x single=1`: then Alembic's default, which on PostgreSQL
# runs all pending migrations in the one begin_transaction() below.
ALEMBIC_ENV = """\
from logging.config import fileConfig

from sqlalchemy import create_engine, pool

from alembic import context
{import_models}
config = context.config
fileConfig(config.config_file_name)
x = context.get_x_argument(as_dictionary=True)
with create_engine(x["url"], poolclass=pool.NullPool).connect() as connection:
    context.configure(
        connection=connection, target_metadata={metadata},
        compare_type=True, compare_server_default=True,
        transaction_per_migration=x.get("single") != "1",
    )
    with context.begin_transaction():
        context.run_migrations()
"""


def alembic_project(directory: Path, models: str = "") -> Path:
    """What `alembic init` makes from the generic template, with the env.py above and models
    (a module name) as target_metadata; returns the alembic.ini."""
    origin = getattr(importlib.util.find_spec("alembic"), "origin", None)
    template = Path(origin or sys.exit("alembic is not installed")).parent / "templates" / "generic"
    (directory / "versions").mkdir(parents=True)
    shutil.copy(template / "script.py.mako", directory)
    ini = (template / "alembic.ini.mako").read_text().replace("${script_location}", "%(here)s")
    imports = f"\nimport {models}\n" if models else ""
    env = ALEMBIC_ENV.format(
        import_models=imports, metadata=f"{models}.metadata" if models else None
    )
    (directory / "env.py").write_text(env)
    (directory / "alembic.ini").write_text(ini)
    return directory / "alembic.ini"


ALEMBIC_REVISION = '''\
"""{name}"""
from alembic import op

revision = "{rev}"
down_revision = {down}


def upgrade() -> None:
    op.execute({up!r})


def downgrade() -> None:
    op.execute({down_sql!r})
'''


def write_workload(workdir: Path, workload: str, count: int) -> None:
    """workdir/<workload>/: migrations/ (dbmate-format files, for schemactl and dbmate), alembic/
    (one revision per migration, a linear chain) and floor.sql (the up SQL, for psql)."""
    sql, versions = workdir / workload / "migrations", workdir / workload / "alembic" / "versions"
    sql.mkdir(parents=True)
    alembic_project(versions.parent)
    floor = []
    for i in range(1, count + 1):
        name, up, down = migration(workload, i)
        rev = str(FIRST_VERSION + i)
        (sql / f"{rev}_{name}.sql").write_text(f"-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n")
        prev = "None" if i == 1 else repr(str(FIRST_VERSION + i - 1))
        text = ALEMBIC_REVISION.format(name=name, rev=rev, down=prev, up=up, down_sql=down)
        (versions / f"{rev}_{name}.py").write_text(text)
        floor.append(up)
    (workdir / workload / "floor.sql").write_text("\n".join(floor) + "\n")


INPROCESS = {
    "schemactl": """\
import asyncio, json, sys, time
import schemactl

async def once():
    t0 = time.perf_counter()
    result = await schemactl.up(sys.argv[1], migrations_dir=sys.argv[2])
    assert not result.applied, "not a no-op"
    return time.perf_counter() - t0

print(json.dumps([asyncio.run(once()) for _ in range(int(sys.argv[3]))]))
""",
    "alembic": """\
import argparse, json, sys, time
from alembic import command
from alembic.config import Config

cfg = Config(sys.argv[1], cmd_opts=argparse.Namespace(x=[f"url={sys.argv[2]}"]))
times = []
for _ in range(int(sys.argv[3])):
    t0 = time.perf_counter()
    command.upgrade(cfg, "head")
    times.append(time.perf_counter() - t0)
print(json.dumps(times))
""",
}


# --------------------------------------------------------------------------- the rows


class Bench:
    def __init__(self, a: argparse.Namespace, workdir: Path, pg: PG) -> None:
        self.a, self.work, self.pg, self.env = a, workdir, pg, clean_env(workdir)
        self.dbmate_up: dict[str, Cell] = {}  # workload -> dbmate's per-migration apply
        self.golden_errors: dict[str, str] = {}

    def time(self, key: str, commands: Commands, **kw: Any) -> dict[str, Cell]:
        log(f"== {key}")
        return hyperfine(commands, self.work / f"hyperfine-{key}.json", env=self.env, **kw)

    def url(self, db: str) -> str:
        return self.pg.url(db, "postgres", "sslmode=disable")

    def dbmate(self, db: str, workload: str, *args: str) -> list[str]:
        dirs = ["--migrations-dir", str(self.work / workload / "migrations")]
        return [str(self.a.dbmate), "--url", self.url(db), *dirs, "--no-dump-schema", *args]

    def schemactl(self, db: str, workload: str, *args: str) -> list[str]:
        return [str(BIN / "schemactl"), *args, "--url", self.url(db), "--migrations-dir",
                str(self.work / workload / "migrations")]  # fmt: skip

    def alembic(self, db: str, workload: str, *args: str, single: bool = False) -> list[str]:
        ini = str(self.work / workload / "alembic" / "alembic.ini")
        x = ["-x", f"url={self.pg.url(db, 'postgresql+psycopg2')}"] + ["-x", "single=1"] * single
        return [str(BIN / "alembic"), "-c", ini, *x, *args]

    def up(self, tool: str, db: str, workload: str, single: bool) -> list[str]:
        """Apply every migration; single: schemactl --single-transaction, Alembic's default
        mode, psql -1 (dbmate has no such mode)."""
        if tool == "schemactl":
            return self.schemactl(db, workload, "up", *["--single-transaction"] * single)
        if tool == "dbmate":
            return self.dbmate(db, workload, "up")
        if tool == "alembic":
            return self.alembic(db, workload, "upgrade", "head", single=single)
        floor = str(self.work / workload / "floor.sql")
        return [*self.pg.psql(db), "-f", floor, *["-1"] * single]

    def check_applied(self, db: str, workload: str) -> str | None:
        n = self.a.count
        try:
            if workload == "ddl":
                got = self.pg.tables(db)
                return None if got == n else f"left {got} tables, expected {n}"
            got = int(self.pg.query(db, "SELECT count(*) FROM events"))
            return None if got == n - 1 else f"left {got} events, expected {n - 1}"
        except RuntimeError as exc:
            return str(exc)

    def golden(self, tool: str) -> str:
        return f"{self.pg.prefix}golden_{tool}"

    def build_goldens(self) -> None:
        """Untimed: each tool applies the DDL workload to a database of its own, which status,
        in-process and rollback use; this also fills the .pyc and page caches."""
        for tool in TOOLS:
            db = self.golden(tool)
            log(f"{tool} applies {self.a.count} migrations to {db} (untimed)")
            subprocess.run(self.pg.reset(db), check=True, stdout=subprocess.DEVNULL)
            out = subprocess.run(self.up(tool, db, "ddl", False), cwd=self.work, env=self.env,
                                 capture_output=True, text=True)  # fmt: skip
            problem = out.stderr.strip()[-300:] if out.returncode else self.check_applied(db, "ddl")
            if problem:
                self.golden_errors[tool] = f"setup failed: {problem}"

    def apply(self, key: str, workload: str, single: bool) -> Row:
        """Each timed run gets a new empty database (hyperfine --prepare); the last run of
        each tool is checked to have applied everything. dbmate's per-migration runs are
        the peer of both rows of a workload."""
        tools = ["schemactl", "alembic", "psql"]
        if single and workload == "ddl":
            tools.remove("alembic")
        shared = workload in self.dbmate_up
        tools += [] if shared else ["dbmate"]
        dbs = {t: f"{self.pg.prefix}{key.replace('-', '_')}_{t}" for t in tools}
        commands = {t: (self.up(t, dbs[t], workload, single), self.pg.reset(dbs[t])) for t in tools}
        reps = self.a.dml_reps if workload == "dml" else self.a.reps
        cells = self.time(key, commands, runs=reps, warmup=int(workload == "dml"), interleave=True)
        for tool, db in dbs.items():
            problem = self.check_applied(db, workload) if isinstance(cells[tool], list) else None
            cells[tool] = f"{tool} {problem}" if problem else cells[tool]
        self.dbmate_up.setdefault(workload, cells.pop("dbmate", ""))
        n = f"{self.a.count:,}"
        title = {
            "ddl": f"apply {n} migrations, one transaction each",
            "dml": f"apply {n} small DML migrations (CREATE TABLE events, then "
            f"{self.a.count - 1:,} one-row INSERTs), one transaction each",
        }[workload]
        if single:
            title = f"apply {n}{' small DML' * (workload == 'dml')}: schemactl "
            title += "`--single-transaction` vs dbmate per-migration"
        row = Row(title, cells | {"dbmate": self.dbmate_up[workload]}, workload=workload)
        row.floor = "`psql -1 -f`, one transaction" if single else "`psql -f`, autocommit"
        limit = 0.33 if single else 1.2
        row.target = (f"≤ {limit}{X} dbmate", "dbmate", limit)
        if single and shared:
            row.notes["dbmate"] = "(same runs as the row above)"
        if single and "alembic" in cells:
            row.notes["alembic"] = "(default mode: one transaction)"
        return row

    def cli(self, flag: str) -> tuple[Row, str]:
        commands: Commands = {t: ([str(BIN / t), flag], None) for t in TOOLS}
        commands["dbmate"] = ([str(self.a.dbmate), flag], None)
        wrapper = HERE / "node_modules" / ".bin" / "dbmate"
        if flag == "--help" and wrapper.exists():
            commands["npm wrapper"] = ([str(wrapper), flag], None)
        cells = self.time(flag.strip("-"), commands, warmup=1, min_runs=self.a.fast_reps)
        note, wrapped = "", median(cells.pop("npm wrapper", None))
        if wrapped:
            note = "- dbmate is timed as its native Go binary (through npm's Node wrapper "
            note += f"`--help` takes {fmt(wrapped)}).\n"
        target = ("< 150 ms absolute", None, 0.150) if flag == "--help" else None
        return Row(f"CLI start: `{flag}` (whole process)", cells, target), note

    def status(self) -> Row:
        tools = [t for t in TOOLS if t not in self.golden_errors]
        cmd = {
            "schemactl": lambda db: self.schemactl(db, "ddl", "status"),
            "dbmate": lambda db: self.dbmate(db, "ddl", "status"),
            "alembic": lambda db: self.alembic(db, "ddl", "current"),
        }
        commands = {t: (cmd[t](self.golden(t)), None) for t in tools}
        cells = self.time("status", commands, warmup=1, min_runs=self.a.fast_reps)
        title = f"`status` with {self.a.count:,} applied (alembic: `current`)"
        return Row(title, self.golden_errors | cells, (f"≤ 0.8{X} alembic", "alembic", 0.8))

    def inprocess(self) -> Row:
        """One Python process per tool makes --fast-reps no-op calls, each timed with
        perf_counter (the first one, with its lazy imports, included)."""
        log("== inprocess")
        ini = str(self.work / "ddl" / "alembic" / "alembic.ini")
        args = {
            "schemactl": [
                self.url(self.golden("schemactl")),
                str(self.work / "ddl" / "migrations"),
            ],
            "alembic": [ini, self.pg.url(self.golden("alembic"), "postgresql+psycopg2")],
        }
        cells: dict[str, Cell] = {}
        for tool, argv in args.items():
            argv = [sys.executable, "-c", INPROCESS[tool], *argv, str(self.a.fast_reps)]
            out = subprocess.run(argv, cwd=self.work, env=self.env, capture_output=True, text=True)
            cells[tool] = self.golden_errors.get(tool) or (
                json.loads(out.stdout) if out.returncode == 0 else out.stderr.strip()[-200:]
            )
        n = f"{self.a.count:,}"
        title = f"in-process no-op up, {n} applied (`schemactl.up` vs `command.upgrade`)"
        return Row(title, cells, (f"≤ 0.2{X} alembic", "alembic", 0.2))

    def rollback(self) -> Row:
        """schemactl and Alembic roll everything back, each run on a new copy of the tool's
        golden database; dbmate rolls back one migration per call, so --fast-reps calls on one
        copy are timed (hyperfine --setup makes it) and the median is multiplied by N."""
        n = self.a.count
        tools = [t for t in ("schemactl", "alembic") if t not in self.golden_errors]
        dbs = {t: f"{self.pg.prefix}rb_{t}" for t in TOOLS}
        cmd = {
            "schemactl": self.schemactl(dbs["schemactl"], "ddl", "rollback", "--to", "0"),
            "alembic": self.alembic(dbs["alembic"], "ddl", "downgrade", "base"),
        }
        commands = {t: (cmd[t], self.pg.reset(dbs[t], self.golden(t))) for t in tools}
        rollback = self.time("rollback", commands, runs=self.a.reps, interleave=True)
        cells = self.golden_errors | rollback
        for tool in tools:
            if isinstance(cells[tool], list) and (left := self.pg.tables(dbs[tool])):
                cells[tool] = f"left {left} tables"
        note = "extrapolated: one `dbmate rollback` per migration"
        if "dbmate" not in self.golden_errors:
            db, reps = dbs["dbmate"], self.a.fast_reps
            checkpoint = [*self.pg.psql(), "-c", "CHECKPOINT"]
            one = {"dbmate": (self.dbmate(db, "ddl", "rollback"), checkpoint)}
            setup = self.pg.reset(db, self.golden("dbmate"))
            dbmate = self.time("rollback-dbmate", one, runs=reps, setup=setup)["dbmate"]
            if isinstance(dbmate, list):
                note = f"({n:,} {X} {fmt(statistics.median(dbmate))}) {note}"
                left = self.pg.tables(db)
                dbmate = [t * n for t in dbmate] if left == n - reps else f"left {left} tables"
            cells["dbmate"] = dbmate
        title = f"roll back all {n:,} (schemactl `rollback --to 0`, alembic `downgrade base`)"
        return Row(title, cells, notes={"dbmate": note})


def header(a: argparse.Namespace, pg: PG) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    server = pg.query("postgres", "SHOW server_version").split()[0]
    alembic = version_of(BIN / "alembic")
    return (
        f"## schemactl vs dbmate vs Alembic — {now}\n\n"
        f"- {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"PostgreSQL {server}, {version_of('hyperfine')}\n"
        f"- {version_of(BIN / 'schemactl')}; {version_of(a.dbmate)} (native binary); "
        f"{alembic} (psycopg2, transaction_per_migration=True except where noted)\n"
        f"- {a.count:,} migrations; medians of {a.reps} runs (DDL apply, rollback), "
        f"{a.dml_reps} (DML apply), or at least {a.fast_reps} (the rest)\n"
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--count", type=int, default=1000, help="migrations per workload")
    p.add_argument("--reps", type=int, default=3, help="runs per tool: DDL apply, rollback")
    p.add_argument("--dml-reps", type=int, default=5, help="runs per tool: DML apply")
    p.add_argument("--fast-reps", type=int, default=10, help="at least this many runs (hyperfine "
                   "picks more for fast commands): --help, --version, status; in-process calls; "
                   "single dbmate rollbacks")  # fmt: skip
    p.add_argument("--only", default=",".join(ITEMS), help=f"subset of: {','.join(ITEMS)}")
    p.add_argument("--out", type=Path, help="also write the markdown report here")
    default_pg = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    p.add_argument("--pg-url", default=default_pg, help="server (default: %(default)s)")
    arch = "arm64" if platform.machine() in ("aarch64", "arm64") else "x64"
    native = HERE / "node_modules" / "@dbmate" / f"linux-{arch}" / "bin" / "dbmate"
    p.add_argument("--dbmate", type=Path, default=native, help="default: %(default)s")
    p.add_argument("--keep-workdir", action="store_true", help="keep workloads, hyperfine JSON")
    a = p.parse_args()
    only = a.only.split(",")
    if unknown := set(only) - set(ITEMS):
        p.error(f"unknown --only items {sorted(unknown)}")
    if shutil.which("hyperfine") is None:
        p.error("hyperfine is not installed (apt-get install hyperfine)")

    signal.signal(signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))  # drop databases
    pg = PG(a.pg_url, f"bench_{os.getpid()}_")
    workdir = Path(tempfile.mkdtemp(prefix="schemactl-bench-"))
    bench, rows, notes = Bench(a, workdir, pg), list[Row](), ""
    try:
        report = header(a, pg)
        for workload in ("ddl", "dml"):
            write_workload(workdir, workload, a.count)
        if set(only) - {"help", "version", "up-dml", "up-dml-single"}:
            bench.build_goldens()
        for item in (i for i in ITEMS if i in only):
            if item in ("help", "version"):
                row, note = bench.cli(f"--{item}")
                rows, notes = [*rows, row], notes + note
            elif item.startswith("up"):
                workload = "dml" if "dml" in item else "ddl"
                rows.append(bench.apply(item, workload, single=item.endswith("single")))
            else:
                rows.append(getattr(bench, item)())
    finally:
        pg.drop_all()
        if a.keep_workdir:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    report += f"\n{render_table(rows)}\n"
    report += f"Ratios are schemactl / peer: below 1.00{X} means schemactl is faster.\n"
    what = {
        "ddl": "the same CREATE TABLEs",
        "dml": f"the DML workload's CREATE TABLE events and {a.count - 1:,} INSERTs",
    }
    for workload, text in what.items():
        floor_rows = [r for r in rows if r.workload == workload and "psql" in r.cells]
        if floors := [f"{r.floor}: {cell_text(r, 'psql')}" for r in floor_rows]:
            report += f"- PostgreSQL floor, {text}, with no tracking table in one psql process: "
            report += "; ".join(floors) + ".\n"
    report += notes
    print(report)
    if a.out:
        a.out.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
