"""`verify`: prove every migration's down section on a throwaway database.

On a database created for the purpose on the server of the URL (SQLite: a file in a
temporary directory), each migration in turn is applied, rolled back and applied again, all
through the ordinary session and runner. The schema before the up is compared with the one
after the down (``_schema_snapshot``), and data that existed before the migration must
survive the down (``_data_loss``). After a migration with a problem the database is built
again up to it, so the next one is tried on the schema its author expected. The throwaway
database is dropped at the end, also after an error or a cancellation (Ctrl-C).
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._errors import DatabaseConnectionError, MigrationFailedError
from ._files import MigrationFile, discover
from ._options import DEFAULT_DIR, DEFAULT_LINK_TIMEOUT, DEFAULT_TABLE, Dirs, Options

if TYPE_CHECKING:
    from ._data_loss import LossCheck
    from ._database import Database
    from ._files import Migration
    from ._password import Password
    from ._schema_snapshot import Snapshot
    from ._session import Session

ProblemKind = Literal["missing-down", "down-fails", "not-restored", "loses-data"]
FORMAT = "schemactl.verify/1"
CLEANUP_SECONDS = 30.0  # dropping the throwaway database, shielded from cancellation

_APPROVAL = re.compile(
    r"^[ \t]*--[ \t]*schemactl:approve[ \t]+irreversible\b(.*)$", re.IGNORECASE | re.MULTILINE
)
_REASON = re.compile(r'\breason="([^"]*)"')


@dataclass(frozen=True)
class VerifyProblem:
    """One thing wrong with a migration's down section."""

    kind: ProblemKind
    detail: str


@dataclass(frozen=True)
class VerifiedMigration:
    """One migration as `verify` found it. ``approved``: the reason of its
    ``-- schemactl:approve irreversible reason="..."`` line, if it has one."""

    version: str
    path: Path
    problems: tuple[VerifyProblem, ...] = ()
    approved: str | None = None

    @property
    def ok(self) -> bool:
        """No problem, or an approved irreversible migration."""
        return not self.problems or self.approved is not None


@dataclass(frozen=True)
class VerifyResult:
    """Every migration, verified in order; ``database``: the throwaway database used (gone
    now); ``warnings``: what could not be checked."""

    migrations: tuple[VerifiedMigration, ...]
    database: str
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.migrations)


def verify_document(result: VerifyResult) -> dict[str, Any]:
    """The ``--json`` document: ``{"format": "schemactl.verify/1", "migrations": [...]}``."""
    return {
        "format": FORMAT,
        "ok": result.ok,
        "database": result.database,
        "migrations": [
            {
                "version": m.version,
                "file": str(m.path),
                "ok": m.ok,
                "approved": m.approved,
                "problems": [{"kind": p.kind, "detail": p.detail} for p in m.problems],
            }
            for m in result.migrations
        ],
        "warnings": list(result.warnings),
    }


async def verify(
    url: str,
    *,
    migrations_dir: Dirs = DEFAULT_DIR,
    migrations_table: str = DEFAULT_TABLE,
    dev_url: str | None = None,
    link_timeout: float = DEFAULT_LINK_TIMEOUT,
    password: Password | None = None,
) -> VerifyResult:
    """Apply, roll back and re-apply every migration on a throwaway database made on the
    server of ``dev_url`` (or ``url``), and report each down section that is missing, fails,
    does not restore the schema, or loses data that existed before the migration. ``url``'s
    own database is never touched (it need not exist). ``password``: the throwaway server's,
    as ``up``'s (a str, or a function that makes one for each new connection).

    >>> result = await schemactl.verify("postgresql://app@db/app", migrations_dir="db/migrations")
    >>> [(m.version, [p.kind for p in m.problems]) for m in result.migrations if not m.ok]
    """
    options = Options.build(
        migrations_dir=migrations_dir,
        migrations_table=migrations_table,
        link_timeout=link_timeout,
        password=password,
    )
    files, warnings = discover(options.migrations_dirs)
    parsed = {f.path: f.read() for f in files}  # a broken file stops before anything is made
    async with _throwaway(dev_url or url, options) as scratch:
        walk = _Walk(scratch, options, files, parsed)
        verified = await walk.run()
    return VerifyResult(tuple(verified), scratch.label, tuple(dict.fromkeys(warnings + walk.notes)))


def approval(content: str) -> tuple[str | None, str | None]:
    """(reason, complaint) from a file's ``-- schemactl:approve irreversible reason="..."``
    line: the reason when it has one, else what is wrong with the line (None, None: no line).
    """
    match = _APPROVAL.search(content)
    if match is None:
        return None, None
    reason = _REASON.search(match.group(1))
    if reason is None or not reason.group(1).strip():
        return None, 'its "-- schemactl:approve irreversible" line gives no reason="..."'
    return reason.group(1).strip(), None


# -- the walk ------------------------------------------------------------------------------


class _Walk:
    """Applies, rolls back and re-applies each migration on the throwaway database."""

    def __init__(
        self,
        scratch: _Scratch,
        options: Options,
        files: list[MigrationFile],
        parsed: dict[Path, Migration],
    ) -> None:
        self.scratch = scratch
        self.options = options
        self.files = files
        self.parsed = parsed
        table = options.migrations_table.rpartition(".")[2]
        self.excluded = (table, f"{table}_failures", f"{table}_lock")
        self.notes: list[str] = []

    async def run(self) -> list[VerifiedMigration]:
        from ._data_loss import loss_check
        from ._schema_snapshot import take_snapshot

        session = await self.scratch.open()
        self.loss: LossCheck = loss_check(self.scratch.db.dialect.name, self.excluded)
        before = await take_snapshot(session.conn, self.excluded)
        verified = []
        for index, file in enumerate(self.files):
            done = self.files[: index + 1]
            problems, after = await self._one(file, done, before)
            for note in self.loss.notes:
                if note not in self.notes:
                    self.notes.append(note)
            if problems and problems[0].kind != "missing-down":
                # build it again: the next migration is tried on the schema it expects
                await self.scratch.rebuild(done)
                after = await take_snapshot(self.scratch.session.conn, self.excluded)
            before = after
            reason, complaint = approval(file.content().decode("utf-8", "replace"))
            if complaint and problems:
                self.notes.append(f"{file.path.name}: the approval does not count: {complaint}")
            verified.append(VerifiedMigration(file.version, file.path, tuple(problems), reason))
        return verified

    async def _one(
        self, file: MigrationFile, done: list[MigrationFile], before: Snapshot
    ) -> tuple[list[VerifyProblem], Snapshot]:
        """Verify one migration; (its problems, the schema with it applied)."""
        from ._schema_snapshot import differences, take_snapshot

        migration = self.parsed[file.path]
        session = self.scratch.session
        await self.loss.before_up(session.conn)
        await session.migrate(done)
        after = await take_snapshot(session.conn, self.excluded)
        down = migration.down
        if down is None:
            return [VerifyProblem("missing-down", "it has no '-- migrate:down' section")], after
        if down.is_empty and not down.marked_noop:
            detail = "its down section is empty and not marked '-- schemactl: no-op'"
            return [VerifyProblem("missing-down", detail)], after
        await self.loss.after_up(session.conn, before, after)
        try:
            await session.rollback(done, steps=1, to=None)
        except MigrationFailedError as exc:
            return [VerifyProblem("down-fails", str(exc).splitlines()[0])], after
        restored = await take_snapshot(session.conn, self.excluded)
        problems = []
        found = differences(before, restored)
        if found:
            claim = "marked no-op, but " if down.is_empty else ""
            problems.append(VerifyProblem("not-restored", claim + _listed(found)))
        problems += [
            VerifyProblem("loses-data", d)
            for d in await self.loss.after_down(session.conn, restored)
        ]
        if problems:
            return problems, after
        await self.loss.clean(session.conn)
        try:
            await session.migrate(done)
        except MigrationFailedError as exc:
            detail = f"applying it again after the down failed: {str(exc).splitlines()[0]}"
            return [VerifyProblem("not-restored", detail)], after
        return [], await take_snapshot(session.conn, self.excluded)


def _listed(found: list[str], most: int = 5) -> str:
    more = f"; and {len(found) - most} more" if len(found) > most else ""
    return "; ".join(found[:most]) + more


# -- the throwaway database ----------------------------------------------------------------


class _Scratch:
    """The throwaway database: created once, opened as one session, built again on demand."""

    def __init__(self, db: Database, options: Options) -> None:
        self.db = db
        self.options = options
        self.stack = AsyncExitStack()
        self._session: Session | None = None

    @property
    def label(self) -> str:
        return self.db.label

    @property
    def session(self) -> Session:
        assert self._session is not None
        return self._session

    async def open(self) -> Session:
        from ._session import open_session

        self._session = await self.stack.enter_async_context(open_session(self.db, self.options))
        return self._session

    async def close(self) -> None:
        self._session = None
        await self.stack.aclose()

    async def rebuild(self, files: list[MigrationFile]) -> None:
        """Drop and create the database again, then apply ``files``."""
        await self.close()
        await self.db.drop()
        await self.db.create()
        session = await self.open()
        await session.migrate(files)


@asynccontextmanager
async def _throwaway(base_url: str, options: Options) -> AsyncIterator[_Scratch]:
    import anyio

    from ._database import open_database

    url, directory = _throwaway_url(base_url)
    try:
        async with open_database(url, options) as db:
            scratch = _Scratch(db, options)
            created = False
            try:
                if not await db.create():  # (a random name: another run's would be a bug)
                    raise DatabaseConnectionError(f"{db.label} exists already: not using it")
                created = True
                yield scratch
            finally:
                with anyio.move_on_after(CLEANUP_SECONDS, shield=True):
                    await scratch.close()
                    if created:
                        await db.drop()
    finally:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


def _throwaway_url(base: str) -> tuple[str, Path | None]:
    """A URL for a new database beside ``base``'s: ``<its name>_verify_<random>`` on the
    same server, or a file in a new temporary directory for SQLite (and that directory)."""
    from ._urls import to_sqlalchemy_url
    from .dialects import dialect_named

    url = to_sqlalchemy_url(base)
    suffix = f"_verify_{secrets.token_hex(4)}"
    if not dialect_named(url.get_backend_name()).has_server:
        directory = Path(tempfile.mkdtemp(prefix="schemactl-verify-"))
        name = Path(url.database or "schemactl").stem or "schemactl"
        database = str(directory / f"{name}{suffix}.db")
        return url.set(database=database).render_as_string(hide_password=False), directory
    name = (url.database or "schemactl")[: 63 - len(suffix)]
    return url.set(database=name + suffix).render_as_string(hide_password=False), None
