"""Compare the live database with the models, and render both directions as plain SQL.

Two phases. Online, inside ``AsyncConnection.run_sync``: Alembic's comparison, plus what
rendering needs that only the database knows (the dialect's hooks read it). Offline, with no
await: the operations shaped (``shape``), described (``changes``) and rendered (``render``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._results import Change
from .pause import GcPaused, WarningsIgnored, while_ours_runs, while_this_greenlet_runs
from .steps import Step

if TYPE_CHECKING:
    from alembic.operations import ops
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection

    from .filters import ObjectFilter
    from .hooks import AutogenHooks


@dataclass(frozen=True)
class Diff:
    """The changes found, the files to write (``files``: the main migration first, then the
    steps that must run apart from it; none when nothing differs), and the warnings (data
    loss, possible renames) the SQL carries as comments, to show. ``up_sql``, ``down_sql``
    and ``up_transaction`` are the first file's."""

    changes: tuple[Change, ...]
    files: tuple[Step, ...] = ()
    notes: tuple[str, ...] = ()
    dialect: str = ""  # the database's (SQLAlchemy's name): the linter reads the files as it

    @property
    def is_empty(self) -> bool:
        return not self.changes

    @property
    def up_sql(self) -> str:
        return self.files[0].up_sql if self.files else ""

    @property
    def down_sql(self) -> str:
        return self.files[0].down_sql if self.files else ""

    @property
    def up_transaction(self) -> bool:  # False: the up section must run outside a transaction
        return self.files[0].up_transaction if self.files else True


@dataclass(frozen=True)
class _Found:
    """What the online phase hands to the offline one."""

    upgrade: ops.UpgradeOps
    downgrade: ops.DowngradeOps  # Alembic's reverse of ``upgrade``
    facts: Any  # what the dialect's hooks read online; handed back to them to render


async def compare(
    conn: AsyncConnection,
    metadata: MetaData,
    *,
    migrations_table: str,
    include_schemas: bool = False,
    name: str = "",
    skip_unchanged: bool = True,
    objects: ObjectFilter | None = None,
) -> Diff:
    """Diff the database behind ``conn`` against ``metadata`` and render both directions.

    ``skip_unchanged`` leaves tables whose structure provably matches out of Alembic's
    comparison (see ``unchanged``); the result is the same, only faster. ``objects``: the
    tables and schemas left out, on both sides (see ``filters``).

    >>> diff = await compare(conn, Base.metadata, migrations_table="schema_migrations")
    >>> print(diff.up_sql)
    """
    from ..dialects import dialect_named
    from .changes import describe_all, notes
    from .shape import shape

    hooks = dialect_named(conn.dialect.name).autogen_hooks()
    found = await conn.run_sync(
        _read, metadata, hooks, migrations_table, include_schemas, skip_unchanged, objects
    )
    with while_ours_runs(GcPaused()):  # nothing below awaits: no other task runs meanwhile
        shape(found.upgrade, hooks, metadata)
        changes = describe_all(found.upgrade)
        if not changes:
            return Diff(())
        shape(found.downgrade, hooks, metadata)
        found_notes = notes(found.upgrade)
        split = hooks.split_steps(found.upgrade, found.downgrade, found.facts, conn.dialect)
        main: list[Step] = []
        if found.upgrade.ops:
            main.append(_main_step(found, conn.dialect, hooks, metadata, split.locks_existing))
    files = [_headed(step, name) for step in [*main, *split.after]]
    return Diff(changes, tuple(files), found_notes, conn.dialect.name)


def _main_step(
    found: _Found, dialect: Any, hooks: AutogenHooks, metadata: MetaData, locks: bool
) -> Step:
    """The main migration: every change the dialect did not move to a step of its own,
    led by a lock timeout where it locks tables that exist (``locks``)."""
    from .._files import is_empty_sql
    from .render import render
    from .steps import with_lock_timeout

    up_sql = render(found.upgrade, dialect, hooks, found.facts, metadata, upgrade=True)
    down_sql = render(found.downgrade, dialect, hooks, found.facts, metadata, upgrade=False)
    outside = any(getattr(op, "outside_transaction", False) for op in found.upgrade.ops)
    if locks:
        up_sql = with_lock_timeout(up_sql, transaction=not outside)
        if not is_empty_sql(down_sql):
            down_sql = with_lock_timeout(down_sql, transaction=True)
    return Step("", up_sql, down_sql, not outside)


def _headed(step: Step, name: str) -> Step:
    """The step with its sections' header comments (none without a ``name``)."""
    if not name:
        return step
    title = f"{name}: {step.label}" if step.label else name
    return dataclasses.replace(
        step,
        up_sql=f"-- Auto-generated migration: {title}\n{step.up_sql}",
        down_sql=f"-- Rollback: {title}\n{step.down_sql}",
    )


# Warnings of what autogenerate handles itself, ignored while its code runs (only then: the
# host's other tasks run while it waits for the database, under the host's own filters).
_EXPECTED_WARNINGS = (
    # Tables whose foreign keys form a cycle are sorted as well as they can be; the foreign
    # keys that point forward are added after the tables (``cycles``).
    "Cannot correctly sort tables",
    # SQLAlchemy cannot reflect SQLite's expression-based indexes and Alembic says so at every
    # run; the SQLite hooks create the missing ones (``unseen_drops``), and the limitation
    # left (a changed expression goes unseen) is in the README.
    "autogenerate skipping metadata-specified expression-based index",
    "Skipped unsupported reflection of expression-based",
    # SQLAlchemy 2.1 hands a reflected NOT VALID check's options to CheckConstraint under a
    # name it then cannot validate; the check itself is reflected, and NOT VALID is a state
    # between the two files of a safe change (`new --auto`), not drift.
    "Can't validate argument 'dialect_options'",
)


def _read(
    sync_conn: Connection,
    metadata: MetaData,
    hooks: AutogenHooks,
    migrations_table: str,
    include_schemas: bool,
    skip_unchanged: bool,
    objects: ObjectFilter | None,
) -> _Found:
    with while_this_greenlet_runs(GcPaused(), WarningsIgnored(*_EXPECTED_WARNINGS)):
        return _read_paused(
            sync_conn, metadata, hooks, migrations_table, include_schemas, skip_unchanged, objects
        )


def _read_paused(
    sync_conn: Connection,
    metadata: MetaData,
    hooks: AutogenHooks,
    migrations_table: str,
    include_schemas: bool,
    skip_unchanged: bool,
    objects: ObjectFilter | None,
) -> _Found:
    from alembic.autogenerate import produce_migrations
    from alembic.migration import MigrationContext
    from alembic.operations import ops

    from .filters import ObjectFilter
    from .objectops import place
    from .sequences import sequence_schemas
    from .stored import without_respelled_defaults
    from .typechecks import missing_type_checks

    tracking_schema, _, tracking_name = migrations_table.rpartition(".")
    keep = (objects or ObjectFilter()).connected(sync_conn.dialect.default_schema_name)
    excluded = {  # the models' tables left out: neither created nor compared
        (t.schema, t.name)
        for t in metadata.tables.values()
        if not keep.includes(t, t.name, "table", False, None)
    }
    wanted_schemas = {
        t.schema for t in metadata.tables.values() if (t.schema, t.name) not in excluded
    }
    used_schemas = wanted_schemas | sequence_schemas(metadata, sync_conn.dialect)
    hooks.check_schemas(sync_conn, used_schemas)
    unchanged: set[tuple[str | None, str]] = set()
    if skip_unchanged:
        from .unchanged import unchanged_tables

        unchanged = unchanged_tables(sync_conn, metadata, wanted_schemas)
    skipped = unchanged | excluded

    def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
        if type_ == "schema":
            if keep.schema_excluded(name):
                return False
            return include_schemas or name is None or name in wanted_schemas
        if type_ == "table":
            schema = parent_names.get("schema_name")
            if (schema, name) in skipped or keep.table_excluded(schema, str(name)):
                return False
            ours = (tracking_name, f"{tracking_name}_failures", f"{tracking_name}_lock")
            return not (name in ours and (schema or "") == tracking_schema)
        return True

    dialect_name = sync_conn.dialect.name

    def include_object(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        # include_name filters the database's side; this, the models' side (and the user's
        # include_object sees both)
        if type_ == "table" and (obj.schema, name) in skipped:
            return False
        if not keep.includes(obj, name, type_, reflected, compare_to):
            return False
        return reflected or _made_here(obj, dialect_name)

    comparator = hooks.server_default_comparator()
    type_comparator = hooks.type_comparator()
    context = MigrationContext.configure(
        sync_conn,
        opts={
            "target_metadata": metadata,
            "compare_type": type_comparator if type_comparator is not None else True,
            "compare_server_default": comparator if comparator is not None else True,
            "include_name": include_name,
            "include_object": include_object,
            "include_schemas": include_schemas or wanted_schemas != {None},
        },
    )
    script = produce_migrations(context, metadata)
    upgrade, downgrade = script.upgrade_ops, script.downgrade_ops
    assert upgrade is not None
    assert downgrade is not None
    without_respelled_defaults(upgrade, sync_conn.dialect)
    without_respelled_defaults(downgrade, sync_conn.dialect)
    new_tables = {
        (op.schema, op.table_name) for op in upgrade.ops if isinstance(op, ops.CreateTableOp)
    }
    unseen: Any
    for unseen in hooks.unseen_drops(sync_conn, metadata, wanted_schemas, skipped):
        _add(upgrade, unseen)
        if (unseen.schema, unseen.table_name) not in new_tables:  # else it goes with its table
            _add(downgrade, unseen.reverse())
    for check in missing_type_checks(sync_conn, metadata, skipped):  # Alembic compares none
        _add(upgrade, check)
        _add(downgrade, check.reverse())
    place(upgrade, downgrade, hooks.object_ops(sync_conn, metadata, used_schemas))
    facts = hooks.read_facts(sync_conn, metadata, upgrade, used_schemas)
    return _Found(upgrade, downgrade, facts)


def _made_here(obj: Any, dialect_name: str) -> bool:
    """Whether ``create_all`` makes this index or constraint on this database: not when
    ``.ddl_if(dialect=...)`` names others (Alembic does not look). SQLAlchemy keeps the
    condition in the private ``_ddl_if`` and has no public reader; a ``callable_``
    condition needs a DDL context, so only the dialect is read."""
    condition = getattr(obj, "_ddl_if", None)
    if condition is None or not condition.dialect:
        return True
    names = (condition.dialect,) if isinstance(condition.dialect, str) else condition.dialect
    return dialect_name in names


def _add(container: ops.OpContainer, op: Any) -> None:
    """Add one constraint operation to its table's operations (made when missing)."""
    from alembic.operations import ops

    for item in container.ops:
        if isinstance(item, ops.ModifyTableOps) and (item.schema, item.table_name) == (
            op.schema,
            op.table_name,
        ):
            item.ops.append(op)
            return
    container.ops.append(ops.ModifyTableOps(op.table_name, [op], schema=op.schema))
