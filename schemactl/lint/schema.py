"""The schema a migration runs against, as the linter knows it.

Offline it is replayed from the earlier migration files; online it is read from the live
catalog, with each table's size. Only what the rules ask is kept: tables, their columns,
constraints, indexes and triggers, enum types, and which tables the migration being read
created itself (an index on such a table blocks nobody).

A table the model does not know counts as one that exists: a linter that cannot see the
database must assume the worst.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import ops


@dataclass
class ColumnState:
    name: str
    type: str
    nullable: bool = True
    has_default: bool = False


@dataclass
class ConstraintState:
    kind: ops.ConstraintKind
    columns: tuple[str, ...] = ()
    validated: bool = True
    proves_not_null: str | None = None
    created_in: str | None = None  # the version that added it, None when it was there before


@dataclass
class TableState:
    name: str
    columns: dict[str, ColumnState] = field(default_factory=dict)
    constraints: dict[str, ConstraintState] = field(default_factory=dict)
    indexes: set[str] = field(default_factory=set)
    triggers: set[str] = field(default_factory=set)
    created_in: str | None = None  # the version that created it, None when it was there before
    rows: int | None = None  # live estimates, when read online
    bytes: int | None = None

    def column(self, name: str) -> ColumnState | None:
        return self.columns.get(name) or next(
            (c for n, c in self.columns.items() if n.lower() == name.lower()), None
        )


class Schema:
    """Tables by name; ``apply`` folds one operation in."""

    def __init__(self, default_schema: str | None = None) -> None:
        self.default_schema = default_schema  # "public" on PostgreSQL, the database on MySQL
        self.tables: dict[str, TableState] = {}
        self.enums: dict[str, list[str]] = {}
        self.index_tables: dict[str, str] = {}  # index name -> table key
        self.trigger_tables: dict[str, str] = {}  # trigger name, lower case -> table key
        self.version: str | None = None  # the migration being read

    # -- lookups -----------------------------------------------------------------------------

    def key(self, name: str) -> str:
        """The lookup key of a table name: unqualified when qualified by the default schema."""
        schema, dot, rest = name.rpartition(".")
        if dot and self.default_schema is not None and schema == self.default_schema:
            return rest.lower()
        return name.lower()

    def table(self, name: str | None) -> TableState | None:
        return None if name is None else self.tables.get(self.key(name))

    def is_new(self, name: str | None) -> bool:
        """Created by the migration being read (so nobody else uses it yet)."""
        table = self.table(name)
        return table is not None and self.version is not None and table.created_in == self.version

    def exists_before(self, name: str | None) -> bool:
        """Not created by the migration being read: known from before, or unknown."""
        return name is not None and not self.is_new(name)

    def begin(self, version: str) -> None:
        self.version = version

    def add_trigger(self, table: TableState, name: str) -> None:
        table.triggers.add(name)
        self.trigger_tables[name.lower()] = self.key(table.name)

    # -- changes -----------------------------------------------------------------------------

    def apply(self, op: ops.Op) -> None:
        table = self.table(op.table)
        if isinstance(op, ops.CreateTable):
            if op.if_not_exists and table is not None:
                return
            new = TableState(op.table or "", created_in=self.version)
            for col in op.columns:
                new.columns[col.name] = ColumnState(
                    col.name,
                    col.type,
                    col.nullable and not col.primary_key,
                    col.default is not None,
                )
            for constraint in op.constraints:
                self._add_constraint(new, constraint)
            self.tables[self.key(op.table or "")] = new
        elif isinstance(op, ops.DropTable):
            self.tables.pop(self.key(op.table or ""), None)
        elif isinstance(op, ops.RenameTable):
            if table is not None:
                old, new_key = self.key(op.table or ""), self.key(op.new_name)
                del self.tables[old]
                table.name = op.new_name
                self.tables[new_key] = table
                for owners in (self.index_tables, self.trigger_tables):  # (they go with it)
                    owners.update({name: new_key for name, key in owners.items() if key == old})
        elif isinstance(op, ops.DropTrigger):
            owner = table or self.tables.get(self.trigger_tables.get(op.name.lower(), ""))
            if owner is not None:
                owner.triggers = {t for t in owner.triggers if t.lower() != op.name.lower()}
        elif table is None:
            self._apply_untabled(op)
        elif isinstance(op, ops.AddColumn):
            col = op.column
            table.columns[col.name] = ColumnState(
                col.name, col.type, col.nullable, col.default is not None
            )
        elif isinstance(op, ops.DropColumn):
            found = table.column(op.column)
            if found is not None:
                del table.columns[found.name]
        elif isinstance(op, ops.RenameColumn):
            found = table.column(op.column)
            if found is not None:
                del table.columns[found.name]
                found.name = op.new_name
                table.columns[op.new_name] = found
        elif isinstance(op, ops.AlterColumnType):
            found = table.column(op.column)
            if found is not None:
                found.type = op.new_type
        elif isinstance(op, ops.SetNotNull | ops.DropNotNull):
            found = table.column(op.column)
            if found is not None:
                found.nullable = isinstance(op, ops.DropNotNull)
        elif isinstance(op, ops.SetDefault | ops.DropDefault):
            found = table.column(op.column)
            if found is not None:
                found.has_default = isinstance(op, ops.SetDefault)
        elif isinstance(op, ops.AddConstraint):
            self._add_constraint(table, op.constraint)
        elif isinstance(op, ops.ValidateConstraint):
            found_constraint = table.constraints.get(op.name)
            if found_constraint is not None:
                found_constraint.validated = True
        elif isinstance(op, ops.DropConstraint):
            if op.name is not None:
                table.constraints.pop(op.name, None)
        elif isinstance(op, ops.CreateIndex):
            if op.name:
                table.indexes.add(op.name)
                self.index_tables[op.name] = self.key(op.table or "")
        elif isinstance(op, ops.CreateTrigger):
            if op.name:
                self.add_trigger(table, op.name)
        elif isinstance(op, ops.Truncate):
            table.rows = 0 if table.rows is not None else None

    def _apply_untabled(self, op: ops.Op) -> None:
        if isinstance(op, ops.CreateEnum):
            self.enums[op.name] = list(op.values)
        elif isinstance(op, ops.EnumAddValue):
            self.enums.setdefault(op.name, []).append(op.value)
        elif isinstance(op, ops.DropIndex):
            owner = self.tables.get(self.index_tables.pop(op.name, ""))
            if owner is not None:
                owner.indexes.discard(op.name)

    def _add_constraint(self, table: TableState, constraint: ops.ConstraintDef) -> None:
        name = constraint.name or f"{table.name}_{constraint.kind}_{len(table.constraints)}"
        table.constraints[name] = ConstraintState(
            constraint.kind,
            constraint.columns,
            validated=not constraint.not_valid,
            proves_not_null=constraint.proves_not_null,
            created_in=self.version,
        )
        if constraint.kind == "primary":
            for column in constraint.columns:
                found = table.column(column)
                if found is not None:
                    found.nullable = False
