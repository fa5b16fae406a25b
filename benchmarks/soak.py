#!/usr/bin/env python3
"""Soak test: many processes run `schemactl up` back to back on one database while new
migrations keep arriving; then check that every migration was applied exactly once.

    .venv/bin/python benchmarks/soak.py [--db postgresql|mysql|sqlite|all]
        [--processes 20] [--seconds 60] [--interval 0.5] [--out FILE]

Not a timing against a peer: the result is a pass/fail verification plus counts (exit code 1
when verification fails). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from run import BIN, clean_env, log

FIRST_VERSION = 20240101000000  # migration i has version FIRST_VERSION + i


def write_migration(directory: Path, i: int) -> None:
    """Migration 0 makes the ledger, migration i makes t_i; each inserts its number into the
    ledger, so a migration applied twice shows as two rows. Written to a dotfile (which
    schemactl skips), then renamed into place."""
    ledger = "CREATE TABLE ledger (version VARCHAR(20) NOT NULL);"  # no unique key
    up = ledger if i == 0 else f"CREATE TABLE t_{i} (id INTEGER PRIMARY KEY);"
    down = "DROP TABLE ledger;" if i == 0 else f"DROP TABLE t_{i};"
    name = f"{FIRST_VERSION + i}_{'create_ledger' if i == 0 else f'create_t_{i}'}.sql"
    text = f"-- migrate:up\n{up}\nINSERT INTO ledger (version) VALUES ('{i}');\n\n"
    (directory / f".{name}").write_text(f"{text}-- migrate:down\n{down}\n")
    os.rename(directory / f".{name}", directory / name)


class Soak:
    def __init__(self, a: argparse.Namespace, kind: str, work: Path) -> None:
        self.a, self.kind, self.work = a, kind, work
        self.db = f"bench_soak_{os.getpid()}"
        server = {"postgresql": a.pg_url, "mysql": a.mysql_url, "sqlite": ""}[kind]
        self.url = f"{server}/{self.db}" if server else f"sqlite:{work / self.db}.db"
        driver = {"postgresql": "postgresql+psycopg2", "mysql": "mysql+pymysql"}.get(kind, kind)
        base = sa.make_url(server or "sqlite://").set(drivername=driver)
        self.sa_url = base.set(database=self.db if server else f"{work / self.db}.db")
        self.migrations = work / f"migrations_{kind}"
        self.env = clean_env(work)
        self.runs: list[dict[str, Any]] = []  # one per `up`: worker, wall, rc, applied, ...
        self.samples: list[tuple[Any, int]] = []  # (lock holder or None, waiters)
        self.live: set[subprocess.Popen[str]] = set()
        self.stop = threading.Event()

    def up(self, worker: int) -> dict[str, Any]:
        argv = [str(BIN / "schemactl"), "up", "--json", "--lock-timeout", "60", "--url",
                self.url, "--migrations-dir", str(self.migrations)]  # fmt: skip
        t0 = time.monotonic()
        with subprocess.Popen(argv, cwd=self.work, env=self.env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:  # fmt: skip
            self.live.add(proc)
            try:
                out, err = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            self.live.discard(proc)
        run = {"worker": worker, "wall": time.monotonic() - t0, "rc": proc.returncode,
               "stderr": err.strip()[-2000:], "applied": [], "created": False}  # fmt: skip
        try:
            doc = json.loads(out) if proc.returncode == 0 else {"applied": []}
            run["applied"] = [str(m["version"]) for m in doc["applied"]]
            run["created"] = bool(doc.get("created_database"))
        except (ValueError, KeyError, TypeError):
            run |= {"rc": -1, "stderr": f"exit 0 without a --json document: {out[-500:]}"}
        return run

    def worker(self, index: int, until: float) -> None:
        while time.monotonic() < until and not self.stop.is_set():
            self.runs.append(self.up(index))

    def sampler(self) -> None:
        """Every 100 ms: who holds the migration lock, and (PostgreSQL) how many poll for it."""
        if self.kind == "sqlite":
            return
        server = sa.create_engine(self.server_url(), poolclass=sa.NullPool)
        sql = {
            # the only advisory lock on the soak database is the migration lock; waiters poll
            # it with pg_try_advisory_lock, so they show in pg_stat_activity, not in pg_locks
            "postgresql": "SELECT (SELECT min(pid) FROM pg_locks WHERE locktype = 'advisory' "
            "AND granted AND database = (SELECT oid FROM pg_database WHERE datname = :db)), "
            "(SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
            "AND query LIKE 'SELECT pg_try_advisory_lock(%' "
            "AND pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted))",
            "mysql": "SELECT IS_USED_LOCK(:key), 0",
        }[self.kind]
        key = f"schemactl:{self.db}:schema_migrations"  # dialects/_base.py lock_key
        try:
            with server.connect() as conn:
                while not self.stop.wait(0.1):
                    row = conn.execute(sa.text(sql), {"db": self.db, "key": key}).one()
                    self.samples.append((row[0], int(row[1])))
        except sa.exc.SQLAlchemyError as exc:
            log(f"lock sampling stopped: {exc}")
        server.dispose()

    def run(self) -> tuple[str, bool]:
        self.migrations.mkdir()
        write_migration(self.migrations, 0)
        start = time.monotonic()
        until, added = start + self.a.seconds, 0
        threads = [threading.Thread(target=self.sampler, daemon=True)]
        threads += [threading.Thread(target=self.worker, args=(i, until), daemon=True)
                    for i in range(self.a.processes)]  # fmt: skip
        log(f"{self.kind}: {self.a.processes} x `schemactl up`, {self.a.seconds:g} s, {self.db}")
        try:
            for thread in threads:
                thread.start()
            while (due := start + (added + 1) * self.a.interval) < until:
                time.sleep(max(0.0, due - time.monotonic()))
                added += 1
                write_migration(self.migrations, added)
            for thread in threads[1:]:
                thread.join()
            elapsed = time.monotonic() - start
            self.stop.set()
            final = self.up(-1)
            return self.report(added, elapsed, final, self.verify(added, final))
        finally:
            self.stop.set()
            for thread in [None, *threads]:  # kill runs before the drop: `up` creates it again
                for proc in list(self.live):
                    proc.kill()
                if thread is not None and thread.is_alive():
                    thread.join(5)
            try:
                self.drop()
            except sa.exc.SQLAlchemyError as exc:
                log(f"could not drop {self.db}: {exc}")

    def verify(self, added: int, final: dict[str, Any]) -> list[str]:
        """The problems found; none means every migration was applied exactly once."""
        want = [str(i) for i in range(added + 1)]
        runs, problems = [*self.runs, final], []
        engine = sa.create_engine(self.sa_url, poolclass=sa.NullPool)
        try:
            with engine.connect() as conn:
                read = lambda sql: Counter(conn.execute(sa.text(sql)).scalars())  # noqa: E731
                versions = read("SELECT version FROM schema_migrations")
                ledger = read("SELECT version FROM ledger")
                tables = set(sa.inspect(conn).get_table_names())
        except sa.exc.SQLAlchemyError as exc:
            versions, ledger, tables = Counter(), Counter(), set()
            problems.append(f"could not read the database: {exc}")
        finally:
            engine.dispose()
        if "schema_migrations_failures" in tables:
            problems.append("schema_migrations_failures exists")
        if versions != Counter(str(FIRST_VERSION + int(i)) for i in want):
            problems.append(f"schema_migrations is not each version once: {versions}")
        if ledger != Counter(want):
            problems.append(f"ledger is not one row per migration: {ledger}")
        if missing := {f"t_{i}" for i in range(1, added + 1)} - tables:
            problems.append(f"tables missing: {sorted(missing)}")
        if failed := [r for r in runs if r["rc"] != 0]:
            problems.append(
                f"{len(failed)} runs exited non-zero; first stderr: {failed[0]['stderr']}"
            )
        reported = Counter(v for r in runs for v in r["applied"])
        if reported != Counter(str(FIRST_VERSION + int(i)) for i in want):
            twice = sorted(v for v, n in reported.items() if n > 1)
            problems.append(f"the runs' --json report {len(reported)} versions, twice: {twice}")
        if (created := sum(r["created"] for r in runs)) != 1:
            problems.append(f"{created} runs reported creating the database")
        return problems

    def report(
        self, added: int, elapsed: float, final: dict[str, Any], problems: list[str]
    ) -> tuple[str, bool]:
        def spread(walls: list[float]) -> str:
            if not walls:
                return "0 runs"
            p95 = sorted(walls)[math.ceil(0.95 * len(walls)) - 1]  # nearest rank
            return (f"{len(walls)} runs: median {statistics.median(walls):.2f} s, p95 {p95:.2f} s, "
                    f"max {max(walls):.2f} s")  # fmt: skip

        firsts: dict[int, dict[str, Any]] = {}
        for r in self.runs:
            firsts.setdefault(r["worker"], r)
        later = [r for r in self.runs if firsts[r["worker"]] is not r]
        noop = [r["wall"] for r in later if not r["applied"]]
        failed = sum(r["rc"] != 0 for r in [*self.runs, final])
        lines = [
            ("runs", f"{len(self.runs)} in {elapsed:.0f} s ({len(self.runs) / elapsed:.1f}/s)"),
            ("non-zero exits (final `up` included)", str(failed)),
            ("migrations added (+ migration 0)", str(added)),
            ("applied by soak runs / by the final `up`",
             f"{sum(len(r['applied']) for r in self.runs)} / {len(final['applied'])}"),
            ("first wave (each worker's first run)", spread([r["wall"] for r in firsts.values()])),
            ("later no-op runs", spread(noop)),
            ("later runs that applied", spread([r["wall"] for r in later if r["applied"]])),
        ]  # fmt: skip
        if self.samples:
            held = [h for h, _ in self.samples if h is not None]
            lines.append(("lock held (sampled every 100 ms)",
                          f"{len(held) / len(self.samples):.1%} of {len(self.samples)} samples, "
                          f"{len(set(held))} distinct holders"))  # fmt: skip
            if self.kind == "postgresql":
                lines.append(("most waiters seen", str(max(w for _, w in self.samples))))
        verdict = "**FAILED**: " + "; ".join(problems) if problems else (
            "passed: every migration recorded once and applied once (ledger), all tables "
            "there, no failures table, each version in one run's --json, one run created the "
            "database, every run exited 0")  # fmt: skip
        lines.append(("verification", verdict))
        table = "\n".join(
            f"| {k} | {v.replace('|', '/').replace(chr(10), ' ')} |" for k, v in lines
        )
        return f"### {self.kind} (`{self.db}`)\n\n| | |\n|---|---|\n{table}\n", not problems

    def server_url(self) -> sa.URL:
        return self.sa_url._replace(database="postgres" if self.kind == "postgresql" else None)

    def drop(self) -> None:
        if self.kind == "sqlite":
            return  # the file goes with the temporary directory
        engine = sa.create_engine(self.server_url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            quoted = engine.dialect.identifier_preparer.quote(self.db)
            force = " WITH (FORCE)" if self.kind == "postgresql" else ""
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted}{force}"))
        engine.dispose()
        log(f"dropped {self.db}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=("postgresql", "mysql", "sqlite", "all"), default="postgresql")
    p.add_argument("--processes", type=int, default=20, help="concurrent `up` loops")
    p.add_argument("--seconds", type=float, default=60, help="how long runs keep starting")
    p.add_argument("--interval", type=float, default=0.5, help="seconds between new migrations")
    p.add_argument("--out", type=Path, help="also write the markdown summary here")
    p.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    )
    p.add_argument(
        "--mysql-url", default=os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306")
    )
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))  # drop databases
    report = (f"## schemactl soak — {platform.platform()}, {os.cpu_count()} CPUs\n\n"
              f"{a.processes} processes x `schemactl up --json --lock-timeout 60` back to back "
              f"for {a.seconds:g} s, a new migration every {a.interval:g} s.\n\n")  # fmt: skip
    passed = True
    with tempfile.TemporaryDirectory(prefix="schemactl-soak-") as work:  # one .pyc cache
        for kind in ("postgresql", "mysql", "sqlite") if a.db == "all" else (a.db,):
            section, ok = Soak(a, kind, Path(work)).run()
            report, passed = report + section + "\n", passed and ok
    print(report)
    if a.out:
        a.out.write_text(report)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
