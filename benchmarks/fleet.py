#!/usr/bin/env python3
"""A fleet: `schemactl migrate --url-file` over many PostgreSQL databases (200 by default),
each with 20 migrations to apply, at concurrency 1, 4 and 16. Wall time of the whole process,
speed-up over concurrency 1, and the process's peak memory (its maxrss, from ``os.wait4``).

    .venv/bin/python benchmarks/fleet.py [--databases 200] [--migrations 20]
        [--concurrency 1,4,16] [--pg-url postgresql://postgres@127.0.0.1:5432]
        [--prefix schemactl_fleet_] [--out FILE]

Before each level the databases are dropped and created again, empty (not timed); after it,
the JSON document is checked: every database ok, each with every migration applied.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

import schemactl
from schemactl._fleet import run_many

BIN = Path(sys.executable).with_name("schemactl")


def write_migrations(directory: Path, count: int) -> None:
    """Migration i: a table with a primary key, a default, an index and a few rows."""
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        up = (
            f"CREATE TABLE t{i} (id BIGINT PRIMARY KEY, name TEXT NOT NULL,"
            f" created_at TIMESTAMPTZ NOT NULL DEFAULT now());\n"
            f"CREATE INDEX t{i}_name ON t{i} (name);\n"
            f"INSERT INTO t{i} (id, name) SELECT n, 'row ' || n FROM generate_series(1, 100) n;"
        )
        text = f"-- migrate:up\n{up}\n\n-- migrate:down\nDROP TABLE t{i};\n"
        (directory / f"{20260101000000 + i}_t{i}.sql").write_text(text, encoding="utf-8")


def reset(urls: list[str]) -> None:
    async def main() -> None:
        for step in (schemactl.drop, schemactl.create):
            fleet = await run_many(step, urls, concurrency=8)
            if fleet.failed:
                raise SystemExit(f"cannot reset the databases: {fleet.databases[0].error}")

    anyio.run(main)


def timed(args: list[str], cwd: Path) -> tuple[float, float, float, str]:
    """Run schemactl: (wall seconds, its CPU seconds, peak memory in MiB, stdout)."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen([str(BIN), *args], cwd=cwd, stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if process.returncode != 0:
        raise SystemExit(f"schemactl {' '.join(args)} exited {process.returncode}")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss / 1024, text  # ru_maxrss: KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", type=int, default=200)
    parser.add_argument("--migrations", type=int, default=20)
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--prefix", default="schemactl_fleet_")
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    levels = [int(c) for c in options.concurrency.split(",")]
    load = os.getloadavg()[0]  # other work on the machine skews the figures
    urls = [f"{options.pg_url}/{options.prefix}{i:04d}" for i in range(options.databases)]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)
        write_migrations(cwd / "migrations", options.migrations)
        (cwd / "fleet.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")
        try:
            for level in levels:
                reset(urls)
                args = ["migrate", "--url-file", "fleet.txt", "-j", str(level), "--json"]
                seconds, cpu, peak, out = timed(args, cwd)
                document = json.loads(out)
                applied = {len(d["applied"]) for d in document["databases"]}
                if document["ok"] != len(urls) or applied != {options.migrations}:
                    raise SystemExit(f"concurrency {level}: not every migration was applied")
                rows.append((level, seconds, cpu, peak))
                print(f"concurrency {level}: {seconds:.1f} s, {peak:.0f} MiB", file=sys.stderr)
        finally:
            anyio.run(lambda: run_many(schemactl.drop, urls, concurrency=8))
    base = rows[0][1]
    lines = [
        f"{options.databases} PostgreSQL databases x {options.migrations} migrations "
        f"(Python {platform.python_version()}, {os.cpu_count()} CPUs, server on the same machine;"
        f" load average at the start: {load:.1f})",
        "",
        "| concurrency | wall time | speed-up | schemactl CPU time | peak memory (maxrss) |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {c} | {s:.1f} s | {base / s:.1f}x | {cpu:.1f} s | {m:.0f} MiB |"
        for c, s, cpu, m in rows
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    if options.out:
        options.out.write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
