"""The digest of a plan: sha256 over a canonical encoding of exactly what would run.

It covers the target database's identity (dialect, host, port, database name: never the user
nor the password), the direction (``up``, or ``down`` with its ``steps``/``to``), and the
ordered list of the migrations that would run, each as (version, file name, sha256 of the
file's bytes). Not the live counts nor sizes: a plan approved at 10:00 is the same plan at
10:05 if the same files would run against the same database.

``up --plan-digest`` recomputes it under the migration lock. To say *what* changed, ``plan``
records each plan it makes in the user's cache directory (``$SCHEMACTL_PLANS_DIR``, else
``$XDG_CACHE_HOME/schemactl/plans``, else ``~/.cache/schemactl/plans``), never beside the
migrations (dbmate would read them), and removes the records no plan has written for 90 days;
without a record, the refusal lists what would run now.

>>> entry = Entry("20260101000000", "20260101000000_add_users.sql", "ab12...")
>>> digest(Identity("postgresql", "db", 5432, "app"), "up", [entry])
'sha256:...'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError, PlanDigestError
from .._files import checksum

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from .._files import MigrationFile

log = logging.getLogger("schemactl")
PREFIX = "sha256:"
KEEP_DAYS = 90  # a plan record nobody has written again for this long is removed
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


@dataclass(frozen=True)
class Identity:
    """Which database: what stays the same whoever connects, and however."""

    dialect: str
    host: str
    port: int | None
    database: str

    @classmethod
    def of(cls, dialect: str, url: URL) -> Identity:
        port = url.port if url.port is not None else _DEFAULT_PORTS.get(dialect)
        return cls(dialect, (url.host or "").lower(), port, str(url.database or ""))

    def __str__(self) -> str:
        if self.dialect == "sqlite":
            return f"sqlite:{self.database}"
        return f"{self.dialect}://{self.host}:{self.port}/{self.database}"


@dataclass(frozen=True)
class Entry:
    """One migration that would run."""

    version: str
    file: str  # the file's name (not its directory: the same plan from another checkout)
    sha256: str

    @classmethod
    def of(cls, file: MigrationFile) -> Entry:
        return cls(file.version, file.path.name, checksum(file.content()))


def check_digest(value: str) -> str:
    """A digest as given by a user: ``sha256:`` and 64 hex digits (a ConfigurationError
    otherwise); returned in lower case."""
    text = value.strip().lower()
    hex_part = text.removeprefix(PREFIX)
    if not text.startswith(PREFIX) or len(hex_part) != 64 or not _is_hex(hex_part):
        raise ConfigurationError(
            f"a plan digest is sha256: and 64 hex digits, as `schemactl plan` prints it, "
            f"not {value!r}"
        )
    return text


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdef" for ch in text)


def digest(
    identity: Identity,
    direction: str,
    entries: Sequence[Entry],
    *,
    steps: int | None = None,
    to: str | None = None,
) -> str:
    """``sha256:<hex>`` of the canonical JSON of what would run (sorted keys, no spaces)."""
    return PREFIX + hashlib.sha256(_canonical(identity, direction, entries, steps, to)).hexdigest()


def _canonical(
    identity: Identity,
    direction: str,
    entries: Sequence[Entry],
    steps: int | None,
    to: str | None,
) -> bytes:
    document: dict[str, Any] = {
        "format": "schemactl.plan-digest/1",
        "target": asdict(identity),
        "direction": direction,
        "migrations": [[e.version, e.file, e.sha256] for e in entries],
    }
    if direction == "down":
        document["steps"], document["to"] = steps, to
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


# -- records of the plans made, to name what changed ---------------------------------------


def plans_dir() -> Path:
    explicit = os.environ.get("SCHEMACTL_PLANS_DIR")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "schemactl" / "plans"


def remember(
    value: str,
    identity: Identity,
    direction: str,
    entries: Sequence[Entry],
    steps: int | None = None,
    to: str | None = None,
) -> None:
    """Record a plan under its digest; a cache that cannot be written is no error (the
    refusal then cannot name what changed, only that something did)."""
    record = {
        "digest": value,
        "target": asdict(identity),
        "direction": direction,
        "steps": steps,
        "to": to,
        "migrations": [asdict(e) for e in entries],
    }
    path = plans_dir() / f"{value.removeprefix(PREFIX)}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        log.debug("the plan was not recorded in %s: %s", path.parent, exc)
    _prune(path.parent)


def _prune(directory: Path) -> None:
    """Remove the records (and files left by a write cut short) untouched for KEEP_DAYS: a
    plan made again is written again, so only plans nobody made lately go."""
    oldest = time.time() - KEEP_DAYS * 86400
    with contextlib.suppress(OSError):
        for path in directory.iterdir():
            if path.suffix in (".json", ".tmp"):
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < oldest:
                        path.unlink()


def recalled(value: str) -> dict[str, Any] | None:
    path = plans_dir() / f"{value.removeprefix(PREFIX)}.json"
    with contextlib.suppress(OSError, ValueError):
        record = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(record, dict) and record.get("digest") == value:
            return record
    return None


# -- the refusal -----------------------------------------------------------------------------


def refuse_unless_approved(
    approved: str,
    identity: Identity,
    pending: Sequence[MigrationFile],
    applied: Iterable[str],
) -> None:
    """``up --plan-digest``: a PlanDigestError (exit 8) naming what changed, unless the
    migrations that would run now (``pending``, in order) are the approved plan's."""
    entries = [Entry.of(f) for f in pending]
    actual = digest(identity, "up", entries)
    if actual == approved:
        return
    record = recalled(approved)
    if record is not None:
        changes = _changes(record, identity, entries, {f.version: f for f in pending}, applied)
    else:
        names = ", ".join(e.file for e in entries) or "none"
        changes = [
            f"the migrations that would run now differ from the approved plan (pending now: "
            f"{names}); no record of the approved plan on this machine says how"
        ]
    raise PlanDigestError(
        "the plan changed since it was approved: "
        + "; ".join(changes)
        + f". Review `schemactl plan` again (it now has digest {actual})",
        expected=approved,
        actual=actual,
        changes=changes,
    )


def _changes(
    record: Mapping[str, Any],
    identity: Identity,
    entries: Sequence[Entry],
    pending: Mapping[str, MigrationFile],
    applied: Iterable[str],
) -> list[str]:
    changes: list[str] = []
    if record.get("target") != asdict(identity):
        target = Identity(**record["target"]) if isinstance(record.get("target"), dict) else "?"
        changes.append(f"the plan was approved for {target}, not {identity}")
    if record.get("direction") != "up":
        changes.append("the approved plan is a rollback's (rollback --dry-run), not up's")
        return changes
    before = {m["version"]: m for m in record.get("migrations", ())}
    now = {e.version: e for e in entries}
    done = set(applied)
    for version, old in before.items():
        if version not in now:
            what = "was applied since" if version in done else "is no longer pending"
            changes.append(f"{old['file']} {what}")
        elif now[version].sha256 != old["sha256"]:
            changes.append(f"{pending[version].path} changed since the plan was approved")
    changes += [f"a migration was added: {pending[v].path}" for v in now if v not in before]
    if not changes and list(before) != list(now):
        changes.append("the migrations would run in another order")
    return changes or ["the plan differs from the approved one"]
