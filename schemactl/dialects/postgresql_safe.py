"""PostgreSQL's safe forms for changes to tables that already exist (``split_steps``).

- An index is built ``CREATE INDEX CONCURRENTLY IF NOT EXISTS``, in a file of its own marked
  ``transaction:false`` (CONCURRENTLY cannot run in a transaction, and a failed build leaves
  an invalid index that ``IF NOT EXISTS`` would keep: one statement per file keeps each
  retryable), dropped ``DROP INDEX CONCURRENTLY IF EXISTS`` going down. An index dropped from
  an existing table goes the same way (a plain ``DROP INDEX`` takes ACCESS EXCLUSIVE: every
  query of the table queues behind it while it waits for the running ones), unless the
  migration drops one of its columns, which takes that index along under its own lock.
- A unique constraint: its unique index built concurrently, then attached in the next file
  (``ADD CONSTRAINT ... UNIQUE USING INDEX``: a catalog change, no scan).
- A foreign key or CHECK is added ``NOT VALID`` (no scan under the lock), and validated in a
  later file, whose ``VALIDATE CONSTRAINT`` takes only SHARE UPDATE EXCLUSIVE: reads and
  writes go on while it scans.
- ``SET NOT NULL`` on an existing column: ``CHECK (col IS NOT NULL) NOT VALID`` in the main
  file, validated with the others, then ``SET NOT NULL`` (PostgreSQL 12+ skips the scan when
  a valid CHECK proves it) and the CHECK dropped, in a last, short transaction.

Every step's down section undoes it, so ``rollback`` may stop between any two files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..autogen.steps import Split, Step, existing_tables_touched, with_lock_timeout

if TYPE_CHECKING:
    from alembic.operations import ops
    from sqlalchemy.engine import Dialect


def split_steps(upgrade: ops.UpgradeOps, downgrade: ops.DowngradeOps, dialect: Dialect) -> Split:
    """Take the operations on existing tables that have a safe form out of ``upgrade`` (and
    their reverses out of ``downgrade``), in place; the steps that replace them."""
    from alembic.operations import ops

    planner = _Planner(downgrade, dialect)
    new = {(op.schema, op.table_name) for op in upgrade.ops if isinstance(op, ops.CreateTableOp)}
    for table_ops in upgrade.ops:
        existing = isinstance(table_ops, ops.ModifyTableOps) and (
            (table_ops.schema, table_ops.table_name) not in new
        )
        if existing:
            assert isinstance(table_ops, ops.ModifyTableOps)
            table_ops.ops = planner.table(table_ops)
    upgrade.ops = [op for op in upgrade.ops if not _empty(op)]
    downgrade.ops = [op for op in downgrade.ops if not _empty(op)]
    return Split(planner.steps(), existing_tables_touched(upgrade))


def _statements(statements: Iterable[str]) -> str:
    """Statements as a section writes them: each ended by ``;``, a blank line between."""
    return "\n\n".join(f"{statement};" for statement in statements) + "\n"


def _empty(op: ops.MigrateOperation) -> bool:
    from alembic.operations import ops

    return isinstance(op, ops.ModifyTableOps) and not op.ops


class _Planner:
    """The steps of one migration, collected table by table."""

    def __init__(self, downgrade: ops.DowngradeOps, dialect: Dialect) -> None:
        self.downgrade = downgrade
        self.dialect = dialect
        self.dropped_indexes: list[Step] = []
        self.indexes: list[Step] = []
        self.uniques: list[Step] = []
        self.validates: list[tuple[str, str]] = []  # (table SQL, constraint name)
        self.not_nulls: list[tuple[str, str, str]] = []  # (table SQL, column, check name)

    def steps(self) -> list[Step]:
        steps = self.dropped_indexes + self.indexes + self.uniques
        if self.validates:
            up = _statements(
                f"ALTER TABLE {table} VALIDATE CONSTRAINT {self._quote(name)}"
                for table, name in self.validates
            )
            down = (
                "-- Nothing to undo: a valid constraint is dropped by the down section of\n"
                "-- the migration that added it NOT VALID.\n"
            )
            steps.append(
                Step("validate_constraints", with_lock_timeout(up, transaction=True), down)
            )
        if self.not_nulls:
            steps.append(self._set_not_null())
        return steps

    def table(self, table_ops: ops.ModifyTableOps) -> list[ops.MigrateOperation]:
        """The operations of one existing table that stay in the main migration."""
        from alembic.operations import ops

        dropped_columns = {s.column_name for s in table_ops.ops if isinstance(s, ops.DropColumnOp)}
        kept: list[ops.MigrateOperation] = []
        for sub in table_ops.ops:
            if isinstance(sub, ops.CreateIndexOp) and self._index(table_ops, sub):
                continue
            if isinstance(sub, ops.DropIndexOp) and self._drop_index(
                table_ops, sub, dropped_columns
            ):
                continue
            if isinstance(sub, ops.CreateUniqueConstraintOp) and self._unique(table_ops, sub):
                continue
            if isinstance(sub, ops.CreateForeignKeyOp | ops.CreateCheckConstraintOp):
                sub.kw["postgresql_not_valid"] = True
                self.validates.append((self._table(table_ops), str(sub.constraint_name)))
            if isinstance(sub, ops.AlterColumnOp) and sub.modify_nullable is False:
                kept += self._not_null(table_ops, sub)
                continue
            kept.append(sub)
            if isinstance(sub, ops.AddColumnOp):
                kept += self._type_checks(table_ops, sub)
        return kept

    def _type_checks(
        self, table_ops: ops.ModifyTableOps, op: ops.AddColumnOp
    ) -> list[ops.MigrateOperation]:
        """The CHECK a new column's type makes (a non-native enum's), added NOT VALID after
        the column instead of with it, and validated later: even on a column of NULLs, the
        check scans the table under ACCESS EXCLUSIVE."""
        from sqlalchemy import Column, MetaData, Table

        from ..autogen.typechecks import adding, made_by_types

        column = op.column
        if column.table is None or not getattr(column.type, "create_constraint", False):
            return []
        # the column alone in a table of its own: made_by_types compiles CREATE TABLE, which
        # the column's table (foreign keys to tables it does not hold) cannot be
        convention = column.table.metadata.naming_convention
        alone = Table(
            table_ops.table_name,
            MetaData(naming_convention=convention),
            Column(column.name, column.type),
            schema=table_ops.schema,
        )
        made = made_by_types(alone, self.dialect)
        if not made:
            return []
        # op.column is schemactl's copy (``shape``); its type may be the models' own object
        quiet = column.type.copy()
        quiet.create_constraint = False  # type: ignore[attr-defined]
        column.type = quiet
        found: list[ops.MigrateOperation] = []
        for check in made:
            added = adding(check, self.dialect)
            added.kw["postgresql_not_valid"] = True
            self.validates.append((self._table(table_ops), str(check.name)))
            found.append(added)
        return found

    # -- indexes ------------------------------------------------------------------------

    def _index(self, table_ops: ops.ModifyTableOps, op: ops.CreateIndexOp) -> bool:
        from alembic.operations import ops

        if (
            self._take(
                table_ops,
                lambda d: isinstance(d, ops.DropIndexOp) and d.index_name == op.index_name,
            )
            is None
        ):
            return False
        index = op.to_index()
        self.indexes.append(
            Step(
                f"index_{op.index_name}",
                self._create_index(index),
                self._drop_index_sql(index),
                up_transaction=False,
                down_transaction=False,
            )
        )
        return True

    def _drop_index(
        self, table_ops: ops.ModifyTableOps, op: ops.DropIndexOp, dropped_columns: set[str]
    ) -> bool:
        from alembic.operations import ops

        def recreates(item: ops.MigrateOperation) -> bool:
            return isinstance(item, ops.CreateIndexOp) and item.index_name == op.index_name

        reverse = self._find(table_ops, recreates)
        if reverse is None:
            return False
        assert isinstance(reverse, ops.CreateIndexOp)
        index = reverse.to_index()
        if {str(getattr(c, "name", c)) for c in index.expressions} & dropped_columns:
            return False  # dropping the column takes the index along
        self._take(table_ops, recreates)
        self.dropped_indexes.append(
            Step(
                f"drop_index_{op.index_name}",
                self._drop_index_sql(index),
                self._create_index(index),
                up_transaction=False,
                down_transaction=False,
            )
        )
        return True

    def _unique(self, table_ops: ops.ModifyTableOps, op: ops.CreateUniqueConstraintOp) -> bool:
        from alembic.operations import ops
        from sqlalchemy import Column, Index, MetaData, Table

        if any(value for key, value in op.kw.items() if key not in ("deferrable", "initially")):
            return False  # an option an index cannot carry over: built in place
        name = str(op.constraint_name)

        def drops(item: ops.MigrateOperation) -> bool:
            return isinstance(item, ops.DropConstraintOp) and item.constraint_name == name

        if self._take(table_ops, drops) is None:
            return False
        table = Table(
            table_ops.table_name,
            MetaData(),
            *(Column(c) for c in op.columns),
            schema=table_ops.schema,
        )
        index = Index(name, *(table.c[c] for c in op.columns), unique=True)
        table_sql, quoted = self._table(table_ops), self._quote(name)
        self.uniques.append(
            Step(
                f"unique_index_{name}",
                self._create_index(index),
                self._drop_index_sql(index),
                up_transaction=False,
                down_transaction=False,
            )
        )
        deferrable: Any = op.kw.get("deferrable")
        options = {True: " DEFERRABLE", False: " NOT DEFERRABLE"}.get(deferrable, "")
        if op.kw.get("initially"):
            options += f" INITIALLY {op.kw['initially']}"
        up = (
            f"ALTER TABLE {table_sql} ADD CONSTRAINT {quoted} "
            f"UNIQUE USING INDEX {quoted}{options};\n"
        )
        down = (
            f"ALTER TABLE {table_sql} DROP CONSTRAINT IF EXISTS {quoted};\n\n"
            + self._create_index(index)
        )
        self.uniques.append(
            Step(
                f"unique_{name}",
                with_lock_timeout(up, transaction=True),
                with_lock_timeout(down, transaction=False),
                down_transaction=False,
            )
        )
        return True

    # -- NOT NULL -------------------------------------------------------------------------

    def _not_null(
        self, table_ops: ops.ModifyTableOps, op: ops.AlterColumnOp
    ) -> list[ops.MigrateOperation]:
        """The main migration's part of SET NOT NULL: a CHECK added NOT VALID (and, going
        down, dropped instead of DROP NOT NULL); the rest in the last step."""
        from alembic.operations import ops

        from ..autogen.names import object_name

        column = op.column_name
        name = object_name(table_ops.table_name, [column], "not_null", 63)
        table, quoted = self._table(table_ops), self._quote(name)
        check = (
            f"ALTER TABLE {table} ADD CONSTRAINT {quoted} "
            f"CHECK ({self._quote(column)} IS NOT NULL) NOT VALID"
        )
        self.not_nulls.append((table, column, name))
        self.validates.append((table, name))
        op.modify_nullable = None
        drop = f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {quoted}"
        self._down_nullable(table_ops, column, drop)
        still = (
            op.modify_type is not None
            or op.modify_server_default is not False
            or op.modify_comment is not False
            or op.modify_name is not None
        )
        return [op, ops.ExecuteSQLOp(check)] if still else [ops.ExecuteSQLOp(check)]

    def _down_nullable(self, table_ops: ops.ModifyTableOps, column: str, drop_check: str) -> None:
        """Going down, the main migration drops the CHECK where it made the column nullable
        again (the last step's down section does that)."""
        from alembic.operations import ops

        for item in self.downgrade.ops:
            if not isinstance(item, ops.ModifyTableOps):
                continue
            if (item.schema, item.table_name) != (table_ops.schema, table_ops.table_name):
                continue
            for position, sub in enumerate(item.ops):
                if isinstance(sub, ops.AlterColumnOp) and sub.column_name == column:
                    sub.modify_nullable = None
                    item.ops.insert(position + 1, ops.ExecuteSQLOp(drop_check))
                    return
            item.ops.append(ops.ExecuteSQLOp(drop_check))
            return
        self.downgrade.ops.append(
            ops.ModifyTableOps(
                table_ops.table_name, [ops.ExecuteSQLOp(drop_check)], schema=table_ops.schema
            )
        )

    def _set_not_null(self) -> Step:
        """SET NOT NULL, proven by the validated CHECK, which then goes. Going down, DROP NOT
        NULL alone: re-adding the CHECK NOT VALID would leave a constraint SQLAlchemy 2.1
        cannot reflect (``check`` and ``new --auto`` would fail on it), and validating it
        would scan the table under the lock the ADD took; the main migration's down section
        drops it IF EXISTS."""
        up: list[str] = []
        down: list[str] = []
        for table, column, name in self.not_nulls:
            quoted, check = self._quote(column), self._quote(name)
            up += [
                f"ALTER TABLE {table} ALTER COLUMN {quoted} SET NOT NULL",
                f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check}",
            ]
            down.append(f"ALTER TABLE {table} ALTER COLUMN {quoted} DROP NOT NULL")
        return Step(
            "set_not_null",
            with_lock_timeout(_statements(up), transaction=True),
            with_lock_timeout(_statements(down), transaction=True),
        )

    # -- helpers ----------------------------------------------------------------------------

    def _find(
        self, table_ops: ops.ModifyTableOps, wanted: Callable[[ops.MigrateOperation], bool]
    ) -> ops.MigrateOperation | None:
        """The down section's operation on this table that ``wanted`` picks."""
        from alembic.operations import ops

        for item in self.downgrade.ops:
            if isinstance(item, ops.ModifyTableOps) and (item.schema, item.table_name) == (
                table_ops.schema,
                table_ops.table_name,
            ):
                for sub in item.ops:
                    if wanted(sub):
                        return sub
        return None

    def _take(
        self, table_ops: ops.ModifyTableOps, wanted: Callable[[ops.MigrateOperation], bool]
    ) -> ops.MigrateOperation | None:
        """Remove from the down section, and return, the operation ``wanted`` picks."""
        from alembic.operations import ops

        found = self._find(table_ops, wanted)
        if found is not None:
            for item in self.downgrade.ops:
                if isinstance(item, ops.ModifyTableOps) and found in item.ops:
                    item.ops.remove(found)
        return found

    def _create_index(self, index: Any) -> str:
        from sqlalchemy.schema import CreateIndex

        index.dialect_options["postgresql"]["concurrently"] = True
        return self._sql(CreateIndex(index, if_not_exists=True))

    def _drop_index_sql(self, index: Any) -> str:
        from sqlalchemy.schema import DropIndex

        index.dialect_options["postgresql"]["concurrently"] = True
        return self._sql(DropIndex(index, if_exists=True))

    def _sql(self, element: Any) -> str:
        compiled = element.compile(dialect=self.dialect, compile_kwargs={"literal_binds": True})
        return f"{str(compiled).strip()};\n"

    def _table(self, table_ops: ops.ModifyTableOps) -> str:
        preparer = self.dialect.identifier_preparer
        name = preparer.quote(table_ops.table_name)
        if table_ops.schema:
            return f"{preparer.quote_schema(table_ops.schema)}.{name}"
        return str(name)

    def _quote(self, name: str) -> str:
        return str(self.dialect.identifier_preparer.quote(name))
