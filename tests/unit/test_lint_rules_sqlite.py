"""SQLite rules, offline through the engine and online: the table rebuild (LK113), a rebuild
that makes a column NOT NULL (LK105), one that loses a column or leaves it out of the copy
(DS102) or copies no row (DS101),
and the shared BC103 on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemactl.lint.parse import LintDialect

from ..lint.online import Step, check_online
from .lint_offline import findings, rules

SETUP = """
CREATE TABLE users (id integer PRIMARY KEY, email varchar(100) NOT NULL, name varchar(50),
                    age integer);
"""

REBUILD = """
CREATE TABLE users_new (id integer PRIMARY KEY, email varchar(100) NOT NULL,
                        name varchar(50){name}, age {age});
INSERT INTO users_new (id, email, name, age) SELECT id, email, name, age FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
"""

WITHOUT_AGE = """
CREATE TABLE users_new (id integer PRIMARY KEY, email varchar(100) NOT NULL, name varchar(50));
INSERT INTO users_new (id, email, name) SELECT id, email, name FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
"""
AGE_NOT_COPIED = """
CREATE TABLE users_new (id integer PRIMARY KEY, email varchar(100) NOT NULL,
                        name varchar(50), age bigint);
INSERT INTO users_new (id, email, name) SELECT id, email, name FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
"""
NOT_COPIED = """
CREATE TABLE users_new (id integer PRIMARY KEY, email varchar(100) NOT NULL,
                        name varchar(50), age bigint);
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
"""

CASES = [
    # rule, risky, safe
    ("LK113", REBUILD.format(name="", age="bigint"), "ALTER TABLE users ADD COLUMN score bigint;"),
    (
        "LK113",
        "ALTER TABLE users ALTER COLUMN name SET NOT NULL;",
        "ALTER TABLE users RENAME COLUMN age TO years;",
    ),
    (
        "LK105",
        REBUILD.format(name=" NOT NULL", age="integer"),
        REBUILD.format(name="", age="bigint"),
    ),
    (
        "LK105",
        "ALTER TABLE users ALTER COLUMN name SET NOT NULL;",
        "CREATE TABLE t (a integer NOT NULL);",
    ),
    (
        "BC103",
        "ALTER TABLE users ADD COLUMN tier integer NOT NULL;",
        "ALTER TABLE users ADD COLUMN tier integer NOT NULL DEFAULT 0;",
    ),
    # a rebuild that leaves a column out drops it; one that copies no rows drops them all
    ("DS102", WITHOUT_AGE, REBUILD.format(name="", age="bigint")),
    (
        "DS102",
        AGE_NOT_COPIED,
        REBUILD.format(name="", age="bigint").replace(
            "INSERT INTO users_new (id, email, name, age)", "INSERT INTO users_new"
        ),
    ),
    ("DS101", NOT_COPIED, REBUILD.format(name="", age="bigint")),
]


@pytest.mark.parametrize(
    ("rule_id", "risky", "safe"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_flags_risky_and_not_safe(rule_id: str, risky: str, safe: str, tmp_path: Path) -> None:
    assert rule_id in rules(tmp_path / "risky", "sqlite", SETUP, risky)
    assert rule_id not in rules(tmp_path / "safe", "sqlite", SETUP, safe)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("rule_id", "risky", "safe"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
async def test_online(rule_id: str, risky: str, safe: str, tmp_path: Path) -> None:
    """The same verdicts against the live catalog of a real SQLite database holding the setup;
    the safe alternative then applies there."""
    await check_online("sqlite", tmp_path, rule_id, [Step(SETUP)], Step(risky), Step(safe))


def test_the_rebuild_is_not_reported_as_a_lost_table(tmp_path: Path) -> None:
    """CREATE new, INSERT SELECT, DROP old, RENAME keeps the rows: no drop-table or
    rename-as-drop-and-add, only the rebuild itself."""
    assert rules(tmp_path, "sqlite", SETUP, REBUILD.format(name="", age="bigint")) == {"LK113"}


def test_a_rebuild_of_a_table_created_in_the_same_migration_is_quiet(tmp_path: Path) -> None:
    sql = "CREATE TABLE t (a integer);\n" + REBUILD.replace("users", "t").format(
        name="", age="integer"
    )
    assert "LK113" not in rules(tmp_path, "sqlite", SETUP, sql)


def test_what_a_lossy_rebuild_says(tmp_path: Path) -> None:
    lost = findings(tmp_path / "column", "sqlite", SETUP, WITHOUT_AGE)
    assert [f.message for f in lost if f.rule == "DS102"] == [
        "rebuilds users without its column age and the data in it"
    ]
    uncopied = findings(tmp_path / "uncopied", "sqlite", SETUP, AGE_NOT_COPIED)
    assert [f.message for f in uncopied if f.rule == "DS102"] == [
        "rebuilds users without copying its column age (the INSERT into users_new does not "
        "name it): the data in it is lost"
    ]
    rows = findings(tmp_path / "rows", "sqlite", SETUP, NOT_COPIED)
    assert [f.message for f in rows if f.rule == "DS101"] == [
        "rebuilds users as users_new without copying its rows (no INSERT ... SELECT into "
        "users_new before the DROP): every row is lost"
    ]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_the_rebuild_data_rules_are_every_dialects(dialect: LintDialect, tmp_path: Path) -> None:
    """A rebuild is SQLite's habit, but the same statements lose the same data elsewhere:
    both parsers give the INSERT's column list to the shared rules."""
    safe = rules(tmp_path / "safe", dialect, SETUP, REBUILD.format(name="", age="bigint"))
    assert not {"DS101", "DS102"} & safe
    assert "DS102" in rules(tmp_path / "without", dialect, SETUP, WITHOUT_AGE)
    assert "DS102" in rules(tmp_path / "uncopied", dialect, SETUP, AGE_NOT_COPIED)
    assert "DS101" in rules(tmp_path / "rows", dialect, SETUP, NOT_COPIED)
