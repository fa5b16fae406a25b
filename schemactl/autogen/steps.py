"""The files one autogenerate run writes: the main migration, and the steps that must run
apart from it to keep existing tables online.

A PostgreSQL index built on a table that holds rows must be built ``CONCURRENTLY``, which
cannot run in a transaction (a file of its own, ``transaction:false``); a constraint added
``NOT VALID`` is validated in a later transaction, not under the lock that added it. The
dialect's hooks (``split_steps``) take those operations out of the main migration and
return them as ``Step``s, SQL already written; what stays is rendered as before.

A table the migration itself creates needs none of this: nobody reads it yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.operations import ops

# How long a statement of a generated migration waits for a table lock before it fails,
# instead of queueing every reader and writer of the table behind it. Long enough for the
# lock holders a live application has (short transactions), short enough that the queue
# behind it does not take the application down; the failure is one line, exit 7, and the
# migration can simply be run again. (``--ddl-lock-timeout`` sets the same for the whole
# run; the file's own setting wins inside its transaction, and also holds under dbmate.)
LOCK_TIMEOUT = "5s"


@dataclass(frozen=True)
class Step:
    """One migration file's SQL. ``label`` names the step in the file name, after the
    run's name (``add_ix_users_email``); "" is the main migration."""

    label: str
    up_sql: str
    down_sql: str
    up_transaction: bool = True
    down_transaction: bool = True


@dataclass
class Split:
    """What a dialect's ``split_steps`` took out of the main migration (``after``: the
    steps that follow it, in order), and whether what stays takes locks on tables that
    already exist (its sections then start by setting a lock timeout)."""

    after: list[Step] = field(default_factory=list)
    locks_existing: bool = False


def existing_tables_touched(upgrade: ops.UpgradeOps) -> bool:
    """Whether the up section's operations lock a table it does not create: any change to
    one, dropping one, or a new table's foreign key pointing at one (SHARE ROW EXCLUSIVE
    on the table referenced)."""
    from alembic.operations import ops
    from sqlalchemy import ForeignKeyConstraint

    new = {(op.schema, op.table_name) for op in upgrade.ops if isinstance(op, ops.CreateTableOp)}
    names = {name for _, name in new}
    for op in upgrade.ops:
        if isinstance(op, ops.ModifyTableOps | ops.DropTableOp):
            if (op.schema, op.table_name) not in new:
                return True
        elif isinstance(op, ops.CreateTableOp):
            for item in op.columns:
                if isinstance(item, ForeignKeyConstraint):
                    targets = {e.target_fullname.split(".")[-2] for e in item.elements}
                    if targets - names:
                        return True
                for key in getattr(item, "foreign_keys", ()):
                    if key.target_fullname.split(".")[-2] not in names:
                        return True
    return False


def with_lock_timeout(sql: str, *, transaction: bool) -> str:
    """A section's statements (``sql``, no header yet) led by the lock timeout: ``SET LOCAL``
    in a transaction; outside one, ``SET``, and ``RESET`` at the end, so that the session the
    runner goes on with is as it was."""
    if transaction:
        return f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}';\n\n{sql}"
    return f"SET lock_timeout = '{LOCK_TIMEOUT}';\n\n{sql.rstrip(chr(10))}\n\nRESET lock_timeout;\n"
