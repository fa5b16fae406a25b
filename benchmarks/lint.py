#!/usr/bin/env python3
"""`schemactl lint` vs squawk on the same 1,000 PostgreSQL migration files, timed by hyperfine.

    npm install --prefix benchmarks --no-audit --no-fund     # squawk-cli, pinned in package.json
    .venv/bin/python benchmarks/lint.py [--count 1000] [--runs 10] [--out FILE]

Python writes the files (a realistic mix: tables created with foreign keys to earlier ones,
columns added, indexes with and without CONCURRENTLY, foreign keys NOT VALID then validated,
type changes, NOT NULL, renames, drops, backfills), then hyperfine runs both linters as whole
processes in one run, output discarded, and the medians' ratio is printed as a markdown row.
Both exit non-zero (they find the risky statements): hyperfine is told to ignore that.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SQUAWK = HERE / "node_modules" / ".bin" / "squawk"
FIRST_VERSION = 20240101000000


def migration(i: int, tables: list[str]) -> tuple[str, str, bool]:
    """The up and down SQL of migration ``i``, and whether it runs in a transaction."""
    kind = i % 12
    if kind == 0 or len(tables) < 2:
        name = f"t{i}"
        parent = f"\n    parent_id bigint REFERENCES {tables[-1]} (id)," if tables else ""
        tables.append(name)
        up = (
            f"CREATE TABLE {name} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            f"{parent}\n    name text NOT NULL,\n"
            "    created_at timestamptz NOT NULL DEFAULT now()\n);\n"
            f"CREATE INDEX {name}_name ON {name} (name);"
        )
        return up, f"DROP TABLE {name};", True
    table = tables[i % len(tables)]
    other = tables[(i // 2) % len(tables)]
    match kind:
        case 1:
            return (
                f"ALTER TABLE {table} ADD COLUMN c{i} text;",
                f"ALTER TABLE {table} DROP COLUMN c{i};",
                True,
            )
        case 2:
            up = (
                f"SET lock_timeout = '2s';\n"
                f"ALTER TABLE {table} ADD COLUMN c{i} integer NOT NULL DEFAULT 0;"
            )
            return up, f"ALTER TABLE {table} DROP COLUMN c{i};", True
        case 3:
            return (
                f"CREATE INDEX {table}_i{i} ON {table} (created_at);",
                f"DROP INDEX {table}_i{i};",
                True,
            )
        case 4:
            up = f"CREATE INDEX CONCURRENTLY {table}_i{i} ON {table} (name);"
            return up, f"DROP INDEX CONCURRENTLY {table}_i{i};", False
        case 5:
            up = (
                f"ALTER TABLE {table} ADD COLUMN r{i} bigint;\n"
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_r{i}_fk FOREIGN KEY (r{i}) "
                f"REFERENCES {other} (id) NOT VALID;\n"
                f"ALTER TABLE {table} VALIDATE CONSTRAINT {table}_r{i}_fk;"
            )
            return up, f"ALTER TABLE {table} DROP COLUMN r{i};", True
        case 6:
            up = (
                f"ALTER TABLE {table} ADD COLUMN v{i} varchar(50);\n"
                f"ALTER TABLE {table} ALTER COLUMN v{i} TYPE varchar(20);"
            )
            return up, f"ALTER TABLE {table} DROP COLUMN v{i};", True
        case 7:
            up = (
                f"ALTER TABLE {table} ADD COLUMN n{i} text;\n"
                f"UPDATE {table} SET n{i} = name;\n"
                f"ALTER TABLE {table} ALTER COLUMN n{i} SET NOT NULL;"
            )
            return up, f"ALTER TABLE {table} DROP COLUMN n{i};", True
        case 8:
            up = (
                f"ALTER TABLE {table} ADD COLUMN o{i} text;\n"
                f"ALTER TABLE {table} RENAME COLUMN o{i} TO p{i};"
            )
            return up, f"ALTER TABLE {table} DROP COLUMN p{i};", True
        case 9:
            up = f"ALTER TABLE {table} ADD COLUMN d{i} text;\nALTER TABLE {table} DROP COLUMN d{i};"
            return up, "-- schemactl: no-op", True
        case 10:
            check = "CHECK (length(name) < 500) NOT VALID"
            up = f"ALTER TABLE {table} ADD CONSTRAINT {table}_c{i} {check};"
            return up, f"ALTER TABLE {table} DROP CONSTRAINT {table}_c{i};", True
        case _:
            up = (
                f"COMMENT ON TABLE {table} IS 'migration {i}';\n"
                f"CREATE VIEW v{i} AS SELECT id, name FROM {table};"
            )
            return up, f"DROP VIEW v{i};", True


def write_files(directory: Path, count: int) -> None:
    directory.mkdir(parents=True)
    tables: list[str] = []
    for i in range(count):
        up, down, transaction = migration(i, tables)
        option = "" if transaction else " transaction:false"
        text = f"-- migrate:up{option}\n{up}\n\n-- migrate:down{option}\n{down}\n"
        (directory / f"{FIRST_VERSION + i}_m{i}.sql").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", type=Path, help="write hyperfine's JSON here too")
    args = parser.parse_args()
    if not SQUAWK.exists():
        sys.exit(f"no squawk at {SQUAWK}: npm install --prefix benchmarks --no-audit --no-fund")
    if shutil.which("hyperfine") is None:
        sys.exit("hyperfine is not installed (apt-get install hyperfine)")
    with tempfile.TemporaryDirectory(prefix="schemactl-lint-bench-") as tmp:
        work = Path(tmp)
        migrations = work / "migrations"
        write_files(migrations, args.count)
        export = work / "hyperfine.json"
        schemactl = f"{BIN / 'schemactl'} lint --dialect postgresql -d {migrations}"
        squawk = f"{SQUAWK} '{migrations}/*.sql'"
        subprocess.run(
            ["hyperfine", "--warmup", "2", "--runs", str(args.runs), "--ignore-failure",
             "--export-json", str(export),
             "-n", "schemactl lint", schemactl, "-n", "squawk", squawk],
            check=True, cwd=work,
        )  # fmt: skip
        results = json.loads(export.read_text())["results"]
        if args.out:
            args.out.write_text(json.dumps(results, indent=2))
    median = {r["command"]: statistics.median(r["times"]) for r in results}
    ours, theirs = median["schemactl lint"], median["squawk"]
    version = subprocess.run([str(SQUAWK), "--version"], capture_output=True, text=True).stdout
    print(
        f"| lint {args.count} PostgreSQL files | {ours * 1000:.0f} ms | {version.strip()}: "
        f"{theirs * 1000:.0f} ms | {ours / theirs:.2f}\u00d7 |"
    )


if __name__ == "__main__":
    main()
