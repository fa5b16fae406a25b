"""DS109: a table rebuild (CREATE new, copy, DROP old, RENAME) loses the old table's
triggers unless the migration creates them again; offline, the triggers are known from the
earlier migration files, online from the catalog, on each database."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemactl.lint.parse import LintDialect
from tests.lint.online import Step, check_online
from tests.unit.lint_offline import findings, rules

TABLE = "CREATE TABLE users (id integer PRIMARY KEY, name varchar(50), touched integer);\n"
TRIGGER = {
    "sqlite": "CREATE TRIGGER users_touch AFTER UPDATE OF name ON users "
    "BEGIN UPDATE users SET touched = 1 WHERE id = NEW.id; END;\n",
    "postgresql": "CREATE TRIGGER users_touch BEFORE UPDATE ON users "
    "FOR EACH ROW EXECUTE FUNCTION touch();\n",
    "mysql": "CREATE TRIGGER users_touch BEFORE UPDATE ON users "
    "FOR EACH ROW SET NEW.touched = 1;\n",
}
PG_FUNCTION = (
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN NEW.touched := 1; RETURN NEW; END $$;\n"
)
REBUILD = (
    "CREATE TABLE users_new (id integer PRIMARY KEY, name varchar(80), touched integer);\n"
    "INSERT INTO users_new (id, name, touched) SELECT id, name, touched FROM users;\n"
    "DROP TABLE users;\n"
    "ALTER TABLE users_new RENAME TO users;\n"
)
DIALECTS: list[LintDialect] = ["sqlite", "postgresql", "mysql"]


def setup(dialect: LintDialect) -> str:
    return (PG_FUNCTION if dialect == "postgresql" else "") + TABLE + TRIGGER[dialect]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_offline(dialect: LintDialect, tmp_path: Path) -> None:
    lost = findings(tmp_path / "lost", dialect, setup(dialect), REBUILD)
    assert [f.message for f in lost if f.rule == "DS109"] == [
        "rebuilds users without creating its trigger users_touch again: DROP TABLE drops it "
        "with the table"
    ]
    kept = REBUILD + TRIGGER[dialect]
    assert "DS109" not in rules(tmp_path / "kept", dialect, setup(dialect), kept)
    on_purpose = "DROP TRIGGER users_touch" + (" ON users" if dialect == "postgresql" else "")
    dropped_first = f"{on_purpose};\n{REBUILD}"
    assert "DS109" not in rules(tmp_path / "dropped", dialect, setup(dialect), dropped_first)
    assert "DS109" not in rules(tmp_path / "none", dialect, TABLE, REBUILD)
    # triggers go with their table when it is renamed
    renamed = setup(dialect) + "ALTER TABLE users RENAME TO people;\n"
    people = REBUILD.replace("users", "people")
    assert [f.message for f in findings(tmp_path / "renamed", dialect, renamed, people)
            if f.rule == "DS109"] == [
        "rebuilds people without creating its trigger users_touch again: DROP TABLE drops it "
        "with the table"
    ]  # fmt: skip


@pytest.mark.anyio
@pytest.mark.parametrize("dialect", DIALECTS)
async def test_online(dialect: LintDialect, tmp_path: Path) -> None:
    """The triggers read from the live catalog; the safe rebuild then applies there."""
    await check_online(
        dialect,
        tmp_path,
        "DS109",
        [Step(setup(dialect))],
        Step(REBUILD),
        Step(REBUILD + TRIGGER[dialect]),
    )
