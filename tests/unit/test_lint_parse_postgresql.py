"""PostgreSQL statements -> operations: a table of SQL and the ops libpg_query's tree gives."""

from __future__ import annotations

import pglast
import pytest
from pglast.stream import RawStream

from schemactl.lint import ops as o
from schemactl.lint._pg_expr import expression_text
from schemactl.lint.parse_postgresql import parse


def col(name: str, type_: str, **facts: object) -> o.ColumnDef:
    return o.ColumnDef(name=name, type=type_, **facts)  # type: ignore[arg-type]


CASES: list[tuple[str, tuple[o.Op, ...]]] = [
    # -- CREATE TABLE --------------------------------------------------------------------------
    (
        "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE)",
        (
            o.CreateTable(
                table="users",
                columns=(
                    col(
                        "id",
                        "bigint",
                        nullable=False,
                        identity=True,
                        serial=True,
                        volatile_default=True,
                        primary_key=True,
                    ),
                    col("email", "text", nullable=False, unique=True),
                ),
            ),
        ),
    ),
    (
        'CREATE TABLE IF NOT EXISTS "Billing".invoices (n int4 DEFAULT 0, '
        "at timestamp with time zone DEFAULT now(), u uuid DEFAULT gen_random_uuid())",
        (
            o.CreateTable(
                table="Billing.invoices",
                if_not_exists=True,
                columns=(
                    col("n", "integer", default="0"),
                    col("at", "timestamptz", default="now()"),
                    col("u", "uuid", default="gen_random_uuid()", volatile_default=True),
                ),
            ),
        ),
    ),
    (
        "CREATE TABLE t (a smallint, b int8, c varchar(20), d character varying, e char(3), "
        "f numeric(10,2), g timestamp, h boolean, i json, j jsonb, k integer[], l mood, "
        "m double precision, n s.money_t, o timestamp(3))",
        (
            o.CreateTable(
                table="t",
                columns=(
                    col("a", "smallint"),
                    col("b", "bigint"),
                    col("c", "varchar(20)"),
                    col("d", "varchar"),
                    col("e", "char(3)"),
                    col("f", "numeric(10,2)"),
                    col("g", "timestamp"),
                    col("h", "boolean"),
                    col("i", "json"),
                    col("j", "jsonb"),
                    col("k", "integer[]"),
                    col("l", "mood"),
                    col("m", "double precision"),
                    col("n", "s.money_t"),
                    col("o", "timestamp(3)"),
                ),
            ),
        ),
    ),
    (
        "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY, g int GENERATED ALWAYS AS (id * 2) "
        "STORED, r int REFERENCES s.r (id), c int CHECK (c > 0))",
        (
            o.CreateTable(
                table="t",
                columns=(
                    col("id", "integer", identity=True, nullable=False),
                    col("g", "integer", generated="stored"),
                    col("r", "integer", references="s.r"),
                    col("c", "integer", check=True),
                ),
                constraints=(o.ConstraintDef(kind="check", columns=("c",)),),
            ),
        ),
    ),
    (
        "CREATE TABLE t (a int, b int, CONSTRAINT t_pk PRIMARY KEY (a, b), UNIQUE (b), "
        "FOREIGN KEY (a) REFERENCES p (id) NOT VALID, CHECK (b IS NOT NULL), "
        "EXCLUDE USING gist (a WITH =))",
        (
            o.CreateTable(
                table="t",
                columns=(col("a", "integer"), col("b", "integer")),
                constraints=(
                    o.ConstraintDef(kind="primary", name="t_pk", columns=("a", "b")),
                    o.ConstraintDef(kind="unique", columns=("b",)),
                    o.ConstraintDef(
                        kind="fk",
                        columns=("a",),
                        references="p",
                        ref_columns=("id",),
                        not_valid=True,
                    ),
                    o.ConstraintDef(kind="check", columns=("b",), proves_not_null="b"),
                    o.ConstraintDef(kind="exclude", columns=("a",)),
                ),
            ),
        ),
    ),
    ("CREATE TABLE copy AS SELECT * FROM users", (o.CreateTable(table="copy", as_select=True),)),
    ("SELECT * INTO copy FROM users", (o.CreateTable(table="copy", as_select=True),)),
    (
        "CREATE MATERIALIZED VIEW mv AS SELECT 1",
        (o.Other(table="mv", kind="create_materialized_view"),),
    ),
    # -- DROP / TRUNCATE / RENAME --------------------------------------------------------------
    (
        "DROP TABLE IF EXISTS a, s.b CASCADE",
        (
            o.DropTable(table="a", if_exists=True, cascade=True),
            o.DropTable(table="s.b", if_exists=True, cascade=True),
        ),
    ),
    (
        "TRUNCATE a, b CASCADE",
        (o.Truncate(table="a", cascade=True), o.Truncate(table="b", cascade=True)),
    ),
    ("TRUNCATE TABLE a", (o.Truncate(table="a"),)),
    ("ALTER TABLE a RENAME TO b", (o.RenameTable(table="a", new_name="b"),)),
    ("ALTER TABLE a RENAME COLUMN x TO y", (o.RenameColumn(table="a", column="x", new_name="y"),)),
    ("ALTER TABLE a RENAME x TO y", (o.RenameColumn(table="a", column="x", new_name="y"),)),
    ("ALTER SCHEMA a RENAME TO b", (o.RenameSchema(name="a", new_name="b"),)),
    ("ALTER INDEX i RENAME TO j", (o.Other(kind="rename_index"),)),
    (
        "DROP SCHEMA s, t CASCADE",
        (o.DropSchema(name="s", cascade=True), o.DropSchema(name="t", cascade=True)),
    ),
    ("DROP DATABASE d", (o.DropSchema(name="d", kind="database"),)),
    ("DROP VIEW v", (o.Other(kind="drop_view"),)),
    # -- ALTER TABLE ---------------------------------------------------------------------------
    (
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS x jsonb NOT NULL DEFAULT '{}'::jsonb",
        (
            o.AddColumn(
                table="t",
                if_not_exists=True,
                column=col("x", "jsonb", nullable=False, default="CAST('{}' AS jsonb)"),
            ),
        ),
    ),
    (
        "ALTER TABLE t ADD COLUMN at timestamptz DEFAULT clock_timestamp()",
        (
            o.AddColumn(
                table="t",
                column=col("at", "timestamptz", default="clock_timestamp()", volatile_default=True),
            ),
        ),
    ),
    (
        "ALTER TABLE t ADD COLUMN at timestamptz DEFAULT CURRENT_TIMESTAMP",
        (o.AddColumn(table="t", column=col("at", "timestamptz", default="CURRENT_TIMESTAMP")),),
    ),
    (
        "ALTER TABLE t ADD COLUMN v text DEFAULT my_function(1)",
        (
            o.AddColumn(
                table="t", column=col("v", "text", default="my_function(1)", volatile_default=True)
            ),
        ),
    ),
    (
        "ALTER TABLE t ADD COLUMN v int GENERATED ALWAYS AS (a + 1) STORED",
        (o.AddColumn(table="t", column=col("v", "integer", generated="stored")),),
    ),
    (
        "ALTER TABLE t ADD COLUMN id serial",
        (
            o.AddColumn(
                table="t",
                column=col(
                    "id",
                    "integer",
                    identity=True,
                    serial=True,
                    nullable=False,
                    volatile_default=True,
                ),
            ),
        ),
    ),
    (
        "ALTER TABLE t DROP COLUMN IF EXISTS x CASCADE, DROP y",
        (o.DropColumn(table="t", column="x", if_exists=True), o.DropColumn(table="t", column="y")),
    ),
    (
        "ALTER TABLE t ALTER COLUMN y TYPE bigint USING y::bigint, "
        "ALTER z SET DATA TYPE varchar(40)",
        (
            o.AlterColumnType(table="t", column="y", new_type="bigint", using="CAST(y AS bigint)"),
            o.AlterColumnType(table="t", column="z", new_type="varchar(40)"),
        ),
    ),
    (
        'ALTER TABLE t ALTER COLUMN y TYPE text COLLATE "C", '
        "ALTER z TYPE text COLLATE pg_catalog.x",
        (
            o.AlterColumnType(table="t", column="y", new_type="text", collation="C"),
            o.AlterColumnType(table="t", column="z", new_type="text", collation="pg_catalog.x"),
        ),
    ),
    (
        "ALTER TABLE t ALTER a SET NOT NULL, ALTER b DROP NOT NULL",
        (o.SetNotNull(table="t", column="a"), o.DropNotNull(table="t", column="b")),
    ),
    (
        "ALTER TABLE t ALTER a SET DEFAULT random(), ALTER b SET DEFAULT 'x', ALTER c DROP DEFAULT",
        (
            o.SetDefault(table="t", column="a", default="random()", volatile=True),
            o.SetDefault(table="t", column="b", default="'x'"),
            o.DropDefault(table="t", column="c"),
        ),
    ),
    (
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES s.p (id) NOT VALID",
        (
            o.AddConstraint(
                table="t",
                constraint=o.ConstraintDef(
                    kind="fk",
                    name="fk",
                    columns=("a",),
                    references="s.p",
                    ref_columns=("id",),
                    not_valid=True,
                ),
            ),
        ),
    ),
    (
        "ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID",
        (
            o.AddConstraint(
                table="t",
                constraint=o.ConstraintDef(
                    kind="check",
                    name="a_nn",
                    columns=("a",),
                    not_valid=True,
                    proves_not_null="a",
                    expression="a IS NOT NULL",
                ),
            ),
        ),
    ),
    (
        "ALTER TABLE t ADD CONSTRAINT pos CHECK (a > 0)",
        (
            o.AddConstraint(
                table="t",
                constraint=o.ConstraintDef(
                    kind="check", name="pos", columns=("a",), expression="a > 0"
                ),
            ),
        ),
    ),
    (
        "ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX ui, ADD PRIMARY KEY (id)",
        (
            o.AddConstraint(
                table="t", constraint=o.ConstraintDef(kind="unique", name="u", using_index="ui")
            ),
            o.AddConstraint(table="t", constraint=o.ConstraintDef(kind="primary", columns=("id",))),
        ),
    ),
    (
        "ALTER TABLE t ADD CONSTRAINT x EXCLUDE USING gist (r WITH &&)",
        (
            o.AddConstraint(
                table="t", constraint=o.ConstraintDef(kind="exclude", name="x", columns=("r",))
            ),
        ),
    ),
    (
        "ALTER TABLE t VALIDATE CONSTRAINT fk, DROP CONSTRAINT IF EXISTS c",
        (
            o.ValidateConstraint(table="t", name="fk"),
            o.DropConstraint(table="t", name="c", if_exists=True),
        ),
    ),
    (
        "ALTER TABLE t SET LOGGED, SET UNLOGGED, SET TABLESPACE x, SET ACCESS METHOD heap, "
        "ALTER a SET STATISTICS 100, DISABLE TRIGGER ALL, ENABLE TRIGGER tr",
        tuple(
            o.TableMaintenance(table="t", kind=kind)
            for kind in (
                "set_logged",
                "set_unlogged",
                "set_tablespace",
                "set_access_method",
                "set_statistics",
                "enable_disable_trigger",
                "enable_disable_trigger",
            )
        ),
    ),
    (
        "ALTER TABLE p ATTACH PARTITION c FOR VALUES IN (1)",
        (o.TableMaintenance(table="p", kind="attach_partition"),),
    ),
    (
        "ALTER TABLE p DETACH PARTITION c CONCURRENTLY",
        (o.TableMaintenance(table="p", kind="detach_partition", concurrently=True),),
    ),
    ("ALTER TABLE p DETACH PARTITION c", (o.TableMaintenance(table="p", kind="detach_partition"),)),
    (
        "ALTER TABLE t SET (fillfactor = 50)",
        (o.Other(table="t", kind="alter_table_setreloptions"),),
    ),
    ("ALTER INDEX i SET TABLESPACE x", (o.Other(table="i", kind="alter_index"),)),
    # -- indexes and maintenance ---------------------------------------------------------------
    (
        "CREATE INDEX ON users (email)",
        (o.CreateIndex(table="users", name=None, columns=("email",), method="btree"),),
    ),
    (
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON s.t USING gin (lower(email), (a + b)) "
        "WHERE deleted_at IS NULL",
        (
            o.CreateIndex(
                table="s.t",
                name="i",
                columns=("lower(email)", "a + b"),
                unique=True,
                concurrently=True,
                if_not_exists=True,
                method="gin",
                where="deleted_at IS NULL",
            ),
        ),
    ),
    (
        "DROP INDEX CONCURRENTLY IF EXISTS s.i",
        (o.DropIndex(name="s.i", concurrently=True, if_exists=True),),
    ),
    ("DROP INDEX a, b", (o.DropIndex(name="a"), o.DropIndex(name="b"))),
    ("REINDEX TABLE CONCURRENTLY t", (o.Reindex(table="t", target="t", concurrently=True),)),
    ("REINDEX (CONCURRENTLY) INDEX i", (o.Reindex(target="i", concurrently=True),)),
    ("REINDEX DATABASE d", (o.Reindex(target="d"),)),
    ("VACUUM FULL t", (o.TableMaintenance(table="t", kind="vacuum_full"),)),
    (
        "VACUUM (FULL, ANALYZE) a, b",
        (
            o.TableMaintenance(table="a", kind="vacuum_full"),
            o.TableMaintenance(table="b", kind="vacuum_full"),
        ),
    ),
    ("VACUUM FULL", (o.TableMaintenance(kind="vacuum_full"),)),
    ("VACUUM t", (o.Other(kind="vacuum"),)),
    ("ANALYZE t", (o.Other(kind="analyze"),)),
    ("CLUSTER t USING i", (o.TableMaintenance(table="t", kind="cluster"),)),
    (
        "REFRESH MATERIALIZED VIEW mv",
        (o.TableMaintenance(table="mv", kind="refresh_materialized_view"),),
    ),
    (
        "REFRESH MATERIALIZED VIEW CONCURRENTLY s.mv",
        (o.TableMaintenance(table="s.mv", kind="refresh_materialized_view", concurrently=True),),
    ),
    (
        "LOCK TABLE a, b",
        tuple(
            o.TableMaintenance(table=t, kind="lock_table", mode="ACCESS EXCLUSIVE") for t in "ab"
        ),
    ),
    ("LOCK a IN SHARE MODE", (o.TableMaintenance(table="a", kind="lock_table", mode="SHARE"),)),
    (
        "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        (o.CreateTrigger(table="t", name="tr"),),
    ),
    # -- types and domains ---------------------------------------------------------------------
    ("CREATE TYPE mood AS ENUM ('a', 'b')", (o.CreateEnum(name="mood", values=("a", "b")),)),
    ("ALTER TYPE s.mood ADD VALUE 'c'", (o.EnumAddValue(name="s.mood", value="c"),)),
    (
        "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'c' BEFORE 'b'",
        (o.EnumAddValue(name="mood", value="c", positioned=True, if_not_exists=True),),
    ),
    (
        "ALTER TYPE mood RENAME VALUE 'a' TO 'z'",
        (o.EnumRenameValue(name="mood", value="a", new_value="z"),),
    ),
    (
        "CREATE DOMAIN pos AS int CHECK (VALUE > 0)",
        (o.DomainConstraint(name="pos", new_domain=True),),
    ),
    ("CREATE DOMAIN name_t AS text", (o.Other(kind="create_domain"),)),
    ("ALTER DOMAIN pos ADD CONSTRAINT c CHECK (VALUE < 9)", (o.DomainConstraint(name="pos"),)),
    (
        "ALTER DOMAIN pos ADD CONSTRAINT c CHECK (VALUE < 9) NOT VALID",
        (o.DomainConstraint(name="pos", not_valid=True),),
    ),
    ("ALTER DOMAIN pos VALIDATE CONSTRAINT c", (o.Other(kind="alter_domain"),)),
    # -- data -----------------------------------------------------------------------------------
    ("INSERT INTO t VALUES (1)", (o.DataChange(table="t", kind="insert"),)),
    ("INSERT INTO t DEFAULT VALUES", (o.DataChange(table="t", kind="insert"),)),
    (
        "INSERT INTO t SELECT * FROM u",
        (o.DataChange(table="t", kind="insert_select", has_where=False),),
    ),
    ("INSERT INTO t SELECT * FROM u WHERE x", (o.DataChange(table="t", kind="insert_select"),)),
    (
        'INSERT INTO t (a, "B") SELECT a, b FROM u WHERE x',
        (o.DataChange(table="t", kind="insert_select", columns=("a", "B")),),
    ),
    ("UPDATE t SET a = 1", (o.DataChange(table="t", kind="update", has_where=False),)),
    ("UPDATE s.t SET a = 1 WHERE id < 10", (o.DataChange(table="s.t", kind="update"),)),
    ("DELETE FROM t", (o.DataChange(table="t", kind="delete", has_where=False),)),
    (
        "WITH d AS (SELECT 1) DELETE FROM t WHERE id IN (SELECT * FROM d)",
        (o.DataChange(table="t", kind="delete"),),
    ),
    (
        "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE",
        (o.DataChange(table="t", kind="merge"),),
    ),
    # -- transactions and settings -------------------------------------------------------------
    ("BEGIN", (o.Transaction(kind="begin"),)),
    ("START TRANSACTION ISOLATION LEVEL SERIALIZABLE", (o.Transaction(kind="begin"),)),
    ("COMMIT", (o.Transaction(kind="commit"),)),
    ("END", (o.Transaction(kind="commit"),)),
    ("ROLLBACK", (o.Transaction(kind="rollback"),)),
    ("SAVEPOINT a", (o.Transaction(kind="savepoint"),)),
    ("ROLLBACK TO SAVEPOINT a", (o.Transaction(kind="savepoint"),)),
    ("SET lock_timeout = '5s'", (o.SetOption(name="lock_timeout", value="5s"),)),
    (
        "SET LOCAL statement_timeout TO 5000",
        (o.SetOption(name="statement_timeout", value="5000", local=True),),
    ),
    ("SET Lock_Timeout TO DEFAULT", (o.SetOption(name="lock_timeout", value="default"),)),
    ("RESET lock_timeout", (o.SetOption(name="lock_timeout", value="default"),)),
    ("RESET ALL", (o.SetOption(name="all", value="default"),)),
    ("SET search_path = a, public", (o.SetOption(name="search_path", value="a, public"),)),
    ("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", (o.Other(kind="set_transaction"),)),
    # -- statements that need no rule ----------------------------------------------------------
    ("CREATE VIEW v AS SELECT 1", (o.Other(kind="create_view"),)),
    (
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
        (o.Other(kind="create_function"),),
    ),
    ("CREATE SEQUENCE s", (o.Other(kind="create_sequence"),)),
    ("GRANT SELECT ON t TO app", (o.Other(kind="grant"),)),
    ("COMMENT ON TABLE t IS 'x'", (o.Other(kind="comment"),)),
    ("CREATE EXTENSION IF NOT EXISTS pgcrypto", (o.Other(kind="create_extension"),)),
    ("SELECT 1", (o.Other(kind="select"),)),
    ("DO $$ BEGIN END $$", (o.Other(kind="do"),)),
    # -- comments, quoting, several statements -------------------------------------------------
    (
        'CREATE /* not yet */ INDEX -- a comment\n  idx ON "Users" ("Email")',
        (o.CreateIndex(table="Users", name="idx", columns=("Email",), method="btree"),),
    ),
    (
        'ALTER TABLE "My Schema"."T" ADD "Col" INT',
        (o.AddColumn(table="My Schema.T", column=col("Col", "integer")),),
    ),
    (
        "ALTER TABLE PUBLIC.Users DROP COLUMN Email",
        (o.DropColumn(table="public.users", column="email"),),
    ),
    (
        "BEGIN; SET LOCAL lock_timeout = '1s'",
        (o.Transaction(kind="begin"), o.SetOption(name="lock_timeout", value="1s", local=True)),
    ),
    ("-- only a comment", ()),
]


@pytest.mark.parametrize(("sql", "expected"), CASES, ids=[sql[:50] for sql, _ in CASES])
def test_statement_gives_its_operations(sql: str, expected: tuple[o.Op, ...]) -> None:
    assert parse(sql) == expected


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("CREATE TABL x (a int)", 'syntax error at or near "TABL" (at character 8)'),
        ("ALTER TABLE t ADD COLUMN", "syntax error at end of input"),
        (
            "SELECT 'unterminated",
            'unterminated quoted string at or near "\'unterminated" (at character 8)',
        ),
    ],
)
def test_unreadable_statement_is_a_parse_error(sql: str, message: str) -> None:
    with pytest.raises(o.ParseError) as caught:
        parse(sql)
    assert str(caught.value) == message


EXPRESSIONS = [
    "now()",
    "0",
    "-1",
    "1.5",
    "TRUE",
    "false",
    "NULL",
    "'x'",
    "'it''s'",
    "'x'::text",
    "'{}'::jsonb",
    "CURRENT_TIMESTAMP",
    "CURRENT_DATE",
    "LOCALTIMESTAMP",
    "CURRENT_USER",
    "gen_random_uuid()",
    "nextval('s'::regclass)",
    "lower(email)",
    "f(a, 'b', 2)",
    # the forms printed from pglast's object tree:
    "now() + interval '1 day'",
    "'x'::varchar(3)",
    "COALESCE(a, b)",
    '"Col"',
    "a ->> 'b'",
    "ARRAY[1, 2]",
    "CAST(x AS timestamp(3) with time zone)",
    "pg_catalog.now()",
    "'a\\b'",
    "B'101'",
    "X'1f'",
    "'line\nbreak'",
    "CASE WHEN a THEN 1 ELSE 2 END",
    "date '2024-01-01'",
    "count(*)",
]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_expression_text_is_what_pglast_prints(expression: str) -> None:
    import json

    from pglast.parser import parse_sql_json

    sql = f"SELECT {expression}"
    tree = json.loads(parse_sql_json(sql))
    json_expr = tree["stmts"][0]["stmt"]["SelectStmt"]["targetList"][0]["ResTarget"]["val"]
    select = pglast.parse_sql(sql)[0].stmt
    assert isinstance(select, pglast.ast.SelectStmt)
    assert select.targetList is not None
    object_expr = select.targetList[0].val
    assert expression_text(sql, json_expr) == RawStream()(object_expr)


@pytest.mark.parametrize(
    ("default", "volatile"),
    [
        ("now()", False),
        ("CURRENT_TIMESTAMP", False),
        ("statement_timestamp()", False),
        ("'x'", False),
        ("lower('X') || 'y'", False),
        ("now() + interval '1 day'", False),
        ("clock_timestamp()", True),
        ("random()", True),
        ("gen_random_uuid()", True),
        ("uuid_generate_v4()", True),
        ("nextval('s')", True),
        ("timeofday()", True),
        ("txid_current()", True),
        ("(random() * 10)::int", True),
        ("public.unknown_function()", True),
    ],
)
def test_default_volatility(default: str, volatile: bool) -> None:
    (op,) = parse(f"ALTER TABLE t ADD COLUMN c text DEFAULT {default}")
    assert isinstance(op, o.AddColumn)
    assert op.column.volatile_default is volatile
