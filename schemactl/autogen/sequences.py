"""Sequences: Alembic's autogenerate compares none, so the models' ``Sequence`` objects were
never created. Compared here, on databases that have sequences (PostgreSQL, MariaDB 10.3+;
SQLAlchemy's ``create_all`` skips them elsewhere, and so does this, silently).

- a sequence the models declare (standalone, or a column's default) and the database lacks
  is created before the tables, and dropped after them going down;
- a sequence the database holds and the models lack is dropped after the tables, unless a
  column owns it (PostgreSQL's ``SERIAL`` and identity columns: the dialect reports those);
- the options the models give explicitly (start, increment, minvalue, maxvalue, cycle) are
  compared with the database's, and changed with ``ALTER SEQUENCE`` both ways.

The dialect's hooks read the database's sequences (``SequenceState``); this module decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Sequence
from sqlalchemy.schema import DDL, CreateSequence, DropSequence

from .._results import Change
from .objectops import ObjectOp

if TYPE_CHECKING:
    from alembic.operations import Operations
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Dialect

    from .hooks import TableKey

OPTIONS = ("start", "increment", "minvalue", "maxvalue", "cycle")


@dataclass(frozen=True)
class SequenceState:
    """A sequence as the database holds it; ``owned``: by a column (never dropped here)."""

    schema: str | None  # None: the default schema
    name: str
    start: int
    increment: int
    minvalue: int
    maxvalue: int
    cycle: bool
    owned: bool = False

    def as_sequence(self) -> Sequence:
        """A ``Sequence`` that recreates this one as it is."""
        return Sequence(self.name, schema=self.schema, **{o: getattr(self, o) for o in OPTIONS})


def model_sequences(metadata: MetaData, dialect: Dialect) -> dict[TableKey, Sequence]:
    """The sequences the models declare, by (schema, name), sorted; none on a database
    without sequences, and none of the ``optional=True`` ones where SQLAlchemy skips those
    (PostgreSQL: a ``SERIAL`` does the work), as ``create_all`` does."""
    if not dialect.supports_sequences:
        return {}
    found: dict[TableKey, Sequence] = {}
    # MetaData._sequences is private, but it is the only record of a standalone sequence
    # (Sequence(metadata=...)); column defaults register there too. create_all reads it.
    for sequence in metadata._sequences.values():
        if sequence.optional and dialect.sequences_optional:
            continue
        found[(_schema(sequence.schema, dialect), sequence.name)] = sequence
    return dict(sorted(found.items(), key=lambda item: (item[0][0] or "", item[0][1])))


def sequence_schemas(metadata: MetaData, dialect: Dialect) -> set[str | None]:
    """The schemas the models' sequences live in (None: the default one)."""
    return {schema for schema, _ in model_sequences(metadata, dialect)}


def sequence_ops(
    metadata: MetaData, dialect: Dialect, existing: list[SequenceState]
) -> list[ObjectOp]:
    """The operations that take the database's sequences (``existing``) to the models'."""
    wanted = model_sequences(metadata, dialect)
    present = {(_schema(s.schema, dialect), s.name): s for s in existing}
    result: list[ObjectOp] = []
    for key, sequence in wanted.items():
        state = present.get(key)
        if state is None:
            result.append(CreateSequenceOp(sequence))
            continue
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for option in OPTIONS:
            value = getattr(sequence, option)
            if value is not None and value != getattr(state, option):
                before[option], after[option] = getattr(state, option), value
        if after:
            result.append(AlterSequenceOp(key[0], key[1], before, after))
    for key, state in sorted(present.items(), key=lambda item: (item[0][0] or "", item[0][1])):
        if key not in wanted and not state.owned:
            result.append(DropSequenceOp(state.as_sequence()))
    return result


def _schema(schema: str | None, dialect: Dialect) -> str | None:
    return None if schema == dialect.default_schema_name else schema


def _label(schema: str | None, name: str) -> str:
    return f"{schema}.{name}" if schema else name


class CreateSequenceOp(ObjectOp):
    """``CREATE SEQUENCE``, with the options the models give."""

    def __init__(self, sequence: Sequence) -> None:
        self.sequence = sequence

    def change(self) -> Change:
        return Change(
            "add_sequence", "", f"+ sequence {_label(self.sequence.schema, self.sequence.name)}"
        )

    def render(self, operations: Operations) -> None:
        operations.execute(CreateSequence(self.sequence))

    def reverse(self) -> ObjectOp:
        return DropSequenceOp(self.sequence)


class DropSequenceOp(ObjectOp):
    """``DROP SEQUENCE``; going back, it is recreated with its options, from its start."""

    first = False

    def __init__(self, sequence: Sequence) -> None:
        self.sequence = sequence

    def change(self) -> Change:
        label = _label(self.sequence.schema, self.sequence.name)
        return Change("drop_sequence", "", f"- sequence {label} (its current value is lost)", True)

    def render(self, operations: Operations) -> None:
        operations.execute(DropSequence(self.sequence))

    def reverse(self) -> ObjectOp:
        return CreateSequenceOp(self.sequence)


class AlterSequenceOp(ObjectOp):
    """``ALTER SEQUENCE`` for the options that differ (``before``: the database's values).

    START WITH changes the recorded start only: the next value stays where it is (RESTART
    could hand out numbers already used)."""

    def __init__(
        self, schema: str | None, name: str, before: dict[str, Any], after: dict[str, Any]
    ) -> None:
        self.schema, self.name, self.before, self.after = schema, name, before, after

    def change(self) -> Change:
        parts = ", ".join(f"{o} {self.before[o]} -> {self.after[o]}" for o in self.after)
        return Change("alter_sequence", "", f"~ sequence {_label(self.schema, self.name)}: {parts}")

    def render(self, operations: Operations) -> None:
        dialect = operations.migration_context.dialect
        name = dialect.identifier_preparer.format_sequence(Sequence(self.name, schema=self.schema))
        # The options as CREATE SEQUENCE spells them in this dialect (MariaDB: NOCYCLE).
        wanted = Sequence(self.name, schema=self.schema, **self.after)
        options = dialect.ddl_compiler(dialect, CreateSequence(wanted)).get_identity_options(wanted)
        # DDL, not text(): a colon in a name is no bind parameter; '%' is doubled for DDL.
        sql = f"ALTER SEQUENCE {name} {options}".replace("%", "%%")
        operations.execute(DDL(sql))  # type: ignore[no-untyped-call]

    def reverse(self) -> ObjectOp:
        return AlterSequenceOp(self.schema, self.name, self.after, self.before)
