"""An error as the JSON an agent reads: ``{"error": {"code", "kind", "type", "message", ...}}``.

One builder for every front end that speaks JSON (the CLI's ``--json``, the MCP server), so an
error reads the same wherever it comes from. ``code`` is the exit code, ``kind`` one word per
exit code to branch on, ``type`` the exception's class.
"""

from __future__ import annotations

from typing import Any

from ._errors import MigrationFailedError, PlanDigestError, PolicyError, SchemactlError

ERROR_KINDS = {
    2: "usage",
    3: "configuration",
    4: "migration-file",
    5: "connection",
    6: "statement",
    7: "lock-timeout",
    8: "state",
    9: "policy",
    70: "internal",
    130: "interrupted",
}


def error_document(
    message: str, code: int, error_type: str, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ``{"error": {...}}`` document of one failure (``message`` already redacted).

    >>> error_document("no database URL", 3, "ConfigurationError")["error"]["kind"]
    'configuration'
    """
    error = {
        "code": code,
        "kind": ERROR_KINDS.get(code, "error"),
        "type": error_type,
        "message": message,
        **(fields or {}),
    }
    return {"error": error}


def error_fields(exc: SchemactlError) -> dict[str, Any]:
    """What an error knows beyond its message: a failed migration's version, file, line and
    the statements that had run; a refused one's findings (as `schemactl lint --json`); a
    refused plan digest's expected and actual digests and what changed."""
    if isinstance(exc, MigrationFailedError):
        return {
            "version": exc.version,
            "file": str(exc.path) if exc.path else None,
            "line": exc.line,
            "statements_run": exc.statements_run,
        }
    if isinstance(exc, PlanDigestError):  # the approved digest, the current one, what changed
        return {"expected": exc.expected, "actual": exc.actual, "changes": exc.changes}
    if isinstance(exc, PolicyError):
        return {"version": exc.version, "file": exc.file, "findings": exc.findings}
    return {}
