"""MySQL/MariaDB and SQLite statements to lint operations, read by sqlglot: SQL -> ops."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from schemactl.lint.ops import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    ColumnDef,
    ConstraintDef,
    CreateIndex,
    CreateTable,
    CreateTrigger,
    DataChange,
    DropColumn,
    DropConstraint,
    DropDefault,
    DropIndex,
    DropNotNull,
    DropSchema,
    DropTable,
    OnlineClause,
    Op,
    Other,
    ParseError,
    Reindex,
    RenameColumn,
    RenameTable,
    SetDefault,
    SetNotNull,
    SetOption,
    TableMaintenance,
    Transaction,
    Truncate,
)
from schemactl.lint.parse_sqlglot import parse


def col(name: str, type_: str, **fields: Any) -> ColumnDef:
    return ColumnDef(name=name, type=type_, **fields)


def modify(
    table: str, column: str, definition: ColumnDef, *, default: str | None = None
) -> tuple[Op, ...]:
    """What MODIFY/CHANGE restate: type, nullability, default."""
    null: Op = (
        DropNotNull(table=table, column=column)
        if definition.nullable
        else SetNotNull(table=table, column=column)
    )
    dflt: Op = (
        DropDefault(table=table, column=column)
        if default is None
        else SetDefault(table=table, column=column, default=default)
    )
    return (
        AlterColumnType(
            table=table, column=column, new_type=definition.type, definition=definition
        ),
        null,
        dflt,
    )


INT = col("a", "int")

MYSQL: list[tuple[str, tuple[Op, ...]]] = [
    # -- CREATE TABLE
    (
        "CREATE TABLE `Users` (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
        "token CHAR(36) NOT NULL DEFAULT (uuid()), "
        "state ENUM('new','done') NOT NULL DEFAULT 'new', "
        "created DATETIME DEFAULT CURRENT_TIMESTAMP, doc JSON, body TEXT, n INT(11), "
        "total INT GENERATED ALWAYS AS (id * 2) STORED, half INT AS (id / 2) VIRTUAL, "
        "owner INT REFERENCES owners(id), price DECIMAL(10, 2) CHECK (price > 0), "
        "code VARCHAR(255) UNIQUE) "
        "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        (
            CreateTable(
                table="Users",
                columns=(
                    col("id", "bigint unsigned", identity=True, primary_key=True, nullable=False),
                    col(
                        "token",
                        "char(36)",
                        nullable=False,
                        default="(UUID())",
                        volatile_default=True,
                    ),
                    col("state", "enum('new','done')", nullable=False, default="'new'"),
                    col("created", "datetime", default="CURRENT_TIMESTAMP()"),
                    col("doc", "json"),
                    col("body", "text"),
                    col("n", "int"),  # display width dropped
                    col("total", "int", generated="stored"),
                    col("half", "int", generated="virtual"),
                    col("owner", "int", references="owners"),
                    col("price", "decimal(10,2)", check=True),
                    col("code", "varchar(255)", unique=True),
                ),
            ),
        ),
    ),
    (
        "CREATE TABLE IF NOT EXISTS shop.orders (id INT, user_id INT, sku VARCHAR(20), "
        "PRIMARY KEY (id), CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id), "
        "CONSTRAINT chk CHECK (sku IS NOT NULL), UNIQUE KEY uq_sku (sku), KEY ix_user (user_id), "
        "FULLTEXT KEY ft (sku))",
        (
            CreateTable(
                table="shop.orders",
                columns=(col("id", "int"), col("user_id", "int"), col("sku", "varchar(20)")),
                constraints=(
                    ConstraintDef(kind="primary", columns=("id",)),
                    ConstraintDef(
                        kind="fk",
                        name="fk_user",
                        columns=("user_id",),
                        references="users",
                        ref_columns=("id",),
                    ),
                    ConstraintDef(
                        kind="check",
                        name="chk",
                        proves_not_null="sku",
                        expression="NOT sku IS NULL",
                    ),
                    ConstraintDef(kind="unique", name="uq_sku", columns=("sku",)),
                ),
                if_not_exists=True,
            ),
            CreateIndex(table="shop.orders", name="ix_user", columns=("user_id",)),
            CreateIndex(table="shop.orders", name="ft", columns=("sku",), method="fulltext"),
        ),
    ),
    (
        "CREATE TABLE archive AS SELECT * FROM orders",
        (CreateTable(table="archive", as_select=True),),
    ),
    # a comment inside the statement, and types sqlglot does not know for MySQL (spatial)
    (
        "CREATE TABLE places ( -- where\n id SERIAL, /* the spot */ spot POINT NOT NULL SRID 4326, "
        "SPATIAL INDEX (spot))",
        (
            CreateTable(
                table="places",
                columns=(
                    col("id", "bigint unsigned", identity=True, nullable=False, unique=True),
                    col("spot", "point", nullable=False),
                ),
            ),
            CreateIndex(table="places", name=None, columns=("spot",), method="spatial"),
        ),
    ),
    (
        "DROP TABLE IF EXISTS a, `B`",
        (DropTable(table="a", if_exists=True), DropTable(table="B", if_exists=True)),
    ),
    ("DROP TEMPORARY TABLE t", (Other(kind="drop_temporary_table"),)),
    (
        "RENAME TABLE a TO b, `db`.`C` TO d",
        (RenameTable(table="a", new_name="b"), RenameTable(table="db.C", new_name="d")),
    ),
    ("ALTER TABLE a RENAME TO b", (RenameTable(table="a", new_name="b"),)),
    # -- ALTER TABLE columns, with ALGORITHM/LOCK
    (
        "ALTER TABLE users ADD COLUMN age INT NOT NULL DEFAULT 0, ALGORITHM=INSTANT",
        (
            AddColumn(table="users", column=col("age", "int", nullable=False, default="0")),
            OnlineClause(table="users", algorithm="INSTANT"),
        ),
    ),
    (
        "ALTER TABLE users ALGORITHM=INPLACE, LOCK=NONE, DROP COLUMN age",
        (
            DropColumn(table="users", column="age"),
            OnlineClause(table="users", algorithm="INPLACE", lock="NONE"),
        ),
    ),
    (
        "ALTER TABLE users RENAME COLUMN a TO b",
        (RenameColumn(table="users", column="a", new_name="b"),),
    ),
    (
        "ALTER TABLE users MODIFY COLUMN a BIGINT NOT NULL, LOCK=SHARED",
        (
            *modify("users", "a", col("a", "bigint", nullable=False)),
            OnlineClause(table="users", lock="SHARED"),
        ),
    ),
    (
        "ALTER TABLE users CHANGE a b VARCHAR(64) DEFAULT 'x'",
        (
            RenameColumn(table="users", column="a", new_name="b"),
            *modify("users", "b", col("b", "varchar(64)", default="'x'"), default="'x'"),
        ),
    ),
    (
        "ALTER TABLE t ALTER COLUMN a SET DEFAULT (uuid()), ALTER b DROP DEFAULT",
        (
            SetDefault(table="t", column="a", default="(UUID())", volatile=True),
            DropDefault(table="t", column="b"),
        ),
    ),
    # -- indexes and constraints
    (
        "ALTER TABLE t ADD INDEX ix (a), ADD UNIQUE KEY ux (b), ADD FULLTEXT INDEX ft (c), "
        "ADD SPATIAL INDEX sp (g), ADD KEY (d(10), e DESC)",
        (
            CreateIndex(table="t", name="ix", columns=("a",)),
            CreateIndex(table="t", name="ux", columns=("b",), unique=True),
            CreateIndex(table="t", name="ft", columns=("c",), method="fulltext"),
            CreateIndex(table="t", name="sp", columns=("g",), method="spatial"),
            CreateIndex(table="t", name=None, columns=("d", "e")),
        ),
    ),
    (
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES db.users (id), "
        "ADD PRIMARY KEY (a, b), "
        "ADD CONSTRAINT uq UNIQUE (c), ADD CHECK (a > 0)",
        (
            AddConstraint(
                table="t",
                constraint=ConstraintDef(
                    kind="fk", name="fk", columns=("u",), references="db.users", ref_columns=("id",)
                ),
            ),
            AddConstraint(table="t", constraint=ConstraintDef(kind="primary", columns=("a", "b"))),
            AddConstraint(
                table="t", constraint=ConstraintDef(kind="unique", name="uq", columns=("c",))
            ),
            AddConstraint(table="t", constraint=ConstraintDef(kind="check", expression="a > 0")),
        ),
    ),
    (
        "ALTER TABLE t DROP INDEX ix, DROP FOREIGN KEY fk, DROP PRIMARY KEY, DROP CHECK c, "
        "DROP CONSTRAINT d",
        (
            DropIndex(table="t", name="ix"),
            DropConstraint(table="t", name="fk", kind="fk"),
            DropConstraint(table="t", name=None, kind="primary"),
            DropConstraint(table="t", name="c", kind="check"),
            DropConstraint(table="t", name="d"),
        ),
    ),
    (
        "CREATE UNIQUE INDEX ix ON t (a) ALGORITHM=INPLACE LOCK=NONE",
        (
            CreateIndex(table="t", name="ix", columns=("a",), unique=True),
            OnlineClause(table="t", algorithm="INPLACE", lock="NONE"),
        ),
    ),
    (
        "CREATE FULLTEXT INDEX ft ON t (body)",
        (CreateIndex(table="t", name="ft", columns=("body",), method="fulltext"),),
    ),
    (
        "CREATE INDEX ix USING BTREE ON t (a)",
        (CreateIndex(table="t", name="ix", columns=("a",), method="btree"),),
    ),
    ("DROP INDEX ix ON t", (DropIndex(table="t", name="ix"),)),
    (
        "DROP INDEX ix ON t ALGORITHM = INPLACE LOCK = NONE",
        (
            DropIndex(table="t", name="ix"),
            OnlineClause(table="t", algorithm="INPLACE", lock="NONE"),
        ),
    ),
    # -- rebuilds
    (
        "OPTIMIZE TABLE a, b",
        (
            TableMaintenance(table="a", kind="optimize"),
            TableMaintenance(table="b", kind="optimize"),
        ),
    ),
    ("ALTER TABLE t FORCE", (TableMaintenance(table="t", kind="rebuild"),)),
    ("ALTER TABLE t ENGINE=InnoDB", (TableMaintenance(table="t", kind="rebuild"),)),
    (
        "ALTER TABLE t CONVERT TO CHARSET utf8mb4",
        (TableMaintenance(table="t", kind="convert_charset"),),
    ),
    (
        "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, ALGORITHM=COPY",
        (
            TableMaintenance(table="t", kind="convert_charset"),
            OnlineClause(table="t", algorithm="COPY"),
        ),
    ),
    (
        "LOCK TABLES t WRITE, u READ",
        (
            TableMaintenance(table="t", kind="lock_table"),
            TableMaintenance(table="u", kind="lock_table"),
        ),
    ),
    # -- MariaDB
    (
        "ALTER ONLINE TABLE t WAIT 5 ADD COLUMN IF NOT EXISTS a INT",
        (
            AddColumn(table="t", column=INT, if_not_exists=True),
            OnlineClause(table="t", lock="NONE", wait_timeout="5"),
        ),
    ),
    (
        "ALTER TABLE t NOWAIT DROP COLUMN IF EXISTS a",
        (
            DropColumn(table="t", column="a", if_exists=True),
            OnlineClause(table="t", wait_timeout="0"),
        ),
    ),
    (
        "ALTER TABLE t ADD UNIQUE INDEX IF NOT EXISTS ux (a)",
        (CreateIndex(table="t", name="ux", columns=("a",), unique=True),),
    ),
    ("ALTER TABLE t MODIFY COLUMN IF EXISTS a INT", modify("t", "a", INT)),
    (
        "ALTER TABLE t ADD COLUMN a INT, ALGORITHM=NOCOPY",
        (AddColumn(table="t", column=INT), OnlineClause(table="t", algorithm="NOCOPY")),
    ),
    (
        "CREATE TABLE t (a INT AS (1) PERSISTENT, ip INET6)",
        (
            CreateTable(
                table="t", columns=(col("a", "int", generated="stored"), col("ip", "inet6"))
            ),
        ),
    ),
    (
        "CREATE OR REPLACE TABLE t (a INT)",
        (DropTable(table="t", if_exists=True), CreateTable(table="t", columns=(INT,))),
    ),
    # -- data, transactions, settings
    ("TRUNCATE TABLE t", (Truncate(table="t"),)),
    ("DROP DATABASE shop", (DropSchema(name="shop", kind="database"),)),
    ("INSERT INTO t (a) VALUES (1)", (DataChange(table="t", kind="insert"),)),
    ("INSERT INTO t SELECT * FROM u", (DataChange(table="t", kind="insert_select"),)),
    ("REPLACE INTO t SELECT * FROM u", (DataChange(table="t", kind="insert_select"),)),
    ("UPDATE t SET a = 1", (DataChange(table="t", kind="update", has_where=False),)),
    ("DELETE FROM t WHERE a = 1", (DataChange(table="t", kind="delete", has_where=True),)),
    ("START TRANSACTION", (Transaction(kind="begin"),)),
    ("BEGIN", (Transaction(kind="begin"),)),
    ("COMMIT", (Transaction(kind="commit"),)),
    (
        "SET SESSION lock_wait_timeout = 5, foreign_key_checks = 0",
        (
            SetOption(name="lock_wait_timeout", value="5"),
            SetOption(name="foreign_key_checks", value="0"),
        ),
    ),
    (
        "SET @@session.alter_algorithm = 'INSTANT'",
        (SetOption(name="alter_algorithm", value="INSTANT"),),
    ),
    ("SET GLOBAL lock_wait_timeout = 5", (Other(kind="set_global"),)),
    (
        "CREATE DEFINER=`root`@`%` TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1",
        (CreateTrigger(table="t", name="trg"),),
    ),
    # -- no rule needed
    ("CREATE VIEW v AS SELECT 1", (Other(kind="create_view"),)),
    ("CREATE PROCEDURE p() BEGIN SELECT 1; END", (Other(kind="create_procedure"),)),
    ("GRANT SELECT ON t TO app", (Other(kind="grant"),)),
    ("SELECT 1", (Other(kind="select"),)),
    ("CALL refresh()", (Other(kind="call"),)),
    ("-- only a comment", (Other(kind="comment"),)),
]

SQLITE: list[tuple[str, tuple[Op, ...]]] = [
    (
        'CREATE TABLE "Users" (id INTEGER PRIMARY KEY AUTOINCREMENT, '
        "name TEXT NOT NULL DEFAULT 'x', "
        "owner INTEGER REFERENCES owners(id) ON DELETE CASCADE, "
        "seen DEFAULT CURRENT_TIMESTAMP, raw, "
        "CHECK (id > 0)) STRICT, WITHOUT ROWID",
        (
            CreateTable(
                table="Users",
                columns=(
                    col("id", "int", identity=True, primary_key=True),
                    col("name", "text", nullable=False, default="'x'"),
                    col("owner", "int", references="owners"),
                    col("seen", "", default="CURRENT_TIMESTAMP", volatile_default=True),
                    col("raw", ""),
                ),
                constraints=(ConstraintDef(kind="check", expression="id > 0"),),
            ),
        ),
    ),
    (
        "CREATE TABLE t (a INT NOT NULL ON CONFLICT IGNORE)",
        (CreateTable(table="t", columns=(col("a", "int", nullable=False),)),),
    ),
    (
        "ALTER TABLE t ADD COLUMN a INT NOT NULL DEFAULT 0",
        (AddColumn(table="t", column=col("a", "int", nullable=False, default="0")),),
    ),
    (
        "ALTER TABLE t ADD b TEXT DEFAULT (lower('X'))",
        (
            AddColumn(
                table="t", column=col("b", "text", default="(LOWER('X'))", volatile_default=True)
            ),
        ),
    ),
    ("ALTER TABLE t DROP COLUMN a", (DropColumn(table="t", column="a"),)),
    ("ALTER TABLE t RENAME COLUMN a TO b", (RenameColumn(table="t", column="a", new_name="b"),)),
    ("ALTER TABLE t RENAME a TO b", (RenameColumn(table="t", column="a", new_name="b"),)),
    ("ALTER TABLE main.t RENAME TO u", (RenameTable(table="main.t", new_name="u"),)),
    (
        "CREATE UNIQUE INDEX IF NOT EXISTS ix ON t (a, lower(b)) WHERE a > 0",
        (
            CreateIndex(
                table="t",
                name="ix",
                columns=("a", "LOWER(b)"),
                unique=True,
                if_not_exists=True,
                where="a > 0",
            ),
        ),
    ),
    ("DROP INDEX IF EXISTS ix", (DropIndex(name="ix", if_exists=True),)),
    ("PRAGMA foreign_keys = OFF", (SetOption(name="foreign_keys", value="off"),)),
    ("PRAGMA legacy_alter_table=ON", (SetOption(name="legacy_alter_table", value="on"),)),
    ("PRAGMA foreign_key_check", (Other(kind="pragma"),)),
    ("PRAGMA main.table_info(t)", (Other(kind="pragma"),)),
    # the 12-step rebuild
    (
        "CREATE TABLE new_t (a INTEGER NOT NULL, b TEXT)",
        (CreateTable(table="new_t", columns=(col("a", "int", nullable=False), col("b", "text"))),),
    ),
    (
        "INSERT INTO new_t (a, b) SELECT a, b FROM t",
        (DataChange(table="new_t", kind="insert_select", columns=("a", "b")),),
    ),
    ("DROP TABLE t", (DropTable(table="t"),)),
    ("ALTER TABLE new_t RENAME TO t", (RenameTable(table="new_t", new_name="t"),)),
    ("BEGIN IMMEDIATE", (Transaction(kind="begin"),)),
    ("END", (Transaction(kind="commit"),)),
    (
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; END",
        (CreateTrigger(table="t", name="tr"),),
    ),
    ("CREATE TEMP TABLE scratch (a)", (Other(kind="create_temporary_table"),)),
    ("REPLACE INTO t VALUES (1)", (DataChange(table="t", kind="insert"),)),
    ("REINDEX t", (Reindex(target="t"),)),
    ("VACUUM", (TableMaintenance(kind="vacuum_full"),)),
]


@pytest.mark.parametrize(("sql", "expected"), MYSQL, ids=[s[:60] for s, _ in MYSQL])
def test_mysql(sql: str, expected: tuple[Op, ...]) -> None:
    assert parse(sql, "mysql") == expected


@pytest.mark.parametrize(("sql", "expected"), SQLITE, ids=[s[:60] for s, _ in SQLITE])
def test_sqlite(sql: str, expected: tuple[Op, ...]) -> None:
    assert parse(sql, "sqlite") == expected


@pytest.mark.parametrize(
    ("sql", "dialect", "says"),
    [
        ("CREATE TABLE t (a INT", "mysql", "Expecting )"),
        ("ALTER TABLE t ADD PARTITION (PARTITION p1 VALUES LESS THAN (10))", "mysql", "Expecting"),
        ("ALTER TABLE t DISABLE KEYS", "mysql", "ALTER TABLE t DISABLE KEYS ...: not readable"),
        ("SELECT 'unterminated", "mysql", "Error tokenizing"),
        ("ALTER TABLE t FROBNICATE", "sqlite", "not"),
    ],
)
def test_an_unreadable_statement_is_a_parse_error(sql: str, dialect: str, says: str) -> None:
    with pytest.raises(ParseError, match=re.escape(says)):
        parse(sql, dialect)  # type: ignore[arg-type]


def test_a_command_fallback_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """sqlglot warns when it keeps a statement opaque; the parser handles that itself."""
    parse("CREATE USER app", "mysql")
    with pytest.raises(ParseError):
        parse("ALTER TABLE t DISABLE KEYS", "mysql")
    assert caplog.records == []


def test_a_thousand_statements_parse_fast() -> None:
    statements = [sql for sql, _ in MYSQL] * 20
    started = time.perf_counter()
    for sql in statements:
        parse(sql, "mysql")
    per_statement = (time.perf_counter() - started) / len(statements)
    assert per_statement < 0.005, f"{per_statement * 1000:.2f} ms per statement"
