"""Property tests of the migration file parser: any bytes, generated valid files, and the
parser feeding the statement splitter.

Line endings: a generated file is written with LF or with CRLF. The parser does not translate
line endings, so with CRLF every "\\n" of a generated body reads back as "\\r\\n" (the
``eol`` translation below) and line numbers count "\\n" only.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from schemactl._errors import MigrationFileError
from schemactl._files import Migration, MigrationFile, Section, parse_migration
from schemactl._split import Dialect, split_statements

PATH = Path("db") / "migrations" / "20240102030405_create_users.sql"
FILE = MigrationFile("20240102030405", "create_users", PATH)
BOM = "\ufeff"
# What makes a line a section marker in dbmate's format: "--", optional whitespace,
# "migrate:" and a word, at the very start of a line. Generated text avoids it.
MARKER_LIKE = re.compile(r"--\s*migrate:")
MARKER = re.compile(r"--\s*migrate:\w")  # a marker line, or an error: never section text
ERROR_AT_LINE = re.compile(re.escape(str(PATH)) + r":(\d+): \S")
PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def lines_of(text: str) -> list[str]:
    """Lines as the file format counts them: ended by "\\n" only, endings kept."""
    return text.split("\n")


def eol(text: str, crlf: bool) -> str:
    return text.replace("\n", "\r\n") if crlf else text


# --------------------------------------------------------------------------
# Generated valid files read back exactly
# No "\n" or "\r" (they end lines), no NUL (refused) and no surrogates (not encodable).
# No "\n" or "\r" (they end lines) and no surrogates (not encodable).
LINE_TEXT = st.text(
    st.characters(exclude_characters="\n\r\0", exclude_categories=["Cs"]), max_size=24
)
BODY_LINE = LINE_TEXT.filter(lambda line: not MARKER_LIKE.match(line))
LEADING_LINE = st.one_of(
    st.text(alphabet=" \t", max_size=3),  # blank
    st.builds(
        str.__add__,
        st.text(alphabet=" \t", max_size=2),
        LINE_TEXT.map(lambda comment: "--" + comment),
    ).filter(lambda line: not MARKER_LIKE.match(line)),
)
OPTION = st.sampled_from(["", " transaction:false", " transaction:true", "  transaction:false"])


@dataclass(frozen=True)
class Generated:
    content: bytes
    crlf: bool
    up_sql: str  # with LF line endings, before translation
    up_line: int
    up_transaction: bool
    down_sql: str | None
    down_line: int | None
    down_transaction: bool | None


@st.composite
def marker_line(draw: st.DrawFn, kind: str) -> tuple[str, bool]:
    spacing = draw(st.sampled_from(["", " ", "  ", "\t"]))
    option = draw(OPTION)
    trailing = draw(st.sampled_from(["", " ", "\t"]))
    return f"--{spacing}migrate:{kind}{option}{trailing}", "transaction:false" not in option


@st.composite
def body(draw: st.DrawFn, *, terminated: bool) -> str:
    lines = draw(st.lists(BODY_LINE, max_size=6))
    text = "".join(line + "\n" for line in lines)
    if not terminated and draw(st.booleans()):
        text += draw(BODY_LINE)  # a last line without a newline, at the end of the file
    return text


@st.composite
def migration_files(draw: st.DrawFn, up_body: st.SearchStrategy[str] | None = None) -> Generated:
    crlf = draw(st.booleans())
    bom = draw(st.booleans())
    leading = draw(st.lists(LEADING_LINE, max_size=4))
    has_down = draw(st.booleans())
    up_marker, up_transaction = draw(marker_line("up"))
    up_sql = draw(up_body if up_body is not None else body(terminated=has_down))
    text = "".join(line + "\n" for line in leading) + up_marker + "\n" + up_sql
    up_line = len(leading) + 2
    down_sql: str | None = None
    down_line: int | None = None
    down_transaction: bool | None = None
    if has_down:
        down_marker, down_transaction = draw(marker_line("down"))
        down_sql = draw(body(terminated=False))
        down_line = up_line + up_sql.count("\n") + 1
        text += down_marker + "\n" + down_sql
    content = (BOM if bom else "") + eol(text, crlf)
    return Generated(
        content=content.encode("utf-8"),
        crlf=crlf,
        up_sql=up_sql,
        up_line=up_line,
        up_transaction=up_transaction,
        down_sql=down_sql,
        down_line=down_line,
        down_transaction=down_transaction,
    )


def check_section_position(content: bytes, section: Section) -> None:
    """``section.line`` is the file line (counting "\\n") on which ``section.sql`` starts."""
    lines = lines_of(content.decode("utf-8").removeprefix(BOM))
    assert "\n".join(lines[section.line - 1 :]).startswith(section.sql)
    assert MARKER_LIKE.match(lines[section.line - 2])


@PROPERTY_SETTINGS
@given(generated=migration_files())
def test_generated_files_read_back_exactly(generated: Generated) -> None:
    migration = parse_migration(FILE, generated.content)
    assert migration.checksum == hashlib.sha256(generated.content).hexdigest()
    assert migration.up.sql == eol(generated.up_sql, generated.crlf)
    assert migration.up.line == generated.up_line
    assert migration.up.transaction is generated.up_transaction
    check_section_position(generated.content, migration.up)
    if generated.down_sql is None:
        assert migration.down is None
    else:
        assert migration.down is not None
        assert migration.down.sql == eol(generated.down_sql, generated.crlf)
        assert migration.down.line == generated.down_line
        assert migration.down.transaction is generated.down_transaction
        check_section_position(generated.content, migration.down)


@PROPERTY_SETTINGS
@given(generated=migration_files(), other=migration_files())
def test_checksum_is_sha256_of_the_bytes(generated: Generated, other: Generated) -> None:
    one = parse_migration(FILE, generated.content)
    two = parse_migration(FILE, other.content)
    assert one.checksum == hashlib.sha256(generated.content).hexdigest()
    assert (one.checksum == two.checksum) == (generated.content == other.content)


# --------------------------------------------------------------------------
# Any bytes: a Migration or a MigrationFileError naming the file (and a real line)

FRAGMENTS = [
    *(b"-- migrate:up", b"-- migrate:down", b"--migrate:up", b"--\tmigrate:down"),
    *(b"-- migrate:sideways", b"-- migrate:", b"-- migrate:up:", b"migrate:up"),
    *(b" transaction:false", b" transaction:true", b" transaction:maybe", b" foo:bar"),
    *(b" transaction:", b" nontransactional", b"\n", b"\r\n", b"\r", b" ", b"\t"),
    *(b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\xe3\x83", b"\x00", b"\x0c", b"\x1c"),
    *("\u00e9".encode(), "\u0085".encode(), "\u2028".encode(), "\u30c7".encode()),
    *(b"SELECT 1;", b"-- just a comment", b"--", b"'", b"$$", b"/*", b"*/"),
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid file with a few bytes replaced, inserted or deleted."""
    data = bytearray(draw(migration_files()).content)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 3))
        data[at : at + cut] = draw(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=3)))
    return bytes(data)


ANY_BYTES = st.one_of(
    st.binary(max_size=200),
    migration_files().map(lambda generated: generated.content),
    mutated(),
    st.lists(st.sampled_from(FRAGMENTS), max_size=30).map(b"".join),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=4)), max_size=20).map(
        b"".join
    ),
)


@PROPERTY_SETTINGS
@given(data=ANY_BYTES)
def test_any_bytes_parse_or_fail_with_the_file_and_a_real_line(data: bytes) -> None:
    line_count = data.count(b"\n") + 1
    try:
        migration = parse_migration(FILE, data)
    except MigrationFileError as exc:  # any other exception fails the test
        message = str(exc)
        event("MigrationFileError")
        assert message.startswith(f"{PATH}:"), message
        assert len(message.splitlines()) == 1, message
        numbered = ERROR_AT_LINE.match(message)
        if numbered is not None:
            assert 1 <= int(numbered.group(1)) <= line_count, (message, line_count)
        else:
            assert message.startswith(f"{PATH}: "), message
        return
    event("Migration with a down section" if migration.down else "Migration")
    assert migration.checksum == hashlib.sha256(data).hexdigest()
    assert (migration.version, migration.name, migration.path) == (FILE.version, FILE.name, PATH)
    text = data.decode("utf-8").removeprefix(BOM)
    lines = lines_of(text)
    sections = [("up", migration.up)]
    if migration.down is not None:
        sections.append(("down", migration.down))
        assert migration.up.line < migration.down.line
    for kind, section in sections:
        # the marker is the line just before the section; the section is the text from the
        # start of its first line on
        assert 2 <= section.line <= len(lines) + 1
        marker = lines[section.line - 2].rstrip("\r")
        assert re.match(rf"--\s*migrate:{kind}(\s|$)", marker), (marker, section)
        assert "\n".join(lines[section.line - 1 :]).startswith(section.sql)
        if not section.transaction:
            assert "transaction:false" in marker.split()
        assert not MARKER.match(section.sql)


# --------------------------------------------------------------------------
# The parsed up section, split into statements, gives back the generated statements

DIALECTS: tuple[Dialect, ...] = ("postgresql", "mysql", "sqlite")
IDENT = st.text(alphabet="abxyz_", min_size=1, max_size=6)  # never a keyword (BEGIN, END, IF)
INNER = st.text(alphabet="ab ;\n-", max_size=10)  # text inside quotes: delimiters, newlines


@st.composite
def token(draw: st.DrawFn, dialect: Dialect) -> str:
    kinds = ["ident", "number", "string", "quoted_ident", "block_comment", "line_comment"]
    if dialect == "postgresql":
        kinds.append("dollar")
    kind = draw(st.sampled_from(kinds))
    if kind == "ident":
        return draw(IDENT)
    if kind == "number":
        return str(draw(st.integers(0, 999)))
    if kind == "string":
        return "'" + draw(st.text(alphabet="ab ;\n-\"'", max_size=10)).replace("'", "''") + "'"
    if kind == "quoted_ident":
        quote = "`" if dialect == "mysql" else '"'
        inner = draw(st.text(alphabet=f"ab ;\n-'{quote}", max_size=10))
        return quote + inner.replace(quote, quote * 2) + quote
    if kind == "block_comment":
        return "/* " + draw(INNER) + " */"
    if kind == "line_comment":
        return "-- " + draw(st.text(alphabet="ab ;-'\"", max_size=10)) + "\n"
    tag = draw(st.sampled_from(["", "q", "tag_1"]))
    return f"${tag}$" + draw(INNER) + f"${tag}$"


@st.composite
def statement_bodies(draw: st.DrawFn, dialect: Dialect) -> tuple[list[str], str]:
    """(statements, the up body that holds them, each with optional leading noise)."""
    statements: list[str] = []
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        words = draw(st.lists(token(dialect), max_size=5))
        keyword = draw(st.sampled_from(["SELECT", "INSERT INTO", "UPDATE", "DELETE FROM"]))
        statement = " ".join([keyword, *words, draw(IDENT)])
        lead = draw(st.sampled_from(["", "\n", "-- before; it\n", "/* before; */ ", "  "]))
        statements.append(statement)
        parts.append(lead + statement)
    separator = draw(st.sampled_from([";\n", ";\n\n", "; ", ";"]))
    return statements, separator.join(parts) + ";\n"


@pytest.mark.parametrize("dialect", DIALECTS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_split_parsed_up_section_keeps_every_statement(
    dialect: Dialect, data: st.DataObject
) -> None:
    statements, up_body = data.draw(statement_bodies(dialect))
    generated = data.draw(migration_files(up_body=st.just(up_body)))
    migration: Migration = parse_migration(FILE, generated.content)
    up = migration.up
    assert up.sql == eol(up_body, generated.crlf)

    split = split_statements(up.sql, dialect)
    expected = [eol(statement, generated.crlf) for statement in statements]
    assert [s.sql for s in split] == expected

    file_lines = lines_of(generated.content.decode("utf-8").removeprefix(BOM))
    for statement in split:
        assert up.sql[statement.offset :].startswith(statement.sql)
        # the statement's line in the file, as error messages report it
        file_line = file_lines[up.line + statement.line - 2]
        column = statement.offset - (up.sql.rfind("\n", 0, statement.offset) + 1)
        assert file_line[column:].startswith(statement.sql.split("\n")[0]), (file_line, statement)

    # re-joined with the delimiter, the statements split the same way again
    rejoined = ";\n".join(s.sql for s in split) + ";"
    assert [s.sql for s in split_statements(rejoined, dialect)] == expected
