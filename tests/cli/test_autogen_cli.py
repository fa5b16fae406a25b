"""`new --auto` and `check` as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def schemactl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SCHEMACTL"))}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "schemactl", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory with the blog models importable as `models` and `models_v2`."""
    shutil.copy(ROOT / "tests" / "models" / "blog_v1.py", tmp_path / "models.py")
    shutil.copy(ROOT / "tests" / "models" / "blog_v2.py", tmp_path / "models_v2.py")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schemactl]\nurl = "sqlite:app.db"\nmodels = "models"\n'
    )
    return tmp_path


def test_new_auto_then_check(project: Path) -> None:
    assert schemactl("create", cwd=project).returncode == 0
    check = schemactl("check", cwd=project)
    assert check.returncode == 1
    assert "+ table users" in check.stdout

    created = schemactl("new", "--auto", "initial", cwd=project)
    assert created.returncode == 0, created.stderr
    assert "+ table users" in created.stderr
    files = list((project / "migrations").iterdir())
    assert len(files) == 1
    assert files[0].name.endswith("_initial.sql")

    assert schemactl("up", cwd=project).returncode == 0
    clean = schemactl("check", cwd=project)
    assert clean.returncode == 0, clean.stdout
    assert "matches the models" in clean.stderr

    again = schemactl("new", "--auto", "again", cwd=project)
    assert again.returncode == 0
    assert "No differences" in again.stderr
    assert len(list((project / "migrations").iterdir())) == 1

    drift = schemactl("check", "--models", "models_v2", "--json", cwd=project)
    assert drift.returncode == 1
    report = json.loads(drift.stdout)
    assert report["clean"] is False
    kinds = {change["kind"] for change in report["changes"]}
    assert {"add_table", "drop_table", "drop_column"} <= kinds
    assert any(change["destructive"] for change in report["changes"])


def test_new_auto_dry_run_json(project: Path) -> None:
    assert schemactl("create", cwd=project).returncode == 0
    result = schemactl("new", "--auto", "--dry-run", "--json", "initial", cwd=project)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["path"] is None
    assert data["up_sql"].startswith("-- Auto-generated migration: initial\n")
    assert "CREATE TABLE users" in data["up_sql"]
    assert "DROP TABLE users" in data["down_sql"]
    assert not (project / "migrations").exists()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["new", "--auto", "x", "--models", "nowhere.models"], 3, "no module named 'nowhere'"),
        (["check", "--models", "models:Missing"], 3, "has no attribute 'Missing'"),
        (["new", "--auto", "x", "--url", "sqlite:missing.db"], 5, "does not exist"),
    ],
)
def test_bad_input_is_one_line(project: Path, args: list[str], code: int, message: str) -> None:
    assert schemactl("create", cwd=project).returncode == 0
    result = schemactl(*args, cwd=project)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
