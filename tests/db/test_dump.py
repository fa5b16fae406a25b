"""`dump` then `load`: on each database, with the client binary (pg_dump, mariadb-dump,
sqlite3) and without it (the built-in dump, forced or because PATH lacks the client), the
loaded database has the same schema as the original, as the database's own dump tool writes
it, and `status` sees it up to date. Two dumps of one database are the same bytes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

import schemactl
from tests.conftest import MigrationsDir, fresh_url, server

pytestmark = pytest.mark.anyio

SCHEMAS = {
    "postgresql": """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SEQUENCE order_no_seq START 1000;
CREATE TABLE users (
  id serial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  mood mood DEFAULT 'ok',
  score numeric(10,2) DEFAULT 0 CHECK (score >= 0)
);
CREATE TABLE posts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id int NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title varchar(200) NOT NULL,
  order_no int DEFAULT nextval('order_no_seq')
);
CREATE INDEX posts_title_lower ON posts (lower(title));
CREATE VIEW user_posts AS SELECT u.email, p.title FROM users u JOIN posts p ON p.user_id = u.id;
CREATE FUNCTION post_count(uid int) RETURNS bigint LANGUAGE sql
  AS $$ SELECT count(*) FROM posts WHERE user_id = uid $$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN NEW.title := trim(NEW.title); RETURN NEW; END $$;
CREATE TRIGGER posts_touch BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION touch();
INSERT INTO users (email) VALUES ('a@example.com');
""",
    "mysql": """
CREATE SEQUENCE order_no_seq START WITH 1000;
CREATE TABLE users (
  id int AUTO_INCREMENT PRIMARY KEY,
  email varchar(200) NOT NULL UNIQUE,
  mood enum('sad','ok','happy') DEFAULT 'ok',
  score decimal(10,2) DEFAULT 0 CHECK (score >= 0)
);
CREATE TABLE posts (
  id bigint AUTO_INCREMENT PRIMARY KEY,
  user_id int NOT NULL,
  title varchar(200) NOT NULL,
  CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  INDEX posts_title (title)
);
CREATE VIEW user_posts AS SELECT u.email, p.title FROM users u JOIN posts p ON p.user_id = u.id;
CREATE FUNCTION post_count(uid int) RETURNS bigint READS SQL DATA
  RETURN (SELECT count(*) FROM posts WHERE user_id = uid);
CREATE TRIGGER posts_touch BEFORE INSERT ON posts FOR EACH ROW
BEGIN
  SET NEW.title = TRIM(NEW.title);
END;
INSERT INTO users (email) VALUES ('a@example.com');
""",
    "sqlite": """
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  score NUMERIC DEFAULT 0 CHECK (score >= 0)
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), title TEXT NOT NULL
);
CREATE INDEX posts_title_lower ON posts (lower(title));
CREATE VIEW user_posts AS SELECT u.email, p.title FROM users u JOIN posts p ON p.user_id = u.id;
CREATE TRIGGER posts_touch AFTER INSERT ON posts
BEGIN UPDATE posts SET title = trim(title) WHERE id = NEW.id; END;
INSERT INTO users (email) VALUES ('a@example.com');
""",
}
CLIENTS = {"postgresql": "pg_dump", "mysql": "mariadb-dump", "sqlite": "sqlite3"}


def write_migrations(migrations: MigrationsDir, dialect: str) -> None:
    migrations.add("20240101000000", "schema", SCHEMAS[dialect], "-- schemactl: no-op")
    migrations.add(
        "20240102000000",
        "tags",
        "CREATE TABLE tags (name VARCHAR(50) PRIMARY KEY);",
        "DROP TABLE tags;",
    )


def reference_dump(url: str) -> str:
    """The database's schema as its own dump tool writes it, without what differs between two
    databases of one schema: pg_dump's random restrict key, MySQL's counters. (SQLite's
    `.schema` lists objects in creation order: compared as a sorted list of statements.)"""
    if url.startswith("sqlite:"):
        done = subprocess.run(
            ["sqlite3", url.removeprefix("sqlite:"), ".schema"],
            capture_output=True,
            text=True,
            check=True,
        )
        statements = re.split(r";\n(?=CREATE )", done.stdout.strip())
        shell_comment = r"\n/\* .* \*/;?$"  # the shell's note of a view's columns
        return "\n".join(sorted(re.sub(shell_comment, "", s).rstrip(";") for s in statements))
    dialect = "postgresql" if url.startswith("postgresql") else "mysql"
    base, database = server(dialect), url.rsplit("/", 1)[1]
    if dialect == "postgresql":
        command = ["pg_dump", "--schema-only", "-h", str(base.hostname), "-p", str(base.port)]
        command += ["-U", str(base.username), database]
    else:
        command = ["mariadb-dump", "--no-data", "--routines", "--triggers", "--skip-dump-date"]
        command += ["-h", str(base.hostname), "-P", str(base.port), "-u", str(base.username)]
        command += [database]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    text = re.sub(r"(?m)^\\(?:un)?restrict .*$", "", text)
    text = re.sub(r" AUTO_INCREMENT=\d+", "", text)
    text = re.sub(r"(?m)^DO SETVAL\(.*$", "", text)
    return text.replace(database, "DATABASE")


def cli_without_clients(*args: str) -> subprocess.CompletedProcess[str]:
    """schemactl as a user runs it, in an image with no client binary on PATH."""
    empty = Path(os.environ.get("TMPDIR", "/tmp")) / "schemactl-no-clients"
    empty.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEMACTL_")}
    env["PATH"] = str(empty)
    return subprocess.run(
        [sys.executable, "-m", "schemactl", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("path", ["client", "builtin"])
async def test_dump_then_load_gives_the_same_schema_and_status_up_to_date(
    dialect: str, db_url: str, migrations: MigrationsDir, tmp_path: Path, path: str
) -> None:
    write_migrations(migrations, dialect)
    await schemactl.up(db_url, migrations_dir=str(migrations))
    schema_file = tmp_path / "db" / "schema.sql"
    copy = fresh_url(dialect, tmp_path)
    try:
        if path == "client":
            dumped = await schemactl.dump(db_url, schema_file=schema_file)
            assert dumped.tool == CLIENTS[dialect]
            loaded = await schemactl.load(copy, schema_file=schema_file)
            assert loaded.created
        else:  # the CLI with no client binary on PATH
            done = cli_without_clients("dump", "--url", db_url, "--schema-file", str(schema_file))
            assert done.returncode == 0, done.stderr
            assert "built-in dump" in done.stderr
            done = cli_without_clients(
                "load", "--url", copy, "--schema-file", str(schema_file), "--json"
            )
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["versions"] == ["20240101000000", "20240102000000"]
        assert reference_dump(copy) == reference_dump(db_url)
        status = await schemactl.status(copy, migrations_dir=str(migrations))
        assert not status.pending
        assert [m.checksum_ok for m in status.applied] == [True, True]
        text = schema_file.read_text()
        assert "-- Dbmate schema migrations" in text
        assert "'20240102000000'" in text.split("-- Dbmate schema migrations")[1]
    finally:
        await schemactl.drop(copy)


@pytest.mark.parametrize("builtin", [False, True])
async def test_two_dumps_of_one_database_are_byte_identical(
    dialect: str, db_url: str, migrations: MigrationsDir, tmp_path: Path, builtin: bool
) -> None:
    write_migrations(migrations, dialect)
    await schemactl.up(db_url, migrations_dir=str(migrations))
    first = await schemactl.dump(db_url, schema_file=tmp_path / "a.sql", builtin=builtin)
    await schemactl.up(db_url, migrations_dir=str(migrations))  # a no-op in between
    second = await schemactl.dump(db_url, schema_file=tmp_path / "b.sql", builtin=builtin)
    again = await schemactl.dump(db_url, schema_file=tmp_path / "b.sql", builtin=builtin)
    assert (tmp_path / "a.sql").read_bytes() == (tmp_path / "b.sql").read_bytes()
    assert (first.changed, second.changed, again.changed) == (True, True, False)
    assert (first.tool == "builtin") is builtin
    text = (tmp_path / "a.sql").read_text()
    assert not re.search(r"Dumped|Server version|AUTO_INCREMENT=|\\restrict|DEFINER=", text)


async def test_load_refuses_a_database_with_tables(
    dialect: str, db_url: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    write_migrations(migrations, dialect)
    await schemactl.up(db_url, migrations_dir=str(migrations))
    await schemactl.dump(db_url, schema_file=tmp_path / "schema.sql")
    with pytest.raises(
        schemactl.StateError, match=r"already has tables \(.*posts.*\): load needs an empty"
    ):
        await schemactl.load(db_url, schema_file=tmp_path / "schema.sql")


async def test_a_failing_statement_is_named_by_line_and_nothing_is_loaded(
    dialect: str, db_url: str, tmp_path: Path
) -> None:
    schema_file = tmp_path / "schema.sql"
    schema_file.write_text("CREATE TABLE a (id INTEGER);\n\nCREATE TABLE a (id INTEGER);\n")
    with pytest.raises(schemactl.StatementError, match=r"schema\.sql:3: .*\((.*)\)$") as caught:
        await schemactl.load(db_url, schema_file=schema_file)
    if dialect == "mysql":  # its DDL commits as it goes: it says so
        assert "1 statement(s) before it stay applied" in str(caught.value)
    else:
        assert "nothing was loaded" in str(caught.value)
        schema_file.write_text("CREATE TABLE b (id INTEGER);\n")
        assert (await schemactl.load(db_url, schema_file=schema_file)).versions == ()


def test_dump_schema_writes_after_a_change_and_never_after_none(tmp_path: Path) -> None:
    migrations = MigrationsDir(tmp_path / "migrations")
    write_migrations(migrations, "sqlite")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schemactl]\nurl = "sqlite:app.db"\ndump_schema = true\nschema_file = "db/s.sql"\n'
    )
    schema_file = tmp_path / "db" / "s.sql"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEMACTL_")}
        return subprocess.run(
            [sys.executable, "-m", "schemactl", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=True,
        )

    assert "Wrote db/s.sql" in cli("up").stderr
    schema_file.unlink()
    done = cli("up", "--json")  # nothing to apply: nothing written
    assert "schema_dump" not in json.loads(done.stdout)
    assert not schema_file.exists()
    done = cli("rollback", "--json")
    assert json.loads(done.stdout)["schema_dump"]["versions"] == ["20240101000000"]
    assert "'20240102000000'" not in schema_file.read_text()
    cli("up", "--no-dump-schema")
    assert "'20240102000000'" not in schema_file.read_text()


def test_the_api_runs_in_an_event_loop_it_does_not_own(tmp_path: Path) -> None:
    """`dump` and `load` are coroutines like the others: no loop of their own."""
    url = f"sqlite:{tmp_path / 'a.db'}"
    (tmp_path / "s.sql").write_text("CREATE TABLE t (id INTEGER PRIMARY KEY);\n")

    async def both() -> tuple[schemactl.LoadResult, schemactl.DumpResult]:
        loaded = await schemactl.load(url, schema_file=tmp_path / "s.sql")
        return loaded, await schemactl.dump(url, schema_file=tmp_path / "d.sql", builtin=True)

    loaded, dumped = anyio.run(both)
    assert loaded.warnings
    assert "records no applied migration" in loaded.warnings[0]
    assert (tmp_path / "d.sql").read_text() == "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"
    assert dumped.versions == ()
