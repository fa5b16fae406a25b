"""The progress bar of `up`, `migrate` and `rollback`: drawn on a terminal (a pseudo-terminal
here, from the `pty` module), and nothing of it when stderr is not a terminal, with --json or
with --quiet."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import ANSI, clean_env
from tests.conftest import MigrationsDir

MIGRATIONS = 5
LOG_LINE = re.compile(
    r"(Applying|Rolling back) \d_t\d\.sql|(Applied|Rolled back) \d_t\d\.sql in \d+ ms"
)


@pytest.fixture
def five(migrations: MigrationsDir) -> MigrationsDir:
    for n in range(1, MIGRATIONS + 1):
        migrations.add(str(n), f"t{n}", f"CREATE TABLE t{n} (id INTEGER);", f"DROP TABLE t{n};")
    return migrations


def on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run schemactl with stderr on a pseudo-terminal: (exit code, stdout, what the terminal
    received)."""
    controller, terminal = pty.openpty()
    env = clean_env(no_color=False, TERM="xterm-256color", COLUMNS="120")
    process = subprocess.Popen(
        [sys.executable, "-m", "schemactl", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
    )
    os.close(terminal)
    received = b""
    try:
        while True:  # read as it comes: a full terminal buffer would block the program
            ready, _, _ = select.select([controller], [], [], 30)
            if not ready:
                pytest.fail(f"no output and no exit within 30 s: {received!r}")
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the program closed its end
                break
            if not chunk:
                break
            received += chunk
        assert process.stdout is not None
        out = process.stdout.read().decode()
        code = process.wait(timeout=30)
    finally:
        os.close(controller)
        if process.stdout is not None:
            process.stdout.close()
        if process.poll() is None:
            process.kill()
            process.wait()
    return code, out, received.decode(errors="replace")


def piped(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = clean_env(no_color=False, TERM="xterm-256color")
    return subprocess.run(
        [sys.executable, "-m", "schemactl", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bar_on_a_terminal_for_up_and_rollback(five: MigrationsDir, tmp_path: Path) -> None:
    options = ["-u", f"sqlite:{tmp_path / 'app.db'}", "-d", str(five)]
    code, _, shown = on_a_terminal(["up", *options], tmp_path)
    assert code == 0, shown
    assert f"{MIGRATIONS}/{MIGRATIONS}" in shown  # Rich's M of N column
    assert "━" in shown  # the bar itself
    assert ANSI in shown  # drawn, then erased (transient)
    assert "Applying 1_t1.sql" in shown  # the log lines still print, above the bar
    assert "Applied 5 migrations" in shown

    code, _, shown = on_a_terminal(["rollback", "--to", "0", *options], tmp_path)
    assert code == 0, shown
    assert "Rolling back" in shown
    assert f"{MIGRATIONS}/{MIGRATIONS}" in shown
    assert "Rolled back 5 migrations" in shown


def test_nothing_extra_when_stderr_is_not_a_terminal(five: MigrationsDir, tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    options = ["-u", f"sqlite:{database}", "-d", str(five)]
    for args, expected in (
        (["up", *options], [f"Created database {database}", "Applied 5 migrations"]),
        (["rollback", "--to", "0", *options], ["Rolled back 5 migrations"]),
    ):
        result = piped(args, tmp_path)
        assert result.returncode == 0, result.stderr
        lines = result.stderr.splitlines()
        # each migration's two log lines, the run's own lines, nothing else
        logged = [line for line in lines if LOG_LINE.fullmatch(line)]
        assert len(logged) == 2 * MIGRATIONS
        assert [line for line in lines if line not in logged] == expected
        assert ANSI not in result.stderr


def test_no_bar_on_a_terminal_with_json_or_quiet(five: MigrationsDir, tmp_path: Path) -> None:
    options = ["-u", f"sqlite:{tmp_path / 'app.db'}", "-d", str(five)]
    code, out, shown = on_a_terminal(["up", "--json", *options], tmp_path)
    assert code == 0, shown
    assert '"applied"' in out
    assert f"{MIGRATIONS}/{MIGRATIONS}" not in shown
    assert "━" not in shown
    code, out, shown = on_a_terminal(["rollback", "--to", "0", "--quiet", *options], tmp_path)
    assert code == 0, shown
    assert (out, shown) == ("", "")  # nothing at all: no bar, no log lines, no summary
