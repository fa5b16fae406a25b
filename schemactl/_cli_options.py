"""The options the CLI's commands share, as typed annotations."""

from __future__ import annotations

from typing import Annotated

import typer

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", "-u", metavar="URL", help="Database URL. [env: DATABASE_URL]", show_default=False
    ),
]
DirOption = Annotated[
    list[str] | None,
    typer.Option(
        "--migrations-dir",
        "-d",
        metavar="DIR",
        help="Migrations directory; repeat for several. [env: SCHEMACTL_MIGRATIONS_DIR] "
        "[default: migrations]",
        show_default=False,
    ),
]
TableOption = Annotated[
    str | None,
    typer.Option(
        "--migrations-table",
        metavar="NAME",
        help="Tracking table. [env: SCHEMACTL_MIGRATIONS_TABLE] [default: schema_migrations]",
        show_default=False,
    ),
]
PasswordCommandOption = Annotated[
    str | None,
    typer.Option(
        "--password-command",
        metavar="CMD",
        help="Shell command whose output is the password, run for each new connection "
        "(cloud IAM tokens). [env: SCHEMACTL_PASSWORD_COMMAND]",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Print only warnings and errors: no progress, no summary line."
    ),
]
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Show tracebacks and more detail.")
]
EnvFileOption = Annotated[
    str | None,
    typer.Option(
        "--env-file",
        metavar="FILE",
        help="Read variables from this file [default: .env].",
        show_default=False,
    ),
]
LockTimeoutOption = Annotated[
    float,
    typer.Option(
        "--lock-timeout",
        metavar="SECONDS",
        help="Seconds to wait for another run's migration lock.",
    ),
]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="Wait for the database server to accept connections first.")
]
WaitTimeoutOption = Annotated[
    float, typer.Option("--wait-timeout", metavar="SECONDS", help="Seconds --wait waits at most.")
]
DdlLockTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--ddl-lock-timeout",
        metavar="SECONDS",
        help="Fail a statement that waits longer than this for a table lock another session "
        "holds (PostgreSQL lock_timeout, MySQL lock_wait_timeout, SQLite busy timeout).",
        show_default=False,
    ),
]
StatementTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--statement-timeout",
        metavar="SECONDS",
        help="Stop a statement that runs longer than this (PostgreSQL, MariaDB).",
        show_default=False,
    ),
]
LinkTimeoutOption = Annotated[
    float,
    typer.Option(
        "--link-timeout",
        metavar="SECONDS",
        help="Fail (exit 5) once the network link to the server is silent this long: "
        "TCP keepalives; a slow statement on a healthy link is not affected.",
    ),
]
LockRetriesOption = Annotated[
    int,
    typer.Option(
        "--lock-retries",
        metavar="N",
        min=0,
        help="Retry a migration that timed out waiting for a table lock, N times, with backoff.",
    ),
]
LockStrategyOption = Annotated[
    str,
    typer.Option(
        "--lock-strategy",
        metavar="auto|session|table",
        help="The migration lock: a session lock (PostgreSQL advisory, MySQL GET_LOCK), or "
        "a lease row, for poolers in transaction mode; auto picks table for ?pgbouncer=true.",
    ),
]
SingleTxOption = Annotated[
    bool,
    typer.Option(
        "--single-transaction",
        help="Apply all pending migrations in one transaction (PostgreSQL, SQLite).",
    ),
]


ModelsOption = Annotated[
    str | None,
    typer.Option(
        "--models",
        metavar="MODULE[:ATTR]",
        help="SQLAlchemy models: app.models, app/models.py, app.models:Base. "
        "[env: SCHEMACTL_MODELS]",
        show_default=False,
    ),
]
IncludeSchemasOption = Annotated[
    bool,
    typer.Option("--include-schemas", help="Compare every schema, not only the models' schemas."),
]
AllowPendingOption = Annotated[
    bool,
    typer.Option(
        "--allow-pending",
        help="Compare even though the database lacks migrations of the migrations directory "
        "(their changes then count as differences).",
    ),
]
ExcludeTableOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-table",
        metavar="TABLE",
        help="Leave this table out of the comparison, on both sides: a name or glob, "
        "schema-qualified or not (audit_*, audit.*); repeatable. Replaces exclude_tables "
        "of [tool.schemactl].",
        show_default=False,
    ),
]
StrictOption = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Refuse a pending migration older than one applied (out of order; also "
        "strict = true in [tool.schemactl]).",
    ),
]
FailOnDriftOption = Annotated[
    bool,
    typer.Option(
        "--fail-on-drift",
        help="Refuse to run while an applied migration's file changed since (also "
        "fail_on_drift = true in [tool.schemactl]).",
    ),
]
EnforceOption = Annotated[
    bool | None,
    typer.Option(
        "--enforce/--no-enforce",
        help="Lint the pending migrations first and refuse (exit 9) the first one with a "
        "blocking, unapproved finding, and those after it. [env: SCHEMACTL_LINT_ENFORCE] "
        "[default: enforce of [tool.schemactl.lint], else off: the findings are warnings]",
        show_default=False,
    ),
]
AllowOption = Annotated[
    list[str] | None,
    typer.Option(
        "--allow",
        metavar="RULE",
        help="Let this lint rule's findings through, this once (id or name; repeatable).",
        show_default=False,
    ),
]
SchemaFileOption = Annotated[
    str | None,
    typer.Option(
        "--schema-file",
        metavar="PATH",
        help="The schema file. [env: SCHEMACTL_SCHEMA_FILE] [default: schema.sql]",
        show_default=False,
    ),
]
DumpSchemaOption = Annotated[
    bool | None,
    typer.Option(
        "--dump-schema/--no-dump-schema",
        help="Write the schema file (`schemactl dump`) after changing the schema. "
        "[default: dump_schema of [tool.schemactl], else no]",
        show_default=False,
    ),
]
UrlFileOption = Annotated[
    str | None,
    typer.Option(
        "--url-file",
        metavar="FILE",
        help="Run on every database of FILE: one URL a line, # comments and blank lines "
        "ignored. [env: SCHEMACTL_URL_FILE]",
        show_default=False,
    ),
]
SchemasOption = Annotated[
    str | None,
    typer.Option(
        "--schemas",
        metavar="A,B,...",
        help="PostgreSQL: run in each of these schemas (search_path set to it, a tracking "
        "table in each), as a fleet. [env: SCHEMACTL_SCHEMAS]",
        show_default=False,
    ),
]
SchemasFromOption = Annotated[
    str | None,
    typer.Option(
        "--schemas-from",
        metavar="SQL",
        help="PostgreSQL: run in each schema this query lists (its first column; read-only), "
        "as --schemas. [env: SCHEMACTL_SCHEMAS_FROM]",
        show_default=False,
    ),
]
ConcurrencyOption = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        "-j",
        metavar="N",
        min=1,
        help="With --url-file or --schemas: how many at a time. [default: 4]",
        show_default=False,
    ),
]
CanaryOption = Annotated[
    int | None,
    typer.Option(
        "--canary",
        metavar="N",
        min=1,
        help="With --url-file or --schemas: run the first N first; if one fails, run no other.",
        show_default=False,
    ),
]
ShardOption = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="K/N",
        help="With --url-file or --schemas: only part K of N of the list (every N-th from "
        "the K-th), so that N runners share a fleet.",
        show_default=False,
    ),
]
