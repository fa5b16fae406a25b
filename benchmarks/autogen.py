#!/usr/bin/env python3
"""Time `schemactl new --auto` against `alembic revision --autogenerate`, as whole processes.

Run it with the project's venv interpreter, from anywhere::

    .venv/bin/pip install psycopg2-binary   # Alembic's sync driver
    .venv/bin/python benchmarks/autogen.py [--reps 5] [--tables 500] [--only noop,empty]
        [--out FILE]

Both tools compare the same generated models (N tables of 8 columns, each with an index, a
UNIQUE constraint and a foreign key to the previous table) with the same PostgreSQL database:

- ``noop``: the database already has exactly that schema (``metadata.create_all``, untimed), so
  there is nothing to generate. Alembic still writes a revision whose upgrade() is ``pass``;
- ``empty``: the database is empty, so both generate the creation of all N tables.

See benchmarks/README.md. Everything generated lives in a temporary directory; every database
is named ``bench_ag_<run id>_...`` and dropped at the end, also on failure.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Literal
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # run.py beside this file: the shared helpers

from run import ALEMBIC_INI as RUN_ALEMBIC_INI  # noqa: E402
from run import (  # noqa: E402  (needs the path above)
    Cell,
    Postgres,
    ToolError,
    X,
    clean_env,
    escape,
    fmt_cell,
    fmt_seconds,
    log,
    tail,
    tool_version,
)

Tool = Literal["schemactl", "alembic"]
TOOLS: tuple[Tool, ...] = ("schemactl", "alembic")
Case = Literal["noop", "empty"]
CASES: tuple[Case, ...] = ("noop", "empty")
TARGET_NOOP = 0.5  # the spec: schemactl's no-op at most half of Alembic's
MODELS_MODULE = "bench_models"
WIDE_PY = HERE.parent / "tests" / "models" / "wide.py"  # the test suite's generator

# run.py's alembic.ini, plus the project directory on sys.path for the models module
ALEMBIC_INI = RUN_ALEMBIC_INI.replace("path_separator", "prepend_sys_path = .\npath_separator", 1)

# Alembic's generic template env.py (online part), with the URL from the environment, the
# generated models as target_metadata, and type and server-default comparison on.
ALEMBIC_ENV = f"""\
import os
from logging.config import fileConfig

from sqlalchemy import engine_from_config, pool

from alembic import context

import {MODELS_MODULE}

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
config.set_main_option("sqlalchemy.url", os.environ["BENCH_ALEMBIC_URL"])
target_metadata = {MODELS_MODULE}.metadata


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {{}}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            compare_server_default=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
"""


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    case: Case
    title: str
    cells: dict[Tool, Cell] = field(default_factory=dict)
    target: float | None = None  # max schemactl / alembic


def ratio(row: Row, *, fastest: bool = False) -> float | None:
    mine, theirs = row.cells.get("schemactl"), row.cells.get("alembic")
    if mine is None or theirs is None or mine.value is None or not theirs.value:
        return None
    if fastest:
        return min(mine.samples) / min(theirs.samples)
    return mine.value / theirs.value


def render_table(rows: Sequence[Row]) -> str:
    out = [
        "| work | schemactl | alembic | schemactl / alembic | target | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        r = ratio(row)
        if row.target is None:
            target, met = "—", "—"
        else:
            target = f"≤ {row.target:.2f}{X} alembic"
            met = "n/a" if r is None else ("yes" if r <= row.target else "**no**")
        cols = [
            row.title,
            fmt_cell(row.cells.get("schemactl")),
            fmt_cell(row.cells.get("alembic")),
            "—" if r is None else f"{r:.2f}{X}",
            target,
            met,
        ]
        out.append("| " + " | ".join(escape(c) for c in cols) + " |")
    return "\n".join(out) + "\n"


def render_details(rows: Sequence[Row]) -> str:
    out = [
        "| work | tool | n | median | min | max | samples (ms) |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        for tool in TOOLS:
            cell = row.cells.get(tool)
            if cell is None or cell.error is not None or not cell.samples:
                continue
            s = cell.samples
            out.append(
                f"| {escape(row.title)} | {tool} | {len(s)} "
                f"| {fmt_seconds(statistics.median(s))} | {fmt_seconds(min(s))} "
                f"| {fmt_seconds(max(s))} | {', '.join(f'{x * 1000:.0f}' for x in s)} |"
            )
        r = ratio(row, fastest=True)
        if r is not None:
            out.append(f"| {escape(row.title)} | fastest / fastest | | {r:.2f}{X} | | | |")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- generated files


def models_source(tables: int, generator: Path | None) -> tuple[str, str]:
    """The models module's text, and where its generator came from. The generator's own
    module-level ``metadata = build(...)`` becomes ``metadata = build(tables)``, so importing
    the module builds the N tables once."""
    source = generator or WIDE_PY
    if not source.is_file():
        raise SystemExit(f"{source}: no such models generator")
    text, origin = source.read_text(), str(source)
    if "def build(" not in text:
        raise SystemExit(f"{source} defines no build(tables) function")
    line = f"metadata = build({tables})"
    text, found = re.subn(r"(?m)^metadata\s*=\s*build\([^)\n]*\)\s*$", line, text)
    if not found:
        text = text.rstrip("\n") + f"\n\n\n{line}\n"
    return text, origin


def alembic_template() -> str:
    """script.py.mako of Alembic's generic template, from the installed package."""
    spec = importlib.util.find_spec("alembic")
    if spec is None or spec.origin is None:
        raise SystemExit("alembic is not installed in this interpreter's environment")
    return (Path(spec.origin).parent / "templates" / "generic" / "script.py.mako").read_text()


def generate_project(workdir: Path, tables: int, generator: Path | None) -> str:
    """The models module, Alembic's project, schemactl's migrations dir; returns the
    generator's origin."""
    text, origin = models_source(tables, generator)
    (workdir / f"{MODELS_MODULE}.py").write_text(text)
    project = workdir / "alembic"
    (project / "versions").mkdir(parents=True)
    (project / "alembic.ini").write_text(ALEMBIC_INI)
    (project / "env.py").write_text(ALEMBIC_ENV)
    (project / "script.py.mako").write_text(alembic_template())
    (workdir / "migrations").mkdir()
    return origin


def load_models(workdir: Path) -> Any:
    """The generated models' MetaData, imported into this process (to create the schema)."""
    path = workdir / f"{MODELS_MODULE}.py"
    spec = importlib.util.spec_from_file_location(f"_bench_autogen_{MODELS_MODULE}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.metadata


# --------------------------------------------------------------------------- the harness


class AutogenPostgres(Postgres):
    def public_tables(self, db: str) -> int:
        """How many tables db's public schema has, not counting Alembic's alembic_version
        (`alembic revision` creates that table, like every command that runs env.py)."""

        async def go(conn: Any) -> int:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )

        result: int = self._run(db, go)
        return result

    def create_all(self, db: str, metadata: Any) -> None:
        """The models' schema, through SQLAlchemy and psycopg2 (untimed)."""
        import sqlalchemy
        from sqlalchemy.pool import NullPool

        engine = sqlalchemy.create_engine(self.alembic_url(db), poolclass=NullPool)
        try:
            metadata.create_all(engine)
        finally:
            engine.dispose()


@dataclass(frozen=True)
class Options:
    reps: int
    tables: int
    only: tuple[Case, ...]
    out: Path | None
    pg_url: str
    schemactl: Path
    alembic: Path
    generator: Path | None
    keep_workdir: bool


class Bench:
    def __init__(self, opts: Options, workdir: Path, pg: AutogenPostgres) -> None:
        self.o = opts
        self.work = workdir
        self.pg = pg
        self.env = clean_env(workdir)
        self.ini = workdir / "alembic" / "alembic.ini"
        self.versions = workdir / "alembic" / "versions"
        self.migrations = workdir / "migrations"
        self.golden: str | None = None
        self._serial = 0

    def new_db_name(self, label: str) -> str:
        self._serial += 1
        return f"{self.pg.prefix}{label}_{self._serial}"

    def run(self, argv: Sequence[str | Path], env: dict[str, str]) -> float:
        """Run one whole process in the temp dir; return its wall time. Raise on failure."""
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                [str(a) for a in argv],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                cwd=self.work,
                env=env,
                check=False,
            )
        except OSError as exc:
            raise ToolError(f"cannot run {argv[0]}: {exc}") from exc
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            why = tail(proc.stderr) or tail(proc.stdout)
            raise ToolError(f"`{Path(argv[0]).name} {argv[1]}` exit {proc.returncode}: {why}")
        return elapsed

    # ---- databases

    def golden_db(self) -> str:
        """A database with the models' schema (built once, untimed), cloned for each run."""
        if self.golden is None:
            db = self.pg.create(self.new_db_name("golden"))
            log(f"  creating the {self.o.tables}-table schema in {db} (untimed)")
            self.pg.create_all(db, load_models(self.work))
            got = self.pg.public_tables(db)
            if got != self.o.tables:
                raise SystemExit(f"create_all made {got} tables, expected {self.o.tables}")
            self.golden = db
        return self.golden

    def fresh_db(self, case: Case, tool: Tool) -> str:
        if case == "noop":
            return self.pg.create(self.new_db_name(f"noop_{tool}"), template=self.golden_db())
        return self.pg.create(self.new_db_name(f"empty_{tool}"))

    # ---- one run

    def clear_outputs(self) -> None:
        for directory in (self.versions, self.migrations):
            for path in directory.iterdir():
                if path.is_file():
                    path.unlink()
                else:
                    shutil.rmtree(path)

    def command(self, tool: Tool, db: str) -> tuple[list[str | Path], dict[str, str]]:
        if tool == "schemactl":
            argv: list[str | Path] = [
                self.o.schemactl, "new", "--auto", "--models", MODELS_MODULE,
                "--url", self.pg.url(db, scheme="postgres"),
                "--migrations-dir", self.migrations, "bench",
            ]  # fmt: skip
            return argv, self.env
        env = {**self.env, "BENCH_ALEMBIC_URL": self.pg.alembic_url(db)}
        return [self.o.alembic, "-c", self.ini, "revision", "--autogenerate", "-m", "bench"], env

    def check_output(self, tool: Tool, case: Case) -> None:
        """The tool generated what the case asks for, and nothing else."""
        n = self.o.tables
        if tool == "alembic":
            files = sorted(self.versions.glob("*.py"))
            if len(files) != 1:
                raise ToolError(f"alembic wrote {len(files)} revision files, expected 1")
            text = files[0].read_text()
            creates = text.count("op.create_table(")
            if case == "empty" and creates != n:
                raise ToolError(f"alembic's revision creates {creates} tables, expected {n}")
            if case == "noop" and re.search(r"(?m)^\s+op\.", text):
                raise ToolError("alembic's revision is not empty: the models do not match")
            return
        files = sorted(p for p in self.migrations.rglob("*") if p.is_file())
        sql = "".join(p.read_text() for p in files)
        creates = len(re.findall(r"(?i)\bcreate table\b", sql))
        if case == "empty" and (len(files) != 1 or creates != n):
            raise ToolError(
                f"schemactl wrote {len(files)} files with {creates} CREATE TABLE, "
                f"expected 1 and {n}"
            )
        if case == "noop" and re.search(r"(?im)^\s*(create|alter|drop)\b", sql):
            raise ToolError("schemactl generated DDL: the models do not match the database")

    def once(self, tool: Tool, case: Case) -> float:
        db = self.fresh_db(case, tool)
        try:
            self.clear_outputs()
            self.pg.checkpoint()
            argv, env = self.command(tool, db)
            elapsed = self.run(argv, env)
            self.check_output(tool, case)
            want = self.o.tables if case == "noop" else 0
            got = self.pg.public_tables(db)
            if got != want:
                raise ToolError(f"{tool} changed the database: {got} tables, expected {want}")
            return elapsed
        finally:
            self.clear_outputs()
            self.pg.drop(db)

    # ---- rows

    def measure(self, case: Case) -> dict[Tool, Cell]:
        """Interleave the tools rep by rep, rotating who goes first; a tool that fails once
        is out of the row (its cell shows the error) and the other one is still measured."""
        for tool in TOOLS:  # untimed warm-up: .pyc cache, page cache
            with contextlib.suppress(Exception):  # the timed runs report a failure
                self.once(tool, case)
        samples: dict[Tool, list[float]] = {t: [] for t in TOOLS}
        errors: dict[Tool, str] = {}
        for rep in range(self.o.reps):
            shift = rep % len(TOOLS)
            for tool in (*TOOLS[shift:], *TOOLS[:shift]):
                if tool in errors:
                    continue
                try:
                    samples[tool].append(self.once(tool, case))
                except Exception as exc:
                    errors[tool] = str(exc) or type(exc).__name__
                    log(f"  {tool}: {errors[tool]}")
            done = {t: fmt_seconds(statistics.median(s)) for t, s in samples.items() if s}
            log(f"  rep {rep + 1}/{self.o.reps}: medians so far {done}")
        return {
            t: Cell(error=errors[t]) if t in errors else Cell(samples=tuple(samples[t]))
            for t in TOOLS
        }

    def rows(self) -> list[Row]:
        titles: dict[Case, str] = {
            "noop": f"no-op: {self.o.tables:,} tables, models match the database",
            "empty": f"empty database: generate all {self.o.tables:,} tables",
        }
        out = []
        for case in CASES:
            if case in self.o.only:
                log(f"== {case}")
                target = TARGET_NOOP if case == "noop" else None
                out.append(Row(case, titles[case], self.measure(case), target))
        return out


def header(opts: Options, pg: AutogenPostgres, workdir: Path, origin: str) -> str:
    import sqlalchemy  # only for the report

    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        server = pg.server_version()
    except Exception as exc:
        server = f"unknown ({exc})"
    return "\n".join(
        [
            f"## autogenerate: `schemactl new --auto` vs `alembic revision --autogenerate` — {now}",
            "",
            f"- machine: {platform.platform()}, {os.cpu_count()} CPUs; "
            f"Python {platform.python_version()}",
            f"- PostgreSQL {server} at {urlsplit(opts.pg_url).netloc}",
            f"- schemactl: {tool_version([opts.schemactl, '--version'], workdir)} (asyncpg)",
            f"- alembic: {tool_version([opts.alembic, '--version'], workdir)}, "
            f"SQLAlchemy {sqlalchemy.__version__}, psycopg2, generic template, "
            "compare_type=True, compare_server_default=True",
            f"- models: {opts.tables:,} tables (8 columns, an index, a UNIQUE constraint and an "
            f"FK each) from {origin}",
            f"- medians of {opts.reps} whole-process runs per tool and case",
            "",
        ]
    )


def parse_args(argv: Sequence[str] | None = None) -> Options:
    bindir = Path(sys.executable).parent
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--reps", type=int, default=5, help="timed runs per tool and case (default 5)")
    p.add_argument("--tables", type=int, default=500, help="tables in the models (default 500)")
    p.add_argument(
        "--only", default=",".join(CASES), help=f"comma-separated subset of: {', '.join(CASES)}"
    )
    p.add_argument("--out", type=Path, help="also write the markdown report to this file")
    p.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"),
        help="server to use, without a database name (default: $BENCH_PG_URL or %(default)s)",
    )  # fmt: skip
    p.add_argument("--schemactl", type=Path, default=bindir / "schemactl")
    p.add_argument("--alembic", type=Path, default=bindir / "alembic")
    p.add_argument(
        "--generator", type=Path, default=WIDE_PY,
        help="module with build(tables) -> MetaData (default: tests/models/wide.py)",
    )  # fmt: skip
    p.add_argument("--keep-workdir", action="store_true", help="keep the generated temp dir")
    a = p.parse_args(argv)
    only = tuple(x.strip() for x in a.only.split(",") if x.strip())
    unknown = [x for x in only if x not in CASES]
    if unknown:
        p.error(f"unknown --only case(s) {unknown}; choose from {', '.join(CASES)}")
    if a.reps < 1 or a.tables < 1:
        p.error("--reps and --tables must be positive")
    cases: tuple[Case, ...] = tuple(c for c in CASES if c in only)
    return Options(
        reps=a.reps, tables=a.tables, only=cases, out=a.out, pg_url=a.pg_url,
        schemactl=a.schemactl, alembic=a.alembic, generator=a.generator,
        keep_workdir=a.keep_workdir,
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally that drops databases

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    run_id = f"{os.getpid()}_{int(time.time()) % 100000}"
    pg = AutogenPostgres(opts.pg_url, prefix=f"bench_ag_{run_id}_")
    workdir = Path(tempfile.mkdtemp(prefix="schemactl-bench-autogen-"))
    bench = Bench(opts, workdir, pg)
    rows: list[Row] = []
    notes = ""
    try:
        origin = generate_project(workdir, opts.tables, opts.generator)
        report_head = header(opts, pg, workdir, origin)
        log(f"generated the models, an Alembic project and a migrations dir in {workdir}")
        t0 = time.perf_counter()
        rows = bench.rows()
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
        f"Ratios are schemactl / alembic: below 1.00{X} means schemactl is faster. In the "
        "no-op case Alembic still writes a revision file (upgrade(): pass); schemactl writes "
        f"nothing. Each run gets a fresh database (cloned from the schema, or empty), untimed.\n"
        f"{notes}\n"
        "<details><summary>all samples, and the ratio of the fastest runs</summary>\n\n"
        f"{render_details(rows)}\n</details>\n"
    )
    print(report)
    if opts.out is not None:
        opts.out.write_text(report)
        log(f"wrote {opts.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
