"""One operation over many databases: the list (a URL file, a shard of it) and the run (an
anyio task group, at most ``concurrency`` databases at a time, one failing stopping none).

A shard is taken by position: after duplicates are removed (the first kept), shard K of N
holds the URLs at positions i (from 0) with ``i % N == K - 1``. The N shards of one list are
disjoint and together cover it; every runner must read the same list, in the same order.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from ._errors import ConfigurationError, SchemactlError
from ._redact import password_in, redact

R = TypeVar("R")
DEFAULT_CONCURRENCY = 4
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class FleetDatabase(Generic[R]):
    """One database of a fleet run: its URL (password redacted), and the operation's result
    when ``ok``, else its error's one line and exit code."""

    url: str
    ok: bool
    result: R | None = None
    error: str | None = None
    exit_code: int = 0
    seconds: float = 0.0
    skipped: bool = False  # not run: a canary failed (``error`` says which)

    @property
    def schema(self) -> str | None:
        """The schema it ran in (``?search_path=``'s first: a schema per tenant), or None."""
        from urllib.parse import parse_qs, urlsplit

        from ._search_path import schemas

        values = parse_qs(urlsplit(self.url).query).get("search_path")
        try:
            return schemas(values[0])[0] if values else None
        except ConfigurationError:  # (a malformed one: that database failed, and says why)
            return None


@dataclass(frozen=True)
class FleetResult(Generic[R]):
    """Every database of a fleet run, in the order of the list given."""

    databases: tuple[FleetDatabase[R], ...]

    @property
    def ok(self) -> int:
        return sum(1 for d in self.databases if d.ok)

    @property
    def failed(self) -> int:
        return len(self.databases) - self.ok

    @property
    def exit_code(self) -> int:
        """0 when every database succeeded; otherwise the exit code of the first failed
        database in the list (whatever the order they finished in)."""
        return next((d.exit_code for d in self.databases if not d.ok), 0)


async def run_many(
    operation: Callable[[str], Awaitable[R]],
    urls: Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[FleetDatabase[R]], None] | None = None,
    canary: int = 0,
) -> FleetResult[R]:
    """Run ``operation`` on each URL (duplicates once), at most ``concurrency`` at a time. A
    database that fails (a ``SchemactlError``, or any other exception: an internal error,
    exit 70) is recorded and the others go on; ``on_done`` is called as each finishes.

    ``canary``: the first that many URLs run first; if one of them fails, the others are not
    run at all (each recorded as ``skipped``, naming the canary that failed).

    >>> result = await run_many(lambda url: schemactl.up(url), urls, concurrency=8)
    >>> result.failed
    """
    check_concurrency(concurrency)
    if isinstance(canary, bool) or not isinstance(canary, int) or canary < 0:
        raise ConfigurationError(f"canary must be a whole number >= 0, not {canary!r}")
    unique = list(dict.fromkeys(urls))
    if not canary or canary >= len(unique):
        return await _run_all(operation, unique, concurrency, on_done)
    first = await _run_all(operation, unique[:canary], concurrency, on_done)
    if not first.failed:
        rest = await _run_all(operation, unique[canary:], concurrency, on_done)
        return FleetResult(first.databases + rest.databases)
    failed = next(d for d in first.databases if not d.ok)
    skipped = []
    for url in unique[canary:]:
        database: FleetDatabase[R] = FleetDatabase(
            redact(url, password_in(url)),
            False,
            error=f"not run: the canary {failed.url} failed",
            exit_code=failed.exit_code,
            skipped=True,
        )
        skipped.append(database)
        if on_done is not None:
            on_done(database)
    return FleetResult(first.databases + tuple(skipped))


async def _run_all(
    operation: Callable[[str], Awaitable[R]],
    unique: list[str],
    concurrency: int,
    on_done: Callable[[FleetDatabase[R]], None] | None,
) -> FleetResult[R]:
    import anyio

    done: list[FleetDatabase[R] | None] = [None] * len(unique)
    limiter = anyio.CapacityLimiter(concurrency)

    async def one(index: int, url: str) -> None:
        async with limiter:
            database = await _run_one(operation, url)
        done[index] = database
        if on_done is not None:
            on_done(database)

    async with anyio.create_task_group() as group:
        for index, url in enumerate(unique):
            group.start_soon(one, index, url)
    return FleetResult(tuple(d for d in done if d is not None))


async def _run_one(operation: Callable[[str], Awaitable[R]], url: str) -> FleetDatabase[R]:
    password = password_in(url)
    shown = redact(url, password)
    started = time.perf_counter()
    try:
        result = await operation(url)
    except SchemactlError as exc:
        error, code = str(exc).strip() or type(exc).__name__, exc.exit_code
    except Exception as exc:  # one database's bug must not stop the fleet
        error, code = f"internal error: {type(exc).__name__}: {exc}", 70
    else:
        return FleetDatabase(shown, True, result, seconds=time.perf_counter() - started)
    lines = (" ".join(part.split()) for part in redact(error, password).splitlines())
    line = "; ".join(part for part in lines if part)  # one line for the table
    return FleetDatabase(shown, False, None, line, code, time.perf_counter() - started)


def check_concurrency(concurrency: int) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigurationError(f"concurrency must be a whole number >= 1, not {concurrency!r}")


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` as (K, N), with 1 <= K <= N.

    >>> parse_shard("2/8")
    (2, 8)
    """
    match = _SHARD.match(text)
    if match is None:
        raise ConfigurationError(f"--shard must be K/N, like 1/4, not {text!r}")
    k, n = int(match.group(1)), int(match.group(2))
    if not 1 <= k <= n:
        raise ConfigurationError(f"--shard K/N needs 1 <= K <= N, not {text!r}")
    return k, n


def shard(urls: Sequence[str], k: int, n: int) -> list[str]:
    """Shard ``k`` of ``n`` (from 1) of ``urls``: duplicates removed, then every n-th URL
    starting at position k - 1. Deterministic, and the n shards are disjoint and cover the list.

    >>> shard(["a", "b", "c", "d", "e"], 2, 2)
    ['b', 'd']
    """
    if not 1 <= k <= n:
        raise ConfigurationError(f"--shard K/N needs 1 <= K <= N, not {k}/{n}")
    return [url for i, url in enumerate(dict.fromkeys(urls)) if i % n == k - 1]


def read_url_file(path: str | Path) -> list[str]:
    """The URLs of a file, one a line: blank lines and lines starting with ``#`` ignored,
    surrounding spaces removed, duplicates once (the first kept). A file that lists none is a
    ``ConfigurationError``, as is one that cannot be read.

    >>> read_url_file("tenants.txt")
    ['postgresql://app@db1/tenant_a', 'postgresql://app@db1/tenant_b']
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror
        raise ConfigurationError(f"cannot read the URL file {str(path)!r}: {reason}") from None
    lines = (line.strip() for line in text.splitlines())
    urls = list(dict.fromkeys(line for line in lines if line and not line.startswith("#")))
    if not urls:
        raise ConfigurationError(f"the URL file {str(path)!r} lists no database URL")
    return urls
