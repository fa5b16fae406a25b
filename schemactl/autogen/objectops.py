"""Operations on schema objects Alembic does not compare: sequences, enum values.

Alembic has no operation for these, and registering one (``Operations.register_operation``,
``implementation_for``) changes Alembic's classes for the whole process. These operations
render themselves instead (``render`` calls ``ObjectOp.render``), through the offline
context's ``Operations.execute``, and describe themselves (``changes.describe``).

Where they go: operations that make what the tables need (a sequence, an enum value) come
before the tables' operations in the up section, those that remove something after; the
down section gets their reverses, mirrored (``place``).
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from alembic.operations import ops

if TYPE_CHECKING:
    from alembic.operations import Operations

    from .._results import Change


class ObjectOp(ops.MigrateOperation, abc.ABC):
    """One change to a schema object outside the tables, rendering its own SQL."""

    #: up section: before the tables' operations (False: after them)
    first: bool = True
    #: the statement cannot run inside a transaction block (PostgreSQL < 12's ADD VALUE)
    outside_transaction: bool = False

    @abc.abstractmethod
    def change(self) -> Change:
        """What ``check`` and ``new --auto`` report for it."""

    @abc.abstractmethod
    def render(self, operations: Operations) -> None:
        """Emit the SQL (or comment) through the offline context."""

    @abc.abstractmethod
    def reverse(self) -> ObjectOp:
        """The operation the down section runs for it."""


def place(upgrade: ops.UpgradeOps, downgrade: ops.DowngradeOps, items: list[ObjectOp]) -> None:
    """Put ``items`` into the up section, and their reverses into the down section, mirrored:
    what the up section makes first, the down section removes last."""
    first = [op for op in items if op.first]
    last = [op for op in items if not op.first]
    upgrade.ops[:0] = first
    upgrade.ops.extend(last)
    downgrade.ops[:0] = [op.reverse() for op in reversed(last)]
    downgrade.ops.extend(op.reverse() for op in reversed(first))


def comment(operations: Operations, lines: list[str]) -> None:
    """Write ``-- `` comment lines into the section being rendered, as one paragraph."""
    text = "\n".join(f"-- {line}".rstrip() for line in lines)
    operations.migration_context.impl.static_output(text)
