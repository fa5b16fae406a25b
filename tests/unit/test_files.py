"""Migration files: the parser as a table, checksums, discover(), slugify() and write_new()."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemactl._errors import ConfigurationError, MigrationFileError
from schemactl._files import (
    NEW_TEMPLATE,
    Migration,
    MigrationFile,
    Section,
    checksum,
    discover,
    parse_migration,
    slugify,
    write_new,
)

PATH = Path("db") / "migrations" / "20240102030405_create_users.sql"
BOM = b"\xef\xbb\xbf"

# (sql, line where it starts, runs in a transaction)
Expected = tuple[str, int, bool]


def parse(content: str | bytes) -> Migration:
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return parse_migration(MigrationFile("20240102030405", "create_users", PATH), raw)


def as_tuple(section: Section) -> Expected:
    return (section.sql, section.line, section.transaction)


# --------------------------------------------------------------------------
# parse_migration: files that parse


PARSE_OK: list[tuple[str, str | bytes, Expected, Expected | None]] = [
    (
        "typical",
        "-- migrate:up\nCREATE TABLE t (id int);\n\n-- migrate:down\nDROP TABLE t;\n",
        ("CREATE TABLE t (id int);\n\n", 2, True),
        ("DROP TABLE t;\n", 5, True),
    ),
    (
        "no-space-after-dashes",
        "--migrate:up\nSELECT 1;\n--migrate:down\nSELECT 2;\n",
        ("SELECT 1;\n", 2, True),
        ("SELECT 2;\n", 4, True),
    ),
    (
        "up-transaction-false",
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (c);\n"
        "-- migrate:down\nDROP INDEX i;\n",
        ("CREATE INDEX CONCURRENTLY i ON t (c);\n", 2, False),
        ("DROP INDEX i;\n", 4, True),
    ),
    (
        "down-transaction-false",
        "-- migrate:up\nCREATE INDEX i ON t (c);\n"
        "-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY i;\n",
        ("CREATE INDEX i ON t (c);\n", 2, True),
        ("DROP INDEX CONCURRENTLY i;\n", 4, False),
    ),
    (
        "transaction-true-explicit-and-extra-spaces",
        "--   migrate:up   transaction:true  \nSELECT 1;\n-- migrate:down\ttransaction:false\n",
        ("SELECT 1;\n", 2, True),
        ("", 4, False),
    ),
    (
        "leading-comments-and-blank-lines",
        "\n-- a comment about this migration\n\n   -- indented comment\n\t\n"
        "-- migrate:up\nSELECT 1;\n",
        ("SELECT 1;\n", 7, True),
        None,
    ),
    (
        "only-up",
        "-- migrate:up\nCREATE TABLE t (id int);\n",
        ("CREATE TABLE t (id int);\n", 2, True),
        None,
    ),
    ("up-without-final-newline", "-- migrate:up\nSELECT 1;", ("SELECT 1;", 2, True), None),
    (
        "down-marker-is-last-line",
        "-- migrate:up\nSELECT 1;\n-- migrate:down",
        ("SELECT 1;\n", 2, True),
        ("", 4, True),
    ),
    (
        "marker-text-not-at-line-start-is-sql",
        "-- migrate:up\nSELECT 1; -- migrate:down\n  -- migrate:down\nSELECT 2;\n",
        ("SELECT 1; -- migrate:down\n  -- migrate:down\nSELECT 2;\n", 2, True),
        None,
    ),
    (
        "bom",
        BOM + b"-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n",
        ("SELECT 1;\n", 2, True),
        ("SELECT 2;\n", 4, True),
    ),
    (
        "bom-then-comment",
        BOM + b"-- header\n-- migrate:up\nSELECT 1;\n",
        ("SELECT 1;\n", 3, True),
        None,
    ),
    (
        "utf-8-content",
        "-- migrate:up\nINSERT INTO t VALUES ('caf\u00e9 \u2603');\n",
        ("INSERT INTO t VALUES ('caf\u00e9 \u2603');\n", 2, True),
        None,
    ),
]


@pytest.mark.parametrize(
    ("content", "up", "down"), [case[1:] for case in PARSE_OK], ids=[case[0] for case in PARSE_OK]
)
def test_parse(content: str | bytes, up: Expected, down: Expected | None) -> None:
    migration = parse(content)
    assert as_tuple(migration.up) == up
    assert (None if migration.down is None else as_tuple(migration.down)) == down
    assert migration.version == "20240102030405"
    assert migration.name == "create_users"
    assert migration.path == PATH


def test_parse_crlf_sections_and_lines() -> None:
    content = (
        "-- comment\r\n\r\n-- migrate:up transaction:false\r\nSELECT 1;\r\nSELECT 2;\r\n\r\n"
        "-- migrate:down\r\nSELECT 3;\r\n"
    )
    migration = parse(content)
    assert migration.up.line == 4
    assert migration.up.transaction is False
    assert migration.up.sql.replace("\r\n", "\n") == "SELECT 1;\nSELECT 2;\n\n"
    assert migration.down is not None
    assert migration.down.line == 8
    assert migration.down.transaction is True
    assert migration.down.sql.replace("\r\n", "\n") == "SELECT 3;\n"


# Characters that str.splitlines() treats as line breaks but that are not newlines in a
# file (editors, dbmate's (?m)^ regex and the statement splitter all count "\n" only).
NOT_NEWLINES = ["\x0c", "\x85", "\u2028"]  # form feed, NEL, LINE SEPARATOR


@pytest.mark.parametrize("char", NOT_NEWLINES, ids=[f"U+{ord(c):04X}" for c in NOT_NEWLINES])
def test_parse_line_numbers_count_only_newlines(char: str) -> None:
    migration = parse(f"-- migrate:up\nSELECT 'a{char}b';\n-- migrate:down\nSELECT 2;\n")
    assert migration.up.sql == f"SELECT 'a{char}b';\n"
    assert migration.down is not None
    assert migration.down.line == 4
    assert migration.down.sql == "SELECT 2;\n"


@pytest.mark.parametrize("char", NOT_NEWLINES, ids=[f"U+{ord(c):04X}" for c in NOT_NEWLINES])
def test_parse_marker_only_at_start_of_a_real_line(char: str) -> None:
    sql = f"INSERT INTO t VALUES ('x{char}-- migrate:down');\n"
    migration = parse(f"-- migrate:up\n{sql}")
    assert migration.up.sql == sql
    assert migration.down is None


def test_section_is_empty() -> None:
    migration = parse("-- migrate:up\n\n-- only a comment\n\n-- migrate:down\nDROP TABLE t;\n")
    assert migration.up.is_empty
    assert migration.down is not None
    assert not migration.down.is_empty


# --------------------------------------------------------------------------
# parse_migration: files that do not parse


PARSE_ERRORS: list[tuple[str, str | bytes, int | None, str]] = [
    ("unknown-option", "-- migrate:up\nSELECT 1;\n-- migrate:down foo:bar\n", 3, "foo:bar"),
    ("unknown-option-on-up", "-- migrate:up nontransactional\nSELECT 1;\n", 1, "nontransactional"),
    ("bad-option-value", "-- c\n-- migrate:up transaction:maybe\nSELECT 1;\n", 2, "maybe"),
    ("option-without-value", "-- migrate:up transaction:\nSELECT 1;\n", 1, "transaction"),
    ("unknown-marker", "-- migrate:up\nSELECT 1;\n-- migrate:sideways\n", 3, "sideways"),
    ("missing-up", "-- migrate:down\nDROP TABLE t;\n", None, "migrate:up"),
    ("only-comments", "-- nothing here\n\n-- still nothing\n", None, "migrate:up"),
    (
        "down-before-up",
        "-- header\n-- migrate:down\nDROP TABLE t;\n-- migrate:up\nCREATE TABLE t (id int);\n",
        2,
        "before",
    ),
    ("two-up", "-- migrate:up\nA;\n-- migrate:down\nB;\n\n-- migrate:up\nC;\n", 6, "migrate:up"),
    ("two-up-adjacent", "-- migrate:up\n-- migrate:up\n", 2, "migrate:up"),
    (
        "two-down",
        "-- migrate:up\nA;\n-- migrate:down\nB;\n-- migrate:down\nC;\n",
        5,
        "migrate:down",
    ),
    ("statement-before-up", "-- header\n\nSELECT 1;\n-- migrate:up\nSELECT 2;\n", 3, "before"),
    ("statement-and-no-marker", "CREATE TABLE t (id int);\n", 1, "before"),
    ("empty", "", None, "empty"),
    ("whitespace-only", " \n\t\n\r\n  ", None, "empty"),
    ("bom-only", BOM, None, "empty"),
    ("not-utf-8", b"-- migrate:up\nSELECT 1;\nSELECT '\xff';\n", 3, "UTF-8"),
    ("not-utf-8-first-line", b"\xfe-- migrate:up\n", 1, "UTF-8"),
    ("latin-1", "-- migrate:up\n\nSELECT 'caf\u00e9';\n".encode("latin-1"), 3, "UTF-8"),
    ("crlf-two-up", "-- migrate:up\r\nA;\r\n\r\n-- migrate:up\r\nB;\r\n", 4, "migrate:up"),
    ("crlf-bad-option", "-- x\r\n-- migrate:up transaction:no\r\n", 2, "no"),
    ("bom-statement-before-up", BOM + b"SELECT 1;\n-- migrate:up\n", 1, "before"),
]


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [case[1:] for case in PARSE_ERRORS],
    ids=[case[0] for case in PARSE_ERRORS],
)
def test_parse_error(content: str | bytes, line: int | None, fragment: str) -> None:
    with pytest.raises(MigrationFileError) as info:
        parse(content)
    message = str(info.value)
    assert str(PATH) in message
    assert fragment in message
    if line is None:
        assert not re.search(re.escape(str(PATH)) + r":\d", message)
    else:
        assert f"{PATH}:{line}:" in message


def test_parse_error_exit_code() -> None:
    with pytest.raises(MigrationFileError) as info:
        parse("")
    assert info.value.exit_code == 4


# --------------------------------------------------------------------------
# checksum


def test_checksum_known_value() -> None:
    assert checksum(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert checksum(b"abc") == hashlib.sha256(b"abc").hexdigest()


@pytest.mark.parametrize(
    "raw",
    [
        b"-- migrate:up\nSELECT 1;\n",
        b"-- migrate:up\r\nSELECT 1;\r\n",
        BOM + b"-- migrate:up\nSELECT 1;\n",
        "-- migrate:up\nSELECT '\u00e9';\n".encode(),
    ],
    ids=["lf", "crlf", "bom", "utf-8"],
)
def test_checksum_is_sha256_of_raw_bytes(raw: bytes) -> None:
    assert parse(raw).checksum == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (b"-- migrate:up\nSELECT 1;\n", b"-- migrate:up\nSELECT 2;\n"),
        (b"-- migrate:up\nSELECT 1;\n", b"-- migrate:up\nSELECT 1;\n\n"),
        (b"-- migrate:up\nSELECT 1;\n", b"-- migrate:up\r\nSELECT 1;\n"),
        (b"-- migrate:up\nSELECT 1;\n", BOM + b"-- migrate:up\nSELECT 1;\n"),
    ],
    ids=["one-byte-changed", "one-byte-added", "crlf", "bom"],
)
def test_checksum_changes_with_bytes(one: bytes, other: bytes) -> None:
    assert parse(one).checksum != parse(other).checksum


def test_read_parses_the_file_on_disk(tmp_path: Path) -> None:
    raw = b"-- migrate:up\r\nSELECT 1;\r\n-- migrate:down\r\nSELECT 2;\r\n"
    path = tmp_path / "7_seven.sql"
    path.write_bytes(raw)
    migration = MigrationFile("7", "seven", path).read()
    assert migration.checksum == hashlib.sha256(raw).hexdigest()
    assert migration.up.line == 2
    assert migration.down is not None
    assert migration.down.line == 4


# --------------------------------------------------------------------------
# discover


def make(directory: Path, *names: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text("-- migrate:up\nSELECT 1;\n", encoding="utf-8")
    return directory


def test_discover_orders_versions_as_text_like_dbmate(tmp_path: Path) -> None:
    directory = make(tmp_path / "m", "10_b.sql", "9_a.sql", "100_c.sql", "20240101000000_d.sql")
    files, warnings = discover([directory])
    assert [f.path.name for f in files] == [
        "100_c.sql",
        "10_b.sql",
        "20240101000000_d.sql",
        "9_a.sql",
    ]
    assert (files[0].version, files[0].name) == ("100", "c")
    assert all(f.path.parent == directory for f in files)
    assert len(warnings) == 1
    assert "different lengths" in warnings[0]


def test_leading_zeros_make_distinct_versions_like_dbmate(tmp_path: Path) -> None:
    files, _ = discover([make(tmp_path / "m", "1_x.sql", "001_y.sql")])
    assert [f.version for f in files] == ["001", "1"]


def test_discover_accepts_str_paths(tmp_path: Path) -> None:
    directory = make(tmp_path / "m", "1_one.sql")
    files, _ = discover([str(directory)])
    assert [f.version for f in files] == ["1"]


def test_discover_warns_about_sql_files_not_named_as_migrations(tmp_path: Path) -> None:
    directory = make(tmp_path / "m", "1_one.sql", "README.md", "notes.sql", "2_two.sql.bak")
    files, warnings = discover([directory])
    assert [f.path.name for f in files] == ["1_one.sql"]
    # only the .sql file is likely a mistake; a README or a backup is ignored silently
    assert warnings == [f"ignoring {directory / 'notes.sql'}: not named <version>_<name>.sql"]


def test_discover_ignores_dotfiles_and_subdirectories_silently(tmp_path: Path) -> None:
    directory = make(tmp_path / "m", "1_one.sql", ".gitkeep", ".2_hidden.sql", ".DS_Store")
    (directory / "3_subdir.sql").mkdir()
    make(directory / "archive", "4_old.sql")
    files, warnings = discover([directory])
    assert [f.path.name for f in files] == ["1_one.sql"]
    assert warnings == []


def test_discover_empty_directory(tmp_path: Path) -> None:
    directory = make(tmp_path / "m")
    assert discover([directory]) == ([], [])


def test_discover_merges_directories(tmp_path: Path) -> None:
    first = make(tmp_path / "a", "20240101000001_one.sql", "20240101000003_three.sql")
    second = make(tmp_path / "b", "20240101000002_two.sql", "20240101000004_four.sql")
    files, warnings = discover([first, second])
    assert [(f.name, f.path.parent) for f in files] == [
        ("one", first),
        ("two", second),
        ("three", first),
        ("four", second),
    ]
    assert warnings == []


def test_discover_timestamps_in_time_order(tmp_path: Path) -> None:
    names = [
        f"2024{month:02}{day:02}120000_m{month}_{day}.sql"
        for month in (12, 1, 10, 2)
        for day in (31, 1, 9)
    ]
    directory = make(tmp_path / "m", *names)
    files, warnings = discover([directory])
    assert [f.path.name for f in files] == sorted(names)
    assert warnings == []


@pytest.mark.parametrize(
    ("first_dir", "first_name", "second_dir", "second_name"),
    [
        ("a", "1_x.sql", "a", "1_y.sql"),
        ("a", "20240101000000_x.sql", "b", "20240101000000_y.sql"),
    ],
    ids=["same-dir", "across-dirs"],
)
def test_discover_rejects_duplicate_versions(
    tmp_path: Path, first_dir: str, first_name: str, second_dir: str, second_name: str
) -> None:
    make(tmp_path / "a", "0_zero.sql", "999999999999999_last.sql")
    make(tmp_path / "b")
    make(tmp_path / first_dir, first_name)
    make(tmp_path / second_dir, second_name)
    with pytest.raises(MigrationFileError) as info:
        discover([tmp_path / "a", tmp_path / "b"])
    message = str(info.value)
    assert first_name in message
    assert second_name in message


def test_discover_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigurationError, match="does not exist") as info:
        discover([missing])
    assert str(missing) in str(info.value)


def test_discover_missing_second_directory(tmp_path: Path) -> None:
    present = make(tmp_path / "a", "1_one.sql")
    with pytest.raises(ConfigurationError, match="does not exist"):
        discover([present, tmp_path / "nope"])


def test_discover_path_is_a_file(tmp_path: Path) -> None:
    file = tmp_path / "1_one.sql"
    file.write_text("-- migrate:up\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not a directory") as info:
        discover([file])
    assert str(file) in str(info.value)


def test_discover_no_directories() -> None:
    with pytest.raises(ConfigurationError):
        discover([])


# --------------------------------------------------------------------------
# slugify

SLUG_OK = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Add users table!", "add_users_table"),
        ("add_users_table", "add_users_table"),
        ("  lots   of\tspaces\n", "lots_of_spaces"),
        ("CamelCase AND UPPER", "camelcase_and_upper"),
        ("drop-column: email (v2)", "drop_column_email_v2"),
        ("__already__snake__", "already_snake"),
        ("Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e", "cafe_creme_brulee"),
        ("na\u00efve \u00dcn\u00efc\u00f6d\u00e9", "naive_unicode"),
        ("emoji \U0001f680 launch", "emoji_launch"),
        ("../../etc/passwd", "etc_passwd"),
        ("..\\..\\windows\\system32", "windows_system32"),
        ("/absolute/path", "absolute_path"),
        ("a/b\\c", "a_b_c"),
        ("name\x00with\x00nul", "name_with_nul"),
        ("2024 fix", "2024_fix"),
        ("x", "x"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize(
    "name", ["", "   ", "!!!", "...", "../..", "/", "\\", "-_-", "\U0001f680\U0001f680"]
)
def test_slugify_rejects_names_without_letters_or_digits(name: str) -> None:
    with pytest.raises(ConfigurationError):
        slugify(name)


@pytest.mark.parametrize(
    "name",
    ["a" * 500, "word " * 100, "x" * 99 + " y" * 10, "\u00e9" * 300],
    ids=["letters", "words", "separator-at-cut", "accents"],
)
def test_slugify_truncates_long_names(name: str) -> None:
    slug = slugify(name)
    assert 0 < len(slug) <= 100
    assert SLUG_OK.fullmatch(slug)
    assert slug.startswith(slugify(name[:20]))


@given(st.text())
def test_slugify_result_is_always_safe(name: str) -> None:
    try:
        slug = slugify(name)
    except ConfigurationError:
        return
    assert SLUG_OK.fullmatch(slug)
    assert len(slug) <= 100


# --------------------------------------------------------------------------
# write_new

NOW = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_write_new_name_and_content(tmp_path: Path) -> None:
    path = write_new("Add users table!", tmp_path, now=NOW)
    assert path == tmp_path / "20240102030405_add_users_table.sql"
    assert path.read_bytes() == NEW_TEMPLATE.encode()
    # the down section is left for the user to write or to mark: it is not marked yet
    assert NEW_TEMPLATE.startswith("-- migrate:up\n\n\n-- migrate:down\n-- ")
    assert "\n-- schemactl: no-op\n" not in NEW_TEMPLATE


def test_write_new_accepts_str_directory(tmp_path: Path) -> None:
    path = write_new("x", str(tmp_path), now=NOW)
    assert path == tmp_path / "20240102030405_x.sql"
    assert path.is_file()


def test_write_new_uses_utc_for_aware_datetimes(tmp_path: Path) -> None:
    plus_two = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    path = write_new("tz", tmp_path, now=plus_two)
    assert path.name == "20240102010405_tz.sql"


def test_write_new_default_now_is_utc(tmp_path: Path) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    path = write_new("now", tmp_path)
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    match = re.fullmatch(r"(\d{14})_now\.sql", path.name)
    assert match is not None
    stamp = dt.datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
    assert before <= stamp <= after


def test_write_new_creates_missing_directories(tmp_path: Path) -> None:
    directory = tmp_path / "db" / "migrations"
    path = write_new("first", directory, now=NOW)
    assert directory.is_dir()
    assert path.parent == directory
    assert path.read_text(encoding="utf-8") == NEW_TEMPLATE


def test_write_new_takes_the_next_free_second(tmp_path: Path) -> None:
    first = write_new("first", tmp_path, now=NOW)
    second = write_new("second", tmp_path, now=NOW)
    assert first.name == "20240102030405_first.sql"
    assert second.name == "20240102030406_second.sql"
    files, _ = discover([tmp_path])
    assert [f.name for f in files] == ["first", "second"]
    assert first.read_text(encoding="utf-8") == NEW_TEMPLATE


def test_write_new_next_second_is_fine(tmp_path: Path) -> None:
    write_new("first", tmp_path, now=NOW)
    write_new("second", tmp_path, now=NOW + dt.timedelta(seconds=1))
    files, warnings = discover([tmp_path])
    assert [f.name for f in files] == ["first", "second"]
    assert warnings == []


def test_write_new_into_a_file_path(tmp_path: Path) -> None:
    file = tmp_path / "migrations"
    file.write_text("", encoding="utf-8")
    with pytest.raises(ConfigurationError):
        write_new("x", file, now=NOW)


def test_write_new_bad_name_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        write_new("!!!", tmp_path / "m", now=NOW)
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())


def test_write_new_file_parses_and_is_discovered(tmp_path: Path) -> None:
    path = write_new("Create users", tmp_path, now=NOW)
    files, warnings = discover([tmp_path])
    assert warnings == []
    assert [(f.version, f.name, f.path) for f in files] == [
        ("20240102030405", "create_users", path)
    ]
    migration = files[0].read()
    assert migration.up.line == 2
    assert migration.up.is_empty
    assert migration.up.transaction is True
    assert migration.down is not None
    assert migration.down.line == 5
    assert migration.down.is_empty
    assert not migration.down.marked_noop
    assert migration.checksum == hashlib.sha256(NEW_TEMPLATE.encode()).hexdigest()


# -- files that are not what they look like (issue 9) -----------------------------------------


def test_versions_are_ascii_digits_only_like_dbmate(tmp_path: Path) -> None:
    arabic_indic = "\u0661\u0662_arabic_indic.sql"
    mixed = "\u06612_mixed.sql"
    for name in (arabic_indic, mixed, "3_ascii.sql"):
        (tmp_path / name).write_text("-- migrate:up\nSELECT 1;\n")
    files, warnings = discover([tmp_path])
    assert [f.version for f in files] == ["3"]
    assert sorted(w.split(":")[0] for w in warnings) == sorted(
        f"ignoring {tmp_path / name}" for name in (arabic_indic, mixed)
    )


def test_a_fifo_named_like_a_migration_is_refused_without_reading_it(tmp_path: Path) -> None:
    import os
    import time

    os.mkfifo(tmp_path / "1_pipe.sql")
    started = time.monotonic()
    with pytest.raises(MigrationFileError, match=r"1_pipe\.sql: is not a regular file"):
        discover([tmp_path])
    assert time.monotonic() - started < 1  # opening it for reading would block forever


def test_a_broken_symlink_named_like_a_migration_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_gone.sql").symlink_to(tmp_path / "nowhere.sql")
    with pytest.raises(MigrationFileError, match=r"1_gone\.sql: is a broken symbolic link"):
        discover([tmp_path])


def test_a_symlink_to_a_migration_is_a_migration(tmp_path: Path) -> None:
    target = tmp_path / "shared.sql.txt"
    target.write_text("-- migrate:up\nSELECT 1;\n")
    (tmp_path / "1_linked.sql").symlink_to(target)
    files, _ = discover([tmp_path])
    assert [f.read().up.sql for f in files] == ["SELECT 1;\n"]


def test_a_file_that_vanishes_after_discovery_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "1_x.sql"
    path.write_text("-- migrate:up\nSELECT 1;\n")
    (file,), _ = discover([tmp_path])
    path.unlink()
    with pytest.raises(MigrationFileError, match=r"1_x\.sql: cannot be read: No such file"):
        file.read()


def test_a_nul_byte_is_a_parse_error_naming_the_line() -> None:
    with pytest.raises(MigrationFileError, match=r":3: contains a NUL byte"):
        parse("-- migrate:up\nSELECT 1;\nSELECT '\0';\n")


def _write_at(args: tuple[str, str]) -> str:
    name, directory = args
    moment = dt.datetime(2024, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    return write_new(name, directory, now=moment).name


def test_concurrent_new_never_shares_a_version(tmp_path: Path) -> None:
    """Processes writing in the same second each take their own version (the directory is
    locked while one chooses and creates its file)."""
    from concurrent.futures import ProcessPoolExecutor

    names = [f"change {i}" for i in range(24)]
    with ProcessPoolExecutor(max_workers=8) as pool:
        written = list(pool.map(_write_at, [(n, str(tmp_path)) for n in names]))
    versions = [name.split("_")[0] for name in written]
    assert len(set(versions)) == len(names), sorted(versions)
    files, _ = discover([tmp_path])
    assert len(files) == len(names)


def test_new_into_a_directory_that_cannot_be_written_is_one_line() -> None:
    # (as root, permissions do not stop a write: /proc refuses new entries even to root)
    with pytest.raises(ConfigurationError, match=r"cannot write a migration into '/proc/self'"):
        write_new("add users", "/proc/self")
