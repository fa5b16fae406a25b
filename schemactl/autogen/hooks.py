"""What autogenerate does differently per database: the interface each dialect module
implements (``PostgreSQLHooks`` in ``dialects/postgresql_autogen.py``, and so on).

- PostgreSQL: enum types are created before, and dropped after, the tables that use them
  (Alembic creates none for a new column, and SQLAlchemy 2.1 drops none with a table), and so
  are the schemas the models use that the database lacks (MySQL/MariaDB and SQLite refuse
  those: ``check_schemas``);
- SQLite: changes ALTER TABLE cannot make become the table-rebuild procedure, and unnamed
  unique constraints the models lack, which Alembic cannot see, are dropped (``unseen_drops``);
- MySQL/MariaDB: server defaults are compared by the server, not as text, new indexes
  are created before the ones they replace, and the index the server makes for a foreign key
  the up section adds is dropped with it going down;
- PostgreSQL and MariaDB: the models' sequences, and PostgreSQL: values added to enum
  types, which Alembic compares neither of (``object_ops``);
- all: the names of constraints the models leave unnamed (``constraint_name``), whether
  ALTER TABLE can add the foreign keys of a cycle of new tables (``alters_foreign_keys``), and
  types compared by what the server stores (``type_comparator``: PostgreSQL's and MariaDB's
  FLOAT(p) are stored as single or double precision), defaults by what it keeps (SQLite's
  empty string).

The hooks are stateless: what one compare reads online (``read_facts``) is handed back to the
rendering hooks. Implementations import Alembic and SQLAlchemy inside their methods, so that
importing a dialect stays cheap.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.operations import Operations, ops
    from sqlalchemy import MetaData, Table
    from sqlalchemy.engine import Connection

    from .objectops import ObjectOp
    from .steps import Split

TableKey = tuple[str | None, str]  # (schema, name)
# Alembic's compare_server_default callable: (context, inspected_column, metadata_column,
# inspected_default, metadata_default, rendered_metadata_default) -> differ? None: undecided.
ServerDefaultComparator = Callable[..., bool | None]
# Alembic's compare_type callable: (context, inspected_column, metadata_column,
# inspected_type, metadata_type) -> differ? None: undecided, Alembic's own comparison decides.
TypeComparator = Callable[..., bool | None]


@dataclass(frozen=True)
class Rebuild:
    """A table ALTER TABLE cannot change, rebuilt instead (SQLite): ``table`` is the table to
    rebuild from (going down: into). ``before``: statements that must run first (dropping
    the views and other tables' triggers that name it: renaming the new table into place
    rereads them, and one that names a table that is gone fails the rename); ``after``:
    statements that re-create what the rebuild dropped, as the database had them."""

    table: Table
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


class AutogenHooks(abc.ABC):
    """One database's part in comparing and rendering.

    ``facts`` is what ``read_facts`` returned, of a type each implementation chooses.

    >>> hooks = PostgreSQL.autogen_hooks()
    >>> facts = hooks.read_facts(sync_conn, metadata, upgrade_ops, {None})
    """

    @abc.abstractmethod
    def server_default_comparator(self) -> ServerDefaultComparator | None:
        """Alembic's ``compare_server_default`` callable, or None: Alembic compares as text."""

    @abc.abstractmethod
    def type_comparator(self) -> TypeComparator | None:
        """Alembic's ``compare_type`` callable, or None: Alembic compares as it does.

        Alembic compares the type's spelling in the models with the reflected one; a server
        that stores a type as another (MariaDB's FLOAT(53) is a DOUBLE) then differs forever.
        The callable compares what the server stores instead."""

    @abc.abstractmethod
    def check_schemas(self, sync_conn: Connection, schemas: set[str | None]) -> None:
        """Online, before anything is compared: raise ``ConfigurationError`` when the models
        use a schema (``schemas``, None the default) this database cannot make."""

    @abc.abstractmethod
    def constraint_name(self, kind: str, table: str, columns: list[str]) -> str:
        """The name of a unique constraint (``kind`` "unique") or foreign key ("foreignkey")
        the models leave unnamed, when the SQL must name it (see ``names``)."""

    @abc.abstractmethod
    def alters_foreign_keys(self) -> bool:
        """Whether ALTER TABLE can add a foreign key: then those of a cycle of new tables are
        added after the tables, and dropped before them."""

    @abc.abstractmethod
    def unseen_drops(
        self,
        sync_conn: Connection,
        metadata: MetaData,
        schemas: set[str | None],
        skipped: set[TableKey],
    ) -> Sequence[ops.MigrateOperation]:
        """Online, after Alembic's comparison: what Alembic cannot see, each operation with a
        ``reverse()``: constraints the database holds that the models lack (SQLite's unnamed
        unique constraints), to drop, and indexes it lacks (SQLite's expression-based ones),
        to create; tables in ``skipped`` are known to match."""

    @abc.abstractmethod
    def read_facts(
        self,
        sync_conn: Connection,
        metadata: MetaData,
        upgrade: ops.UpgradeOps,
        schemas: set[str | None],
    ) -> Any:
        """Online, after Alembic's comparison: what rendering needs that only the database
        knows (``schemas``: those the models use)."""

    @abc.abstractmethod
    def order_table_ops(self, items: list[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
        """The final order of one table's operations, which arrive sorted by kind and name."""

    @abc.abstractmethod
    def before_render(self, container: ops.OpContainer, facts: Any, *, upgrade: bool) -> None:
        """Last changes to the up (``upgrade``) or down section's operations, in place, with
        what ``read_facts`` read."""

    @abc.abstractmethod
    def begin_render(self, operations: Operations, facts: Any, *, upgrade: bool) -> None:
        """Before the first operation of the up (``upgrade``) or down section."""

    @abc.abstractmethod
    def rebuild_from(
        self, facts: Any, schema: str | None, table_name: str, *, upgrade: bool
    ) -> Rebuild | None:
        """How to rebuild the table when ALTER TABLE cannot make its changes (going down:
        into the table as it was before the up section); None to alter it in place."""

    @abc.abstractmethod
    def end_render(self, operations: Operations, facts: Any, *, upgrade: bool) -> None:
        """After the last operation of the up (``upgrade``) or down section."""

    @abc.abstractmethod
    def split_steps(
        self, upgrade: ops.UpgradeOps, downgrade: ops.DowngradeOps, facts: Any, dialect: Any
    ) -> Split:
        """After shaping, before rendering: take the operations on existing tables that must
        run apart from the main migration to keep the table online out of ``upgrade`` (and
        their reverses out of ``downgrade``), in place, and return them as the steps that
        follow it (``steps``); none where every change runs in one file."""

    @abc.abstractmethod
    def online_form(self, op: ops.MigrateOperation, sql: str, facts: Any, dialect: Any) -> str:
        """The SQL to write for one operation of an existing table, given what Alembic
        rendered for it (``sql``: statements each ending in ``;``, a blank line after):
        ``sql`` itself, or with the clauses that keep the table online (MySQL's
        ``ALGORITHM``/``LOCK``)."""

    # -- objects Alembic does not compare: sequences, enum values (``objectops``) ----------

    @abc.abstractmethod
    def object_ops(
        self, sync_conn: Connection, metadata: MetaData, schemas: set[str | None]
    ) -> list[ObjectOp]:
        """Online, after Alembic's comparison: the changes to sequences and enum values the
        models need (``schemas``: those the models use); none where the database has
        neither (SQLite)."""
