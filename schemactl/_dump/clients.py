"""The client-binary path: pg_dump, mariadb-dump (or mysqldump), sqlite3.

A client is used when it is on PATH and its version can dump the server: pg_dump refuses a
server of a newer major version; mysqldump and mariadb-dump each dump their own flavour, of
their own version or older; sqlite3 reads a file whose schema a newer SQLite wrote only if it
is as new (the file's header says which SQLite wrote it last). Otherwise ``find_client``
returns None and the caller dumps through its own connection (the built-in path).

The password never goes on a command line (``ps`` shows those to every user): it goes in the
child's environment (``PGPASSWORD``) or in a temporary option file only its owner can read.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import StatementError
from .._redact import redact

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

VERSION_TIMEOUT = 10.0  # seconds for `<client> --version`


@dataclass(frozen=True)
class Client:
    """A client binary that can dump the server: its name and full path."""

    name: str
    path: str


def _version_of(path: str) -> str:
    try:
        done = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=VERSION_TIMEOUT
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout if done.returncode == 0 else ""


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def find_client(dialect: str, server_version: str) -> Client | None:
    """The client that can dump this server, or None. ``server_version``: PostgreSQL's
    ``server_version_num``, MySQL's ``VERSION()``, or for SQLite the number of the library
    that last wrote the file (``3040001``)."""
    if dialect == "postgresql":
        return _pg_dump(int(server_version) // 10000)
    if dialect == "mysql":
        return _mysqldump(server_version)
    return _sqlite3(int(server_version))


def _pg_dump(server_major: int) -> Client | None:
    path = shutil.which("pg_dump")
    if path is None:
        return None
    found = re.search(r"\(PostgreSQL\)\s+(\d+)", _version_of(path))
    if found is None or int(found.group(1)) < server_major:
        return None
    return Client("pg_dump", path)


def _flavour(version: str) -> tuple[str, tuple[int, int]] | None:
    """("mariadb" or "mysql", (major, minor)) of a server's VERSION() or a client's
    ``--version`` ("mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, ...")."""
    maria = re.search(r"(\d+)\.(\d+)\.\d+-MariaDB", version)
    if maria:
        return "mariadb", (int(maria.group(1)), int(maria.group(2)))
    if "mariadb" in version.lower():
        return None  # a MariaDB client whose server version it does not say
    mysql = re.search(r"(?:Ver\s+|^)(\d+)\.(\d+)", version)
    return ("mysql", (int(mysql.group(1)), int(mysql.group(2)))) if mysql else None


def _mysqldump(server_version: str) -> Client | None:
    server = _flavour(server_version)
    if server is None:
        return None
    for name in ("mariadb-dump", "mysqldump"):
        path = shutil.which(name)
        if path is None:
            continue
        client = _flavour(_version_of(path))
        if client is not None and client[0] == server[0] and client[1] >= server[1]:
            return Client(name, path)
    return None


def _sqlite3(written_by: int) -> Client | None:
    path = shutil.which("sqlite3")
    if path is None:
        return None
    found = re.match(r"(\d+)\.(\d+)\.(\d+)", _version_of(path))
    if found is None:
        return None
    major, minor, patch = (int(g) for g in found.groups())
    return Client("sqlite3", path) if major * 1000000 + minor * 1000 + patch >= written_by else None


def sqlite_written_by(path: Path) -> int:
    """The SQLite version that last wrote the file (its header, bytes 96-99); 0 if unknown."""
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError:
        return 0
    return int.from_bytes(header[96:100], "big") if len(header) == 100 else 0


# -- running a client -----------------------------------------------------------------------


async def run_client(
    client: Client,
    url: URL,
    *,
    exclude: frozenset[str],
    tracking_schema: str | None,
    schemas: Sequence[str] = (),
) -> str:
    """The client's schema dump of the URL's database, as the client writes it; on
    PostgreSQL only ``schemas``, when given (a URL's search_path, as dbmate dumps it)."""
    import anyio

    with _command(client, url, exclude, tracking_schema, schemas) as (command, env):
        done = await anyio.run_process(command, env=env, check=False)
    if done.returncode != 0:
        words = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = words[0] if words else f"exit status {done.returncode}"
        password = url.password if isinstance(url.password, str) else None
        raise StatementError(
            f"{client.name} failed: {redact(reason, password)} "
            "(--builtin dumps through schemactl's own connection instead)"
        )
    return done.stdout.decode("utf-8")


@contextlib.contextmanager
def _command(
    client: Client,
    url: URL,
    exclude: frozenset[str],
    tracking_schema: str | None,
    schemas: Sequence[str],
) -> Iterator[tuple[list[str], dict[str, str]]]:
    env = dict(os.environ)
    if client.name == "sqlite3":
        yield [client.path, "-readonly", str(url.database), ".schema"], env
    elif client.name == "pg_dump":
        env.update(_libpq_environment(url))
        schema = '"' + tracking_schema.replace('"', '""') + '"' if tracking_schema else "*"
        skipped = [f"--exclude-table={schema}.{_pg_quoted(name)}" for name in sorted(exclude)]
        yield (
            [
                client.path,
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "--no-tablespaces",
                *(f"--schema={_pg_quoted(name)}" for name in schemas),
                *skipped,
            ],
            env,
        )
    else:
        with _option_file(url) as options:
            database = str(url.database)
            yield (
                [
                    client.path,
                    f"--defaults-extra-file={options}",  # (must come first)
                    "--no-data",
                    "--routines",
                    "--triggers",
                    "--skip-dump-date",
                    "--skip-comments",
                    "--skip-add-drop-table",
                    "--skip-add-locks",
                    "--skip-set-charset",
                    "--single-transaction",
                    *(f"--ignore-table={database}.{name}" for name in sorted(exclude)),
                    database,
                ],
                env,
            )


def _pg_quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _libpq_environment(url: URL) -> dict[str, str]:
    """The PG* variables that name the URL's database to a libpq client."""
    query = {k: v if isinstance(v, str) else v[0] for k, v in url.query.items()}
    env = {
        "PGHOST": str(url.host or query.get("host") or ""),
        "PGPORT": str(url.port or query.get("port") or ""),
        "PGUSER": str(url.username or ""),
        "PGPASSWORD": str(url.password or ""),
        "PGDATABASE": str(url.database or ""),
        "PGSSLMODE": str(query.get("sslmode") or query.get("ssl") or ""),
    }
    if env["PGSSLMODE"] in ("true", "1"):  # asyncpg's ssl=true
        env["PGSSLMODE"] = "require"
    return {name: value for name, value in env.items() if value}


@contextlib.contextmanager
def _option_file(url: URL) -> Iterator[str]:
    """A [client] option file with the URL's credentials, readable by its owner only."""

    def quoted(value: object) -> str:
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    query = {k: v if isinstance(v, str) else v[0] for k, v in url.query.items()}
    lines = ["[client]"]
    for key, value in (
        ("user", url.username),
        ("password", url.password),
        ("host", url.host),
        ("port", url.port),
        ("socket", query.get("unix_socket")),
    ):
        if value is not None:
            lines.append(f"{key}={quoted(value)}")
    descriptor, name = tempfile.mkstemp(prefix="schemactl-", suffix=".cnf")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:  # (mkstemp: mode 0600)
            file.write("\n".join(lines) + "\n")
        yield name
    finally:
        Path(name).unlink(missing_ok=True)
