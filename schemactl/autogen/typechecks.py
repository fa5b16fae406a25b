"""The CHECK constraints column types make: ``Boolean`` and ``Enum`` with
``create_constraint=True`` (where the database has no boolean, or no native enum).

Alembic compares no CHECK constraint, so a database that lacks one of these looks like the
models. ``create_all`` would make it: compare them by name, which the naming convention (or
the type's ``name``) gives, and add those the database lacks. An unnamed one has a name the
server chooses, which cannot be matched, and is left alone; so is a CHECK the database has
and the models no longer make, which could be anyone's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.operations import ops
    from sqlalchemy import CheckConstraint, MetaData, Table
    from sqlalchemy.engine import Connection, Dialect


def made_by_types(table: Table, dialect: Dialect) -> list[CheckConstraint]:
    """The named CHECK constraints the column types of ``table`` make on ``dialect``, by name.

    Whether a type makes its constraint depends on the database (no CHECK for a native
    boolean or enum): compiling CREATE TABLE, as ``create_all`` does, is the public way to
    ask. ``_type_bound`` marks the constraints a type made; SQLAlchemy has no public
    accessor for it, and Alembic reads it the same way.
    """
    from sqlalchemy import CheckConstraint
    from sqlalchemy.schema import CreateTable

    candidates = [
        c
        for c in table.constraints
        if isinstance(c, CheckConstraint)
        and getattr(c, "_type_bound", False)
        and isinstance(c.name, str)
    ]
    if not candidates:
        return []
    ddl = str(CreateTable(table).compile(dialect=dialect))
    preparer = dialect.identifier_preparer
    made = [c for c in candidates if f"CONSTRAINT {preparer.format_constraint(c)} CHECK" in ddl]
    return sorted(made, key=lambda c: str(c.name))


def missing_type_checks(
    sync_conn: Connection,
    metadata: MetaData,
    skipped: set[tuple[str | None, str]],
) -> list[ops.CreateCheckConstraintOp]:
    """Online: the type-made CHECK constraints of existing tables the database lacks (by
    name), as operations to add them; tables in ``skipped`` are known to match."""
    from sqlalchemy import inspect

    inspector = inspect(sync_conn)
    dialect = sync_conn.dialect
    preparer = dialect.identifier_preparer
    found: list[ops.CreateCheckConstraintOp] = []
    for key in sorted(metadata.tables):
        table = metadata.tables[key]
        if (table.schema, table.name) in skipped:
            continue
        made = made_by_types(table, dialect)
        if not made or not inspector.has_table(table.name, schema=table.schema):
            continue  # a new table is created with them
        present = {
            preparer.quote(str(c["name"]))
            for c in inspector.get_check_constraints(table.name, schema=table.schema)
            if c.get("name")
        }
        columns = {c["name"] for c in inspector.get_columns(table.name, schema=table.schema)}
        found.extend(
            adding(c, dialect)
            for c in made
            if preparer.format_constraint(c) not in present
            and {column.name for column in c.columns} <= columns  # a new column brings its own
        )
    return found


def adding(check: CheckConstraint, dialect: Dialect) -> ops.CreateCheckConstraintOp:
    """The operation that adds ``check`` by name, its condition as ``create_all`` writes it.

    As text: a condition made of the model's columns would attach every constraint built
    from it (Alembic builds one each time it renders the operation) to the model's table.
    """
    from alembic.operations import ops
    from sqlalchemy import text
    from sqlalchemy.schema import AddConstraint

    table = check.table
    compiler = dialect.ddl_compiler(dialect, AddConstraint(check, isolate_from_table=False))
    condition = compiler.sql_compiler.process(
        check.sqltext, include_table=False, literal_binds=True
    )
    return ops.CreateCheckConstraintOp(check.name, table.name, text(condition), schema=table.schema)
