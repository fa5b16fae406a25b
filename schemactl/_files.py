"""Migration files: discover, parse, checksum and write them. Pure; no database here.

A migration is ``<version>_<name>.sql`` where the version is the leading digits. The
content is dbmate's format::

    -- migrate:up
    CREATE TABLE users (id integer);

    -- migrate:down transaction:false
    DROP TABLE users;
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ._errors import ConfigurationError, MigrationFileError

# ASCII digits only, as dbmate's Go regexp reads \d: "١٢_x.sql" is not a migration
_FILE_NAME = re.compile(r"^([0-9]+)(.*)\.sql$")
_MARKER = re.compile(r"^--\s*migrate:(\w+)(.*)$")
_OPTION = re.compile(r"^(\w+):(\S+)$")
_KNOWN_OPTIONS = {"transaction": ("true", "false")}

# A down section with no statement is refused by `rollback` (it would report success and
# undo nothing) unless a line of it says so. A comment, so dbmate reads the file as before.
NOOP_MARKER = "-- schemactl: no-op"
# "-- " with its space: MySQL reads "--x" as SQL, not as a comment
_NOOP = re.compile(r"^[ \t]*--[ \t]+schemactl:[ \t]*no-op[ \t]*$", re.IGNORECASE | re.MULTILINE)
NEW_TEMPLATE = (
    "-- migrate:up\n\n\n"
    "-- migrate:down\n"
    "-- Write the SQL that undoes the up section here. If nothing needs undoing, replace\n"
    f"-- these two lines with the line '{NOOP_MARKER}'; until then rollback refuses this file.\n"
)


@dataclass(frozen=True)
class Section:
    """The SQL of one direction of a migration."""

    sql: str
    line: int  # 1-based line of the file where ``sql`` starts
    transaction: bool = True

    @property
    def is_empty(self) -> bool:
        return is_empty_sql(self.sql)

    @property
    def marked_noop(self) -> bool:
        """The section says, with a ``-- schemactl: no-op`` line, that it undoes nothing."""
        return _NOOP.search(self.sql) is not None


def is_empty_sql(sql: str) -> bool:
    """No statement: only blank lines and ``--`` comments."""
    return not any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines())


def noop_marked(down_sql: str) -> str:
    """A generated down section as written: with the no-op marker when it has no statement
    (PostgreSQL keeps an added enum value: nothing to undo), so rollback accepts it."""
    if not is_empty_sql(down_sql) or _NOOP.search(down_sql):
        return down_sql
    return f"{down_sql.rstrip(chr(10))}\n{NOOP_MARKER}\n".lstrip("\n")


@dataclass(frozen=True)
class MigrationFile:
    """A file found in a migrations directory, not read yet."""

    version: str
    name: str
    path: Path

    @property
    def sort_key(self) -> str:
        # dbmate's order: by file name, as text. `new` writes 14-digit timestamps, for which
        # that is time order; hand-numbered 9 and 10 sort as "10" < "9", as in dbmate.
        return self.path.name

    def read(self) -> Migration:
        return parse_migration(self, self.content())

    def content(self) -> bytes:
        """The file's bytes; a file that cannot be read (permissions, I/O) is one line."""
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise MigrationFileError(f"{self.path}: cannot be read: {exc.strerror}") from None


@dataclass(frozen=True)
class Migration:
    """A parsed migration file."""

    version: str
    name: str
    path: Path
    checksum: str
    up: Section
    down: Section | None


def checksum(content: bytes) -> str:
    """SHA-256 of a file's bytes, as hex."""
    return hashlib.sha256(content).hexdigest()


def discover(dirs: Sequence[str | Path]) -> tuple[list[MigrationFile], list[str]]:
    """Find migration files in ``dirs``, sorted by version. Returns (files, warnings)."""
    if not dirs:
        raise ConfigurationError("no migrations directory given")
    files: list[MigrationFile] = []
    warnings: list[str] = []
    for directory in map(Path, dirs):
        try:
            files.extend(_files_in(directory, warnings))
        except OSError as exc:  # no permission to list it, or to look at its entries
            raise ConfigurationError(
                f"cannot read migrations directory {str(directory)!r}: {exc.strerror}"
            ) from None
    files.sort(key=lambda f: f.sort_key)
    if len({len(f.version) for f in files}) > 1:
        warnings.append(
            "migration versions have different lengths and are ordered as text, as dbmate "
            "does (10 before 9); zero-pad them or use `schemactl new` timestamps"
        )
    seen: dict[str, MigrationFile] = {}
    for file in files:
        if file.version in seen:
            raise MigrationFileError(
                f"{seen[file.version].path} and {file.path} have the same version {file.version}"
            )
        seen[file.version] = file
    return files, warnings


def _files_in(directory: Path, warnings: list[str]) -> Iterator[MigrationFile]:
    if not directory.exists():
        raise ConfigurationError(f"migrations directory {str(directory)!r} does not exist")
    if not directory.is_dir():
        raise ConfigurationError(f"migrations path {str(directory)!r} is not a directory")
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        match = _FILE_NAME.match(path.name)
        if match is None:
            if path.suffix == ".sql":  # a README or a backup beside the migrations is no mistake
                warnings.append(f"ignoring {path}: not named <version>_<name>.sql")
            continue
        _check_regular(path)
        name = match.group(2).lstrip("_-")
        yield MigrationFile(version=match.group(1), name=name, path=path)


def _check_regular(path: Path) -> None:
    """A migration must be a file that can be read to its end: reading a FIFO would block
    forever, a broken symbolic link fails later, mid-run."""
    if path.is_symlink() and not path.exists():
        raise MigrationFileError(f"{path}: is a broken symbolic link")
    if not path.is_file():
        raise MigrationFileError(f"{path}: is not a regular file")


def parse_migration(file: MigrationFile, content: bytes) -> Migration:
    """Parse a migration file's bytes. Raises MigrationFileError naming the file and line."""
    path = file.path

    def fail(message: str, line: int | None = None) -> MigrationFileError:
        where = f"{path}:{line}" if line else str(path)
        return MigrationFileError(f"{where}: {message}")

    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail("is not valid UTF-8", content[: exc.start].count(b"\n") + 1) from None
    if "\0" in text:
        # PostgreSQL refuses it in a query, MySQL and SQLite cut the statement there
        raise fail("contains a NUL byte", text[: text.index("\0")].count("\n") + 1)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise fail("is empty; a migration needs a '-- migrate:up' section")

    markers: list[tuple[str, int, dict[str, str], int, int]] = []  # kind, line, opts, start, end
    position = 0
    # Lines end at "\n" only (as in dbmate and the statement splitter), not at the other
    # characters str.splitlines() breaks on.
    for number, raw_line in enumerate(re.findall(r"[^\n]*\n|[^\n]+$", text), start=1):
        line = raw_line.rstrip("\r\n")
        match = _MARKER.match(line)
        if match is not None:
            kind = match.group(1)
            if kind not in ("up", "down"):
                raise fail(f"unknown marker 'migrate:{kind}' (expected up or down)", number)
            try:
                options = _parse_options(match.group(2))
            except ValueError as exc:
                raise fail(str(exc), number) from None
            markers.append((kind, number, options, position, position + len(raw_line)))
        elif not markers and line.strip() and not line.strip().startswith("--"):
            raise fail("statement before the first '-- migrate:up' marker", number)
        position += len(raw_line)

    kinds = [m[0] for m in markers]
    if "up" not in kinds:
        raise fail("has no '-- migrate:up' section")
    if kinds.count("up") > 1:
        raise fail("has a second '-- migrate:up' section", markers[_nth(kinds, "up", 2)][1])
    if kinds.count("down") > 1:
        raise fail("has a second '-- migrate:down' section", markers[_nth(kinds, "down", 2)][1])
    if kinds[0] == "down":
        raise fail("'-- migrate:down' comes before '-- migrate:up'", markers[0][1])

    sections: dict[str, Section] = {}
    for index, (kind, number, options, _start, end) in enumerate(markers):
        stop = markers[index + 1][3] if index + 1 < len(markers) else len(text)
        sections[kind] = Section(
            sql=text[end:stop],
            line=number + 1,
            transaction=options.get("transaction", "true") == "true",
        )
    return Migration(
        version=file.version,
        name=file.name,
        path=path,
        checksum=checksum(content),
        up=sections["up"],
        down=sections.get("down"),
    )


def _nth(items: list[str], value: str, n: int) -> int:
    return [i for i, item in enumerate(items) if item == value][n - 1]


def _parse_options(rest: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for token in rest.split():
        match = _OPTION.match(token)
        if match is None or match.group(1) not in _KNOWN_OPTIONS:
            raise ValueError(f"unknown option {token!r} (supported: transaction:false)")
        key, value = match.groups()
        if value not in _KNOWN_OPTIONS[key]:
            raise ValueError(f"option {key} must be true or false, not {value!r}")
        options[key] = value
    return options


def slugify(name: str) -> str:
    """Turn a free-form migration name into a safe file-name part.

    >>> slugify("Add users table!")
    'add_users_table'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:100].rstrip("_")
    if not slug:
        raise ConfigurationError(f"migration name {name!r} has no ASCII letters or digits")
    return slug


def write_new(name: str, directory: str | Path, *, now: dt.datetime | None = None) -> Path:
    """Write an empty migration ``YYYYMMDDHHMMSS_<slug>.sql`` into ``directory``."""
    return write_migration(name, directory, NEW_TEMPLATE, now=now)


def write_migration(
    name: str, directory: str | Path, content: str, *, now: dt.datetime | None = None
) -> Path:
    """Write one migration ``<version>_<slug of name>.sql``; its text is ``content``."""
    return write_migrations([(name, content)], directory, now=now)[0]


def write_migrations(
    files: Sequence[tuple[str, str]], directory: str | Path, *, now: dt.datetime | None = None
) -> list[Path]:
    """Write migrations ``(name, content)`` in this order, under consecutive free versions
    (timestamps one second apart, from ``now``): dbmate applies them in that order."""
    slugs = [slugify(name) for name, _ in files]
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    target_dir = Path(directory)
    if target_dir.exists() and not target_dir.is_dir():
        raise ConfigurationError(f"migrations path {str(target_dir)!r} is not a directory")
    paths: list[Path] = []
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        with _directory_locked(target_dir):  # two `new` at once must not share a version
            existing = {f.version for f in _versions_in(target_dir)}
            for slug, (_, content) in zip(slugs, files, strict=True):
                stamp = moment.strftime("%Y%m%d%H%M%S")
                while stamp in existing:  # two migrations in one second: the next free one
                    moment += dt.timedelta(seconds=1)
                    stamp = moment.strftime("%Y%m%d%H%M%S")
                existing.add(stamp)
                path = target_dir / f"{stamp}_{slug}.sql"
                with path.open("x", encoding="utf-8", newline="\n") as handle:
                    handle.write(content)
                paths.append(path)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write a migration into {str(target_dir)!r}: {exc.strerror}"
        ) from None
    return paths


@contextmanager
def _directory_locked(directory: Path) -> Iterator[None]:
    """An exclusive ``flock`` on the directory itself, released on exit; nothing is left
    behind. Where there is no flock (Windows), concurrent writers are not serialised."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _versions_in(directory: Path) -> Iterable[MigrationFile]:
    for path in directory.iterdir():
        match = _FILE_NAME.match(path.name)
        if match:
            yield MigrationFile(match.group(1), match.group(2), path)
