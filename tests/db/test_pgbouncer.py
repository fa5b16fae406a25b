"""Behind a real PgBouncer in transaction mode: no session lock, no lasting prepared
statements; `?pgbouncer=true` switches to the lease lock and unnamed-cache statements."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MigrationsDir, drop_quietly, fresh_url, server

pytestmark = pytest.mark.own_server
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def pgbouncer() -> Iterator[int]:
    """A PgBouncer in transaction pooling mode in front of the local PostgreSQL."""
    if not Path(PGBOUNCER).exists():
        if os.environ.get("CI"):
            pytest.fail("pgbouncer is not installed (.ci/run installs the Debian package)")
        pytest.skip("pgbouncer is not installed: apt-get install pgbouncer")
    port = free_port()
    # Outside pytest's tmp_path: its parent is private to root, and PgBouncer runs as postgres.
    home = Path(tempfile.mkdtemp(prefix="sct_pgbouncer_"))
    (home / "userlist.txt").write_text('"postgres" ""\n')
    postgres = server("postgresql")
    (home / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={postgres.hostname} port={postgres.port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\n"
        f"auth_type = trust\nauth_file = {home / 'userlist.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 4\nmax_client_conn = 200\n"
        "unix_socket_dir =\nignore_startup_parameters = extra_float_digits\n"
        f"logfile = {home / 'pgbouncer.log'}\n"
    )
    for path in (home, *home.iterdir()):
        path.chmod(0o777 if path.is_dir() else 0o666)  # readable by the postgres user
    command = [PGBOUNCER, str(home / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "postgres"]  # PgBouncer refuses to run as root
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log = (
                        (home / "pgbouncer.log").read_text()
                        if (home / "pgbouncer.log").exists()
                        else ""
                    )
                    pytest.fail(f"pgbouncer did not start: {log[-500:]}")
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SCHEMACTL"))}
    return subprocess.run(
        [sys.executable, "-m", "schemactl", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("query", "options"),
    [("?pgbouncer=true", ()), ("", ("--lock-strategy", "table"))],
    ids=["url-flag", "lock-strategy-table"],
)
def test_concurrent_up_through_pgbouncer(
    pgbouncer: int,
    migrations: MigrationsDir,
    tmp_path: Path,
    query: str,
    options: tuple[str, ...],
) -> None:
    """Either way of saying a pooler is in between is pooler-safe from the first query."""
    direct = fresh_url("postgresql", tmp_path)
    name = direct.rsplit("/", 1)[1]
    bounced = f"postgresql://postgres@127.0.0.1:{pgbouncer}/{name}{query}"
    migrations.add("01", "runs", "CREATE TABLE runs (version VARCHAR(10));", "DROP TABLE runs;")
    for i in range(2, 9):
        migrations.add(
            f"{i:02d}",
            f"t{i}",
            f"CREATE TABLE t{i} (id INTEGER);\nINSERT INTO runs (version) VALUES ('{i}');",
            f"DROP TABLE t{i};",
        )
    try:
        assert run("create", "--url", direct, cwd=tmp_path).returncode == 0
        command = [sys.executable, "-m", "schemactl", "up", "--json", "--url", bounced, *options]
        processes = [
            subprocess.Popen(
                [*command, "-d", str(migrations)],
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        outputs = [p.communicate(timeout=120) for p in processes]
        for process, (_, stderr) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, stderr
        applied = sorted(m["version"] for out, _ in outputs for m in json.loads(out)["applied"])
        assert applied == [f"{i:02d}" for i in range(1, 9)]  # each exactly once

        status = run("status", "--json", "--url", bounced, "-d", str(migrations), cwd=tmp_path)
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["pending"] == 0
        check = subprocess.run(
            ["psql", "-h", str(server("postgresql").hostname), "-p", str(server("postgresql").port),
             "-U", str(server("postgresql").username), "-d", name, "-Atc",
             "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM schema_migrations_lock)"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert check.stdout.strip() == "7|0"  # one row per migration; the lease released

        back = run(
            "rollback", "--to", "0", "--url", bounced, "-d", str(migrations), *options, cwd=tmp_path
        )
        assert back.returncode == 0, back.stderr
    finally:
        drop_quietly(direct)


def test_without_saying_so_the_error_says_what_to_add(
    pgbouncer: int, migrations: MigrationsDir, tmp_path: Path
) -> None:
    """asyncpg names its prepared statements per connection; PgBouncer in transaction mode
    hands a server connection that holds another client's names to the next client (LIFO):
    the second run meets "prepared statement ... already exists". Said in one line, with the
    fix."""
    direct = fresh_url("postgresql", tmp_path)
    name = direct.rsplit("/", 1)[1]
    bounced = f"postgresql://postgres@127.0.0.1:{pgbouncer}/{name}"
    migrations.add("01", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    try:
        assert run("create", "--url", direct, cwd=tmp_path).returncode == 0
        runs = [run("status", "--url", bounced, "-d", str(migrations), cwd=tmp_path)]
        runs.append(run("status", "--url", bounced, "-d", str(migrations), cwd=tmp_path))
        failed = [r for r in runs if r.returncode != 0]
        assert failed, [r.stderr for r in runs]  # the names did meet
        for result in failed:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1, result.stderr
            assert "prepared statement" in lines[0]
            assert lines[0].endswith(
                "(a pooler in transaction mode, such as PgBouncer, is in between: add "
                "?pgbouncer=true to the URL)"
            ), lines[0]
    finally:
        drop_quietly(direct)


def test_a_search_path_the_pooler_does_not_pass_on_is_one_line(
    pgbouncer: int, migrations: MigrationsDir, tmp_path: Path
) -> None:
    """A tenant's search_path is a start-up parameter; a PgBouncer that does not pass it on
    (before 1.20, or without track_extra_parameters) refuses the connection: one line that
    says what to set, and nothing lands in another schema."""
    direct = fresh_url("postgresql", tmp_path)
    name = direct.rsplit("/", 1)[1]
    bounced = f"postgresql://postgres@127.0.0.1:{pgbouncer}/{name}?pgbouncer=true"
    migrations.add("01", "t", "CREATE TABLE t (id INTEGER);", "DROP TABLE t;")
    try:
        assert run("create", "--url", direct, cwd=tmp_path).returncode == 0
        done = run("up", "--url", bounced, "--schemas", "acme", "-d", str(migrations), cwd=tmp_path)
        assert done.returncode == 5, done.stderr
        assert "search_path" in done.stdout
        assert "track_extra_parameters" in done.stdout
    finally:
        run("drop", "--url", direct, cwd=tmp_path)
