"""`schemactl.plan` on the three databases: every field of the plan, pre-flight counts on data
seeded to fail them (and on clean data), the statement timeout, the decision, the rollback's
plan, and every document validated against the shipped JSON Schema."""

from __future__ import annotations

import time
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import schemactl
from schemactl.lint.catalog import Severity
from schemactl.planner.model import PlanResult
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio

SCHEMA = jsonschema.Draft202012Validator(
    __import__("json").loads(
        (files("schemactl") / "schemas" / "plan.schema.json").read_text(encoding="utf-8")
    )
)

TABLES = """
CREATE TABLE users (id integer PRIMARY KEY, email varchar(50), nick varchar(50),
  name varchar(50), age integer);
CREATE TABLE orders (id integer PRIMARY KEY, user_id integer);
"""
# each row is in the way of one check: a duplicate email, a NULL nick, a long name, an age out
# of smallint's range and one below zero, an order without its user
DIRTY = """
INSERT INTO users VALUES (1, 'a@x', 'ann', 'Ann', 40000), (2, 'a@x', NULL, 'Bartholomew', -1),
  (3, 'c@x', 'cy', 'Cy', 20);
INSERT INTO orders VALUES (1, 1), (2, 99);
"""
CLEAN = """
INSERT INTO users VALUES (1, 'a@x', 'ann', 'Ann', 40), (2, 'b@x', 'bo', 'Bo', 1),
  (3, 'c@x', 'cy', 'Cy', 20);
INSERT INTO orders VALUES (1, 1), (2, NULL);
"""
CHANGES = {
    "postgresql": """SET lock_timeout = '2s';
CREATE UNIQUE INDEX users_email ON users (email);
ALTER TABLE users ALTER COLUMN nick SET NOT NULL;
ALTER TABLE users ALTER COLUMN name TYPE varchar(5);
ALTER TABLE users ALTER COLUMN age TYPE smallint;
ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0);
ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE users ADD COLUMN code text NOT NULL;""",
    "mysql": """CREATE UNIQUE INDEX users_email ON users (email);
ALTER TABLE users MODIFY nick varchar(50) NOT NULL;
ALTER TABLE users MODIFY name varchar(5);
ALTER TABLE users MODIFY age smallint;
ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0);
ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id);""",
    "sqlite": "CREATE UNIQUE INDEX users_email ON users (email);",
}
UNDO = {
    "postgresql": "ALTER TABLE users DROP COLUMN code;\nDROP INDEX users_email;",
    "mysql": "ALTER TABLE users DROP INDEX users_email;",
    "sqlite": "DROP INDEX users_email;",
}
EXPECTED = {  # check -> (line of its statement, the count on the seeded data)
    "postgresql": {
        "duplicates": (3, 2),
        "nulls": (4, 1),
        "too-long": (5, 1),
        "out-of-range": (6, 1),
        "check": (7, 1),
        "orphans": (8, 1),
        "rows": (9, 3),
    },
    "mysql": {
        "duplicates": (2, 2),
        "nulls": (3, 1),
        "too-long": (4, 1),
        "out-of-range": (5, 1),
        "check": (6, 1),
        "orphans": (7, 1),
    },
    "sqlite": {"duplicates": (2, 2)},
}


@pytest.fixture(autouse=True)
def plans_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The plans `plan` records go to the test's own directory, not the user's cache."""
    directory = tmp_path / "plans"
    monkeypatch.setenv("SCHEMACTL_PLANS_DIR", str(directory))
    return directory


def valid(result: PlanResult) -> dict[str, Any]:
    document = result.as_json()
    SCHEMA.validate(document)
    return document


async def seeded(url: str, migrations: MigrationsDir, dialect: str, data: str) -> None:
    migrations.add("001", "tables", TABLES + data, "DROP TABLE orders;\nDROP TABLE users;")
    await schemactl.up(url, migrations_dir=migrations.path)
    migrations.add("002", "changes", CHANGES[dialect], UNDO[dialect])


def applicable(migrations: MigrationsDir, dialect: str) -> None:
    """Migration 002 without PostgreSQL's NOT NULL column without a default (which needs an
    empty table), so that it applies on the clean data."""
    changes = CHANGES[dialect].replace(" text NOT NULL;", " text;")
    migrations.add("002", "changes", changes, UNDO[dialect])


async def test_every_field_of_the_plan(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await seeded(db_url, migrations, dialect, DIRTY)
    result = await schemactl.plan(db_url, migrations_dir=migrations.path)
    document = valid(result)
    assert document["format"] == "schemactl.plan/1"
    assert document["direction"] == "up"
    assert document["digest"] == result.digest
    assert result.digest.startswith("sha256:")
    assert document["dialect"] == dialect
    assert db_url.rsplit("/", 1)[-1].removesuffix(".db") in document["database"]
    assert document["preflight_run"] is False
    (migration,) = document["migrations"]
    assert migration["version"] == "002"
    assert migration["file"] == str(migrations.path / "002_changes.sql")
    assert migration["transaction"] is True
    index = next(s for s in migration["statements"] if "users_email" in s["sql"])
    assert index["line"] == EXPECTED[dialect]["duplicates"][0]
    assert index["sql"] == "CREATE UNIQUE INDEX users_email ON users (email)"
    lock = {"postgresql": "SHARE", "mysql": "INPLACE", "sqlite": "database write lock"}
    assert index["lock"] == lock[dialect]
    assert index["scans"] is True
    assert index["rewrites"] is False
    # the existing tables it blocks something on (MySQL builds an index online)
    assert index["tables"] == ([] if dialect == "mysql" else ["users"])
    assert migration["findings"], "unique index on a table with rows: at least DD101"
    assert all(set(f) >= {"rule", "blocking", "line"} for f in migration["findings"])
    assert migration["risk"]["score"] > 0
    users = next(t for t in migration["tables"] if t["name"] == "users")
    assert users["rows"] == 3
    assert migration["down"]["present"] is True
    loses = {"postgresql": ["column users.code"], "mysql": [], "sqlite": []}
    assert migration["down"]["loses"] == loses[dialect]
    kinds = {c["check"]: c for c in migration["preflight"]}
    assert set(kinds) == set(EXPECTED[dialect])
    for kind, (line, _) in EXPECTED[dialect].items():
        assert kinds[kind]["line"] == line, kind
        assert kinds[kind]["sql"].startswith("SELECT "), kind
        assert (kinds[kind]["count"], kinds[kind]["fails"]) == (None, None)  # not run


async def test_preflight_counts_the_seeded_rows_in_the_way(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await seeded(db_url, migrations, dialect, DIRTY)
    result = await schemactl.plan(db_url, migrations_dir=migrations.path, preflight=True)
    document = valid(result)
    assert document["preflight_run"] is True
    counts = {c["check"]: (c["count"], c["fails"]) for c in document["migrations"][0]["preflight"]}
    assert counts == {kind: (n, True) for kind, (_, n) in EXPECTED[dialect].items()}
    assert result.decision == "block"
    assert any(r.startswith("pre-flight duplicates check fails: 2 rows") for r in result.reasons)
    # the checks changed nothing: the migration is still pending, the index not made
    status = await schemactl.status(db_url, migrations_dir=migrations.path)
    assert [m.version for m in status.pending] == ["002"]


async def test_preflight_on_clean_data_counts_nothing(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await seeded(db_url, migrations, dialect, CLEAN)
    result = await schemactl.plan(db_url, migrations_dir=migrations.path, preflight=True)
    checks = valid(result)["migrations"][0]["preflight"]
    expected = {kind: (0, False) for kind in EXPECTED[dialect]}
    if dialect == "postgresql":  # a NOT NULL column without a default fails on any row
        expected["rows"] = (3, True)
    assert {c["check"]: (c["count"], c["fails"]) for c in checks} == expected
    assert [r for r in result.reasons if "pre-flight" in r] == [
        f"pre-flight rows check fails: 3 {c['about']}" for c in checks if c["fails"]
    ]
    # and the migration then applies: the checks were right
    applicable(migrations, dialect)
    await schemactl.up(db_url, migrations_dir=migrations.path)


async def test_a_check_on_a_table_the_migration_creates_is_skipped(
    db_url: str, migrations: MigrationsDir
) -> None:
    await schemactl.create(db_url)
    migrations.add("001", "t", "CREATE TABLE t (a integer);\nCREATE UNIQUE INDEX t_a ON t (a);")
    result = await schemactl.plan(db_url, migrations_dir=migrations.path, preflight=True)
    assert valid(result)["migrations"][0]["preflight"] == []


async def test_the_decision(db_url: str, dialect: str, migrations: MigrationsDir) -> None:
    await schemactl.create(db_url)
    migrations.add("001", "a", "CREATE TABLE a (id integer PRIMARY KEY);", "DROP TABLE a;")
    passing = await schemactl.plan(db_url, migrations_dir=migrations.path)
    assert (passing.decision, passing.reasons) == ("pass", ())
    await schemactl.up(db_url, migrations_dir=migrations.path)
    migrations.add("002", "drop", "DROP TABLE a;", "CREATE TABLE a (id integer PRIMARY KEY);")
    blocked = await schemactl.plan(db_url, migrations_dir=migrations.path)
    valid(blocked)
    assert blocked.decision == "block"
    assert blocked.reasons[0].startswith("DS101 drop-table blocks")
    lenient = schemactl.LintPolicy(severities={"DS101": Severity.WARNING})
    review = await schemactl.plan(db_url, migrations_dir=migrations.path, policy=lenient)
    assert review.decision == "review"
    assert any(r.startswith("DS101 drop-table warns") for r in review.reasons)


async def test_the_rollback_plan_changes_nothing(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    await seeded(db_url, migrations, dialect, CLEAN)
    applicable(migrations, dialect)
    await schemactl.up(db_url, migrations_dir=migrations.path)
    migrations.add("003", "nick", "ALTER TABLE users ADD nick2 varchar(9);",
                   "ALTER TABLE users DROP COLUMN nick2;")  # fmt: skip
    await schemactl.up(db_url, migrations_dir=migrations.path)
    before = await schemactl.status(db_url, migrations_dir=migrations.path)
    result = await schemactl.plan(db_url, migrations_dir=migrations.path, rollback=True, steps=2)
    document = valid(result)
    assert (document["direction"], document["steps"], document["to"]) == ("down", 2, None)
    assert [m["version"] for m in document["migrations"]] == ["003", "002"]
    newest = document["migrations"][0]
    assert newest["down"] == {"present": True, "loses": ["column users.nick2"]}
    assert newest["statements"][0]["sql"] == "ALTER TABLE users DROP COLUMN nick2"
    assert newest["statements"][0]["line"] == 5
    assert any(f["rule"] == "DS102" for f in newest["findings"])  # the drop, read by the linter
    everything = await schemactl.plan(db_url, migrations_dir=migrations.path, rollback=True, to="0")
    assert [m["version"] for m in valid(everything)["migrations"]] == ["003", "002", "001"]
    assert valid(everything)["migrations"][2]["down"]["loses"] == ["table orders", "table users"]
    after = await schemactl.status(db_url, migrations_dir=migrations.path)
    assert [m.version for m in after.applied] == [m.version for m in before.applied]
    assert len(after.applied) == 3


async def test_a_rollback_plan_refuses_what_the_rollback_refuses(
    db_url: str, migrations: MigrationsDir
) -> None:
    await schemactl.create(db_url)
    migrations.add("001", "a", "CREATE TABLE a (id integer);", None)
    with pytest.raises(schemactl.StateError, match="nothing to roll back"):
        await schemactl.plan(db_url, migrations_dir=migrations.path, rollback=True)
    await schemactl.up(db_url, migrations_dir=migrations.path)
    with pytest.raises(schemactl.MigrationFileError, match="no '-- migrate:down' section"):
        await schemactl.plan(db_url, migrations_dir=migrations.path, rollback=True)


async def test_a_transaction_false_migration(db_url: str, migrations: MigrationsDir) -> None:
    await schemactl.create(db_url)
    migrations.add("001", "a", "CREATE TABLE a (id integer);", "DROP TABLE a;",
                   up_options="transaction:false")  # fmt: skip
    (migration,) = valid(await schemactl.plan(db_url, migrations_dir=migrations.path))["migrations"]
    assert migration["transaction"] is False


SLOW = {  # a CHECK that takes a second a row to evaluate
    "postgresql": "ALTER TABLE users ADD CONSTRAINT slow CHECK (pg_sleep(1) IS NOT NULL);",
    "mysql": "ALTER TABLE users ADD CONSTRAINT slow CHECK (sleep(1) = 0);",
}


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_a_slow_check_times_out(db_url: str, dialect: str, migrations: MigrationsDir) -> None:
    """Counting the rows takes 3 s: the check gives up after the statement timeout and says
    so; the plan is still made (not a pass, not a crash), and the next check runs."""
    await seeded(db_url, migrations, dialect, CLEAN)
    (migrations.path / "002_changes.sql").unlink()
    migrations.add("002", "slow", SLOW[dialect] + "\nALTER TABLE users ADD UNIQUE (email);")
    started = time.monotonic()
    result = await schemactl.plan(
        db_url, migrations_dir=migrations.path, preflight=True, statement_timeout=0.5
    )
    elapsed = time.monotonic() - started
    slow, unique = valid(result)["migrations"][0]["preflight"]
    assert (slow["check"], slow["timed_out"], slow["count"], slow["fails"]) == (
        "check",
        True,
        None,
        None,
    )
    assert slow["error"] == "timed out after 0.5 s (--statement-timeout)"
    assert (unique["check"], unique["count"], unique["fails"]) == ("duplicates", 0, False)
    assert elapsed < 2.5
    assert result.decision == "block", "the linter's errors on the CHECK"
    assert any("gave no count: timed out" in reason for reason in result.reasons)
