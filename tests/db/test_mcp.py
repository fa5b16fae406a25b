"""`schemactl mcp`, driven by the `mcp` package's own client over stdio, as an agent's host
(Claude Desktop, an IDE) drives it: the server is `python -m schemactl mcp` in a subprocess,
its database URL in its environment, on SQLite, PostgreSQL and MariaDB.

An agent's loop end to end: status, lint, check, new (dry run, then written), verify, plan;
apply refused without a digest and with a stale one (nothing applied either time), applied
with the digest of the current plan. Errors are tool errors carrying the CLI's
``{"error": {"code", "kind", ...}}``; no password reaches a tool's output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult

import schemactl
from tests.conftest import MigrationsDir, fresh_url

pytestmark = pytest.mark.anyio

SECRET = "Sup3rS3cret"
TOOLS = {"status", "plan", "lint", "check", "new", "verify", "apply"}
MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True))
sa.Table("u", metadata, sa.Column("id", sa.Integer, primary_key=True))
"""


class Agent:
    """A client session with the server: each call's document, or its error document."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session
        self.texts: list[str] = []  # every tool output, to look for passwords in

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """The document of a call that succeeded."""
        result = await self._call(tool, arguments)
        assert not result.is_error, _text(result)
        return _document(result)

    async def error(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """The ``error`` of a call that failed: a tool error whose text and structured
        content are the same ``{"error": {...}}`` document."""
        result = await self._call(tool, arguments)
        assert result.is_error, _text(result)
        document = _document(result)
        assert set(document) == {"error"}, document
        error = document["error"]
        assert {"code", "kind", "type", "message"} <= set(error), error
        return dict(error)

    async def _call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        result = await self.session.call_tool(tool, arguments)
        self.texts.append(_text(result))
        return result


def _text(result: CallToolResult) -> str:
    assert len(result.content) == 1, result
    block = result.content[0]
    assert block.type == "text", result
    return str(block.text)


def _document(result: CallToolResult) -> dict[str, Any]:
    document = json.loads(_text(result))
    assert isinstance(document, dict), result
    assert result.structured_content == document, result
    return document


@asynccontextmanager
async def serving(
    cwd: Path, url: str | None, *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[Agent]:
    environment = {"PYTHONPATH": os.pathsep.join(sys.path), **(env or {})}
    if url is not None:
        environment["DATABASE_URL"] = url
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "schemactl", "mcp", *args],
        env=environment,
        cwd=cwd,
    )
    with (cwd / "server.log").open("w") as log:  # the server's stderr: its log lines
        async with (
            stdio_client(params, errlog=log) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield Agent(session)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project: one migration (table t) and models with t and u."""
    root = tmp_path / "project"
    MigrationsDir(root / "migrations").add(
        "20240101000000", "t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;"
    )
    (root / "models.py").write_text(MODELS, encoding="utf-8")
    return root


async def pending_versions(url: str, root: Path) -> list[str]:
    status = await schemactl.status(url, migrations_dir=str(root / "migrations"))
    return [m.version for m in status.pending]


async def test_tools_and_their_descriptions(project: Path) -> None:
    """Every tool is listed with a description and typed parameters an LLM can use; apply's
    parameter says it is required; the reading tools are marked read-only."""
    async with serving(project, "sqlite:app.db") as agent:
        listed = {tool.name: tool for tool in (await agent.session.list_tools()).tools}
    assert set(listed) == TOOLS
    for tool in listed.values():
        assert len(tool.description or "") > 60, tool
        for name, field in tool.input_schema.get("properties", {}).items():
            assert field.get("description"), (tool.name, name)
    digest = listed["apply"].input_schema["properties"]["plan_digest"]
    assert digest["description"].startswith("Required: the digest"), digest
    assert listed["new"].input_schema["required"] == ["name"]
    for name in ("status", "plan", "lint", "check"):
        annotations = listed[name].annotations
        assert annotations is not None, name
        assert annotations.read_only_hint is True, name
    apply = listed["apply"].annotations
    assert apply is not None
    assert apply.destructive_hint is True


async def test_read_only_server_offers_no_apply_and_writes_no_file(project: Path) -> None:
    async with serving(project, "sqlite:app.db", "--read-only") as agent:
        listed = {tool.name for tool in (await agent.session.list_tools()).tools}
        error = await agent.error("new", name="empty", auto=False, dry_run=False)
    assert listed == TOOLS - {"apply"}
    assert (error["code"], error["kind"]) == (2, "usage"), error
    assert "read-only" in error["message"], error
    assert sorted(p.name for p in (project / "migrations").iterdir()) == ["20240101000000_t.sql"]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
async def test_an_agent_proposes_and_a_person_approves(
    dialect: str, project: Path, tmp_path: Path
) -> None:
    url = fresh_url(dialect, tmp_path)
    try:
        await _workflow(url, project)
    finally:
        await schemactl.drop(url)


async def _workflow(url: str, root: Path) -> None:
    async with serving(root, url, "--models", "models") as agent:
        # the database does not exist yet: a connection error, as the CLI's exit 5
        missing = await agent.error("status")
        assert (missing["code"], missing["kind"]) == (5, "connection"), missing
        await schemactl.create(url)

        status = await agent.call("status")
        assert (status["pending"], status["applied"]) == (1, 0), status
        lint = await agent.call("lint")
        assert lint["format"] == "schemactl.lint/1", lint
        assert [m["file"] for m in lint["migrations"]] == ["migrations/20240101000000_t.sql"], lint

        # a plan, and apply refused without its digest: nothing applied
        plan = await agent.call("plan")
        assert plan["format"] == "schemactl.plan/1", plan
        assert [m["version"] for m in plan["migrations"]] == ["20240101000000"], plan
        refused = await agent.error("apply")
        assert (refused["code"], refused["kind"], refused["type"]) == (
            2,
            "usage",
            "ApprovalRequired",
        ), refused
        assert "call `plan`" in refused["message"], refused
        assert "person" in refused["message"], refused
        malformed = await agent.error("apply", plan_digest="approved")
        assert (malformed["code"], malformed["kind"]) == (3, "configuration"), malformed
        assert "sha256:" in malformed["message"], malformed
        assert await pending_versions(url, root) == ["20240101000000"]

        # the approved digest applies the plan
        applied = await agent.call("apply", plan_digest=plan["digest"])
        assert [m["version"] for m in applied["applied"]] == ["20240101000000"], applied
        assert await pending_versions(url, root) == []

        # the models have table u the database lacks: check, then new (dry run, then written)
        check = await agent.call("check")
        assert check["clean"] is False, check
        assert check["changes"], check
        proposal = await agent.call("new", name="add u")
        assert proposal["path"] is None, proposal
        assert "CREATE TABLE u" in proposal["up_sql"], proposal
        assert len(list((root / "migrations").iterdir())) == 1  # a dry run writes nothing
        written = await agent.call("new", name="add u", dry_run=False)
        assert re.fullmatch(r"migrations/\d{14}_add_u\.sql", written["path"]), written
        new_version = Path(written["path"]).name.split("_")[0]
        verify = await agent.call("verify")
        assert (verify["format"], verify["ok"]) == ("schemactl.verify/1", True), verify

        # approved, then the file changes: the old digest is refused, nothing applied
        approved = (await agent.call("plan"))["digest"]
        path = root / written["path"]
        path.write_text(path.read_text() + "\n-- changed after approval\n", encoding="utf-8")
        stale = await agent.error("apply", plan_digest=approved)
        assert (stale["code"], stale["kind"]) == (8, "state"), stale
        assert Path(written["path"]).name in stale["message"], stale
        assert await pending_versions(url, root) == [new_version]

        current = await agent.call("plan")
        assert current["digest"] != approved, current
        await agent.call("apply", plan_digest=current["digest"])
        assert await pending_versions(url, root) == []
        assert (await agent.call("check"))["clean"] is True


async def test_no_password_in_any_tool_output(project: Path, tmp_path: Path) -> None:
    """The URL's password (trust auth ignores it) appears in no result and no error."""
    plain = fresh_url("postgresql", tmp_path)
    url = plain.replace("postgres@", f"postgres:{SECRET}@", 1)
    assert SECRET in url
    try:
        async with serving(project, url, "--models", "models") as agent:
            await agent.error("status")  # no database yet
            await agent.error("apply")
            await schemactl.create(url)
            await agent.call("status")
            await agent.call("lint")
            plan = await agent.call("plan")
            await agent.call("apply", plan_digest=plan["digest"])
            await agent.call("check")
            await agent.call("new", name="add u")
            await agent.call("verify")
        assert len(agent.texts) == 9
        for text in agent.texts:
            assert SECRET not in text, text
    finally:
        await schemactl.drop(plain)


def test_no_url_is_one_line_before_serving(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "schemactl", "mcp"],
        cwd=project,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done
    assert done.stdout == "", done
    assert done.stderr.startswith("error: no database URL"), done
    assert len(done.stderr.splitlines()) == 1, done


def test_without_the_mcp_package(project: Path) -> None:
    """The extra is not installed: one line naming it, exit 3 (an import of `mcp` fails, as
    Python fails it when the package is absent)."""
    program = (
        "import sys; sys.modules['mcp'] = None; "
        "sys.argv = ['schemactl', 'mcp', '--url', 'sqlite:app.db']; "
        "from schemactl.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=project,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done
    assert (
        done.stderr == "error: the MCP server needs the mcp package: pip install 'schemactl[mcp]'\n"
    )
