"""An agent's migration loop on schemactl's --json documents, with a person approving by digest.

    python examples/agent_loop.py --url sqlite:app.db --models app.models add_email

1. generate: ``schemactl new --auto NAME --json`` writes the migration the models need (an
   agent would now read ``up_sql``, ``down_sql`` and ``findings``, and could edit the file);
2. plan: ``schemactl plan --json`` says what ``up`` would run: each statement with its lock,
   the findings and risk, the decision (pass, review, block) and the plan's ``digest``;
3. approve: a person reads the review and approves that digest (here: types ``yes``);
   a plan whose decision is ``block`` is not offered;
4. apply: ``schemactl up --plan-digest DIGEST --json`` applies exactly the approved plan,
   and refuses (exit 8) if any file changed since.

Every step is a plain subprocess; each error is the CLI's ``{"error": {...}}`` document, whose
message this script prints before exiting with the command's exit code. Exit 0: applied (or
nothing to do); 1: not approved; otherwise the failing command's code.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

SCHEMACTL = [sys.executable, "-m", "schemactl"]


class CommandFailed(Exception):
    def __init__(self, args: list[str], code: int, error: dict[str, Any]) -> None:
        # the command's name only: its arguments may hold a URL with a password
        super().__init__(f"schemactl {args[0]}: {error.get('message')}")
        self.code = code
        self.error = error


def schemactl(*args: str) -> dict[str, Any]:
    """Run one schemactl command with --json: its document, or CommandFailed with its error
    document. Exit 1 is a finding, not a failure (check, lint, verify): its document."""
    done = subprocess.run(
        [*SCHEMACTL, *args, "--json"], capture_output=True, text=True, check=False
    )
    document: dict[str, Any] = json.loads(done.stdout)
    if "error" in document:
        raise CommandFailed(list(args), done.returncode, document["error"])
    return document


def describe(plan: dict[str, Any]) -> str:
    """The plan as a person reviews it: the decision, then each migration's statements."""
    lines = [f"Decision: {plan['decision']}    digest: {plan['digest']}"]
    for migration in plan["migrations"]:
        risk = migration.get("risk") or {}
        lines.append(f"\n{migration['file']}  (risk {risk.get('tier', '?')})")
        for statement in migration["statements"]:
            first = statement["sql"].strip().splitlines()[0]
            lines.append(f"  line {statement['line']}: {first}")
            if statement.get("lock") not in (None, "", "none"):
                lines.append(f"      takes {statement['lock']}, blocks {statement['blocks']}")
        for finding in migration.get("findings", []):
            lines.append(f"  ! {finding.get('rule')}: {finding.get('message')}")
        down = migration.get("down") or {}
        if not down.get("present", True):
            lines.append("  ! no down section: cannot be rolled back")
        for lost in down.get("loses", []):
            lines.append(f"  rolling back loses {lost}")
    return "\n".join(lines)


def approved(plan: dict[str, Any]) -> bool:
    """Ask the person at the terminal (or whatever feeds stdin) to approve this digest."""
    if plan["decision"] == "block":
        print("\nThe plan is blocked by the lint policy: fix the migration first.")
        return False
    print(f"\nApply exactly this plan ({plan['digest']})? Type yes to approve: ", end="")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    if not sys.stdin.isatty():
        print(answer.strip())  # as a terminal would have echoed it
    return answer.strip().lower() == "yes"


def loop(name: str, common: list[str], models: list[str]) -> int:
    generated = schemactl("new", "--auto", name, *models, *common)
    if generated["path"] is None:
        print("The database already matches the models: nothing to migrate.")
        return 0
    for file in generated["files"] or [generated]:
        print(f"Wrote {file['path']}")
    for note in generated["notes"]:
        print(f"  note: {note}")
    plan = schemactl("plan", *common)
    print(describe(plan))
    if not approved(plan):
        print("Not approved: nothing applied (the file stays for review).")
        return 1
    result = schemactl("up", "--plan-digest", plan["digest"], *common)
    print(f"Applied {', '.join(m['version'] for m in result['applied'])}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="what the migration does, e.g. add_email")
    parser.add_argument("--url", help="database URL (else DATABASE_URL or pyproject)")
    parser.add_argument("--models", help="SQLAlchemy models, e.g. app.models")
    parser.add_argument("--migrations-dir", help="migrations directory")
    options = parser.parse_args(argv)
    common = [f"--url={options.url}"] if options.url else []
    if options.migrations_dir:
        common.append(f"--migrations-dir={options.migrations_dir}")
    models = [f"--models={options.models}"] if options.models else []
    try:
        return loop(options.name, common, models)
    except CommandFailed as failure:
        print(f"error: {failure}", file=sys.stderr)
        return failure.code


if __name__ == "__main__":
    sys.exit(main())
