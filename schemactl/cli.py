"""The command line: parse options, run one API coroutine, render its result, map errors.

Nothing here touches a database directly, and nothing heavy is imported at module level, so
`schemactl --help` stays fast. The commands live in ``_cli_migrations`` and ``_cli_state``,
registered on ``_cli_app.app`` in the order ``--help`` lists them.
"""

from __future__ import annotations

import gc
import json
import sys

from . import _cli_migrations, _cli_state, _cli_verify  # noqa: F401  (registers the commands, in order)

from . import _cli_lint  # noqa: F401  # isort: skip  (listed after them)
from . import _cli_plan  # noqa: F401  # isort: skip
from ._cli_app import app


def main() -> None:
    """The `schemactl` console script."""
    try:
        if "--json" in sys.argv[1:]:
            sys.exit(_run_for_json())
        app()
    finally:
        # Nothing is left to free: spare the interpreter's final garbage collection over every
        # object a large autogenerate built (0.3 s on a 500-table schema).
        gc.freeze()


def _run_for_json() -> int:
    """With --json a usage error (an unknown option, a missing argument) is JSON on stdout
    too, like every other error, besides the usual line on stderr; exit 2."""
    try:
        code = app(standalone_mode=False)
    except Exception as exc:
        # Click's UsageError, which Typer vendors without exporting it: known by its shape
        if getattr(exc, "exit_code", None) != 2 or not hasattr(exc, "format_message"):
            raise
        message = str(exc.format_message()).splitlines()[0]
        error = {"code": 2, "kind": "usage", "type": "UsageError", "message": message}
        sys.stdout.write(json.dumps({"error": error}, indent=2, sort_keys=True) + "\n")
        sys.stderr.write(f"error: {message}\n")
        return 2
    return code if isinstance(code, int) else 0
