"""What a statement does, in one vocabulary for every dialect.

The parsers (``parse_postgresql``, ``parse_sqlglot``) turn each statement into a tuple of these
operations; the rules, the schema model and the lock facts read only these. An ``ALTER TABLE``
with three subcommands is three operations of one statement.

Names: an unquoted identifier is folded to lower case (every dialect here compares table names
case-insensitively or folds them); a quoted one keeps its spelling. A qualified name keeps its
qualifier, ``"billing.invoices"``; ``Schema`` resolves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ConstraintKind = Literal["fk", "check", "unique", "primary", "exclude"]


@dataclass(frozen=True, kw_only=True)
class ColumnDef:
    """A column as a CREATE TABLE or ADD COLUMN defines it."""

    name: str
    type: str  # normalised, lower case: "integer", "varchar(20)", "timestamp with time zone"
    nullable: bool = True
    default: str | None = None  # the DEFAULT expression as SQL text
    volatile_default: bool = (
        False  # the default is evaluated per row (clock_timestamp(), a MySQL expression)
    )
    generated: Literal["stored", "virtual"] | None = None
    identity: bool = False  # serial, GENERATED ... AS IDENTITY, AUTO_INCREMENT
    serial: bool = False  # PostgreSQL serial/bigserial (an identity through a sequence default)
    primary_key: bool = False
    unique: bool = False
    references: str | None = None  # the table an inline REFERENCES names
    check: bool = False  # an inline CHECK


@dataclass(frozen=True, kw_only=True)
class ConstraintDef:
    kind: ConstraintKind
    name: str | None = None
    columns: tuple[str, ...] = ()
    references: str | None = None  # fk: the referenced table
    ref_columns: tuple[str, ...] = ()  # fk: the referenced columns, when the statement names them
    not_valid: bool = False  # PostgreSQL NOT VALID
    using_index: str | None = None  # PostgreSQL ADD CONSTRAINT ... USING INDEX name
    proves_not_null: str | None = None  # check: the column a CHECK (col IS NOT NULL) is about
    # check: its expression as SQL text (`plan` counts the existing rows that violate it); the
    # PostgreSQL parser keeps it for ALTER TABLE ... ADD only (printing an expression may cost
    # a second parse, and a table being created holds no row to check)
    expression: str | None = None
    # A check's columns are the columns its expression names. CREATE TABLE lists a column's
    # inline CHECK here too (and sets ColumnDef.check), so the schema knows every check.


@dataclass(frozen=True, kw_only=True)
class Op:
    """Base of every operation; ``table`` is the table acted on, when there is one."""

    table: str | None = None


# -- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateTable(Op):
    columns: tuple[ColumnDef, ...] = ()
    constraints: tuple[ConstraintDef, ...] = ()
    if_not_exists: bool = False
    as_select: bool = False  # CREATE TABLE ... AS SELECT: copies rows


@dataclass(frozen=True, kw_only=True)
class DropTable(Op):
    if_exists: bool = False
    cascade: bool = False


@dataclass(frozen=True, kw_only=True)
class RenameTable(Op):
    new_name: str


@dataclass(frozen=True, kw_only=True)
class Truncate(Op):
    cascade: bool = False


# -- columns -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AddColumn(Op):
    column: ColumnDef
    if_not_exists: bool = False


@dataclass(frozen=True, kw_only=True)
class DropColumn(Op):
    column: str
    if_exists: bool = False


@dataclass(frozen=True, kw_only=True)
class RenameColumn(Op):
    column: str
    new_name: str


@dataclass(frozen=True, kw_only=True)
class AlterColumnType(Op):
    """A column's type changes (PostgreSQL ALTER COLUMN TYPE; MySQL MODIFY/CHANGE with
    another type). ``old_type`` is what the statement itself says, when it does not the
    schema model knows."""

    column: str
    new_type: str
    using: str | None = None
    collation: str | None = None  # PostgreSQL COLLATE: a new collation rebuilds the indexes
    # MySQL MODIFY/CHANGE restate the whole column: the new definition (its default,
    # AUTO_INCREMENT, generation), which SetNotNull/DropNotNull/SetDefault beside it also say
    definition: ColumnDef | None = None


@dataclass(frozen=True, kw_only=True)
class SetNotNull(Op):
    column: str


@dataclass(frozen=True, kw_only=True)
class DropNotNull(Op):
    column: str


@dataclass(frozen=True, kw_only=True)
class SetDefault(Op):
    column: str
    default: str
    volatile: bool = False


@dataclass(frozen=True, kw_only=True)
class DropDefault(Op):
    column: str


# -- constraints and indexes -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AddConstraint(Op):
    constraint: ConstraintDef


@dataclass(frozen=True, kw_only=True)
class ValidateConstraint(Op):
    name: str


@dataclass(frozen=True, kw_only=True)
class DropConstraint(Op):
    name: str | None  # None: MySQL DROP PRIMARY KEY
    kind: ConstraintKind | None = None  # when the statement says (MySQL DROP FOREIGN KEY)
    if_exists: bool = False


@dataclass(frozen=True, kw_only=True)
class CreateIndex(Op):
    name: str | None
    columns: tuple[str, ...] = ()  # column names; an expression is kept as its SQL text
    unique: bool = False
    concurrently: bool = False
    if_not_exists: bool = False
    method: str | None = None  # btree, gin, ...; MySQL fulltext or spatial
    where: str | None = None  # a partial index's predicate, as SQL text (PostgreSQL, SQLite)


@dataclass(frozen=True, kw_only=True)
class DropIndex(Op):
    name: str
    concurrently: bool = False
    if_exists: bool = False


@dataclass(frozen=True, kw_only=True)
class Reindex(Op):
    target: str  # the index, table, schema or database named
    concurrently: bool = False


# -- heavy table maintenance and explicit locks (PostgreSQL mostly) ----------------------------

Maintenance = Literal[
    "vacuum_full",
    "cluster",
    "set_logged",
    "set_unlogged",
    "set_tablespace",
    "set_access_method",
    "refresh_materialized_view",
    "detach_partition",
    "attach_partition",
    "lock_table",
    "set_statistics",
    "enable_disable_trigger",
    "optimize",  # MySQL OPTIMIZE TABLE: a rebuild
    "rebuild",  # MySQL ALTER TABLE ... FORCE / ENGINE=...: a rebuild
    "convert_charset",  # MySQL ALTER TABLE ... CONVERT TO CHARACTER SET: a copy of every row
]


@dataclass(frozen=True, kw_only=True)
class TableMaintenance(Op):
    kind: Maintenance
    concurrently: bool = False
    mode: str | None = None  # LOCK TABLE's lock mode, upper case: "ACCESS EXCLUSIVE", "SHARE"


@dataclass(frozen=True, kw_only=True)
class CreateTrigger(Op):
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class DropTrigger(Op):
    """DROP TRIGGER name (``table`` when the statement names it: PostgreSQL's ON table)."""

    name: str


# -- types, schemas, databases -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateEnum(Op):
    name: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class EnumAddValue(Op):
    name: str  # the enum type
    value: str
    positioned: bool = False  # BEFORE / AFTER given
    if_not_exists: bool = False


@dataclass(frozen=True, kw_only=True)
class EnumRenameValue(Op):
    name: str
    value: str
    new_value: str


@dataclass(frozen=True, kw_only=True)
class DomainConstraint(Op):
    """CREATE DOMAIN ... CHECK, ALTER DOMAIN ... ADD CONSTRAINT: every column of the domain is
    checked."""

    name: str
    not_valid: bool = False  # ALTER DOMAIN ... ADD ... NOT VALID: existing columns unchecked
    new_domain: bool = False  # CREATE DOMAIN: no column uses the domain yet


@dataclass(frozen=True, kw_only=True)
class DropSchema(Op):
    name: str
    kind: Literal["schema", "database"] = "schema"
    cascade: bool = False


@dataclass(frozen=True, kw_only=True)
class RenameSchema(Op):
    name: str
    new_name: str


# -- data, transactions, settings --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DataChange(Op):
    kind: Literal["insert", "insert_select", "update", "delete", "merge"]
    has_where: bool = True  # UPDATE/DELETE with a WHERE clause; INSERT ... VALUES counts as bounded
    columns: tuple[str, ...] | None = None  # an INSERT's column list; None: it gives none


@dataclass(frozen=True, kw_only=True)
class Transaction(Op):
    kind: Literal["begin", "commit", "rollback", "savepoint"]


@dataclass(frozen=True, kw_only=True)
class SetOption(Op):
    """SET name = value (PostgreSQL lock_timeout, statement_timeout; MySQL
    lock_wait_timeout, foreign_key_checks, alter_algorithm)."""

    name: str  # lower case
    value: str
    local: bool = False  # SET LOCAL: for this transaction only


@dataclass(frozen=True, kw_only=True)
class OnlineClause(Op):
    """MySQL/MariaDB ``ALGORITHM=...`` and ``LOCK=...`` of an ALTER TABLE (or CREATE/DROP
    INDEX); upper case, None when the statement does not say."""

    algorithm: str | None = None
    lock: str | None = None
    wait_timeout: str | None = None  # MariaDB ALTER TABLE t WAIT n (NOWAIT: "0"), in seconds


@dataclass(frozen=True, kw_only=True)
class Other(Op):
    """A statement understood well enough to know it needs no rule (CREATE VIEW, CREATE
    FUNCTION, GRANT, COMMENT, SELECT, CREATE SEQUENCE, ...). ``kind`` names it."""

    kind: str


class ParseError(Exception):
    """The parser could not read a statement: reported as "not analysed", never skipped."""
