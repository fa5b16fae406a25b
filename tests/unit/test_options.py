"""Options are validated once, where they enter, before anything connects."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import schemactl
from schemactl._options import Options

pytestmark = pytest.mark.anyio


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A URL whose server accepts TCP and never answers: connecting would hang (30 s)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    try:
        yield f"postgres://app@127.0.0.1:{port}/app"
    finally:
        listener.close()


BAD_OPTIONS: list[tuple[dict[str, Any], str]] = [
    ({"lock_strategy": "advisory"}, "lock strategy must be auto, session or table"),
    ({"lock_retries": -1}, "lock retries must be 0 or more"),
    ({"lock_timeout": -1}, "lock timeout must be zero or more"),
    ({"ddl_lock_timeout": 0}, "ddl lock timeout must be more than 0"),
    ({"statement_timeout": -2}, "statement timeout must be more than 0"),
    ({"migrations_table": ""}, "the migrations table needs a name"),
    ({"migrations_dir": []}, "at least one migrations directory"),
    ({"wait_timeout": -1}, "timeout must be zero or more"),
    ({"migrations_table": "m" * 55}, "is too long for postgresql: schemactl keeps"),
    ({"migrations_table": "app." + "é" * 28}, "use a name of at most 54 bytes"),
    ({"lock_timeout": float("nan")}, "lock timeout must be zero or more seconds, not nan"),
    ({"lock_timeout": float("inf")}, "lock timeout must be zero or more seconds, not inf"),
    ({"ddl_lock_timeout": float("nan")}, "ddl lock timeout must be more than 0 seconds, not nan"),
    ({"statement_timeout": float("inf")}, "statement timeout must be more than 0 seconds, not inf"),
    ({"wait_timeout": float("nan")}, "timeout must be zero or more seconds, not nan"),
]


@pytest.mark.parametrize(("options", "message"), BAD_OPTIONS)
async def test_bad_option_fails_at_once_with_an_unreachable_url(
    silent_server: str, options: dict[str, Any], message: str
) -> None:
    for call in (schemactl.up, schemactl.migrate):
        started = time.monotonic()
        with pytest.raises(schemactl.ConfigurationError, match=message) as caught:
            await call(silent_server, **options)
        assert time.monotonic() - started < 0.5
        assert caught.value.exit_code == 3


async def test_bad_rollback_and_statement_timeout_fail_before_connecting(
    silent_server: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    with pytest.raises(schemactl.ConfigurationError, match="steps must be 1 or more"):
        await schemactl.rollback(silent_server, steps=0)
    with pytest.raises(schemactl.ConfigurationError, match="lock strategy"):
        await schemactl.rollback(silent_server, lock_strategy="lease")
    with pytest.raises(schemactl.ConfigurationError, match="sqlite has no statement timeout"):
        await schemactl.up(f"sqlite:{tmp_path / 'app.db'}", statement_timeout=1)
    assert not (tmp_path / "app.db").exists()
    with pytest.raises(schemactl.ConfigurationError, match="lock retries"):
        schemactl.Migrator(silent_server, lock_retries=-3)
    assert time.monotonic() - started < 0.5


async def test_a_tracking_table_name_the_server_would_cut_is_refused(
    silent_server: str, tmp_path: Path
) -> None:
    mysql = silent_server.replace("postgres://", "mysql://")
    with pytest.raises(schemactl.ConfigurationError, match="too long for mysql"):
        await schemactl.status(mysql, migrations_table="m" * 56, migrations_dir=str(tmp_path))
    sqlite = f"sqlite:{tmp_path / 'app.db'}"  # SQLite has no limit
    result = await schemactl.up(sqlite, migrations_table="m" * 200, migrations_dir=str(tmp_path))
    assert result.applied == ()


def test_options_are_frozen_and_typed() -> None:
    options = Options.build(migrations_dir=["a", Path("b")], lock_strategy="table")
    assert options.migrations_dirs == (Path("a"), Path("b"))
    assert options.lock_strategy == "table"
    with pytest.raises(AttributeError):
        options.lock_timeout = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (["--lock-strategy", "advisory"], "lock strategy must be auto, session or table"),
        (["--ddl-lock-timeout", "0"], "ddl lock timeout must be more than 0"),
        (["--lock-timeout", "-1"], "lock timeout must be zero or more"),
        (["--lock-timeout", "inf"], "lock timeout must be zero or more seconds, not inf"),
        (["--statement-timeout", "nan"], "statement timeout must be more than 0 seconds, not nan"),
    ],
)
def test_cli_bad_option_exits_3_at_once(
    silent_server: str, tmp_path: Path, flag: list[str], message: str
) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "schemactl", "up", "--url", silent_server, *flag],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=30,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 3, result.stderr
    assert result.stderr.strip().splitlines() == [f"error: {result.stderr.strip()[7:]}"]
    assert message in result.stderr
    assert elapsed < 5  # the interpreter's start-up included; the 30 s connect never began
