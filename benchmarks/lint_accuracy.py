#!/usr/bin/env python3
"""Accuracy of `schemactl lint` and squawk on risky PostgreSQL migrations and their safe forms.

    npm install --prefix benchmarks --no-audit --no-fund     # squawk-cli, pinned in package.json
    .venv/bin/python benchmarks/lint_accuracy.py [--details] [--apply postgres://postgres@host/]

The corpus is `benchmarks/lint_accuracy/`: one directory per pair, holding a setup migration
(the tables the pair acts on, with rows), `risky/` (the migration teams write) and `safe/` (its
safe alternative, one migration or several), all dbmate files. Both tools read the same files:

- schemactl: `schemactl lint --dialect postgresql --json -d PAIR FILES...` (the setup is replayed
  as history, so schemactl knows the tables; its findings are about FILES only).
- squawk: `squawk --reporter json FILE` per file, told what dbmate does: `--assume-in-transaction`
  for a file that runs in a transaction (not for `transaction:false`). The row "squawk
  (defaults)" runs it without that flag, as it runs out of the box. squawk cannot be given the
  setup: it does not model earlier files.

What counts, the same for both tools:
- a finding counts when its severity is error or warning (squawk's levels Error and Warning;
  squawk reports every rule, style rules `prefer-*` included, as a warning, so they count),
  and it is in an up section: squawk does not know dbmate's sections and reads the down section
  as more statements; its findings there (dropping what up created) are left out, as
  schemactl's are. Infos do not count, nor findings about the setup file.
- a risky case is caught when its files get at least one counting finding; a safe case is a
  false alarm when its files get any counting finding.
Every file sets lock_timeout and statement_timeout (except the risky side of the
missing-lock_timeout pairs), so a catch is about the hazard the pair is about, not about
timeouts, which both tools would otherwise report on every file.

`--apply URL` also applies each pair's setup and safe migrations with `schemactl up` on a
throwaway database of that server (named `--db-prefix` + the pair's number, dropped after),
to prove the safe forms run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "lint_accuracy"
BIN = Path(sys.executable).parent
SQUAWK = HERE / "node_modules" / ".bin" / "squawk"
COUNTING = {"error", "warning"}
DOWN = re.compile(r"^--\s*migrate:down\b", re.MULTILINE)
NO_TRANSACTION = re.compile(r"^--\s*migrate:up\b.*\btransaction:false\b", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    """One side of a pair: its directory (the setup lives there) and its migration files."""

    pair: Path
    side: str  # "risky" or "safe"

    @property
    def name(self) -> str:
        return f"{self.pair.name}/{self.side}"

    @property
    def files(self) -> list[Path]:
        return sorted((self.pair / self.side).glob("*.sql"))


@dataclass
class Outcome:
    """The counting findings one tool gave one case, as `rule (file:line)` strings."""

    findings: list[str] = field(default_factory=list)

    @property
    def alarmed(self) -> bool:
        return bool(self.findings)

    def rules(self) -> str:
        return ", ".join(sorted({f.split(" ")[0] for f in self.findings})) or "-"

    @property
    def style_only(self) -> bool:
        """Alarmed by style rules (squawk's prefer-*) alone: caught, but not for the hazard."""
        return self.alarmed and all(f.startswith("prefer-") for f in self.findings)


def pairs() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_dir())


def cases() -> Iterator[Case]:
    for pair in pairs():
        yield Case(pair, "risky")
        yield Case(pair, "safe")


def down_line(path: Path) -> int:
    """The 1-based line of `-- migrate:down`: findings from there on are about the down section."""
    text = path.read_text()
    match = DOWN.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else sys.maxsize


def schemactl(case: Case) -> Outcome:
    command = [str(BIN / "schemactl"), "lint", "--dialect", "postgresql", "--json",
               "-d", str(case.pair), *map(str, case.files)]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    if run.returncode not in (0, 1):
        sys.exit(f"schemactl lint failed on {case.name}: {run.stderr.strip()}")
    wanted = {f.resolve() for f in case.files}
    outcome = Outcome()
    for f in json.loads(run.stdout)["findings"]:
        path = Path(f["file"]).resolve()
        if (
            path in wanted
            and f["section"] == "up"
            and f["severity"] in COUNTING
            and f["approved"] is None
        ):
            outcome.findings.append(f"{f['name']} ({path.name}:{f['line']})")
    return outcome


def squawk(case: Case, *, told_transactions: bool) -> Outcome:
    outcome = Outcome()
    for path in case.files:
        in_transaction = told_transactions and not NO_TRANSACTION.search(path.read_text())
        command = [str(SQUAWK), "--reporter", "json", str(path)]
        if in_transaction:
            command.append("--assume-in-transaction")
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        try:
            violations = json.loads(run.stdout)
        except json.JSONDecodeError:
            sys.exit(f"squawk failed on {path}: {run.stderr.strip() or run.stdout.strip()}")
        end = down_line(path)
        for v in violations:
            line = v["line"] + 1  # squawk's JSON lines are 0-based
            if v["level"].lower() in COUNTING and line < end:
                outcome.findings.append(f"{v['rule_name']} ({path.name}:{line})")
    return outcome


TOOLS = {
    "schemactl": schemactl,
    "squawk": lambda case: squawk(case, told_transactions=True),
    "squawk (defaults)": lambda case: squawk(case, told_transactions=False),
}


def measure() -> dict[str, dict[str, Outcome]]:
    """Each tool's outcome on each case: {tool: {case name: outcome}}."""
    all_cases = list(cases())
    results: dict[str, dict[str, Outcome]] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for tool, run in TOOLS.items():
            results[tool] = dict(
                zip([c.name for c in all_cases], pool.map(run, all_cases), strict=True)
            )
    return results


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %"


def report(results: dict[str, dict[str, Outcome]], details: bool) -> str:
    names = [p.name for p in pairs()]
    squawk_version = subprocess.run(
        [str(SQUAWK), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    lines = [
        f"{len(names)} pairs, {datetime.date.today().isoformat()}, {squawk_version}",
        "",
        "| tool | risky cases caught | caught | of which by style rules only "
        "| safe alternatives alarmed | false alarms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for tool, outcome in results.items():
        caught = sum(outcome[f"{n}/risky"].alarmed for n in names)
        style = sum(outcome[f"{n}/risky"].style_only for n in names)
        alarmed = sum(outcome[f"{n}/safe"].alarmed for n in names)
        lines.append(
            f"| {tool} | {caught} / {len(names)} | {percent(caught, len(names))} | {style} "
            f"| {alarmed} / {len(names)} | {percent(alarmed, len(names))} |"
        )
    for tool, outcome in results.items():
        misses = [n for n in names if not outcome[f"{n}/risky"].alarmed]
        alarms = [n for n in names if outcome[f"{n}/safe"].alarmed]
        by_style = [n for n in names if outcome[f"{n}/risky"].style_only]
        lines += ["", f"**{tool}** misses ({len(misses)}): " + (", ".join(misses) or "none")]
        if by_style:
            lines.append(f"**{tool}** caught by style rules only: " + ", ".join(by_style))
        lines.append(f"**{tool}** false alarms ({len(alarms)}):" + ("" if alarms else " none"))
        lines += [f"- {n}: {outcome[f'{n}/safe'].rules()}" for n in alarms]
    if details:
        tools = list(results)
        lines += ["", "| pair | " + " | ".join(f"{t}: risky" for t in tools) + " | "
                  + " | ".join(f"{t}: safe" for t in tools) + " |"]  # fmt: skip
        lines.append("|---" * (1 + 2 * len(tools)) + "|")
        for n in names:
            risky = [results[t][f"{n}/risky"].rules() for t in tools]
            safe = [results[t][f"{n}/safe"].rules() for t in tools]
            lines.append(f"| {n} | " + " | ".join(risky + safe) + " |")
    return "\n".join(lines)


def database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{name}"))


def apply_safe_forms(server: str, prefix: str) -> list[str]:
    """Apply setup + safe migrations of every pair with `schemactl up`; the failures, if any."""
    failures = []
    for pair in pairs():
        name = f"{prefix}{pair.name.split('_')[0]}"
        url = database_url(server, name)
        up = [str(BIN / "schemactl"), "up", "-u", url, "-d", str(pair), "-d", str(pair / "safe")]
        try:
            run = subprocess.run(up, capture_output=True, text=True, check=False)
            if run.returncode != 0:
                failures.append(f"{pair.name}: {run.stderr.strip().splitlines()[-1:]}")
        finally:
            drop = [str(BIN / "schemactl"), "drop", "-u", url]
            subprocess.run(drop, capture_output=True, text=True, check=False)
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="a row per pair: each tool's rules")
    parser.add_argument("--apply", metavar="SERVER_URL", help="apply each safe form there first")
    parser.add_argument("--db-prefix", default="lint_accuracy_", help="throwaway database names")
    args = parser.parse_args()
    if not SQUAWK.exists():
        sys.exit(f"no squawk at {SQUAWK}: npm install --prefix benchmarks --no-audit --no-fund")
    if args.apply:
        failures = apply_safe_forms(args.apply, args.db_prefix)
        print(
            f"safe forms applied with schemactl up: {len(pairs()) - len(failures)} / {len(pairs())}"
        )
        for failure in failures:
            print(f"- does not apply: {failure}")
        print()
    print(report(measure(), args.details))


if __name__ == "__main__":
    main()
