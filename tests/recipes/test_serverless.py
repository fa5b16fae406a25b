"""examples/serverless: eight containers' cold starts at once, each in a fresh interpreter,
against one database that does not exist yet: each migration applied once, every invocation
served, warm invocations do no migration work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import drop_quietly, fresh_url
from tests.recipes.conftest import EXAMPLES
from tests.recipes.test_fastapi import database_rows

FUNCTION = EXAMPLES / "serverless"
VERSIONS = sorted(p.name.split("_")[0] for p in (FUNCTION / "migrations").glob("*.sql"))
CONTAINERS = 8

# One container: the heavy imports, then "ready"; on "go", the cold start (importing the
# handler's module), one invocation, then a warm one with schemactl's database access made
# to fail and its logger recorded: a warm invocation must not reach either.
CONTAINER = """
import json, logging, sys
import asyncpg, schemactl, sqlalchemy.ext.asyncio
print("ready", flush=True)
sys.stdin.readline()
import handler
cold = handler.handler({}, None)
import schemactl._database
def refuse(*args, **kwargs):
    raise AssertionError("a warm invocation did migration work")
schemactl._database.open_database = refuse
logged = []
class Record(logging.Handler):
    def emit(self, record):
        logged.append(record.getMessage())
logging.getLogger("schemactl").addHandler(Record())
logging.getLogger("schemactl").setLevel(logging.DEBUG)
warm = handler.handler({}, None)
applied = [m.version for m in handler.COLD_START.applied]
print(json.dumps({"applied": applied, "cold": cold, "warm": warm, "logged": logged}))
"""


def cold_starts_at_once(url: str) -> list[dict[str, Any]]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(FUNCTION)}
    containers = [
        subprocess.Popen(
            [sys.executable, "-c", CONTAINER],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(CONTAINERS)
    ]
    try:
        for container in containers:  # every interpreter has imported what it needs
            assert container.stdout is not None
            assert container.stdout.readline().strip() == "ready", container.communicate()
        for container in containers:  # now all the cold starts at once
            assert container.stdin is not None
            container.stdin.write("go\n")
            container.stdin.flush()
        results = []
        for container in containers:
            out, err = container.communicate(timeout=60)
            assert container.returncode == 0, err
            results.append(json.loads(out.splitlines()[-1]))
        return results
    finally:
        for container in containers:
            if container.poll() is None:
                container.kill()
                container.wait()


def served(response: dict[str, Any]) -> list[str]:
    assert response["statusCode"] == 200
    notes: list[str] = json.loads(response["body"])["notes"]
    return notes


def test_many_cold_starts_at_once_migrate_once(tmp_path: Path) -> None:
    url = fresh_url("postgresql", tmp_path)
    try:
        results = cold_starts_at_once(url)
        applied = sorted(v for result in results for v in result["applied"])
        assert applied == VERSIONS  # each migration applied once, by whichever came first
        for result in results:
            assert served(result["cold"]) == ["hello"]  # the seed, once
            assert served(result["warm"]) == ["hello"]
            assert result["logged"] == []
        assert database_rows(url, "notes", "body") == (VERSIONS, ["hello"])
    finally:
        drop_quietly(url)


def test_a_cold_start_that_cannot_reach_the_database_fails_within_the_bound() -> None:
    """No server answers: the cold start raises after its bounded wait (Lambda then retries
    the Init at the next invocation); it does not hang past Lambda's 10 s Init limit."""
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/app"}
    env.update(PYTHONPATH=str(FUNCTION), SCHEMACTL_WAIT_TIMEOUT="1")
    init = subprocess.run(
        [sys.executable, "-c", "import handler"],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert init.returncode != 0
    assert "schemactl._errors.WaitTimeoutError" in init.stderr
    assert "was not ready after 1s" in init.stderr
