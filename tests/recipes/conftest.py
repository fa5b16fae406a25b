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


class LatePostgres:
    """A throwaway PostgreSQL cluster on a free port: initialised at once, started only when
    ``start`` is called (a database server that comes up after the application)."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            missing = f"no PostgreSQL server programs in {PG_BIN} (SCHEMACTL_TEST_PG_BIN)"
            if os.environ.get("CI"):
                pytest.fail(missing)
            pytest.skip(missing)
        # outside pytest's tmp_path: its parents are private to root, the server is postgres
        self.home = Path(tempfile.mkdtemp(prefix="schemactl_pg_"))
        self.home.chmod(0o777)
        self.data = self.home / "data"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        initdb = [str(PG_BIN / "initdb"), "-A", "trust", "-U", "postgres", "--no-sync"]
        subprocess.run(
            [*initdb, "-D", str(self.data)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            **as_postgres(),  # type: ignore[call-overload]
        )

    @property
    def base_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port)]
        command += ["-k", str(self.home), "-c", "listen_addresses=127.0.0.1", "-F"]
        log = open(self.home / "postgres.log", "wb")  # noqa: SIM115  (the server's, closed with it)
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            **as_postgres(),  # type: ignore[call-overload]
        )
        log.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(2)  # SIGINT: PostgreSQL's fast shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture
def late_postgres() -> Iterator[LatePostgres]:
    cluster = LatePostgres()
    try:
        yield cluster
    finally:
        cluster.stop()
