"""What differs between databases, behind one narrow interface.

A dialect states facts (class attributes) and spells SQL; it holds no state that changes
during a run. The per-run facts (the URL, a pooler in between, per-statement error reports)
are a frozen :class:`Profile` given when the dialect is made. Everything else (the order of
work, the tracking table, the migration lock, error messages) is shared code in the core.

Every method of :class:`Dialect` is abstract; routines several dialects share are plain
functions at the end of this module, which a dialect calls by name.
"""

from __future__ import annotations

import abc
import contextlib
import enum
import hashlib
import math
import re
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import anyio

from .._errors import ReadOnlyServerError
from .._split import Dialect as SplitDialect
from .._split import Statement, split_statements

if TYPE_CHECKING:
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncConnection

    from .._password import PasswordSource
    from ..autogen.hooks import AutogenHooks

D = TypeVar("D")  # the driver's own connection (asyncpg, aiomysql, aiosqlite)


class Failure(enum.Enum):
    """What a driver exception means, as far as schemactl's decisions go."""

    CONNECTION = "connection"  # refused, unreachable, reset, closed, timed out
    BUSY = "busy"  # the server is starting up or has too many connections: try again
    MISSING_DATABASE = "missing database"  # the server is up and the credentials are good
    LOGIN = "login"  # bad credentials: retrying will not help
    LOCK_TIMEOUT = "lock timeout"  # a statement gave up waiting for a lock another holds
    DUPLICATE_KEY = "duplicate key"
    # a concurrent transaction won: a deadlock, or a cluster's certification of a write set
    CONFLICT = "conflict"
    READ_ONLY = "read only"  # a replica, or a server in read-only mode
    SQL = "sql"  # the server refused a statement (or a connection option)
    OTHER = "other"  # not the database's word: a bug, a cancellation

    @property
    def transient(self) -> bool:
        """A connection attempt that failed this way may succeed later."""
        return self in (Failure.CONNECTION, Failure.BUSY)

    @property
    def statement(self) -> bool:
        """The server answered a statement with an error (the link is fine)."""
        return self in (
            Failure.SQL,
            Failure.LOCK_TIMEOUT,
            Failure.DUPLICATE_KEY,
            Failure.CONFLICT,
            Failure.READ_ONLY,
            Failure.MISSING_DATABASE,  # a statement naming a schema that does not exist
        )


@dataclass(frozen=True)
class Profile:
    """The facts of one run that a dialect needs, fixed before it connects."""

    url: URL
    pooled: bool = False  # a pooler in transaction mode is in between (?pgbouncer=true)
    per_statement: bool = False  # run statements one by one (errors then name the statement)
    # a password made for each new connection (--password-command, password=); None: the URL's
    password: PasswordSource | None = None
    # PostgreSQL's ``?search_path=`` (dbmate's option): every connection's search_path, and its
    # first schema holds the tracking table (None: the server's default)
    search_path: str | None = None


@dataclass(frozen=True)
class LockSQL:
    """A server's session lock, spelled for one key."""

    try_lock: str  # returns a true value when the lock was taken
    unlock: str
    holder: str  # returns one text describing the holder, or NULL / no row


class ScriptError(Exception):
    """A statement of a script failed. ``offset`` is its position in the script, if known.

    ``committed``: how many leading statements the database had committed (MySQL's DDL
    commits implicitly inside a transaction), where the dialect knows; ``recording``: every
    statement ran and the tracking row change after them failed.
    """

    def __init__(
        self,
        message: str,
        offset: int | None,
        statements_run: int,
        *,
        lock_timeout: bool = False,
        statement: str | None = None,
        committed: int | None = None,
        recording: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.statements_run = statements_run
        self.lock_timeout = lock_timeout
        self.statement = statement
        self.committed = committed
        self.recording = recording


class Dialect(abc.ABC, Generic[D]):
    """One database: its URL schemes, driver, SQL spellings and error codes."""

    name: ClassVar[str]
    schemes: ClassVar[tuple[str, ...]]  # URL schemes a user may write
    async_driver: ClassVar[str]  # SQLAlchemy's "backend+driver" name
    engine_drivers: ClassVar[tuple[str, ...]]  # the drivers a host's AsyncEngine may be on
    pip_extra: ClassVar[str]  # pip install 'schemactl[<extra>]' brings the driver
    split_dialect: ClassVar[SplitDialect]
    transactional_ddl: ClassVar[bool]
    begin_sql: ClassVar[str]
    # True when a session lock covers the whole run; False when each migration's transaction
    # is itself the lock and re-checks the tracking table (SQLite's write lock).
    has_session_lock: ClassVar[bool]
    has_server: ClassVar[bool]  # False for SQLite: a file, nothing to wait for
    supports_statement_timeout: ClassVar[bool]
    max_identifier_bytes: ClassVar[int | None]  # the longest table name; None: no limit
    now_sql: ClassVar[str]  # the current time, for the lease lock
    lease_expiry_sql: ClassVar[str]  # now plus {seconds} seconds
    # an SQL expression, true when the server takes no writes (a standby, a replica); None:
    # no such server. ``read_only_what`` says what it is, for the refusal.
    read_only_expression: ClassVar[str | None] = None
    read_only_what: ClassVar[str] = "read-only"

    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    @property
    def url(self) -> URL:
        return self.profile.url

    @property
    def server_label(self) -> str:
        """The server, password-free, for a message about the server itself."""
        return f"{self.name}://{self.url.host or 'localhost'}"

    # -- engines and connections ---------------------------------------------------------

    @classmethod
    @abc.abstractmethod
    def adapt_url(cls, url: URL) -> URL:
        """A user's URL (scheme already mapped to ``async_driver``) as the driver wants it."""

    @classmethod
    @abc.abstractmethod
    def profile_for(cls, url: URL, *, per_statement: bool, pooled: bool = False) -> Profile:
        """The profile of a URL: options only schemactl reads are taken out of it.
        ``pooled``: a pooler in transaction mode is in between, whatever the URL says."""

    @abc.abstractmethod
    def advice(self, exc: BaseException) -> str:
        """What to do about an error, when the database's words do not say ("" if nothing)."""

    @abc.abstractmethod
    def validate(self) -> None:
        """Refuse, before connecting, a URL the server would misread (too long a name)."""

    @abc.abstractmethod
    def engine_options(self, *, lock_timeout: float) -> dict[str, Any]:
        """Extra ``create_async_engine`` keyword arguments for engines schemactl owns."""

    @abc.abstractmethod
    async def driver(self, conn: AsyncConnection) -> D:
        """The driver's connection under a SQLAlchemy connection."""

    @abc.abstractmethod
    async def bound_link(self, driver: D, seconds: float) -> None:
        """Make the connection's socket fail once the link is silent for about ``seconds``
        (:func:`keep_alive`); nothing for a database without a network link."""

    @abc.abstractmethod
    def classify(self, exc: BaseException) -> Failure:
        """The one place that reads a driver exception (and the exceptions it wraps)."""

    @abc.abstractmethod
    def error_message(self, exc: BaseException) -> str:
        """The server's words for a statement error, one line."""

    @abc.abstractmethod
    def create_schema_sql(self, schema: str) -> str | None:
        """What creates the schema a tracking table is named in, when it is missing (None:
        not this database's to create, as MySQL's "schema" is a database)."""

    @abc.abstractmethod
    async def configure_session(
        self,
        driver: D,
        ddl_lock_timeout: float | None,
        statement_timeout: float | None,
        *,
        remember: bool,
    ) -> list[str]:
        """Apply the session limits; with ``remember``, return the statements that restore
        what was there (a connection that goes back to its owner's pool)."""

    # -- databases -----------------------------------------------------------------------

    @abc.abstractmethod
    async def database_exists(self) -> bool: ...

    @abc.abstractmethod
    async def create_database(self) -> bool:
        """Create the URL's database; False if it already existed. Safe against races."""

    @abc.abstractmethod
    async def drop_database(self) -> bool:
        """Drop the URL's database; False if it did not exist."""

    # -- running SQL ---------------------------------------------------------------------

    @abc.abstractmethod
    async def execute(self, driver: D, sql: str) -> None:
        """Run one statement (or, where the driver allows, a script) on the raw connection."""

    @abc.abstractmethod
    async def fetch_row(self, driver: D, sql: str) -> tuple[Any, ...] | None:
        """The first row a query returns, or None."""

    @abc.abstractmethod
    async def run_script(self, driver: D, sql: str) -> None:
        """A migration section, statement by statement (the caller holds any transaction).

        Raises ScriptError with the failing statement's offset and how many statements ran.
        """

    @abc.abstractmethod
    async def in_transaction(self, driver: D) -> bool:
        """Whether a transaction is open on the connection (asked of the driver, no query)."""

    @abc.abstractmethod
    async def run_batch(self, driver: D, sql: str, tracking_sql: str) -> None:
        """The script, then the tracking row change, inside the caller's open transaction."""

    @abc.abstractmethod
    async def run_transaction(
        self, driver: D, sql: str, tracking_sql: str, guard_sql: str | None
    ) -> bool:
        """BEGIN, the script, the tracking row change, COMMIT; ROLLBACK on failure.

        ``guard_sql`` returns a row while the change is still needed (dialects without a
        session lock); False when another run had already done the work.
        """

    # -- the migration lock --------------------------------------------------------------

    @abc.abstractmethod
    def table_exists_sql(self, schema: str | None, name: str) -> str:
        """A boolean SQL expression: whether the table exists (a catalog lookup)."""

    @abc.abstractmethod
    async def multi_primary(self, driver: D) -> bool:
        """Whether the server is a node of a multi-primary cluster (Galera), where a session
        lock holds on one node only."""

    @abc.abstractmethod
    async def default_schema(self, driver: D) -> str:
        """The schema an unqualified table name means on this connection."""

    @abc.abstractmethod
    def lock_key(self, table: str) -> str:
        """The name of the migration lock of this database and tracking table."""

    @abc.abstractmethod
    def session_lock_sql(self, key: str) -> LockSQL | None:
        """The server's session lock for ``key``; None when the dialect has none."""

    # -- autogenerate --------------------------------------------------------------------

    @classmethod
    @abc.abstractmethod
    def autogen_hooks(cls) -> AutogenHooks:
        """What autogenerate does differently on this database."""


# -- shared routines ------------------------------------------------------------------------


async def run_statements(dialect: Dialect[D], driver: D, sql: str) -> None:
    """``Dialect.run_script`` for drivers that take one statement at a time."""
    statements = split(dialect, sql)
    for index, statement in enumerate(statements):
        try:
            await dialect.execute(driver, statement.sql)
        except Exception as exc:
            kind = dialect.classify(exc)
            if not kind.statement:
                raise
            raise ScriptError(
                dialect.error_message(exc),
                statement.offset,
                index,
                lock_timeout=kind is Failure.LOCK_TIMEOUT,
                statement=statement.sql,
            ) from exc


async def run_in_steps(
    dialect: Dialect[D], driver: D, sql: str, tracking_sql: str, guard_sql: str | None
) -> bool:
    """``Dialect.run_transaction`` as separate BEGIN, statements, tracking change, COMMIT."""
    await dialect.execute(driver, dialect.begin_sql)
    try:
        if guard_sql is not None and await dialect.fetch_row(driver, guard_sql) is None:
            await dialect.execute(driver, "ROLLBACK")
            return False
        await dialect.run_batch(driver, sql, tracking_sql)
        await dialect.execute(driver, "COMMIT")
        return True
    except BaseException:
        with anyio.CancelScope(shield=True):
            await rollback_quietly(dialect, driver)
        raise


async def refuse_read_only(dialect: Dialect[D], driver: D, label: str) -> None:
    """``ReadOnlyServerError`` when the server takes no writes (a standby, a replica):
    asked first, so that nothing is attempted there (``label`` names the server)."""
    if dialect.read_only_expression is None:
        return
    row = await dialect.fetch_row(driver, f"SELECT {dialect.read_only_expression}")
    if row is not None and row[0]:
        raise ReadOnlyServerError(
            f"{label} is {dialect.read_only_what}: migrations are applied, rolled back and "
            "resolved on the primary; nothing was attempted (point the URL at the primary; "
            "`status` and `wait --migrated` work here)"
        )


async def rollback_quietly(dialect: Dialect[D], driver: D) -> None:
    with contextlib.suppress(Exception):  # the connection may be gone; the server rolls back
        await dialect.execute(driver, "ROLLBACK")


def split(dialect: Dialect[Any], sql: str) -> list[Statement]:
    return split_statements(sql, dialect.split_dialect)


def first_error_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_LOCKED_TABLE = re.compile(
    r"""^\s*(?:alter\s+table(?:\s+if\s+exists)?(?:\s+only)?|drop\s+table(?:\s+if\s+exists)?|
    truncate(?:\s+table)?|lock\s+table|insert\s+into|update|delete\s+from|
    create\s+(?:unique\s+)?index(?:\s+concurrently)?(?:\s+if\s+not\s+exists)?
    (?:\s+[^\s(]+)?\s+on(?:\s+only)?)\s+([^\s(;]+)""",
    re.IGNORECASE | re.VERBOSE,
)


_TRANSACTION_CONTROL = re.compile(
    r"""^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*
    (begin(?!\s+not\s+atomic\b)|start\s+transaction|commit|end|abort|prepare\s+transaction
    |rollback(?!(?:\s+(?:work|transaction))?\s+to\b))\b""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


def transaction_control(statement: str) -> str | None:
    """The keyword, lower case, of a statement that starts or ends a transaction (BEGIN,
    START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, PREPARE TRANSACTION); None for any other,
    ROLLBACK TO a savepoint and MariaDB's ``BEGIN NOT ATOMIC`` blocks included.

    >>> transaction_control("-- done\nCOMMIT"), transaction_control("ROLLBACK TO SAVEPOINT a")
    ('commit', None)
    """
    match = _TRANSACTION_CONTROL.match(statement)
    return " ".join(match.group(1).lower().split()) if match else None


def locked_table(statement: str | None) -> str | None:
    """The table a DDL or DML statement locks, for "waiting for a lock on X" messages."""
    match = _LOCKED_TABLE.match(statement or "")
    return match.group(1).strip('"`[]') if match else None


def milliseconds(seconds: float) -> int:
    """A session limit in whole milliseconds, at least 1: 0 would turn the limit off
    (PostgreSQL's ``lock_timeout``/``statement_timeout``, SQLite's busy timeout).

    >>> milliseconds(0.0004)
    1
    """
    return max(1, math.ceil(seconds * 1000))


def int64_key(text: str) -> int:
    """A stable signed 64-bit number for a text, for PostgreSQL advisory locks."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception, its causes and the driver errors SQLAlchemy wraps, outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo.extend([getattr(item, "orig", None), item.__cause__, item.__context__])
    return seen


def link_failure(exc: BaseException) -> Failure:
    """CONNECTION when a plain network error is in the chain, else OTHER."""
    chain = exception_chain(exc)
    if any(isinstance(item, OSError | TimeoutError) for item in chain):
        return Failure.CONNECTION
    return Failure.OTHER


async def raw_driver(conn: AsyncConnection) -> Any:
    """The driver's own connection under a SQLAlchemy one."""
    raw = await conn.get_raw_connection()
    assert raw.driver_connection is not None
    return raw.driver_connection


def keep_alive(sock: socket.socket | None, seconds: float) -> None:
    """Bound a silent TCP link to about ``seconds``, without bounding a slow statement.

    A link whose packets are dropped (a NAT or firewall that forgot the flow, a peer that
    vanished) gives no error: the client waits for a reply for ever. TCP keepalive probes
    fail there after ``seconds``, and ``TCP_USER_TIMEOUT`` (Linux) fails data the peer does
    not acknowledge as long; either way the socket errors with ETIMEDOUT and every pending and
    later call on it fails at once. A statement that runs for hours on a healthy link is not
    affected: the server's kernel answers the probes.
    """
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # a Unix socket: no network in between
    idle = max(1, int(seconds / 2))
    interval = max(1, int(seconds / 6))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (
        ("TCP_KEEPIDLE", idle),
        ("TCP_KEEPINTVL", interval),
        ("TCP_KEEPCNT", 3),
        ("TCP_USER_TIMEOUT", math.ceil(seconds * 1000)),  # caps the probing too
    ):
        option = getattr(socket, name, None)
        if option is not None:  # (macOS has no TCP_USER_TIMEOUT, and names TCP_KEEPIDLE else)
            sock.setsockopt(socket.IPPROTO_TCP, option, value)


def owned_engine(url: URL, password: PasswordSource | None = None, **options: Any) -> Any:
    """An engine schemactl creates and disposes itself: no pool, nothing lingers. With a
    ``password`` source, each new connection gets a password made for it."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(url, poolclass=NullPool, **options)
    if password is not None:
        password.attach(engine)
    return engine
