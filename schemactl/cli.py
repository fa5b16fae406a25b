"""The command line: parse options, run one API coroutine, render its result, map errors.

Nothing here touches a database directly, and nothing heavy is imported at module level, so
`schemactl --help` stays fast. The commands live in ``_cli_migrations`` and ``_cli_state``,
registered on ``_cli_app.app`` in the order ``--help`` lists them.
"""

from __future__ import annotations

import gc
import itertools
import json
import sys
import traceback

from . import _cli_migrations, _cli_state, _cli_verify  # noqa: F401  (registers the commands, in order)

from . import _cli_lint, _cli_plan  # noqa: F401  # isort: skip  (listed after them)
from . import _cli_dump  # noqa: F401  # isort: skip
from . import _cli_mcp  # noqa: F401  # isort: skip
from ._cli_app import app
from ._error_document import error_document
from ._redact import redact


def main() -> None:
    """The `schemactl` console script."""
    try:
        if wants_json(sys.argv[1:]):
            sys.exit(_run_for_json())
        app()
    finally:
        # Nothing is left to free: spare the interpreter's final garbage collection over every
        # object a large autogenerate built (0.3 s on a 500-table schema).
        gc.freeze()


def wants_json(args: list[str]) -> bool:
    """--json, or --format json (lint, plan): then every error is a JSON document too."""
    if "--json" in args or "--format=json" in args or "-fjson" in args:
        return True
    return any(a in ("--format", "-f") and b == "json" for a, b in itertools.pairwise(args))


def _run_for_json() -> int:
    """With --json, the errors Click raises before or around a command are JSON on stdout too,
    like every other error, besides the usual line on stderr: a usage error (an unknown
    option, a missing argument) exits 2, Ctrl-C outside a database call 130."""
    try:
        code = app(standalone_mode=False)
    except Exception as exc:
        # Click's UsageError and Abort, which Typer vendors without exporting: known by shape
        if type(exc).__name__ == "Abort":
            return _json_error("interrupted", 130, "KeyboardInterrupt")
        if getattr(exc, "exit_code", None) == 2 and hasattr(exc, "format_message"):
            message = str(exc.format_message()).splitlines()[0]
            return _json_error(message, 2, "UsageError")
        # a defect outside a command's API call (those are Run.call's): still one document
        if "--verbose" in sys.argv or "-v" in sys.argv:
            traceback.print_exception(exc, file=sys.stderr)
        message = redact(f"internal error: {type(exc).__name__}: {exc}")
        return _json_error(message, 70, type(exc).__name__)
    return code if isinstance(code, int) else 0


def _json_error(message: str, code: int, error_type: str) -> int:
    document = error_document(message, code, error_type)
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    sys.stderr.write(f"error: {message}\n")
    return code
