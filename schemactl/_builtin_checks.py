"""The ready-made tests of the pytest plugin, as plain coroutines: each takes the run's
``ScratchServer`` and returns what is wrong (one line each), an empty list when all is well.

They cover pytest-alembic's built-in tests: its single head is our linear history, its
upgrade our from-zero run, its up-down consistency our ``verify`` (which also compares the
schema and keeps data), and its model-definitions check our ``check``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import anyio

from ._errors import SchemactlError
from ._test_databases import ScratchServer, drop_database, label


@dataclass(frozen=True)
class BuiltinCheck:
    """One ready-made test: its name in pytest, what it proves, and the check itself."""

    name: str
    doc: str
    run: Callable[[ScratchServer], Coroutine[Any, Any, list[str]]]


async def linear_history(server: ScratchServer) -> list[str]:
    """Every file is a migration with its own version, named and parsed without complaint,
    and the versions sort as numbers do (no 10 before 9)."""
    from ._files import discover

    try:
        files, warnings = discover(server.migrations_dirs)
        for file in files:
            file.read()  # a broken section fails here, not mid-deploy
    except SchemactlError as exc:
        return [str(exc)]
    return warnings


async def applies_from_zero(server: ScratchServer) -> list[str]:
    """Every migration applies, in order, to an empty database."""
    from ._api import status, up

    url = server.fresh_url()
    dirs, table = server.migrations_dirs, server.migrations_table
    try:
        await up(url, migrations_dir=dirs, migrations_table=table)
        pending = (await status(url, migrations_dir=dirs, migrations_table=table)).pending
    except SchemactlError as exc:
        return [str(exc)]
    finally:
        with anyio.CancelScope(shield=True):
            await drop_database(url)
    return [f"{m.version} is still pending after up on an empty database" for m in pending]


async def rolls_back_cleanly(server: ScratchServer) -> list[str]:
    """Every migration applies, rolls back to the schema before it (keeping the data that
    was there) and applies again: ``schemactl verify`` on a throwaway database."""
    from ._verify import verify

    try:
        result = await verify(
            server.fresh_url(),
            migrations_dir=server.migrations_dirs,
            migrations_table=server.migrations_table,
        )
    except SchemactlError as exc:
        return [str(exc)]
    return [
        f"{m.path.name}: {problem.kind}: {problem.detail}"
        for m in result.migrations
        if not m.ok
        for problem in m.problems
    ]


async def models_match(server: ScratchServer) -> list[str]:
    """The models (``models`` of [tool.schemactl]) match the schema the migrations build:
    ``schemactl check`` on a freshly migrated database."""
    from ._api import check, up
    from ._models import load_metadata

    assert server.models is not None
    url = server.fresh_url()
    try:
        metadata = load_metadata(server.models, cwd=server.rootdir)
        dirs, table = server.migrations_dirs, server.migrations_table
        await up(url, migrations_dir=dirs, migrations_table=table)
        result = await check(
            url,
            models=metadata,
            migrations_dir=dirs,
            migrations_table=table,
            exclude_tables=server.exclude_tables,
            exclude_schemas=server.exclude_schemas,
        )
    except SchemactlError as exc:
        return [str(exc)]
    finally:
        with anyio.CancelScope(shield=True):
            await drop_database(url)
    if result.clean:
        return []
    return [
        f"the models {server.models} differ from the schema the migrations build on "
        f"{label(url)} (write a migration: schemactl new <name> --auto):",
        *(f"  {change.detail}" for change in result.changes),
    ]


def builtin_checks(*, models: str | None) -> list[BuiltinCheck]:
    """The ready-made tests that apply to a project: the models check only with models."""
    checks = [
        BuiltinCheck("test_linear_history", "versions unique, files well formed", linear_history),
        BuiltinCheck("test_applies_from_zero", "every migration applies", applies_from_zero),
        BuiltinCheck(
            "test_rolls_back_cleanly", "every down restores the schema", rolls_back_cleanly
        ),
    ]
    if models:
        checks.append(BuiltinCheck("test_models_match", "models match migrations", models_match))
    return checks
