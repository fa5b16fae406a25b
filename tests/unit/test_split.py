# Tests for schemactl._split.split_statements.
#
# Throughput (CPython 3.11.7, best of 3, noisy shared machine): ~1 MB generated
# script of INSERT/CREATE TABLE/UPDATE/SELECT statements with strings and
# comments, 1/6 of them routines ($$ functions, MySQL BEGIN..END procedures,
# SQLite triggers): postgresql ~10 MB/s, mysql ~12 MB/s, sqlite ~10-17 MB/s.
# Worst case, 1 MB made only of routine bodies (keyword tracking on every word):
# mysql procedures ~6.4 MB/s, postgresql BEGIN ATOMIC ~6.6 MB/s.
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemactl._split import Dialect, Statement, split_statements

DIALECTS: tuple[Dialect, ...] = ("postgresql", "mysql", "sqlite")
WS = " \t\r\n\ufeff"


def check_invariants(script: str, stmts: list[Statement]) -> None:
    end = 0
    for s in stmts:
        assert s.sql
        assert s.sql == s.sql.strip().strip(WS)
        assert script[s.offset : s.offset + len(s.sql)] == s.sql
        assert s.line == script.count("\n", 0, s.offset) + 1
        assert s.offset >= end
        end = s.offset + len(s.sql)


def split(script: str, dialect: Dialect) -> list[str]:
    stmts = split_statements(script, dialect)
    check_invariants(script, stmts)
    return [s.sql for s in stmts]


# --------------------------------------------------------------------------
# PostgreSQL corpus

PG_FUNC = """CREATE OR REPLACE FUNCTION f(a int) RETURNS int AS $$
BEGIN
  RAISE NOTICE 'x;y';  -- ;
  RETURN a + 1;
END;
$$ LANGUAGE plpgsql"""
PG_NESTED = """CREATE FUNCTION g() RETURNS text AS $outer$
BEGIN
  EXECUTE $q$SELECT 'a;b'$q$;
  RETURN $in$x;$in$;
END
$outer$ LANGUAGE plpgsql"""
PG_DO = "DO $$ BEGIN PERFORM 1; PERFORM 2; END $$"
PG_DO_TAG = "DO LANGUAGE plpgsql $body$ BEGIN PERFORM '$$;'; END $body$"
PG_ATOMIC = """CREATE FUNCTION h(x int) RETURNS text LANGUAGE sql
BEGIN ATOMIC
  SELECT 1;
  SELECT CASE WHEN x > 0 THEN 'pos;' ELSE 'neg' END;
END"""
PG_PROC = "CREATE PROCEDURE p(begin int) LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END"
PG_RULE = (
    "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))"
)
PG_STATEMENTS = [
    PG_FUNC,
    PG_NESTED,
    PG_DO,
    PG_DO_TAG,
    PG_ATOMIC,
    PG_PROC,
    PG_RULE,
    "SELECT E'it\\'s; fine', e'\\\\'",
    "SELECT 'C:\\dir\\'",
    "SELECT 'it''s;'",
    'SELECT "weird;ident", "a""b;" FROM t',
    "SELECT 1 /* a; /* nested; */ still; */ + 2",
    "SELECT 1 -- trailing; comment\n  + 2",
    "CREATE INDEX CONCURRENTLY ix_a ON t (a)",
    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix_b ON t (lower(b))",
    "PREPARE q AS SELECT $1::int + $2, a$b FROM t",
    "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
    "BEGIN",
    "COMMIT",
]


def test_postgresql_corpus() -> None:
    script = "-- header; comment\n/* block; */\n" + ";\n\n".join(PG_STATEMENTS) + ";\n-- end"
    assert split(script, "postgresql") == PG_STATEMENTS


def test_postgresql_details() -> None:
    stmts = split_statements("SELECT 1;\n\n  -- lead\n  SELECT 2 ;;; SELECT 3", "postgresql")
    assert stmts == [
        Statement("SELECT 1", 0, 1),
        Statement("SELECT 2", 23, 4),
        Statement("SELECT 3", 36, 4),
    ]
    # plain '...' has no backslash escapes; unbalanced ')' is tolerated
    assert split("SELECT '\\'; SELECT 2); SELECT 3", "postgresql") == [
        "SELECT '\\'",
        "SELECT 2)",
        "SELECT 3",
    ]


# --------------------------------------------------------------------------
# MySQL corpus

MY_PROC = """CREATE DEFINER=`root`@`localhost` PROCEDURE p(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE done INT DEFAULT 0;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  CREATE TABLE IF NOT EXISTS tmp (`begin` INT, `end;` INT);
  DROP TABLE IF EXISTS tmp2;
  IF n > 0 THEN SET i = IF(n > 10, 10, n); ELSEIF n < 0 THEN SET i = 0; ELSE SET i = 1; END IF;
  IF (i > 5) THEN SELECT REPEAT('x;', 2); END IF;
  SET i = CASE WHEN n THEN IF(n, ');', 2) ELSE IF (n, 1, 2) END;
  w: WHILE i < n DO SET i = i + 1; END WHILE w;
  l: LOOP SET i = i - 1; IF i < 0 THEN LEAVE l; END IF; END LOOP l;
  REPEAT SET i = i + 1; UNTIL i >= n END REPEAT;
  CASE i WHEN 1 THEN SELECT 'one;'; ELSE BEGIN SELECT CASE WHEN i THEN 2 END; END; END CASE;
  SELECT "dq;\\"str" INTO @x; # hash; comment
END"""
MY_FUNC = """CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC
BEGIN
  RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END;
END"""
MY_TRIGGER = """CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW
BEGIN
  IF NEW.begin IS NULL THEN SET NEW.begin = NOW(); END IF;
END"""
MY_TRIGGER_IF = (
    "CREATE TRIGGER t2 BEFORE UPDATE ON t FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF"
)
MY_EVENT = (
    "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; INSERT INTO log VALUES (1); END"
)
MY_STATEMENTS = [
    MY_PROC,
    MY_FUNC,
    MY_TRIGGER,
    MY_TRIGGER_IF,
    MY_EVENT,
    "CREATE DEFINER='a b'@'%' PROCEDURE q() BEGIN SELECT 1; SELECT 2; END",
    "CREATE TRIGGER t3 AFTER INSERT ON t FOR EACH ROW SET @n = @n + 1",
    "SELECT 'it\\'s; ok', 'x''y;', \"a\\\";b\"",
    "SELECT `a;b`, `x``;y` FROM `t;`",
    "CREATE TABLE ev (begin INT, `begin` INT, end INT)",
    "INSERT INTO ev (begin) VALUES (1)",
    "SELECT begin FROM ev",
    "SELECT 1--1",
    "SELECT 1 # trailing; comment\n  + 2",
    "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */",
    "BEGIN",
    "COMMIT",
]


def test_mysql_corpus_without_delimiter() -> None:
    script = "-- dump; header\n# hash; header\n" + ";\n".join(MY_STATEMENTS) + ";\n-- tail\n"
    assert split(script, "mysql") == MY_STATEMENTS


def test_mysql_corpus_with_delimiter() -> None:
    script = (
        "SET NAMES utf8mb4;\n"
        "DELIMITER //\n"
        + "//\n".join(MY_STATEMENTS[:5])
        + " //\n\ndelimiter $$\nSELECT '$$;'$$\n"
        + "DELIMITER ;\n"
        + ";\n".join(MY_STATEMENTS[5:])
    )
    expected = ["SET NAMES utf8mb4", *MY_STATEMENTS[:5], "SELECT '$$;'", *MY_STATEMENTS[5:]]
    assert split(script, "mysql") == expected


def test_mysql_delimiter_details() -> None:
    # A DELIMITER line ends a pending statement; only at the start of a line.
    script = "SELECT 1\nDELIMITER //\nSELECT 'a;b'; SELECT 2//\n  DELIMITER ;"
    assert split(script, "mysql") == ["SELECT 1", "SELECT 'a;b'; SELECT 2", "DELIMITER ;"]
    # not a dialect feature elsewhere
    assert split("DELIMITER //\nSELECT 1;", "postgresql") == ["DELIMITER //\nSELECT 1"]
    crlf = "\ufeffDELIMITER //\r\nSELECT 1; SELECT 2//\r\nDELIMITER ;\r\nSELECT 3;\r\n"
    assert split_statements(crlf, "mysql") == [
        Statement("SELECT 1; SELECT 2", 15, 2),
        Statement("SELECT 3", 50, 4),
    ]


# --------------------------------------------------------------------------
# SQLite corpus

SL_TRIGGER = """CREATE TRIGGER tr AFTER INSERT ON t
BEGIN
  INSERT INTO log VALUES (new.id, 'a;b');
  UPDATE t SET n = CASE WHEN new.id > 0 THEN 1 ELSE 0 END WHERE id = new.id;
END"""
SL_TRIGGER2 = """CREATE TEMP TRIGGER IF NOT EXISTS tr2 AFTER UPDATE OF id ON ev
BEGIN
  UPDATE ev SET begin = 0, end = 1 WHERE id = new.id; -- bare begin/end columns
  SELECT [x;y] FROM (SELECT 1 AS [x;y]);
END"""
SL_STATEMENTS = [
    "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, [br;acket] TEXT DEFAULT 'x;')",
    "CREATE TABLE log (id INTEGER, msg TEXT)",
    "CREATE TABLE ev (id INTEGER, begin INTEGER, end INTEGER, `c;` TEXT)",
    SL_TRIGGER,
    SL_TRIGGER2,
    "BEGIN",
    "INSERT INTO t (id, n) VALUES (1, 0)",
    "INSERT INTO ev (id, begin) VALUES (1, 5)",
    "UPDATE ev SET id = 2",
    "COMMIT",
    "BEGIN TRANSACTION",
    "SELECT 'it''s;' AS \"a;\"\"b\" /* c; */",
    "END TRANSACTION",
]


def test_sqlite_corpus_executes_one_statement_each() -> None:
    script = "-- lead;\n" + ";\n".join(SL_STATEMENTS) + ";"
    got = split(script, "sqlite")
    assert got == SL_STATEMENTS
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for sql in got:
            assert sqlite3.complete_statement(sql + ";")
            conn.execute(sql)  # raises if it holds more than one statement
        assert conn.execute("SELECT begin, end FROM ev").fetchall() == [(0, 1)]
        assert conn.execute("SELECT id, msg FROM log").fetchall() == [(1, "a;b")]
    finally:
        conn.close()


def test_unterminated_and_empty() -> None:
    for d in DIALECTS:
        assert split("", d) == []
        assert split(" ;; -- x\n/* y */ ;\n", d) == []
        assert split("SELECT 1; SELECT 'abc; SELECT 2", d) == ["SELECT 1", "SELECT 'abc; SELECT 2"]
        assert split("SELECT 1 /* x; ", d) == ["SELECT 1 /* x;"]
    assert split("SELECT $a$ x; y", "postgresql") == ["SELECT $a$ x; y"]
    assert split("SELECT E'\\", "postgresql") == ["SELECT E'\\"]
    # an unfinished routine body swallows the rest, final ';' included
    for d in DIALECTS:
        body = "CREATE TRIGGER t BEGIN SELECT 1; SELECT 2;"
        assert split(body, d) == [body]
    with pytest.raises(ValueError, match="unsupported dialect"):
        split_statements("SELECT 1", "oracle")  # type: ignore[arg-type]


def test_large_script_is_linear() -> None:
    unit = "INSERT INTO t VALUES (1, 'a;b', \"c\") /* x */;\n-- c\n"
    script = unit * 5000  # ~250 kB; a quadratic splitter would take far longer
    for d in DIALECTS:
        assert len(split_statements(script, d)) == 5000
    trig = "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;\n" + "SELECT 2;\n" * 20000
    assert len(split_statements(trig, "sqlite")) == 1


# --------------------------------------------------------------------------
# Property tests

IDENT = st.builds(str.__add__, st.sampled_from("abez_"), st.text(alphabet="abdez_019", max_size=7))
TEXT = st.text(alphabet="ab ;'\"-/*#$\\\n\t`[]", max_size=12)
SAFE = st.text(alphabet="ab ;'\"-#$`[]\t", max_size=12)  # no '*', '/', newline


def quote(text: str, q: str, bs: bool) -> str:
    if bs:
        text = text.replace("\\", "\\\\")
    return q + text.replace(q, q + q) + q


@st.composite
def token(draw: st.DrawFn, dialect: Dialect) -> str:
    kinds = ["ident", "num", "op", "str", "qident", "block", "line"]
    if dialect == "postgresql":
        kinds += ["estr", "dollar", "param"]
    kind = draw(st.sampled_from(kinds))
    if kind == "ident":
        return draw(IDENT)
    if kind == "num":
        return str(draw(st.integers(0, 999)))
    if kind == "op":
        return draw(st.sampled_from(["+", "=", ",", "<", "(1)"]))
    if kind == "str":
        return quote(draw(TEXT), "'", dialect == "mysql")
    if kind == "estr":
        text = draw(TEXT).replace("\\", "\\\\").replace("'", "\\'")
        return "E'" + text + "'"
    if kind == "qident":
        if dialect == "mysql":
            return quote(draw(TEXT), "`", False)
        if dialect == "sqlite" and draw(st.booleans()):
            return "[" + draw(TEXT).replace("]", "") + "]"
        return quote(draw(TEXT), '"', False)
    if kind == "block":
        return "/*" + draw(SAFE) + "*/"
    if kind == "dollar":
        tag = draw(st.sampled_from(["", "q", "tag_1"]))
        body = draw(TEXT).replace("$", "")
        return f"${tag}${body}${tag}$"
    if kind == "param":
        return "$" + str(draw(st.integers(1, 9)))
    lead = draw(st.sampled_from(["--", "#"] if dialect == "mysql" else ["--"]))
    return lead + " " + draw(SAFE) + "\n"


@st.composite
def script_parts(draw: st.DrawFn, dialect: Dialect) -> tuple[list[str], list[str]]:
    """Statements, and the same each with an optional leading comment."""
    stmts: list[str] = []
    prefixed: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        toks = draw(st.lists(token(dialect), max_size=6))
        kw = draw(st.sampled_from(["SELECT", "UPDATE", "INSERT", "BEGIN", "CASE"]))
        stmt = " ".join([kw, *toks, draw(IDENT)])
        lead = draw(st.sampled_from(["", "-- lead;\n", "/* lead; */ ", "\n\n"]))
        stmts.append(stmt)
        prefixed.append(lead + stmt)
    return stmts, prefixed


@pytest.mark.parametrize("dialect", DIALECTS)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_roundtrip(dialect: Dialect, data: st.DataObject) -> None:
    stmts, prefixed = data.draw(script_parts(dialect))
    trailing = data.draw(st.sampled_from(["", ";", ";\n", ";\n-- end"]))
    # (1) LF, joined with ";\n"
    assert split(";\n".join(prefixed) + trailing, dialect) == stmts
    # (2) the same with CRLF line endings and a leading BOM
    crlf = [s.replace("\n", "\r\n") for s in stmts]
    script = ";\r\n".join(p.replace("\n", "\r\n") for p in prefixed)
    assert split("\ufeff" + script + trailing.replace("\n", "\r\n"), dialect) == crlf


SQLISH = st.lists(
    st.sampled_from(
        [
            *(";", "'", '"', "`", "[", "]", "$", "$$", "$a$", "--", "#", "/*", "*/", "\\", "E'"),
            *("\n", "\r\n", " ", "\ufeff", "(", ")", "x", "1", "\x00", "DELIMITER //\n"),
            *("BEGIN", "END", "CASE", "IF", "IF(", "LOOP", "WHILE", "REPEAT", "END IF"),
            *("CREATE TRIGGER t ", "CREATE PROCEDURE p() ", "CREATE FUNCTION f() ", " NOT EXISTS"),
        ]
    ),
    max_size=40,
).map("".join)


@pytest.mark.parametrize("dialect", DIALECTS)
@settings(max_examples=200, deadline=None)
@given(script=st.one_of(st.text(), SQLISH))
def test_never_raises_and_invariants(dialect: Dialect, script: str) -> None:
    stmts = split_statements(script, dialect)
    check_invariants(script, stmts)
    if dialect == "sqlite":
        # every statement that was ended by a ';' is complete for SQLite itself
        for s in stmts[:-1]:
            assert sqlite3.complete_statement((s.sql + "\n;").replace("\x00", " "))
