"""A password made for each new connection, on servers that check passwords: a PostgreSQL
cluster the tests start with ``scram-sha-256`` (the shared server trusts every local
connection), and a MariaDB user of the tests' own. The role's password is rotated while a run
is under way, as cloud IAM tokens expire; no password may appear in any output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from tests.conftest import MYSQL_BASE, MigrationsDir
from tests.recipes.conftest import (
    free_port,
    initdb,
    require_postgres_programs,
    start_postgres,
    stop_postgres,
)

SCRIPT = Path(sys.executable).parent / "schemactl"
ADMIN_PASSWORD = "Adm1n-Zq7"


class ScramPostgres:
    """A PostgreSQL cluster of the test's own that checks passwords (scram-sha-256), with a
    role ``app`` whose password the test rotates."""

    def __init__(self) -> None:
        require_postgres_programs()
        # outside pytest's tmp_path: its parents are private to root, the server is postgres
        self.home = Path(tempfile.mkdtemp(prefix="hpw_pg_"))
        self.home.chmod(0o777)
        self.port = free_port()
        pwfile = self.home / "pwfile"
        pwfile.write_text(ADMIN_PASSWORD + "\n")
        pwfile.chmod(0o644)
        initdb(self.home / "data", "--auth=scram-sha-256", f"--pwfile={pwfile}")
        self.process = start_postgres(self.home / "data", self.port, self.home / "postgres.log")
        self.admin_url = f"postgresql://postgres:{ADMIN_PASSWORD}@127.0.0.1:{self.port}/postgres"

    def app_url(self, database: str) -> str:
        return f"postgresql://app@127.0.0.1:{self.port}/{database}"

    async def sql(self, statement: str) -> None:
        engine = create_async_engine(
            self.admin_url.replace("postgresql://", "postgresql+asyncpg://")
        )
        try:
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(statement))
        finally:
            await engine.dispose()

    def stop(self) -> None:
        stop_postgres(self.process)
        subprocess.run(["rm", "-rf", str(self.home)], check=False)


@pytest.fixture(scope="module")  # one server for the module: each test its own databases
def scram_postgres() -> Iterator[ScramPostgres]:
    cluster = ScramPostgres()
    try:

        async def ready() -> None:
            await schemactl.wait(cluster.admin_url, timeout=30)
            await cluster.sql("CREATE ROLE app LOGIN CREATEDB PASSWORD 'first-Pw0'")

        anyio.run(ready)
        yield cluster
    finally:
        cluster.stop()


class Rotation:
    """A token service: each call rotates the role's password (the old one stops working) and
    writes the new one to a file, which is what a connection then gets."""

    def __init__(self, path: Path, alter: str, run_sql: Callable[[str], Awaitable[None]]) -> None:
        self.path = path
        self.alter = alter  # ALTER ROLE/USER ... with {password}
        self.run_sql = run_sql
        self.issued: list[str] = []

    async def __call__(self) -> str:
        password = f"Tok{len(self.issued)}-{uuid.uuid4().hex[:10]}"
        await self.run_sql(self.alter.format(password=password))
        self.path.write_text(password + "\n")
        self.issued.append(password)
        return self.path.read_text().strip()


def add_migrations(migrations: MigrationsDir, first: int, count: int) -> None:
    for number in range(first, first + count):
        version = f"2026010112{number:04d}"
        migrations.add(version, f"t{number}", f"CREATE TABLE t{number} (id int);", "")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        timeout=120,
    )


def shown(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


@pytest.mark.own_server
@pytest.mark.anyio
async def test_a_coroutine_password_rotated_between_connections_of_one_up(
    scram_postgres: ScramPostgres, migrations: MigrationsDir, tmp_path: Path
) -> None:
    """`up` on a missing database connects three times (the database is missing, the
    maintenance connection creates it, the run): each connection gets a password minted for
    it, and the one before it no longer works."""
    add_migrations(migrations, 1, 3)
    url = scram_postgres.app_url("hpw_app")
    with pytest.raises(schemactl.DatabaseConnectionError, match="password authentication"):
        await schemactl.status(url, migrations_dir=str(migrations))  # the server checks
    rotation = Rotation(
        tmp_path / "token", "ALTER ROLE app PASSWORD '{password}'", scram_postgres.sql
    )

    result = await schemactl.up(url, migrations_dir=str(migrations), password=rotation)

    assert [m.version for m in result.applied] == [f"2026010112{n:04d}" for n in (1, 2, 3)]
    assert len(set(rotation.issued)) == 3  # three connections, three passwords
    stale = url.replace("app@", f"app:{rotation.issued[0]}@")
    with pytest.raises(schemactl.DatabaseConnectionError) as refused:
        await schemactl.status(stale, migrations_dir=str(migrations))
    assert "password authentication failed" in str(refused.value)
    assert rotation.issued[0] not in str(refused.value)
    # a plain function and a fixed str work too
    latest = rotation.issued[-1]
    status = await schemactl.status(url, migrations_dir=str(migrations), password=lambda: latest)
    assert not status.pending
    waited = await schemactl.wait(url, password=latest, timeout=5)
    assert waited.attempts == 1


@pytest.mark.own_server
def test_password_command_rotated_between_runs_never_shown(
    scram_postgres: ScramPostgres, migrations: MigrationsDir, tmp_path: Path
) -> None:
    """`--password-command "cat FILE"`: create, then up; the role's password and the file
    change; up again (the command from SCHEMACTL_PASSWORD_COMMAND) with --verbose and --json.
    A stale file is one line naming the authentication failure; a failing command is one line
    with its exit status; no password or command output appears anywhere."""
    token = tmp_path / "token"
    rotation = Rotation(token, "ALTER ROLE app PASSWORD '{password}'", scram_postgres.sql)
    anyio.run(rotation)
    url = scram_postgres.app_url("hpw_cli")
    command = f"cat {token}"
    add_migrations(migrations, 1, 2)
    base = ("--url", url, "--migrations-dir", str(migrations))

    outputs = [cli("create", "--url", url, "--password-command", command)]
    assert outputs[-1].returncode == 0, shown(outputs[-1])
    outputs.append(cli("up", *base, "--password-command", command))
    assert outputs[-1].returncode == 0, shown(outputs[-1])

    anyio.run(rotation)  # between runs: the first password dies
    add_migrations(migrations, 3, 2)
    env = {"SCHEMACTL_PASSWORD_COMMAND": command}
    outputs.append(cli("up", *base, "--verbose", env=env))
    assert outputs[-1].returncode == 0, shown(outputs[-1])
    outputs.append(cli("status", *base, "--json", env=env))
    assert outputs[-1].returncode == 0, shown(outputs[-1])
    document = json.loads(outputs[-1].stdout)
    assert (document["applied"], document["pending"]) == (4, 0)
    outputs.append(cli("wait", "--url", url, "--migrated", "-d", str(migrations), env=env))
    assert outputs[-1].returncode == 0, shown(outputs[-1])

    # the server rotated, the file did not: a failing login, one line, exit 5
    anyio.run(scram_postgres.sql, "ALTER ROLE app PASSWORD 'unseen-Pw9'")
    stale = cli("status", *base, "--password-command", command)
    assert stale.returncode == 5
    assert stale.stderr.startswith("error: cannot connect to ")
    assert stale.stderr.count("\n") == 1
    assert 'password authentication failed for user "app"' in stale.stderr
    verbose = cli("status", *base, "--verbose", "--password-command", command)
    assert verbose.returncode == 5
    assert "Traceback" in verbose.stderr  # everything --verbose shows, passwords hidden
    outputs += [stale, verbose]

    leaky = "echo leaked-Secret-42; echo to-stderr >&2; exit 3"
    failing = cli("status", *base, "--password-command", leaky)
    assert failing.returncode == 5
    assert "the password command failed with exit status 3" in failing.stderr
    assert "to-stderr" in failing.stderr  # the tool's own words reach the user
    assert "leaked-Secret-42" not in shown(failing)
    assert "Traceback" not in shown(failing)

    anyio.run(rotation)
    schema = tmp_path / "schema.sql"
    dump = ("dump", "--url", url, "--schema-file", str(schema), "--password-command", command)
    outputs.append(cli(*dump, "--json"))  # pg_dump when on PATH: it gets the password too
    assert outputs[-1].returncode == 0, shown(outputs[-1])
    assert "CREATE TABLE public.t4" in schema.read_text()
    assert json.loads(outputs[-1].stdout)["tool"] == "pg_dump"
    outputs.append(cli("drop", "--url", url, "--password-command", command))  # maintenance
    assert outputs[-1].returncode == 0, shown(outputs[-1])
    assert "Dropped the database" in outputs[-1].stderr

    for output in outputs:
        for password in rotation.issued:
            assert password not in shown(output)
            assert password.split("-")[1] not in shown(output)


@pytest.mark.own_server
def test_password_command_for_a_fleet(
    scram_postgres: ScramPostgres, migrations: MigrationsDir, tmp_path: Path
) -> None:
    """`--url-file` with `--password-command`: every database of the fleet connects with the
    command's password."""
    token = tmp_path / "token"
    rotation = Rotation(token, "ALTER ROLE app PASSWORD '{password}'", scram_postgres.sql)
    anyio.run(rotation)
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(scram_postgres.app_url(f"hpw_fleet{n}") + "\n" for n in range(3)))
    add_migrations(migrations, 1, 2)
    result = cli(
        "up",
        "--url-file",
        str(urls),
        "--migrations-dir",
        str(migrations),
        "--password-command",
        f"cat {token}",
        "--json",
    )
    assert result.returncode == 0, shown(result)
    document = json.loads(result.stdout)
    assert (document["ok"], document["failed"]) == (3, 0)
    for password in rotation.issued:
        assert password not in shown(result)


@pytest.mark.own_server
def test_password_command_for_new_auto_lint_and_verify(
    scram_postgres: ScramPostgres, tmp_path: Path
) -> None:
    """`new --auto`, `lint --url` (and `--url-file`) and `verify` connect with the command's
    password, the role's password rotated before each; without the command the server
    refuses. `verify`'s throwaway database (made by the role) gets it too."""
    token = tmp_path / "token"
    rotation = Rotation(token, "ALTER ROLE app PASSWORD '{password}'", scram_postgres.sql)
    url = scram_postgres.app_url("hlf_pw")
    command = ("--password-command", f"cat {token}")
    models = str(Path(__file__).parents[1] / "models" / "accounts_v1.py")
    migrations = tmp_path / "migrations"
    base = ("--url", url, "--migrations-dir", str(migrations))
    outputs = []

    def step(*args: str, code: int = 0, env: dict[str, str] | None = None) -> Any:
        anyio.run(rotation)  # the password before this one no longer works
        outputs.append(cli(*args, env=env))
        assert outputs[-1].returncode == code, shown(outputs[-1])
        return json.loads(outputs[-1].stdout) if "--json" in args else None

    step("create", "--url", url, *command)
    written = step("new", "--auto", "accounts", "--models", models, *base, *command, "--json")
    assert written["path"]
    assert "CREATE TABLE users" in written["up_sql"]
    env = {"SCHEMACTL_PASSWORD_COMMAND": command[1]}  # the environment's form
    linted = step("lint", *base, "--json", env=env)
    assert linted["database"].endswith("/hlf_pw")
    assert [m["version"] for m in linted["migrations"]] == [Path(written["path"]).name[:14]]
    urls = tmp_path / "urls.txt"
    urls.write_text(url + "\n")
    fleet = step("lint", "--url-file", str(urls), "-d", str(migrations), *command, "--json")
    assert (fleet["ok"], fleet["failed"]) == (1, 0)
    verified = step("verify", *base, *command, "--json")
    assert "/hlf_pw_verify_" in verified["database"]  # the throwaway one, made and dropped
    assert [m["ok"] for m in verified["migrations"]] == [True]
    step("lint", *base, code=5)  # no command: the server checks
    assert 'password authentication failed for user "app"' in outputs[-1].stderr
    step("drop", "--url", url, *command)

    for output in outputs:
        for password in rotation.issued:
            assert password not in shown(output)


@pytest.mark.anyio
async def test_an_engine_of_the_host_takes_no_password() -> None:
    engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1/hpw_none")
    try:
        with pytest.raises(schemactl.ConfigurationError, match="AsyncEngine authenticates"):
            await schemactl.status(engine, password="x")
    finally:
        await engine.dispose()


@pytest.fixture
def mysql_user() -> Iterator[str]:
    user = f"hpw_{uuid.uuid4().hex[:8]}"

    async def setup() -> None:
        await mysql_admin(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'first-Pw0'")
        await mysql_admin(f"GRANT ALL ON `{user}\\_%`.* TO '{user}'@'%'")

    anyio.run(setup)
    try:
        yield user
    finally:
        anyio.run(mysql_admin, f"DROP USER IF EXISTS '{user}'@'%'")


async def mysql_admin(statement: str) -> None:
    """One statement as the test server's administrator (root)."""
    engine = create_async_engine(MYSQL_BASE.replace("mysql://", "mysql+aiomysql://"))
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_mariadb_password_rotated_between_connections(
    mysql_user: str, migrations: MigrationsDir, tmp_path: Path
) -> None:
    """aiomysql honours the password set in do_connect: create the database with one token,
    migrate with the next, the first one then refused."""

    add_migrations(migrations, 1, 2)
    host = MYSQL_BASE.split("@", 1)[1]
    url = f"mysql://{mysql_user}@{host}/{mysql_user}_db"
    rotation = Rotation(
        tmp_path / "token",
        f"ALTER USER '{mysql_user}'@'%' IDENTIFIED BY '{{password}}'",
        mysql_admin,
    )
    try:
        result = await schemactl.up(url, migrations_dir=str(migrations), password=rotation)
        assert len(result.applied) == 2
        assert len(set(rotation.issued)) == len(rotation.issued)
        assert len(rotation.issued) >= 2
        stale = url.replace(f"{mysql_user}@", f"{mysql_user}:{rotation.issued[0]}@")
        with pytest.raises(schemactl.DatabaseConnectionError, match="Access denied") as refused:
            await schemactl.status(stale, migrations_dir=str(migrations))
        assert rotation.issued[0] not in str(refused.value)
    finally:
        await mysql_admin(f"DROP DATABASE IF EXISTS `{mysql_user}_db`")
