"""examples/agent_loop.py end to end on SQLite: generate with `new --auto --json`, read
`plan --json`, a person approves the digest (on stdin), `up --plan-digest` applies it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.test_cli import clean_env, sqlite_tables

SCRIPT = Path(__file__).parents[2] / "examples" / "agent_loop.py"
MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(200), nullable=False),
)
"""


def agent_loop(cwd: Path, answer: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--url", "sqlite:app.db", "--models", "models", "add_users"],
        cwd=cwd,
        env=clean_env(),
        input=answer,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_approved_plan_is_applied(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODELS, encoding="utf-8")
    (tmp_path / "migrations").mkdir()
    subprocess.run(
        [sys.executable, "-m", "schemactl", "create", "--url", "sqlite:app.db"],
        cwd=tmp_path,
        env=clean_env(),
        check=True,
        capture_output=True,
    )
    declined = agent_loop(tmp_path, "no\n")
    assert declined.returncode == 1, declined
    assert "Not approved: nothing applied" in declined.stdout, declined
    assert "users" not in sqlite_tables(tmp_path / "app.db"), declined
    written = list((tmp_path / "migrations").glob("*_add_users.sql"))
    assert len(written) == 1, declined
    assert "Decision: " in declined.stdout, declined
    assert "CREATE TABLE users" in declined.stdout, declined

    # the declined file is pending, so the next run generates nothing: remove it
    written[0].unlink()
    done = agent_loop(tmp_path, "yes\n")
    assert done.returncode == 0, done
    assert "digest: sha256:" in done.stdout, done
    assert "Applied " in done.stdout, done
    assert "users" in sqlite_tables(tmp_path / "app.db"), done

    again = agent_loop(tmp_path, "")
    assert again.returncode == 0, again
    assert "nothing to migrate" in again.stdout, again


def test_an_error_is_the_commands_message_and_exit_code(tmp_path: Path) -> None:
    """No models configured: `new --auto` fails with exit 3; the script says why and exits 3."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--url", "sqlite:app.db", "add_users"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, done
    assert done.stderr.startswith("error: schemactl new: no models"), done
