#!/usr/bin/env python3
"""`schemactl new --auto` vs `alembic revision --autogenerate` on the same models and PostgreSQL
database, timed by hyperfine.

    .venv/bin/python benchmarks/autogen.py [--tables 500] [--reps 5] [--out FILE]

The models are tests/models/wide.py's build(N): N tables of 8 columns, an index, a UNIQUE
constraint and a foreign key each. Cases: ``noop`` (the database has exactly that schema, so
there is nothing to generate) and ``empty`` (both generate all N tables). See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from run import BIN, PG, Row, X, alembic_project, clean_env, hyperfine, log, render_table

HERE = Path(__file__).resolve().parent
WIDE = HERE.parent / "tests" / "models" / "wide.py"


def check(case: str, tables: int, work: Path, pg: PG, dbs: dict[str, str]) -> dict[str, str]:
    """What is wrong with each tool's last run: what it wrote, and the database it left."""
    problems = {}
    revisions = [p.read_text() for p in (work / "alembic" / "versions").glob("*.py")]
    ops = sum(len(re.findall(r"(?m)^\s+op\.", r)) for r in revisions)
    creates = sum(r.count("op.create_table(") for r in revisions)
    if len(revisions) != 1 or (creates != tables if case == "empty" else ops):
        problems["alembic"] = f"{len(revisions)} revisions, {creates} tables, {ops} operations"
    files = [p.read_text() for p in (work / "migrations").iterdir()]
    ddl = sum(len(re.findall(r"(?im)^\s*(create|alter|drop)\b", f)) for f in files)
    creates = sum(len(re.findall(r"(?i)\bcreate table\b", f)) for f in files)
    if (len(files), creates) != (1, tables) if case == "empty" else ddl:
        problems["schemactl"] = f"{len(files)} files, {creates} tables, {ddl} DDL statements"
    want = tables if case == "noop" else 0
    sql = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^wide_'"
    for tool, db in dbs.items():
        if (got := int(pg.query(db, sql))) != want:
            problems[tool] = f"left {got} tables, expected {want}"
    return problems


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tables", type=int, default=500, help="tables in the models")
    p.add_argument("--reps", type=int, default=5, help="timed runs per tool and case")
    p.add_argument("--only", default="noop,empty", help="cases: noop, empty")
    p.add_argument("--out", type=Path, help="also write the markdown report here")
    default_pg = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    p.add_argument("--pg-url", default=default_pg, help="server (default: %(default)s)")
    p.add_argument("--keep-workdir", action="store_true", help="keep the project, hyperfine JSON")
    a = p.parse_args()

    signal.signal(signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))  # drop databases
    pg = PG(a.pg_url, f"bench_ag_{os.getpid()}_")
    work = Path(tempfile.mkdtemp(prefix="schemactl-bench-autogen-"))
    env, rows = clean_env(work), []
    try:
        models = re.sub(r"(?m)^metadata = build\(.*\)$", "", WIDE.read_text())
        (work / "bench_models.py").write_text(f"{models}\nmetadata = build({a.tables})\n")
        ini = alembic_project(work / "alembic", "bench_models")
        (work / "migrations").mkdir()
        golden = f"{pg.prefix}golden"
        log(f"creating the {a.tables} tables in {golden} (metadata.create_all, untimed)")
        create_all = "import bench_models, sqlalchemy as sa; bench_models.metadata.create_all("
        create_all += f"sa.create_engine({pg.url(golden, 'postgresql+psycopg2')!r}))"
        for argv in (pg.reset(golden), [sys.executable, "-c", create_all]):
            subprocess.run(argv, cwd=work, env=env, check=True, stdout=subprocess.DEVNULL)
        titles = {
            "noop": f"no-op: {a.tables:,} tables, models match the database",
            "empty": f"empty database: generate all {a.tables:,} tables",
        }
        for case in a.only.split(","):
            dbs = {t: f"{pg.prefix}{case}_{t}" for t in ("schemactl", "alembic")}
            schemactl = [str(BIN / "schemactl"), "new", "--auto", "--models", "bench_models",
                         "--url", pg.url(dbs["schemactl"], "postgres"),
                         "--migrations-dir", "migrations", "bench"]  # fmt: skip
            x = f"url={pg.url(dbs['alembic'], 'postgresql+psycopg2')}"
            alembic = [str(BIN / "alembic"), "-c", str(ini), "-x", x, "revision", "--autogenerate",
                       "-m", "bench"]  # fmt: skip
            commands = {}
            for tool, cmd, out in (("schemactl", schemactl, "migrations"),
                                   ("alembic", alembic, "alembic/versions")):  # fmt: skip
                # before each run: no earlier output, a fresh database
                reset = pg.reset(dbs[tool], golden if case == "noop" else "")
                commands[tool] = (cmd, ["sh", "-c", f"rm -rf {out}/* && {shlex.join(reset)}"])
            log(f"== {case}")
            export = work / f"hyperfine-{case}.json"
            cells = hyperfine(commands, export, runs=a.reps, warmup=1, interleave=True, env=env)
            for tool, problem in check(case, a.tables, work, pg, dbs).items():
                cells[tool] = problem
            target = (f"≤ 0.50{X} alembic", "alembic", 0.5) if case == "noop" else None
            rows.append(Row(titles[case], cells, target))
    finally:
        pg.drop_all()
        if a.keep_workdir:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report = (
        f"{render_table(rows, ('schemactl', 'alembic'))}\n"
        f"Medians of {a.reps} runs per tool and case, each on a fresh database (a copy of the "
        f"create_all schema, or empty). Below 1.00{X} schemactl is faster. In the no-op case "
        "Alembic still writes a revision (upgrade(): pass); schemactl writes nothing.\n"
    )
    print(report)
    if a.out:
        a.out.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
