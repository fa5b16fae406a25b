"""A 3-node MariaDB Galera cluster on 127.0.0.1, started and stopped by the tests.

Each node has its own data directory (copies of one made by ``mariadb-install-db``) in a
temporary directory, its own SQL, group-communication and state-transfer ports. The first
node bootstraps the cluster (an empty ``gcomm://``); the others join it through that node and
take its state by rsync (as root, the servers run as ``mysql``: rsync's daemon would switch to
``nobody`` and could not write a root-owned data directory). Root has no password over TCP.
Starting takes about 14 s, stopping under one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
CLIENT = shutil.which("mariadb") or "/usr/bin/mariadb"
PROVIDERS = (
    "/usr/lib/galera/libgalera_smm.so",
    "/usr/lib/libgalera_smm.so",
    "/usr/lib64/galera-4/libgalera_smm.so",
    "/usr/lib/x86_64-linux-gnu/galera/libgalera_smm.so",
)
NODES = 3


def provider() -> str | None:
    """The Galera provider library, if installed."""
    return next((path for path in PROVIDERS if Path(path).exists()), None)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass(frozen=True)
class Cluster:
    ports: tuple[int, ...]  # the nodes' SQL ports

    def url(self, node: int, database: str) -> str:
        return f"mysql://root@127.0.0.1:{self.ports[node]}/{database}"

    def query(self, node: int, sql: str) -> str:
        """``sql`` run on one node by the mariadb client: its tab-separated output."""
        done = subprocess.run(
            [
                CLIENT,
                "--no-defaults",
                "-h127.0.0.1",
                f"-P{self.ports[node]}",
                "-uroot",
                "-N",
                "-B",
                "-e",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"node {node}: {done.stderr.strip()}")
        return done.stdout


class ClusterError(RuntimeError):
    """The cluster did not start (the nodes' logs are in the message)."""


def _start_node(
    home: Path,
    index: int,
    sql_port: int,
    gcomm_ports: list[int],
    sst_port: int,
    library: str,
    *,
    first: bool,
) -> subprocess.Popen[bytes]:
    datadir = home / f"node{index}"
    log = home / f"node{index}.log"
    command = [
        MARIADBD,
        "--no-defaults",
        f"--datadir={datadir}",
        f"--port={sql_port}",
        "--bind-address=127.0.0.1",
        f"--socket={home / f'node{index}.sock'}",
        f"--pid-file={home / f'node{index}.pid'}",
        f"--log-error={log}",
        "--skip-name-resolve",
        "--innodb-buffer-pool-size=16M",
        "--innodb-log-file-size=8M",
        "--performance-schema=OFF",
        "--wsrep-on=ON",
        f"--wsrep-provider={library}",
        # (the joiners find each other through the first node)
        "--wsrep-cluster-address=gcomm://" + ("" if first else f"127.0.0.1:{gcomm_ports[0]}"),
        f"--wsrep-node-address=127.0.0.1:{gcomm_ports[index]}",
        f"--wsrep-node-name=node{index}",
        f"--wsrep-provider-options=base_port={gcomm_ports[index]};gcache.size=16M;"
        "evs.inactive_check_period=PT0.5S",
        "--wsrep-sst-method=rsync",
        f"--wsrep-sst-receive-address=127.0.0.1:{sst_port}",
        "--binlog-format=ROW",
        "--default-storage-engine=InnoDB",
        "--innodb-autoinc-lock-mode=2",
    ]
    if os.geteuid() == 0:
        command.append("--user=mysql")
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(
    cluster: Cluster, processes: list[subprocess.Popen[bytes]], home: Path, size: int
) -> None:
    deadline = time.monotonic() + 90
    while True:
        with suppress(RuntimeError, subprocess.TimeoutExpired):
            sizes = [
                cluster.query(i, "SHOW STATUS LIKE 'wsrep_cluster_size'").split()[-1]
                + cluster.query(i, "SHOW STATUS LIKE 'wsrep_ready'").split()[-1]
                for i in range(size)
            ]
            if all(s == f"{NODES}ON" for s in sizes):
                return
        dead = [i for i, p in enumerate(processes) if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            logs = "\n".join(
                f"--- node{i}:\n" + (home / f"node{i}.log").read_text(errors="replace")[-1500:]
                for i in range(len(processes))
                if (home / f"node{i}.log").exists()
            )
            raise ClusterError(f"the Galera cluster did not form (dead: {dead})\n{logs}")
        time.sleep(0.2)


@contextmanager
def galera_cluster() -> Iterator[Cluster]:
    """Three nodes, bootstrapped and joined; stopped by pid at the end, whatever happened."""
    library = provider()
    if library is None:
        raise ClusterError("the Galera provider is not installed: apt-get install galera-4")
    home = Path(tempfile.mkdtemp(prefix="sct_galera_"))
    sql_ports = free_ports(NODES)
    gcomm_ports = free_ports(NODES)
    sst_ports = free_ports(NODES)
    cluster = Cluster(tuple(sql_ports))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        template = home / "template"
        subprocess.run(
            [INSTALL_DB, "--no-defaults", f"--datadir={template}"]
            + ["--auth-root-authentication-method=normal", "--skip-test-db"]
            + (["--user=root"] if os.geteuid() == 0 else []),
            capture_output=True,
            check=True,
            timeout=120,
        )
        for index in range(NODES):
            shutil.copytree(template, home / f"node{index}", symlinks=True)
        if os.geteuid() == 0:  # the servers and their state transfer (rsync) run as mysql
            home.chmod(0o755)
            for path in home.rglob("*"):
                shutil.chown(path, "mysql", "mysql")
            shutil.chown(home, "mysql", "mysql")
        processes.append(
            _start_node(home, 0, sql_ports[0], gcomm_ports, sst_ports[0], library, first=True)
        )
        _wait_one(cluster, processes, home)
        for index in range(1, NODES):
            processes.append(
                _start_node(
                    home,
                    index,
                    sql_ports[index],
                    gcomm_ports,
                    sst_ports[index],
                    library,
                    first=False,
                )
            )
        _wait(cluster, processes, home, NODES)
        yield cluster
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if not os.environ.get("SCT_KEEP_GALERA"):
            shutil.rmtree(home, ignore_errors=True)


def _wait_one(cluster: Cluster, processes: list[subprocess.Popen[bytes]], home: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        with suppress(RuntimeError, subprocess.TimeoutExpired):
            if cluster.query(0, "SHOW STATUS LIKE 'wsrep_ready'").split()[-1] == "ON":
                return
        if processes[0].poll() is not None or time.monotonic() > deadline:
            log = (home / "node0.log").read_text(errors="replace")[-2000:]
            raise ClusterError(f"the first Galera node did not start:\n{log}")
        time.sleep(0.1)
