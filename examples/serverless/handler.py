"""A function handler (AWS Lambda's shape) that migrates its PostgreSQL database at cold start.

    DATABASE_URL=postgres://app:secret@db:5432/app   handler: handler.handler

The module's top level runs once per container, at its cold start, and applies the pending
migrations there; warm invocations only serve. When many containers start at once (a burst of
traffic after a deploy), every one of them calls ``schemactl.up``:

- nothing pending: one query, no lock (the fast path every cold start after the first takes);
- pending: the migration lock lets one container apply them while the others wait for it,
  then find nothing pending, so each migration is applied exactly once;
- both waits are bounded (``SCHEMACTL_WAIT_TIMEOUT`` for the server, a paused Aurora
  Serverless or Neon compute waking up; ``SCHEMACTL_LOCK_TIMEOUT`` for another container's
  run), inside Lambda's 10 s limit on the Init phase. A cold start that fails raises, and
  Lambda tries the Init again at the next invocation: no container serves an old schema.

Migrations that take longer than a few seconds do not belong in a cold start: apply them in
the deploy step (``schemactl up`` in the pipeline) and keep this as a no-op check.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import schemactl

DATABASE_URL = os.environ["DATABASE_URL"]
MIGRATIONS = Path(__file__).parent / "migrations"
WAIT_TIMEOUT = float(os.environ.get("SCHEMACTL_WAIT_TIMEOUT", "4"))
LOCK_TIMEOUT = float(os.environ.get("SCHEMACTL_LOCK_TIMEOUT", "4"))

# One event loop and one engine per container: warm invocations reuse its connection.
_loop = asyncio.new_event_loop()


def _cold_start() -> schemactl.MigrateResult:
    return _loop.run_until_complete(
        schemactl.up(
            DATABASE_URL,
            migrations_dir=MIGRATIONS,
            wait=True,
            wait_timeout=WAIT_TIMEOUT,
            lock_timeout=LOCK_TIMEOUT,
        )
    )


COLD_START = _cold_start()  # module level: once per container
_engine: AsyncEngine = create_async_engine(
    make_url(DATABASE_URL).set(drivername="postgresql+asyncpg"), pool_size=1, max_overflow=0
)


async def _notes() -> list[str]:
    async with _engine.connect() as conn:
        return list(await conn.scalars(text("SELECT body FROM notes ORDER BY id")))


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Serve one invocation (API Gateway's proxy response shape); no migration work here."""
    body = {"notes": _loop.run_until_complete(_notes()), "pid": os.getpid()}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
