"""A PostgreSQL primary and a streaming hot standby of its own, for the replica tests: both
initialised in temporary directories and started on free ports, the standby cloned from the
primary with `pg_basebackup -R`; stopped by their process ids."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.recipes.conftest import (
    PG_BIN,
    LatePostgres,
    as_postgres,
    free_port,
    start_postgres,
    stop_postgres,
)


class Standby:
    """A hot standby streaming from ``primary``: its data directory is a base backup of it."""

    def __init__(self, primary: LatePostgres) -> None:
        self.home = primary.home
        self.data = self.home / "standby"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        backup = [str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port)]
        backup += ["-U", "postgres", "-D", str(self.data), "-R", "-X", "stream"]
        backup += ["--checkpoint=fast", "--no-sync"]
        subprocess.run(
            backup,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            **as_postgres(),  # type: ignore[call-overload]
        )

    @property
    def log(self) -> Path:
        return self.home / "standby.log"

    @property
    def base_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = start_postgres(self.data, self.port, self.log)

    def stop(self) -> None:
        stop_postgres(self.process)


def ready(port: int, deadline: float = 30) -> None:
    """Until the server on ``port`` accepts connections (pg_isready)."""
    give_up = time.monotonic() + deadline
    while True:
        done = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)], check=False
        )
        if done.returncode == 0:
            return
        if time.monotonic() > give_up:
            pytest.fail(f"the PostgreSQL server on port {port} did not start")
        time.sleep(0.1)


class Pair:
    """A started primary and its started standby."""

    def __init__(self) -> None:
        self.primary = LatePostgres()
        self.standby: Standby | None = None
        try:
            self.primary.start()
            ready(self.primary.port)
            self.standby = Standby(self.primary)
            self.standby.start()
            ready(self.standby.port)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.standby is not None:
            self.standby.stop()
        home = self.primary.home
        self.primary.stop()  # (removes the home directory, the standby's data with it)
        shutil.rmtree(home, ignore_errors=True)


class ReadOnlyMariaDB:
    """A MariaDB server of its own started with ``--read-only``, as a replica is configured:
    root (with READ_ONLY ADMIN, in ALL PRIVILEGES) still writes; other users do not."""

    def __init__(self) -> None:
        install, server = shutil.which("mariadb-install-db"), shutil.which("mariadbd")
        if install is None or server is None:
            missing = "no MariaDB server programs (mariadb-install-db, mariadbd) on PATH"
            if os.environ.get("CI"):
                pytest.fail(missing)
            pytest.skip(missing)
        self.home = Path(tempfile.mkdtemp(prefix="schemactl_mariadb_"))
        self.home.chmod(0o777)
        self.port = free_port()
        user = ["--user=mysql"] if os.geteuid() == 0 else []
        datadir = f"--datadir={self.home / 'data'}"
        options = ["--auth-root-authentication-method=normal", "--skip-test-db", *user]
        subprocess.run(
            [install, "--no-defaults", datadir, *options],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        command = [server, "--no-defaults", datadir, f"--socket={self.home / 'sock'}"]
        command += [f"--port={self.port}", "--bind-address=127.0.0.1", "--read-only", *user]
        command += ["--skip-log-bin", "--innodb-buffer-pool-size=16M"]
        with open(self.home / "server.log", "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        give_up = time.monotonic() + 30
        while not _accepts(self.port):
            if self.process.poll() is not None or time.monotonic() > give_up:
                self.stop()
                pytest.fail(f"the MariaDB server did not start: see {self.home / 'server.log'}")
            time.sleep(0.1)

    def url(self, user: str, database: str) -> str:
        return f"mysql://{user}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: MariaDB's normal shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
