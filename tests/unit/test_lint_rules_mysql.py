"""MySQL/MariaDB rules, offline through the engine and online against a real MariaDB: each flags
its risky example and leaves its safe alternative alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemactl.lint.catalog import rule

from ..lint.online import Step, check_online
from .lint_offline import findings, rules

SETUP = """
CREATE TABLE users (id int PRIMARY KEY, email varchar(100) NOT NULL, name varchar(50),
                    age int, state enum('new','done'));
CREATE TABLE orders (id int PRIMARY KEY, user_id int, total decimal(10,2));
"""
# the other rules' requirements, met, so that a safe alternative is quiet on every rule
ON = "SET SESSION lock_wait_timeout = 5;\n"
ONLINE = ", ALGORITHM=INPLACE, LOCK=NONE"

CASES = [
    # rule, risky, safe
    (
        "LK109",
        ON + "ALTER TABLE users ADD COLUMN note varchar(20)",
        ON + "ALTER TABLE users ADD COLUMN note varchar(20), ALGORITHM=INSTANT",
    ),
    (
        "LK109",
        ON + "ALTER TABLE users ADD INDEX ix_age (age), LOCK=NONE",
        ON + "ALTER TABLE users ADD INDEX ix_age (age)" + ONLINE,
    ),
    (
        "LK109",
        ON + "CREATE INDEX ix_age ON users (age)",
        ON + "CREATE INDEX ix_age ON users (age) ALGORITHM=INPLACE LOCK=NONE",
    ),
    (
        "LK109",
        ON + "ALTER TABLE users DROP INDEX x",
        # MariaDB's session alter_algorithm stands for the clause (DROP INDEX is NOCOPY there)
        ON + "SET SESSION alter_algorithm = 'INSTANT';\nALTER TABLE users ADD COLUMN z int",
    ),
    (
        "LK120",
        ON + "ALTER TABLE users ADD COLUMN note int, ALGORITHM=COPY",
        ON + "ALTER TABLE users ADD COLUMN note int, ALGORITHM=INSTANT",
    ),
    (
        "LK120",
        ON + "ALTER TABLE users ADD COLUMN note int, LOCK=SHARED",
        ON + "ALTER TABLE users ADD COLUMN note int" + ONLINE,
    ),
    (
        "LK120",
        ON + "ALTER TABLE users ADD FULLTEXT INDEX ft (name)",
        ON + "ALTER TABLE users ADD INDEX ix_name (name)" + ONLINE,
    ),
    (
        "LK120",
        ON + "ALTER TABLE users CONVERT TO CHARACTER SET utf8mb4",
        ON + "ALTER TABLE users DEFAULT CHARACTER SET utf8mb4" + ONLINE,
    ),
    (
        "LK103",
        ON
        + "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id)"
        + ONLINE,
        ON
        + "SET foreign_key_checks = 0;\n"
        + "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id)"
        + ONLINE
        + ";\nSET foreign_key_checks = 1",
    ),
    (
        "LK104",
        ON + "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0)",
        "CREATE TABLE people (age int, CONSTRAINT age_positive CHECK (age > 0))",
    ),
    (
        "LK105",
        ON + "ALTER TABLE users MODIFY name varchar(50) NOT NULL",
        ON + "ALTER TABLE users MODIFY name varchar(50) NOT NULL" + ONLINE,
    ),  # in place, with writes going on
    (
        "LK105",
        ON + "ALTER TABLE users MODIFY name varchar(50) NOT NULL, ALGORITHM=COPY",
        ON + "ALTER TABLE users MODIFY email varchar(100) NOT NULL",
    ),  # NOT NULL already
    (
        "LK106",
        ON + "ALTER TABLE orders DROP PRIMARY KEY",
        "CREATE TABLE payments (id int, PRIMARY KEY (id))",
    ),
    (
        "LK107",
        ON + "ALTER TABLE users MODIFY age bigint" + ONLINE,
        ON + "ALTER TABLE users MODIFY name varchar(60)" + ONLINE,
    ),
    (
        "LK107",
        ON + "ALTER TABLE users MODIFY name varchar(300)" + ONLINE,  # crosses the length byte
        ON + "ALTER TABLE users MODIFY state enum('new','done','gone'), ALGORITHM=INSTANT",
    ),
    (
        "LK108",
        ON + "ALTER TABLE users ADD COLUMN token char(36) DEFAULT (uuid())",
        ON + "ALTER TABLE users ADD COLUMN token char(36), ALGORITHM=INSTANT",
    ),
    (
        "LK108",
        ON + "ALTER TABLE users ADD COLUMN twice int AS (age * 2) STORED",
        ON + "ALTER TABLE users ADD COLUMN twice int AS (age * 2) VIRTUAL, ALGORITHM=INSTANT",
    ),
    (
        "LK108",
        ON + "ALTER TABLE orders ADD COLUMN seq bigint AUTO_INCREMENT UNIQUE",
        "CREATE TABLE events (seq bigint AUTO_INCREMENT PRIMARY KEY)",
    ),
    (
        "TX102",
        "CREATE TABLE a (id int);\nCREATE TABLE b (id int)",
        "CREATE TABLE a (id int, note varchar(10))",
    ),
    ("NM101", "CREATE TABLE " + "t" * 65 + " (id int)", "CREATE TABLE " + "t" * 64 + " (id int)"),
    (
        "MY102",
        "CREATE TABLE a (user_id int REFERENCES users (id))",
        "CREATE TABLE a (user_id int,"
        " CONSTRAINT fk_a_user FOREIGN KEY (user_id) REFERENCES users (id))",
    ),
    (
        "OP101",
        "ALTER TABLE users ADD COLUMN note int, ALGORITHM=INSTANT",
        ON + "ALTER TABLE users ADD COLUMN note int, ALGORITHM=INSTANT",
    ),
    (
        "OP101",
        "ALTER TABLE users ADD COLUMN note int, ALGORITHM=INSTANT",
        "ALTER TABLE users WAIT 5 ADD COLUMN note int, ALGORITHM=INSTANT",
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "risky", "safe"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_flags_risky_and_not_safe(rule_id: str, risky: str, safe: str, tmp_path: Path) -> None:
    assert rule_id in rules(tmp_path / "risky", "mysql", SETUP, risky + ";")
    assert rule_id not in rules(tmp_path / "safe", "mysql", SETUP, safe + ";")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("rule_id", "risky", "safe"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
async def test_online(rule_id: str, risky: str, safe: str, tmp_path: Path) -> None:
    """The same verdicts against the live catalog of a real MariaDB holding the setup;
    the safe alternative then applies there."""
    await check_online("mysql", tmp_path, rule_id, [Step(SETUP)], Step(risky), Step(safe))


def test_the_runner_timeout_satisfies_op101(tmp_path: Path) -> None:
    sql = "ALTER TABLE users ADD COLUMN note int, ALGORITHM=INSTANT;"
    assert "OP101" in rules(tmp_path / "a", "mysql", SETUP, sql)
    assert "OP101" not in rules(tmp_path / "b", "mysql", SETUP, sql, runner_lock_timeout=True)


def test_a_table_created_in_the_same_migration_is_not_a_lock_hazard(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE fresh (id int, a int);\n"
        "ALTER TABLE fresh ADD INDEX ix_a (a), ADD CONSTRAINT c CHECK (a > 0);"
    )
    assert rules(tmp_path, "mysql", SETUP, sql) == {"TX102"}


def test_one_finding_per_statement(tmp_path: Path) -> None:
    sql = ON + "ALTER TABLE users ADD COLUMN a int, ADD COLUMN b int, DROP COLUMN age;"
    lk109 = [f for f in findings(tmp_path, "mysql", SETUP, sql) if f.rule == "LK109"]
    assert len(lk109) == 1


def test_shared_ids_keep_one_catalog_entry() -> None:
    lk105 = rule("LK105")
    assert lk105 is not None
    assert {"mysql", "sqlite"} <= lk105.dialects
