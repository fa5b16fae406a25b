"""What the recipes' tests share: free ports, a PostgreSQL cluster of their own that starts
when a test says so, and the repository's examples directory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PG_BIN = Path(os.environ.get("SCHEMACTL_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_postgres() -> dict[str, str]:
    """PostgreSQL refuses to run as root: as root, its programs run as the postgres user."""
    return {"user": "postgres"} if os.geteuid() == 0 else {}


def require_postgres_programs() -> None:
    """The PostgreSQL server programs this machine must have for a cluster of a test's own:
    missing, the test fails in CI and is skipped elsewhere (a developer's machine)."""
    if not (PG_BIN / "initdb").exists():
        missing = f"no PostgreSQL server programs in {PG_BIN} (SCHEMACTL_TEST_PG_BIN)"
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)


def initdb(data: Path, *options: str) -> None:
    """A new cluster in ``data`` (superuser postgres), with initdb's ``options``."""
    command = [str(PG_BIN / "initdb"), "-U", "postgres", "--no-sync", *options, "-D", str(data)]
    subprocess.run(
        command,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **as_postgres(),  # type: ignore[call-overload]
    )


def start_postgres(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """The server of the cluster in ``data`` on 127.0.0.1:``port`` (its socket beside
    ``data``), writing to ``log``; running when this returns, not yet ready."""
    command = [str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port)]
    command += ["-k", str(data.parent), "-c", "listen_addresses=127.0.0.1", "-F"]
    with open(log, "wb") as output:
        process: subprocess.Popen[bytes] = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            **as_postgres(),  # type: ignore[call-overload]
        )
    return process


def stop_postgres(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a server by its process: a fast shutdown (SIGINT), killed after 20 s."""
    if process is not None and process.poll() is None:
        process.send_signal(2)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class LatePostgres:
    """A throwaway PostgreSQL cluster on a free port: initialised at once, started only when
    ``start`` is called (a database server that comes up after the application)."""

    def __init__(self) -> None:
        require_postgres_programs()
        # outside pytest's tmp_path: its parents are private to root, the server is postgres
        self.home = Path(tempfile.mkdtemp(prefix="schemactl_pg_"))
        self.home.chmod(0o777)
        self.data = self.home / "data"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        initdb(self.data, "-A", "trust")

    @property
    def base_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = start_postgres(self.data, self.port, self.home / "postgres.log")

    def stop(self) -> None:
        stop_postgres(self.process)
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture
def late_postgres() -> Iterator[LatePostgres]:
    cluster = LatePostgres()
    try:
        yield cluster
    finally:
        cluster.stop()
