"""The parts of `plan` that need no database: the digest and its target identity, the
pre-flight checks derived from the operations (their SQL, per dialect), and what a down
section loses."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from schemactl import ConfigurationError
from schemactl._files import Migration, Section
from schemactl.lint.engine import parse_section
from schemactl.lint.schema import ColumnState, ConstraintState, Schema, TableState
from schemactl.planner.build import losses
from schemactl.planner.digest import (
    KEEP_DAYS,
    Entry,
    Identity,
    check_digest,
    digest,
    recalled,
    remember,
)
from schemactl.planner.preflight import Check, Collector

APP = Identity("postgresql", "db", 5432, "app")
ENTRIES = [Entry("1", "1_a.sql", "aa"), Entry("2", "2_b.sql", "bb")]


def test_the_identity_is_the_database_not_who_connects() -> None:
    one = Identity.of("postgresql", make_url("postgresql://a:x@db/app"))
    assert one == Identity.of("postgresql", make_url("postgresql://b:y@DB:5432/app"))
    assert one == APP
    assert Identity.of("mysql", make_url("mysql://root@db/app")).port == 3306
    assert str(Identity.of("sqlite", make_url("sqlite:///x/app.db"))) == "sqlite:x/app.db"


def test_the_digest_covers_what_would_run_and_where() -> None:
    base = digest(APP, "up", ENTRIES)
    assert base == digest(APP, "up", list(ENTRIES))
    assert base.startswith("sha256:")
    assert len(base) == len("sha256:") + 64
    others = {
        digest(APP, "up", [ENTRIES[0], Entry("2", "2_b.sql", "cc")]),  # a file's bytes
        digest(APP, "up", ENTRIES[::-1]),  # the order
        digest(APP, "up", ENTRIES[:1]),  # one fewer
        digest(Identity("postgresql", "db", 5432, "app2"), "up", ENTRIES),  # the database
        digest(Identity("postgresql", "db", 5433, "app"), "up", ENTRIES),  # the server
        digest(APP, "down", ENTRIES, steps=2),
        digest(APP, "down", ENTRIES, steps=3),
        digest(APP, "down", ENTRIES, to="0"),
    }
    assert base not in others
    assert len(others) == 8


def test_plan_records_nobody_wrote_lately_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHEMACTL_PLANS_DIR", str(tmp_path))
    identity = Identity("postgresql", "db", 5432, "app")
    entries = [Entry("1", "1_a.sql", "ab" * 32)]
    old, kept = digest(identity, "up", entries), digest(identity, "down", entries)
    remember(old, identity, "up", entries)
    remember(kept, identity, "down", entries)
    stale = time.time() - (KEEP_DAYS + 1) * 86400
    left_over = tmp_path / "0123.4242.tmp"  # a write cut short, long ago
    left_over.write_text("{")
    for path in (tmp_path / f"{old.removeprefix('sha256:')}.json", left_over):
        os.utime(path, (stale, stale))
    (tmp_path / "notes.txt").write_text("not ours")
    os.utime(tmp_path / "notes.txt", (stale, stale))
    made = digest(identity, "up", [*entries, Entry("2", "2_b.sql", "cd" * 32)])
    remember(made, identity, "up", entries)  # each record written prunes the directory
    assert recalled(old) is None
    assert recalled(kept) is not None
    assert recalled(made) is not None
    assert not left_over.exists()
    assert (tmp_path / "notes.txt").exists()


@pytest.mark.parametrize("value", ["abc", "sha256:" + "g" * 64, "md5:" + "a" * 64, "sha256:ab"])
def test_a_malformed_digest_is_refused(value: str) -> None:
    with pytest.raises(ConfigurationError, match="sha256: and 64 hex digits"):
        check_digest(value)
    assert check_digest(" SHA256:" + "A" * 64) == "sha256:" + "a" * 64


# -- pre-flight checks ---------------------------------------------------------------------


def schema(dialect: str) -> Schema:
    """A live-like schema: `order` (a reserved word) with typed columns, and users."""
    found = Schema({"postgresql": "public", "mysql": "app"}.get(dialect))
    order = TableState("order")
    for name, type_ in [("id", "integer"), ("email", "varchar(50)"), ("code", "text"),
                        ("qty", "integer"), ("price", "numeric(10,2)"), ("user_id", "integer"),
                        ("small", "smallint")]:  # fmt: skip
        order.columns[name] = ColumnState(name, type_)
    users = TableState("Users")
    users.columns["id"] = ColumnState("id", "integer", nullable=False)
    users.constraints["users_pk"] = ConstraintState("primary", ("id",))
    found.tables = {"order": order, "users": users}
    return found


def checks(sql: str, dialect: str = "postgresql") -> list[Check]:
    migration = Migration("9", "m", Path("9_m.sql"), "", Section(sql, 1), None)
    collector = Collector(dialect)
    model = schema(dialect)
    model.begin("9")
    for statement in parse_section(migration.up, dialect):  # type: ignore[arg-type]
        for op in statement.ops:
            collector(migration, statement, op, model)
            model.apply(op)
    return collector.checks.get("9", [])


def sql_of(sql: str, dialect: str = "postgresql") -> list[tuple[str, str]]:
    return [(c.check, c.sql) for c in checks(sql, dialect)]


def test_duplicates_before_a_unique_index_quoted_and_partial() -> None:
    assert sql_of('CREATE UNIQUE INDEX i ON "order" (email, lower(code)) WHERE qty > 0') == [
        (
            "duplicates",
            'SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM "order" WHERE "email" '
            'IS NOT NULL AND lower(code) IS NOT NULL AND (qty > 0) GROUP BY "email", '
            "lower(code) HAVING count(*) > 1) AS duplicated",
        )
    ]
    assert sql_of("ALTER TABLE `order` ADD UNIQUE KEY u (email)", "mysql")[0][1].startswith(
        "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM `order` WHERE `email` IS"
    )


def test_nulls_rows_and_a_primary_key() -> None:
    assert sql_of('ALTER TABLE "order" ALTER COLUMN email SET NOT NULL') == [
        ("nulls", 'SELECT count(*) FROM "order" WHERE "email" IS NULL')
    ]
    assert sql_of("ALTER TABLE `order` MODIFY email varchar(50) NOT NULL", "mysql") == [
        ("nulls", "SELECT count(*) FROM `order` WHERE `email` IS NULL")
    ]
    assert sql_of('ALTER TABLE "order" ADD COLUMN c int NOT NULL') == [
        ("rows", 'SELECT count(*) FROM "order"')
    ]
    # a default, MySQL's implicit default, an identity: no rows in the way
    assert sql_of('ALTER TABLE "order" ADD COLUMN c int NOT NULL DEFAULT 0') == []
    assert sql_of("ALTER TABLE `order` ADD COLUMN c int NOT NULL", "mysql") == []
    assert sql_of('ALTER TABLE "order" ADD COLUMN c bigserial NOT NULL') == []
    assert [kind for kind, _ in sql_of('ALTER TABLE "order" ADD PRIMARY KEY (id)')] == [
        "nulls",
        "duplicates",
    ]


@pytest.mark.parametrize(
    ("column", "new", "expected"),
    [
        ("email", "varchar(20)", 'char_length("email") > 20'),
        ("email", "varchar(80)", None),  # wider
        ("code", "varchar(5)", 'char_length("code") > 5'),  # text to varchar(n)
        ("qty", "smallint", '"qty" < -32768 OR "qty" > 32767'),
        ("small", "integer", None),
        ("qty", "bigint", None),
        ("price", "numeric(5,2)", 'round(abs("price"), 2) >= 1000'),
        ("price", "numeric(12,2)", None),
        ("qty", "numeric(12,2)", None),  # 2,147,483,647 has 10 digits
        ("qty", "numeric(6,2)", 'round(abs("qty"), 2) >= 10000'),
        ("email", "integer", None),  # a cast, not a narrowing: PostgreSQL asks for USING
    ],
)
def test_values_that_do_not_fit_a_narrower_type(
    column: str, new: str, expected: str | None
) -> None:
    found = sql_of(f'ALTER TABLE "order" ALTER COLUMN {column} TYPE {new}')
    if expected is None:
        assert found == []
    else:
        ((_, sql),) = found
        assert sql == f'SELECT count(*) FROM "order" WHERE {expected}'


def test_mysql_narrowing_and_unsigned() -> None:
    assert sql_of("ALTER TABLE `order` MODIFY qty tinyint unsigned", "mysql") == [
        ("out-of-range", "SELECT count(*) FROM `order` WHERE `qty` < 0 OR `qty` > 255")
    ]
    assert sql_of("ALTER TABLE `order` MODIFY email varchar(9)", "mysql") == [
        ("too-long", "SELECT count(*) FROM `order` WHERE CHAR_LENGTH(`email`) > 9")
    ]


def test_check_constraints_and_foreign_keys() -> None:
    assert sql_of('ALTER TABLE "order" ADD CONSTRAINT pos CHECK (qty > 0 AND price >= 0)') == [
        ("check", 'SELECT count(*) FROM "order" WHERE NOT (qty > 0 AND price >= 0)')
    ]
    assert sql_of('ALTER TABLE "order" ADD CONSTRAINT pos CHECK (qty > 0) NOT VALID') == []
    # the referenced columns default to the parent's primary key
    assert sql_of('ALTER TABLE "order" ADD FOREIGN KEY (user_id) REFERENCES users') == [
        (
            "orphans",
            'SELECT count(*) FROM "order" AS child WHERE child."user_id" IS NOT NULL AND NOT '
            'EXISTS (SELECT 1 FROM "Users" AS parent WHERE parent."id" = child."user_id")',
        )
    ]
    assert sql_of(
        "ALTER TABLE `order` ADD CONSTRAINT f FOREIGN KEY (user_id) REFERENCES users (id)", "mysql"
    )[0][1].startswith("SELECT count(*) FROM `order` AS child WHERE child.`user_id` IS NOT NULL")


def test_no_check_on_a_table_created_before_it() -> None:
    assert sql_of("CREATE TABLE t (a int);\nCREATE UNIQUE INDEX i ON t (a);") == []
    rebuilt = 'DROP TABLE "order";\nCREATE TABLE "order" (a int);\n'
    assert sql_of(rebuilt + 'CREATE UNIQUE INDEX i ON "order" (a);') == []


def test_what_a_down_section_loses() -> None:
    section = Section(
        "DROP TABLE audit;\nALTER TABLE users DROP COLUMN nick;\nTRUNCATE logs;\n"
        "DELETE FROM events WHERE id > 3;\nCREATE TABLE keep (a int);",
        5,
    )
    assert losses(parse_section(section, "postgresql")) == [
        "table audit",
        "column users.nick",
        "rows of table logs",
        "some rows of table events",
    ]


def test_the_shipped_schema_is_a_draft_2020_12_schema() -> None:
    import json
    from importlib.resources import files

    import jsonschema

    text = (files("schemactl") / "schemas" / "plan.schema.json").read_text(encoding="utf-8")
    jsonschema.Draft202012Validator.check_schema(json.loads(text))
