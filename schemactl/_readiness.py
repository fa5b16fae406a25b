"""`wait --migrated`: poll, without the migration lock, until the database exists and every
migration file is recorded as applied. It is the readiness check of an application whose
schema another process migrates (a Kubernetes Job, a deploy step): it never creates, locks
or writes anything, so any number of replicas can wait at once."""

from __future__ import annotations

import logging
import random
import time
from typing import TYPE_CHECKING

import anyio

from ._errors import DatabaseConnectionError, StateError, WaitTimeoutError
from ._results import plural
from .dialects import Failure

if TYPE_CHECKING:
    from ._database import Database
    from ._files import MigrationFile
    from ._options import Options

log = logging.getLogger("schemactl")
POLL_CAP = 1.0  # seconds between two checks at most: one cheap query per replica and second


async def wait_migrated(
    db: Database, options: Options, files: list[MigrationFile], timeout: float
) -> tuple[int, float]:
    """Poll until every one of ``files`` is applied; (checks made, seconds waited).

    A server that is down, starting or busy, a database not created yet and a migration
    still running are waited for; bad credentials fail at once (``DatabaseConnectionError``)
    and so does a migration recorded as failed part-way (``StateError``: it stays failed until
    someone runs `schemactl resolve`). ``WaitTimeoutError`` after ``timeout`` seconds, naming
    what was still missing.
    """
    start = time.monotonic()
    deadline = start + timeout
    attempts = 0
    while True:
        attempts += 1
        last = "the check timed out"
        with anyio.move_on_after(max(deadline - time.monotonic(), 0.05)):
            missing = await _not_migrated(db, options, files)
            if missing is None:
                return attempts, time.monotonic() - start
            last = missing
        if attempts == 1:
            log.info("Waiting up to %gs for %s to be migrated: %s", timeout, db.label, last)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeoutError(
                f"{db.label} was not migrated after {timeout:g}s "
                f"({plural(attempts, 'check')}; last: {last})"
            )
        cap = min(POLL_CAP, 0.05 * 2**attempts)
        await anyio.sleep(min(random.uniform(cap / 2, cap), remaining))


async def _not_migrated(db: Database, options: Options, files: list[MigrationFile]) -> str | None:
    """What is still missing (None: nothing), read in one short session without the lock."""
    from ._session import open_session

    name = db.url.database
    if not db.dialect.has_server and not await db.dialect.database_exists():
        return f"database file {name!r} does not exist yet"
    try:
        async with open_session(db, options) as session:
            state = await session.state()
    except DatabaseConnectionError as exc:
        cause = exc.__cause__
        kind = db.dialect.classify(cause) if cause is not None else Failure.OTHER
        if kind is Failure.MISSING_DATABASE:
            return f"database {name!r} does not exist yet"
        if kind.transient:
            return db.reason(cause) if cause is not None else str(exc)
        raise
    failed = [f for f in state.failures.values() if f.state == "failed"]
    if failed:
        raise StateError(
            f"{failed[0].describe()}; the schema stays incomplete until it is resolved "
            "(`schemactl resolve`)"
        )
    pending = [f for f in files if f.version not in state.applied]
    if not pending:
        return None
    return f"{plural(len(pending), 'pending migration')} (first: {pending[0].path.name})"
