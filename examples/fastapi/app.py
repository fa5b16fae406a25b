"""A FastAPI app that migrates its PostgreSQL database at start-up, safely under
``uvicorn --workers N`` and with several replicas.

    DATABASE_URL=postgres://app@db:5432/app uvicorn app:app --workers 4

The lifespan runs once in every worker process. Each calls ``schemactl.up``, which

- waits for the server (``wait=True``, at most ``SCHEMACTL_WAIT_TIMEOUT`` seconds): the
  database container may start after the app;
- creates the database if it is missing, race-free;
- takes the migration lock, so exactly one worker applies the migrations while the others
  wait for it (at most ``SCHEMACTL_LOCK_TIMEOUT`` seconds), then find nothing pending;
- on later starts finds nothing pending in one query, without taking the lock.

A worker whose ``up`` fails (the server never came, a migration failed) does not start:
uvicorn reports the error, and the app never serves an incomplete schema.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import schemactl

DATABASE_URL = os.environ["DATABASE_URL"]  # postgres://user:password@host:5432/app
MIGRATIONS = Path(__file__).parent / "migrations"
WAIT_TIMEOUT = float(os.environ.get("SCHEMACTL_WAIT_TIMEOUT", "60"))
LOCK_TIMEOUT = float(os.environ.get("SCHEMACTL_LOCK_TIMEOUT", "120"))


def app_engine(url: str) -> AsyncEngine:
    """The application's own engine (asyncpg), on the database schemactl migrated."""
    return create_async_engine(make_url(url).set(drivername="postgresql+asyncpg"))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await schemactl.up(
        DATABASE_URL,
        migrations_dir=MIGRATIONS,
        wait=True,
        wait_timeout=WAIT_TIMEOUT,
        lock_timeout=LOCK_TIMEOUT,
    )
    app.state.engine = app_engine(DATABASE_URL)
    try:
        yield
    finally:
        await app.state.engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/items")
async def items(request: Request) -> dict[str, object]:
    engine: AsyncEngine = request.app.state.engine
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT name FROM items ORDER BY id"))
        names = [row.name for row in rows]
    return {"items": names, "pid": os.getpid()}
