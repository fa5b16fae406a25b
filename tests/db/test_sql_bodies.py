"""Real routine bodies, quoted semicolons and comments reach each server intact."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._urls import to_sqlalchemy_url
from tests.conftest import MigrationsDir

pytestmark = pytest.mark.anyio

BODIES = {
    "postgresql": (
        """
CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL); -- a ; in a comment
/* a block comment; with /* nesting; */ still a comment */
CREATE FUNCTION add_note(t text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE new_id integer;
BEGIN
    INSERT INTO notes (body) VALUES (t || ';') RETURNING id INTO new_id;
    RETURN new_id;
END;
$$;
CREATE FUNCTION twice(x integer) RETURNS integer LANGUAGE sql
BEGIN ATOMIC
    SELECT CASE WHEN x > 0 THEN x * 2 ELSE 0 END;
END;
DO $body$ BEGIN PERFORM add_note('it''s; done'); END $body$;
INSERT INTO notes (body) VALUES (E'back\\'slash;'), ('two;semi;colons');
""",
        "DROP FUNCTION twice(integer);\nDROP FUNCTION add_note(text);\nDROP TABLE notes;",
        "SELECT count(*), max(twice(3)) FROM notes",
    ),
    "mysql": (
        """
CREATE TABLE notes (id INTEGER AUTO_INCREMENT PRIMARY KEY, body TEXT NOT NULL); # hash ; comment
CREATE PROCEDURE add_notes(IN n INT)
BEGIN
    DECLARE i INT DEFAULT 0;
    WHILE i < n DO
        IF (i % 2 = 0) THEN
            INSERT INTO notes (body) VALUES ('even;');
        ELSE
            INSERT INTO notes (body) VALUES ('odd;');
        END IF;
        SET i = i + 1;
    END WHILE;
END;
CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC
BEGIN
    RETURN CASE WHEN x > 0 THEN x * 2 ELSE 0 END;
END;
CALL add_notes(3);
INSERT INTO notes (body) VALUES ('it\\'s; fine'), (`body` = 'x');
""",
        "DROP FUNCTION twice;\nDROP PROCEDURE add_notes;\nDROP TABLE notes;",
        "SELECT count(*), max(twice(3)) FROM notes",
    ),
    "sqlite": (
        """
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, [semi;colon] TEXT);
CREATE TABLE audit (note_id INTEGER, kind TEXT);
CREATE TRIGGER notes_audit AFTER INSERT ON notes
BEGIN
    INSERT INTO audit (note_id, kind) VALUES (NEW.id, CASE WHEN NEW.body LIKE '%;%'
        THEN 'semi' ELSE 'plain' END);
    INSERT INTO audit (note_id, kind) VALUES (NEW.id, 'second; statement');
END;
INSERT INTO notes (body) VALUES ('a;b'), ('it''s');
""",
        "DROP TRIGGER notes_audit;\nDROP TABLE audit;\nDROP TABLE notes;",
        "SELECT (SELECT count(*) FROM notes), (SELECT count(*) FROM audit)",
    ),
}
EXPECTED = {"postgresql": (3, 6), "mysql": (5, 6), "sqlite": (2, 4)}


async def test_bodies_apply_and_roll_back(
    db_url: str, dialect: str, migrations: MigrationsDir
) -> None:
    up, down, check = BODIES[dialect]
    migrations.add("1", "bodies", up, down)
    result = await schemactl.up(db_url, migrations_dir=str(migrations))
    assert len(result.applied) == 1
    engine = create_async_engine(to_sqlalchemy_url(db_url))
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text(check))).one()
        assert tuple(row) == EXPECTED[dialect]
    finally:
        await engine.dispose()
    back = await schemactl.rollback(db_url, migrations_dir=str(migrations))
    assert len(back.rolled_back) == 1
    assert (await schemactl.up(db_url, migrations_dir=str(migrations))).applied  # re-applies


async def test_error_line_inside_a_long_file(db_url: str, migrations: MigrationsDir) -> None:
    """The line reported is the failing statement's line in the file, not in the section."""
    up = "\n".join(f"CREATE TABLE t{i} (id INTEGER);" for i in range(20))
    up += "\n-- a comment with a ; in it\nINSERT INTO missing_table VALUES (1);\n"
    path = migrations.add("1", "long", "\n\n" + up, "SELECT 1;")
    with pytest.raises(schemactl.MigrationFailedError) as caught:
        await schemactl.up(db_url, migrations_dir=str(migrations))
    expected_line = path.read_text().splitlines().index("INSERT INTO missing_table VALUES (1);") + 1
    assert caught.value.line == expected_line
    assert str(caught.value).startswith(f"{path}:{expected_line}: ")
