"""examples/kubernetes: the manifests parse, every schemactl command they run is a real
command with valid options, and those commands, run locally in the order Kubernetes runs them,
migrate a real database: the app's `wait --migrated` starts first and waits for the Job's `up`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer.core
import typer.main
import yaml

from schemactl import cli  # noqa: F401  (registers the commands on app)
from schemactl._cli_app import app
from tests.conftest import drop_quietly, fresh_url
from tests.recipes.conftest import EXAMPLES

MANIFESTS = EXAMPLES / "kubernetes"
MIGRATIONS = EXAMPLES / "fastapi" / "migrations"  # the app's image holds the FastAPI example


def documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        with path.open() as file:
            docs.extend(doc for doc in yaml.safe_load_all(file) if doc)
    return docs


def named(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


def pod_spec(kind: str) -> dict[str, Any]:
    (workload,) = named(kind).values()
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def schemactl_containers() -> dict[str, dict[str, Any]]:
    """The containers that run schemactl, by the role Kubernetes gives them."""
    job, deployment = pod_spec("Job"), pod_spec("Deployment")
    (migrate,) = job["containers"]
    (wait,) = deployment["initContainers"]
    return {"job": migrate, "init": wait}


def environment(container: dict[str, Any]) -> dict[str, str]:
    """The variables a container gets from the ConfigMaps and Secrets it names (each must be
    one of the manifests)."""
    config_maps, secrets = named("ConfigMap"), named("Secret")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_maps[source["configMapRef"]["name"]]["data"])
        else:
            env.update(secrets[source["secretRef"]["name"]]["stringData"])
    for item in container.get("env", []):
        env[item["name"]] = item["value"]
    return env


def test_the_manifests_are_what_kubernetes_expects() -> None:
    kinds = sorted(d["kind"] for d in documents())
    assert kinds == ["ConfigMap", "Deployment", "Job", "Secret"]
    for doc in documents():
        assert doc["apiVersion"] in ("v1", "apps/v1", "batch/v1")
        assert doc["metadata"]["name"]
    assert pod_spec("Job")["restartPolicy"] in ("Never", "OnFailure")  # a Job's pods must end
    (deployment,) = named("Deployment").values()
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    for container in (*pod_spec("Job")["containers"], *pod_spec("Deployment")["containers"]):
        environment(container)  # every ConfigMap and Secret it names is defined
    for container in schemactl_containers().values():
        assert "DATABASE_URL" in environment(container)
        assert "SCHEMACTL_MIGRATIONS_DIR" in environment(container)


@pytest.mark.parametrize("role", ["job", "init"])
def test_each_command_is_a_schemactl_command_with_valid_options(role: str) -> None:
    program, name, *args = schemactl_containers()[role]["command"]
    assert program == "schemactl"
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    command = group.commands[name]
    # Click parses and converts every option as it would run, without running the command
    context = command.make_context(name, list(args))
    assert context.params
    with pytest.raises(Exception, match="No such option") as caught:  # (the check can fail)
        command.make_context(name, [*args, "--no-such-option"])
    assert getattr(caught.value, "exit_code", None) == 2  # Click's UsageError


def start(container: dict[str, Any], url: str, cwd: Path) -> subprocess.Popen[str]:
    """The container's command, run here with its environment (the database and the
    migrations directory replaced by the test's)."""
    env = {**os.environ, **environment(container)}
    env.update(DATABASE_URL=url, SCHEMACTL_MIGRATIONS_DIR=str(MIGRATIONS))
    _, *args = container["command"]
    return subprocess.Popen(
        [sys.executable, "-m", "schemactl", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_app_waits_for_the_job_then_starts(tmp_path: Path) -> None:
    """A fresh release on a fresh database: the pods' init container starts first (nothing
    exists yet) and keeps waiting; the Job's `up` creates and migrates the database; the
    init container then exits 0 and the app's pods would start."""
    containers = schemactl_containers()
    url = fresh_url("postgresql", tmp_path)
    try:
        init = start(containers["init"], url, tmp_path)
        time.sleep(2)
        assert init.poll() is None, init.communicate()  # still waiting: no database yet
        job = start(containers["job"], url, tmp_path)
        _, err = job.communicate(timeout=60)
        assert job.returncode == 0, err
        assert "Applied 2 migrations" in err
        job_done = time.monotonic()
        _, err = init.communicate(timeout=10)
        assert init.returncode == 0, err
        assert time.monotonic() - job_done < 3  # noticed within its poll interval
        assert "Database is migrated" in err
        command = ["status", "--exit-code", "-u", url, "-d", str(MIGRATIONS)]
        status = subprocess.run(
            [sys.executable, "-m", "schemactl", *command],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert status.returncode == 0, status.stdout + status.stderr
    finally:
        drop_quietly(url)
