"""On a real 3-node MariaDB Galera cluster (started by the tests): GET_LOCK holds on one node
only, so schemactl takes the lease lock there; concurrent runs on different nodes each exit 0,
each migration is applied once, and every node agrees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemactl.dialects import Failure
from schemactl.dialects._base import Profile
from schemactl.dialects.mysql import MySQL
from tests.db.galera import Cluster, galera_cluster, provider

pytestmark = pytest.mark.own_server
MIGRATIONS = 10


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if provider() is None:
        if os.environ.get("CI"):
            pytest.fail("galera-4 is not installed (.ci/run installs the Debian package)")
        pytest.skip("the Galera provider is not installed: apt-get install galera-4")
    with galera_cluster() as started:
        yield started


def write_migrations(directory: Path) -> Path:
    """Ten migrations: CREATE TABLE, ALTER TABLE (DDL, replicated in total order) and INSERT
    (DML, certified) in turn."""
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(MIGRATIONS):
        table = f"t{index - index % 3}"
        up, down = [
            (f"CREATE TABLE {table} (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20));",
             f"DROP TABLE {table};"),
            (f"ALTER TABLE {table} ADD COLUMN c{index} INT NOT NULL DEFAULT 0;",
             f"ALTER TABLE {table} DROP COLUMN c{index};"),
            (f"INSERT INTO {table} (v) VALUES ('a{index}'), ('b{index}');",
             f"DELETE FROM {table} WHERE v IN ('a{index}', 'b{index}');"),
        ][index % 3]  # fmt: skip
        path = directory / f"2026010100{index:04d}_m{index}.sql"
        path.write_text(f"-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n")
    return directory


def schemactl(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "schemactl", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


def up_everywhere(
    cluster: Cluster, database: str, migrations: Path, runs: int
) -> list[dict[str, Any]]:
    """``runs`` concurrent `up --json`, spread over the nodes; their documents."""
    processes = [
        schemactl(
            "up",
            "--json",
            "--no-dump-schema",
            "-u",
            cluster.url(k % 3, database),
            "-d",
            str(migrations),
            cwd=migrations.parent,
        )
        for k in range(runs)
    ]
    documents: list[dict[str, Any]] = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        documents.append(json.loads(out))
    return documents


def node_state(cluster: Cluster, node: int, database: str) -> tuple[str, str, str]:
    """What one node holds: the tracking rows, the columns, the data."""
    return (
        cluster.query(
            node, f"SELECT version, checksum FROM {database}.schema_migrations ORDER BY version"
        ),
        cluster.query(
            node,
            "SELECT table_name, column_name, column_type FROM information_schema.columns "
            f"WHERE table_schema = '{database}' ORDER BY table_name, ordinal_position",
        ),
        cluster.query(
            node,
            f"SELECT 't0', v FROM {database}.t0 UNION ALL "
            f"SELECT 't3', v FROM {database}.t3 ORDER BY 1, 2",
        ),
    )


def test_six_runs_on_three_nodes_apply_each_migration_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    database = "sct_galera_six"
    migrations = write_migrations(tmp_path / "migrations")
    documents = up_everywhere(cluster, database, migrations, runs=6)

    applied = Counter(m["version"] for d in documents for m in d["applied"])
    assert sorted(applied) == sorted(p.name[:14] for p in migrations.iterdir())
    assert set(applied.values()) == {1}, applied  # each applied by exactly one run
    states = [node_state(cluster, node, database) for node in range(3)]
    assert states[0][0].count("\n") == MIGRATIONS
    assert "c1" in states[0][1]
    assert "c4" in states[0][1]
    assert states[0][2].count("\n") == 4  # the INSERTs ran once: two rows each, not four
    assert states[1] == states[0]
    assert states[2] == states[0]
    # no failure marks left behind by a run that lost a race
    for node in range(3):
        tables = cluster.query(node, f"SHOW TABLES FROM {database}").split()
        assert "schema_migrations_failures" not in tables

    # a second `up` everywhere is a no-op
    again = up_everywhere(cluster, database, migrations, runs=3)
    assert [d["applied"] for d in again] == [[], [], []]
    assert [node_state(cluster, node, database) for node in range(3)] == states


def test_status_agrees_on_every_node(cluster: Cluster, tmp_path: Path) -> None:
    database = "sct_galera_status"
    migrations = write_migrations(tmp_path / "migrations")
    up_everywhere(cluster, database, migrations, runs=3)
    (migrations / "20260101009999_later.sql").write_text("-- migrate:up\nSELECT 1;\n")
    answers: list[dict[str, Any]] = []
    for node in range(3):
        process = schemactl(
            "status", "--json", "-u", cluster.url(node, database), "-d", str(migrations),
            cwd=tmp_path,
        )  # fmt: skip
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        answers.append(json.loads(out))
    assert answers[1] == answers[0]
    assert answers[2] == answers[0]
    assert answers[0]["pending"] == 1
    assert answers[0]["applied"] == MIGRATIONS


def test_a_session_lock_is_refused_on_a_cluster(cluster: Cluster, tmp_path: Path) -> None:
    migrations = write_migrations(tmp_path / "migrations")
    process = schemactl(
        "up", "--lock-strategy", "session", "-u", cluster.url(1, "sct_galera_session"),
        "-d", str(migrations), cwd=tmp_path,
    )  # fmt: skip
    _, err = process.communicate(timeout=60)
    assert process.returncode == 3
    assert err.strip().splitlines() == [
        "Created database sct_galera_session",
        "error: --lock-strategy session cannot lock a Galera cluster: a session lock holds "
        "on one node only (use auto or table)",
    ]


def test_a_lost_certification_is_a_conflict() -> None:
    """Error 1213 (a deadlock, or "WSREP detected deadlock/conflict") means: someone else won."""
    import pymysql
    from sqlalchemy.engine import make_url

    dialect = MySQL(Profile(make_url("mysql+aiomysql://root@127.0.0.1/x")))
    error = pymysql.err.OperationalError(1213, "WSREP detected deadlock/conflict")
    assert dialect.classify(error) is Failure.CONFLICT
    assert Failure.CONFLICT.statement
