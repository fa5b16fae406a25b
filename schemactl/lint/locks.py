"""What each operation locks, what that lock blocks, and whether it rewrites or scans a table.

PostgreSQL: the lock modes of the ALTER TABLE and explicit-locking pages. MySQL/MariaDB: the
online DDL tables (INSTANT, INPLACE, COPY) and the metadata lock every DDL takes at its ends.
SQLite: one writer at a time, so every change blocks writes to the whole database while it
runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from . import ops

Blocks = Literal["nothing", "schema changes", "writes", "reads and writes"]

_BLOCK_LEVEL: dict[Blocks, int] = {
    "nothing": 0,
    "schema changes": 1,
    "writes": 2,
    "reads and writes": 3,
}


@dataclass(frozen=True)
class LockFact:
    lock: (
        str  # "ACCESS EXCLUSIVE", "SHARE", ...; "COPY", "INPLACE", "INSTANT"; "database write lock"
    )
    blocks: Blocks
    rewrite: bool = False  # the table (and its indexes) is written anew
    scan: bool = False  # every row is read (a constraint checked, an index built)

    @property
    def level(self) -> int:
        """0 (blocks nothing) to 3 (blocks reads and writes)."""
        return _BLOCK_LEVEL[self.blocks]

    @property
    def long(self) -> bool:
        """Held for a time that grows with the table."""
        return self.rewrite or self.scan


NONE = LockFact("none", "nothing")

_PG_BLOCKS: dict[str, Blocks] = {
    "ACCESS EXCLUSIVE": "reads and writes",
    "EXCLUSIVE": "writes",
    "SHARE ROW EXCLUSIVE": "writes",
    "SHARE": "writes",
    "SHARE UPDATE EXCLUSIVE": "schema changes",
    "ROW EXCLUSIVE": "nothing",
}


def _pg(mode: str, *, rewrite: bool = False, scan: bool = False) -> LockFact:
    return LockFact(mode, _PG_BLOCKS[mode], rewrite=rewrite, scan=scan)


def lock_of(op: ops.Op, dialect: str, *, online: ops.OnlineClause | None = None) -> LockFact:
    """The lock ``op`` takes on ``dialect``; ``online`` is the statement's MySQL clause."""
    if dialect == "postgresql":
        return _postgresql(op)
    if dialect == "mysql":
        return _mysql(op, online)
    return _sqlite(op)


# PostgreSQL type changes that need no rewrite (binary coercible), old -> new prefix test
def pg_type_change_rewrites(old: str | None, new: str) -> bool:
    """Whether PostgreSQL rewrites the table to change a column from ``old`` to ``new``.

    Unknown old types rewrite: the linter assumes the worst it cannot rule out."""
    if old is None:
        return True
    old, new = old.lower(), new.lower()
    if old == new or (new == "text" and old.startswith(("varchar", "char", "text"))):
        return False
    if old.startswith("varchar") and new == "varchar":  # unbounded
        return False
    old_len, new_len = _length(old, "varchar"), _length(new, "varchar")
    if old_len is not None and new_len is not None:
        return new_len < old_len
    old_num, new_num = _numeric(old), _numeric(new)
    if old_num is not None and new_num is not None:
        return not (new_num[1] == old_num[1] and new_num[0] >= old_num[0])
    if (old, new) in {("timestamp", "timestamptz")}:
        return True  # a rewrite unless the session time zone is UTC: assume it
    return True


def _length(type_: str, base: str) -> int | None:
    if type_.startswith(base + "(") and type_.endswith(")"):
        inside = type_[len(base) + 1 : -1]
        return int(inside) if inside.isdigit() else None
    return None


def _numeric(type_: str) -> tuple[int, int] | None:
    for base in ("numeric", "decimal"):
        if type_.startswith(base + "(") and type_.endswith(")"):
            parts = type_[len(base) + 1 : -1].split(",")
            if all(p.strip().isdigit() for p in parts):
                return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    return None


def _postgresql(op: ops.Op) -> LockFact:
    if isinstance(op, ops.AddColumn):
        col = op.column
        rewrite = col.volatile_default or col.generated == "stored" or col.identity
        return _pg("ACCESS EXCLUSIVE", rewrite=rewrite)
    if isinstance(op, ops.AlterColumnType):
        return _pg("ACCESS EXCLUSIVE", rewrite=True)  # the engine refines it with the old type
    if isinstance(op, ops.SetNotNull):
        return _pg("ACCESS EXCLUSIVE", scan=True)  # unless a valid check proves it: engine
    if isinstance(op, ops.AddConstraint):
        c = op.constraint
        if c.kind == "fk":
            return _pg("SHARE ROW EXCLUSIVE", scan=not c.not_valid)
        if c.kind in ("unique", "primary"):
            return _pg("ACCESS EXCLUSIVE", scan=c.using_index is None)
        return _pg("ACCESS EXCLUSIVE", scan=not c.not_valid)
    if isinstance(op, ops.ValidateConstraint):
        return _pg("SHARE UPDATE EXCLUSIVE", scan=True)
    if isinstance(op, ops.CreateIndex):
        return _pg("SHARE UPDATE EXCLUSIVE" if op.concurrently else "SHARE", scan=True)
    if isinstance(op, ops.DropIndex | ops.Reindex):
        if op.concurrently:
            return _pg("SHARE UPDATE EXCLUSIVE", scan=isinstance(op, ops.Reindex))
        return _pg("ACCESS EXCLUSIVE", scan=isinstance(op, ops.Reindex))
    if isinstance(op, ops.TableMaintenance):
        return _pg_maintenance(op)
    if isinstance(op, ops.CreateTrigger):
        return _pg("SHARE ROW EXCLUSIVE")
    if isinstance(op, ops.DomainConstraint):
        return _pg("SHARE", scan=True)
    if isinstance(op, ops.DataChange):
        return _pg("ROW EXCLUSIVE", scan=not op.has_where or op.kind == "insert_select")
    if isinstance(op, ops.CreateTable):
        return NONE
    if isinstance(
        op,
        ops.DropTable
        | ops.RenameTable
        | ops.Truncate
        | ops.DropColumn
        | ops.RenameColumn
        | ops.DropNotNull
        | ops.SetDefault
        | ops.DropDefault
        | ops.DropConstraint,
    ):
        return _pg("ACCESS EXCLUSIVE")
    return NONE


def _pg_maintenance(op: ops.TableMaintenance) -> LockFact:
    kind = op.kind
    if kind in ("vacuum_full", "cluster", "set_logged", "set_unlogged", "set_tablespace"):
        return _pg("ACCESS EXCLUSIVE", rewrite=True)
    if kind == "set_access_method":
        return _pg("ACCESS EXCLUSIVE", rewrite=True)
    if kind == "refresh_materialized_view":
        return _pg("EXCLUSIVE" if op.concurrently else "ACCESS EXCLUSIVE", scan=True)
    if kind == "detach_partition":
        return _pg("SHARE UPDATE EXCLUSIVE" if op.concurrently else "ACCESS EXCLUSIVE")
    if kind == "attach_partition":
        return _pg("SHARE UPDATE EXCLUSIVE", scan=True)
    if kind == "lock_table":
        return _pg("ACCESS EXCLUSIVE")
    if kind == "set_statistics":
        return _pg("SHARE UPDATE EXCLUSIVE")
    if kind == "enable_disable_trigger":
        return _pg("SHARE ROW EXCLUSIVE")
    return NONE


# -- MySQL / MariaDB ---------------------------------------------------------------------------

_INSTANT = LockFact("INSTANT", "nothing")
_INPLACE = LockFact("INPLACE", "nothing", scan=True)
_REBUILD = LockFact("INPLACE", "nothing", rewrite=True)
_COPY = LockFact("COPY", "writes", rewrite=True)
_METADATA = LockFact("metadata lock", "reads and writes")  # brief, but queues everything


def _mysql(op: ops.Op, online: ops.OnlineClause | None) -> LockFact:
    fact = _mysql_default(op)
    if online is not None and fact not in (NONE, _METADATA):
        if online.algorithm == "COPY":
            fact = _COPY
        if online.lock in ("SHARED", "EXCLUSIVE"):
            blocks: Blocks = "writes" if online.lock == "SHARED" else "reads and writes"
            fact = LockFact(fact.lock, blocks, rewrite=fact.rewrite, scan=fact.scan)
    return fact


def _mysql_default(op: ops.Op) -> LockFact:
    if isinstance(op, ops.AddColumn):
        col = op.column
        if col.identity or col.generated == "stored" or col.volatile_default:
            return _COPY
        return _INSTANT
    if isinstance(op, ops.DropColumn):
        return _REBUILD
    if isinstance(op, ops.RenameColumn | ops.SetDefault | ops.DropDefault):
        return _INSTANT
    if isinstance(op, ops.AlterColumnType):
        return _COPY  # the engine refines a VARCHAR grow to INPLACE
    if isinstance(op, ops.SetNotNull | ops.DropNotNull):
        return _REBUILD
    if isinstance(op, ops.CreateIndex):
        if op.method in ("fulltext", "spatial"):
            return LockFact("INPLACE", "writes", scan=True)
        return _INPLACE
    if isinstance(op, ops.DropIndex):
        return _INSTANT
    if isinstance(op, ops.AddConstraint):
        kind = op.constraint.kind
        if kind == "fk":
            return LockFact(
                "COPY", "writes", rewrite=True
            )  # INPLACE only with foreign_key_checks=0
        if kind == "check":
            return LockFact("COPY", "writes", rewrite=True)
        if kind == "primary":
            return _REBUILD
        return _INPLACE
    if isinstance(op, ops.DropConstraint):
        return _COPY if op.kind == "primary" else _INSTANT
    if isinstance(op, ops.TableMaintenance) and op.kind == "optimize":
        return _REBUILD
    if isinstance(op, ops.DropTable | ops.Truncate | ops.RenameTable):
        return _METADATA
    if isinstance(op, ops.DataChange):
        return LockFact("row locks", "nothing", scan=not op.has_where)
    return NONE


# -- SQLite ------------------------------------------------------------------------------------

_SQLITE_WRITE = "database write lock"


def _sqlite(op: ops.Op) -> LockFact:
    if isinstance(op, ops.CreateTable | ops.Other | ops.Transaction | ops.SetOption):
        return NONE
    if isinstance(op, ops.DropColumn):
        return LockFact(_SQLITE_WRITE, "writes", rewrite=True)
    if isinstance(op, ops.CreateIndex | ops.DataChange):
        return LockFact(_SQLITE_WRITE, "writes", scan=True)
    return LockFact(_SQLITE_WRITE, "writes")
