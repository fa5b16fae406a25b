"""`schemactl mcp`: a Model Context Protocol server over stdio, for an agent to read a
database's migration state, propose a migration and explain it, while a person approves the
exact plan that `apply` runs.

Each tool returns the document the CLI prints with ``--json`` (as text and as structured
content), and each failure the CLI's ``{"error": {"code", "kind", "type", "message"}}`` as a
tool error. The database is the server's, resolved once at start as the CLI resolves it
(flag > environment > .env > pyproject): no tool takes a URL, so an agent cannot point the
server at another database, and no credential passes through the conversation. Passwords are
removed from everything a tool returns.

Needs the ``mcp`` package (``pip install 'schemactl[mcp]'``); nothing else imports this module.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from . import _api
from ._config import Config
from ._error_document import error_document, error_fields
from ._errors import ConfigurationError, SchemactlError
from ._redact import password_in, redact
from ._results import to_json
from ._version import __version__

if TYPE_CHECKING:
    from .lint.policy import Policy

NO_DIGEST = (
    "apply runs only a plan a person approved: call `plan`, show its review and its digest "
    "to a person, and call `apply` again with plan_digest set to the digest they approve"
)
INSTRUCTIONS = (
    "schemactl manages this project's SQL migrations on one database, chosen when the server "
    "started. Read `status` first. To change the schema: `new` (auto, dry_run=true) shows the "
    "SQL the models need; `new` with dry_run=false writes the file; `lint` and `verify` "
    "check it; `plan` shows what `apply` would run, its risk and its digest. Never apply on "
    "your own: show the plan to a person and call `apply` with the plan_digest they approve."
)


@dataclass(frozen=True)
class ServerSettings:
    """What the server works on, fixed at start: the resolved settings, the database for
    `verify`'s throwaway databases, whether writing tools are offered."""

    config: Config
    dev_url: str | None = None
    read_only: bool = False

    @property
    def url(self) -> str:
        return self.config.require_url()

    @property
    def dirs(self) -> list[str]:
        return list(self.config.migrations_dirs)

    def clean(self, text: str) -> str:
        """``text`` without the passwords of the server's URLs (or any URL's)."""
        for url in (self.config.url, self.dev_url):
            text = redact(text, password_in(url) if url else None)
        return text

    def policy(self) -> Policy:
        from .lint.policy import Policy

        return self.config.lint_policy() or Policy()


def build_server(settings: ServerSettings) -> MCPServer:
    """The MCP server with its tools; ``build_server(settings).run("stdio")`` serves it."""
    server: MCPServer = MCPServer(
        name="schemactl", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )
    tools = Tools(settings)
    reading = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    server.add_tool(tools.status, annotations=reading)
    server.add_tool(tools.plan, annotations=reading)
    server.add_tool(tools.lint, annotations=reading)
    server.add_tool(tools.check, annotations=reading)
    server.add_tool(tools.verify, annotations=_writing(destructive=False, idempotent=True))
    server.add_tool(tools.new, annotations=_writing(destructive=False, idempotent=False))
    if not settings.read_only:
        server.add_tool(tools.apply, annotations=_writing(destructive=True, idempotent=True))
    return server


def _writing(*, destructive: bool, idempotent: bool) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=False,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


class Tools:
    """The tools, as methods: their docstrings and parameter descriptions are what the model
    reads, their results the CLI's ``--json`` documents."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings

    async def status(self) -> CallToolResult:
        """Every migration file and whether the database applied it: the pending ones, files
        changed since applied (drifted), failed ones. As `schemactl status --json`."""
        s = self.settings
        return await self._answer(
            lambda: _api.status(s.url, migrations_dir=s.dirs, migrations_table=_table(s)),
            to_json,
        )

    async def plan(
        self,
        preflight: Annotated[
            bool,
            Field(
                description="Also run the read-only pre-flight queries (duplicates before a "
                "unique index, NULLs before NOT NULL, ...) and report their counts."
            ),
        ] = False,
    ) -> CallToolResult:
        """What `apply` would run, changing nothing: the pending migrations in order with
        each statement's lock, the safety findings, risk, table sizes, the down section and
        what it loses, and the plan's `digest`. Show the review to a person: `apply` needs
        the digest they approve. As `schemactl plan --json` (format schemactl.plan/1)."""
        s = self.settings
        return await self._answer(
            lambda: _api.plan(
                s.url,
                migrations_dir=s.dirs,
                migrations_table=_table(s),
                preflight=preflight,
                policy=s.policy(),
            ),
            lambda result: result.as_json(),
        )

    async def lint(
        self,
        all_files: Annotated[
            bool,
            Field(description="Lint every migration file, not only those not yet applied."),
        ] = False,
    ) -> CallToolResult:
        """The safety analysis of the pending migrations against the live database: locks,
        table rewrites, lost data, broken clients, each finding with its safe alternative,
        and a risk score. Reads only. As `schemactl lint --json` (schemactl.lint/1)."""
        from ._options import Options
        from .lint.run import lint_with_options

        s = self.settings

        async def run() -> Any:
            dirs = tuple(Path(d) for d in s.dirs)
            options = Options(migrations_dirs=dirs, migrations_table=_table(s))
            return await lint_with_options(s.url, options, s.policy(), all=all_files)

        return await self._answer(run, lambda result: result.as_json())

    async def check(self) -> CallToolResult:
        """Whether the database matches the SQLAlchemy models; `clean` false lists the
        differences a new migration would resolve. As `schemactl check --json`."""
        s = self.settings
        c = s.config
        return await self._answer(
            lambda: _api.check(
                s.url,
                models=_models(c),
                migrations_dir=s.dirs,
                migrations_table=_table(s),
                exclude_tables=c.exclude_tables,
                exclude_schemas=c.exclude_schemas,
            ),
            to_json,
        )

    async def new(
        self,
        name: Annotated[
            str, Field(description="What the migration does, in a few words: add_users_email.")
        ],
        auto: Annotated[
            bool,
            Field(
                description="Generate the SQL (up and down) from the differences between the "
                "SQLAlchemy models and the database; false: an empty file to fill in."
            ),
        ] = True,
        dry_run: Annotated[
            bool,
            Field(
                description="Return the SQL without writing a file (the default). False "
                "writes the file into the migrations directory."
            ),
        ] = True,
    ) -> CallToolResult:
        """A new migration: with auto, the SQL that brings the database to the models, with
        its down section, notes on data loss and lint findings. Writes nothing unless
        dry_run is false. As `schemactl new --json` (`content` holds the file's text)."""
        s = self.settings
        if not dry_run and s.read_only:
            return self._refuse("the server is read-only (--read-only): new writes no file")
        c = s.config
        return await self._answer(
            lambda: _api.new(
                name,
                migrations_dir=s.dirs,
                auto=auto,
                url=s.url if auto else None,
                models=c.models,
                migrations_table=_table(s),
                dry_run=dry_run,
                exclude_tables=c.exclude_tables,
                exclude_schemas=c.exclude_schemas,
            ),
            to_json,
        )

    async def verify(self) -> CallToolResult:
        """Prove every migration's down section on a throwaway database (made and dropped
        on the server, never the project's database): each migration applied, rolled back,
        compared with the schema before it, applied again. Reports a missing down, a failing
        one, one that does not restore the schema or loses data. As `schemactl verify
        --json` (schemactl.verify/1)."""
        from ._verify import verify, verify_document

        s = self.settings
        return await self._answer(
            lambda: verify(
                s.config.url or s.dev_url or s.url,
                migrations_dir=s.dirs,
                migrations_table=_table(s),
                dev_url=s.dev_url,
            ),
            verify_document,
        )

    async def apply(
        self,
        plan_digest: Annotated[
            str | None,
            Field(
                description="Required: the digest (sha256:...) of the `plan` a person "
                "approved. apply refuses without it, and refuses when what would run no "
                "longer has that digest (a file changed, a migration was added)."
            ),
        ] = None,
    ) -> CallToolResult:
        """Apply the pending migrations, only as the approved plan describes them: needs
        the digest of a `plan` a person approved, and refuses when the plan changed since.
        As `schemactl up --plan-digest DIGEST --json`."""
        s = self.settings
        if not plan_digest:
            return self._refuse(NO_DIGEST, "ApprovalRequired")
        c = s.config
        return await self._answer(
            lambda: _api.up(
                s.url,
                migrations_dir=s.dirs,
                migrations_table=_table(s),
                strict=c.strict,
                fail_on_drift=c.fail_on_drift,
                policy=s.policy(),
                plan_digest=plan_digest,  # malformed: a ConfigurationError, as the CLI's
            ),
            to_json,
        )

    async def _answer(
        self, call: Callable[[], Awaitable[Any]], document: Callable[[Any], Any]
    ) -> CallToolResult:
        """Run one API call: its document, or its error as a tool error."""
        try:
            result = await call()
            return self._result(document(result), error=False)
        except SchemactlError as exc:
            data = error_document(str(exc), exc.exit_code, type(exc).__name__, error_fields(exc))
            return self._result(data, error=True)
        except Exception as exc:  # a defect: still an answer the agent can read
            message = f"internal error: {type(exc).__name__}: {exc}"
            return self._result(error_document(message, 70, type(exc).__name__), error=True)

    def _refuse(self, message: str, error_type: str = "UsageError") -> CallToolResult:
        """A call refused before it ran: a usage error (2), as the CLI's."""
        return self._result(error_document(message, 2, error_type), error=True)

    def _result(self, data: Any, *, error: bool) -> CallToolResult:
        text = self.settings.clean(json.dumps(data, indent=2, sort_keys=True))
        return CallToolResult(
            content=[TextContent(type="text", text=text)],
            structured_content=json.loads(text),
            is_error=error,
        )


def _models(config: Config) -> str:
    if config.models is None:
        from ._models import NO_MODELS

        raise ConfigurationError(NO_MODELS)
    return config.models


def _table(settings: ServerSettings) -> str:
    return settings.config.migrations_table
