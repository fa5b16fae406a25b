"""PostgreSQL enum types whose values changed in the models: Alembic compares no labels.

A value the models add becomes ``ALTER TYPE ... ADD VALUE``, with ``BEFORE``/``AFTER`` when
it is not the last, so the type keeps the models' order. PostgreSQL cannot run that inside a
transaction block before version 12, and from 12 a value added in a transaction cannot be
used before it commits: the up section runs outside a transaction (``transaction:false``),
and ``IF NOT EXISTS`` makes a rerun after a failure part-way harmless.

PostgreSQL cannot remove a value. Removed, renamed or reordered values are reported, and the
file says in a comment that they need a hand-written migration; no SQL is guessed for them
(a rename looks like a removal plus an addition: adding the new name would block the rename).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.schema import DDL

from .._results import Change
from .objectops import ObjectOp, comment

if TYPE_CHECKING:
    from alembic.operations import Operations

    from .hooks import TableKey

HAND_WRITTEN = "needs a hand-written migration"


def enum_value_ops(
    wanted: dict[TableKey, list[str]], existing: dict[TableKey, list[str]]
) -> list[ObjectOp]:
    """For each enum type in both (by (schema, name), labels in order): the values to add,
    or a note when values were removed or reordered."""
    result: list[ObjectOp] = []
    for key in sorted(set(wanted) & set(existing), key=lambda k: (k[0] or "", k[1])):
        labels, present = wanted[key], existing[key]
        kept = [label for label in labels if label in present]
        if kept != present:  # a value removed (or renamed), or the order changed
            result.append(EnumValuesNoteOp(key, labels, present))
            continue
        for index, label in enumerate(labels):
            if label in present:
                continue
            after = labels[index - 1] if index > 0 else None
            before = None
            if all(later not in present for later in labels[index:]):
                after = None  # last: ADD VALUE appends
            elif after is None:
                before = present[0]
            result.append(AddEnumValueOp(key, label, before=before, after=after))
    return result


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _label(key: TableKey) -> str:
    return f"{key[0]}.{key[1]}" if key[0] else key[1]


def _type_name(operations: Operations, key: TableKey) -> str:
    preparer = operations.migration_context.dialect.identifier_preparer
    name = preparer.quote(key[1])
    return f"{preparer.quote_schema(key[0])}.{name}" if key[0] else name


class AddEnumValueOp(ObjectOp):
    """``ALTER TYPE ... ADD VALUE``; going down, a comment: PostgreSQL cannot remove it."""

    outside_transaction = True

    def __init__(self, key: TableKey, value: str, *, before: str | None, after: str | None) -> None:
        self.key, self.value, self.before, self.after = key, value, before, after

    def change(self) -> Change:
        return Change("add_enum_value", "", f"+ enum value {_label(self.key)}.{self.value}")

    def render(self, operations: Operations) -> None:
        sql = f"ALTER TYPE {_type_name(operations, self.key)} ADD VALUE IF NOT EXISTS "
        sql += _literal(self.value)
        if self.before is not None:
            sql += f" BEFORE {_literal(self.before)}"
        elif self.after is not None:
            sql += f" AFTER {_literal(self.after)}"
        # DDL, not text(): a colon in the values is no bind parameter; '%' is doubled for DDL.
        operations.execute(DDL(sql.replace("%", "%%")))  # type: ignore[no-untyped-call]

    def reverse(self) -> ObjectOp:
        return _KeptValueNoteOp(self.key, self.value)


class EnumValuesNoteOp(ObjectOp):
    """Values removed, renamed or reordered: reported, and explained in a comment."""

    def __init__(self, key: TableKey, wanted: list[str], present: list[str]) -> None:
        self.key, self.wanted, self.present = key, wanted, present

    def _summary(self) -> str:
        removed = [v for v in self.present if v not in self.wanted]
        added = [v for v in self.wanted if v not in self.present]
        parts = []
        if removed:
            parts.append("values not in the models: " + ", ".join(removed))
        if added:
            parts.append("values not in the database: " + ", ".join(added))
        if not parts:
            parts.append("values in another order than the models'")
        return "; ".join(parts)

    def change(self) -> Change:
        return Change(
            "enum_values", "", f"~ enum {_label(self.key)}: {self._summary()} ({HAND_WRITTEN})"
        )

    def render(self, operations: Operations) -> None:
        name = _type_name(operations, self.key)
        comment(
            operations,
            [
                f"enum type {name}: {self._summary()}.",
                f"Removing, renaming or reordering an enum value {HAND_WRITTEN}: for a rename,",
                f"ALTER TYPE {name} RENAME VALUE 'old' TO 'new'; to remove a value, create a new",
                "type, convert the columns with ALTER COLUMN ... TYPE ... USING, drop the old one.",
            ],
        )

    def reverse(self) -> ObjectOp:
        return _NothingOp()


class _KeptValueNoteOp(ObjectOp):
    """The down section's comment for a value the up section added."""

    def __init__(self, key: TableKey, value: str) -> None:
        self.key, self.value = key, value

    def change(self) -> Change:
        return Change("enum_value_kept", "", f"= enum value {_label(self.key)}.{self.value}")

    def render(self, operations: Operations) -> None:
        comment(
            operations,
            [
                f"enum type {_type_name(operations, self.key)} keeps value "
                f"{_literal(self.value)}: PostgreSQL cannot remove an enum value;",
                f"removing or renaming a value {HAND_WRITTEN}.",
            ],
        )

    def reverse(self) -> ObjectOp:
        return AddEnumValueOp(self.key, self.value, before=None, after=None)


class _NothingOp(ObjectOp):
    """Nothing to undo: the up section only explained."""

    def change(self) -> Change:
        return Change("nothing", "", "")

    def render(self, operations: Operations) -> None:
        return None

    def reverse(self) -> ObjectOp:
        return self
