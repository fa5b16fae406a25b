"""`new --auto` writes the safe form of changes to tables that already exist.

An evolving model set goes step by step on PostgreSQL and MariaDB: the tables are created,
then the existing tables gain an index, a unique constraint, a foreign key, a CHECK, a NOT
NULL, then lose an index and a column. Each step's files apply with ``up``, leave nothing
for a second ``new --auto`` to find, roll back to the step before (the schema then is the
one it was), and apply again; on PostgreSQL they are split as the safe forms need, on
MariaDB they carry the ALGORITHM/LOCK clauses the server honours (it refuses them
otherwise, so applying them is the check). SQLite still gets one plain file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.asyncio import create_async_engine

import schemactl
from schemactl._files import MigrationFile, Section, parse_migration
from schemactl._split import split_statements
from schemactl._urls import to_sqlalchemy_url
from schemactl.lint.run import lint_files
from tests.conftest import MigrationsDir, drop_quietly, fresh_url
from tests.db.test_autogen_rollback import _schema

pytestmark = pytest.mark.anyio

Spec = dict[str, Any]


def models(step: int) -> MetaData:
    """The models after ``step`` steps (0: the tables as first created)."""
    metadata = MetaData()
    Table(
        "teams",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("title", String(50), nullable=False),
    )
    columns: list[Any] = [
        Column("id", Integer, primary_key=True),
        Column("email", String(100), nullable=step < 4),
        Column("name", String(50)),
    ]
    if step < 6:
        columns.append(Column("nickname", String(30)))
    if step >= 3:
        columns.append(Column("team_id", Integer, ForeignKey("teams.id", name="fk_users_team")))
        # CHECK constraints the types make (Alembic compares no other): the boolean's on
        # MariaDB only (PostgreSQL has the type), the enum's on both
        columns.append(Column("active", Boolean(create_constraint=True, name="ck_users_active")))
        role = Enum("admin", "member", native_enum=False, create_constraint=True, name="ck_role")
        columns.append(Column("role", role))
    extra: list[Any] = []
    if 1 <= step < 5:
        extra.append(Index("ix_users_name", "name"))
    if step >= 2:
        extra.append(UniqueConstraint("email", name="uq_users_email"))
    Table("users", metadata, *columns, *extra)
    return metadata


# the files each step writes, by the label ending their names ("": the main migration)
POSTGRESQL_FILES = {
    0: [""],
    1: ["index_ix_users_name"],
    2: ["unique_index_uq_users_email", "unique_uq_users_email"],
    3: ["", "validate_constraints"],  # the columns, the FK and CHECK NOT VALID; then valid
    4: ["", "validate_constraints", "set_not_null"],
    5: ["drop_index_ix_users_name"],
    6: [""],
}
ROWS = (
    "INSERT INTO teams (id, title) VALUES (1, 'a'), (2, 'b')",
    "INSERT INTO users (id, email, name, nickname) VALUES (1, 'a@x', 'ann', 'an'),"
    " (2, 'b@x', 'bob', NULL)",
)


@pytest.fixture(params=("postgresql", "mysql"))
def server_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = fresh_url(str(request.param), tmp_path)
    yield url
    drop_quietly(url)


async def schema_of(url: str) -> dict[str, Any]:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.connect() as conn:
            found: dict[str, Any] = await conn.run_sync(_schema)
            return found
    finally:
        await engine.dispose()


async def execute(url: str, *statements: str) -> None:
    engine = create_async_engine(to_sqlalchemy_url(url))
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def sections(path: Path) -> tuple[Section, Section]:
    migration = parse_migration(MigrationFile("0", path.stem, path), path.read_bytes())
    assert migration.down is not None
    return migration.up, migration.down


def statements(section: Section, dialect: Literal["postgresql", "mysql"]) -> list[str]:
    return [s.sql.strip() for s in split_statements(section.sql, dialect) if s.sql.strip()]


async def test_each_step_applies_rolls_back_and_applies_again(
    server_url: str, migrations: MigrationsDir
) -> None:
    dialect: Literal["postgresql", "mysql"] = (
        "postgresql" if server_url.startswith("postgresql") else "mysql"
    )
    await schemactl.create(server_url)
    last_version = "0"
    for step in range(7):
        before = await schema_of(server_url)
        result = await schemactl.new(
            f"step {step}",
            auto=True,
            url=server_url,
            models=models(step),
            migrations_dir=str(migrations),
        )
        paths = [f.path for f in result.files if f.path is not None]
        assert result.path == paths[0]
        versions = [p.name.split("_")[0] for p in paths]
        assert versions == sorted(set(versions))  # distinct, in the order written
        assert versions[0] > last_version
        if dialect == "postgresql":
            labels = [
                p.stem.removeprefix(f"{v}_step_{step}").lstrip("_")
                for p, v in zip(paths, versions, strict=True)
            ]
            assert labels == POSTGRESQL_FILES[step]
            check_postgresql_files(paths, step)
        else:
            assert len(paths) == 1
            check_mysql_file(paths[0], step)

        check_lint(paths, dialect, migrations)

        await schemactl.up(server_url, migrations_dir=str(migrations))
        if step == 0:
            await execute(server_url, *ROWS)
        after = await schema_of(server_url)
        assert after != before
        check = await schemactl.check(
            server_url, models=models(step), migrations_dir=str(migrations)
        )
        assert check.clean, [c.detail for c in check.changes]
        again = await schemactl.new(
            "again",
            auto=True,
            url=server_url,
            models=models(step),
            dry_run=True,
            migrations_dir=str(migrations),
        )
        assert not again.changes

        if step:  # the whole step rolls back, and applies again
            await schemactl.rollback(server_url, migrations_dir=str(migrations), to=last_version)
            assert await schema_of(server_url) == before
            await schemactl.up(server_url, migrations_dir=str(migrations))
            assert await schema_of(server_url) == after
        last_version = versions[-1]


# Blocking findings where no safe form exists: dropping a column; on MySQL/MariaDB adding a
# foreign key or a CHECK (the server copies the table; INPLACE with foreign_key_checks=0
# would leave the existing rows unchecked for ever)
NO_SAFE_FORM = {"postgresql": {"DS102"}, "mysql": {"DS102", "LK103", "LK104"}}


def check_lint(
    paths: list[Path], dialect: Literal["postgresql", "mysql"], migrations: MigrationsDir
) -> None:
    """The linter, reading the files against the ones before them, blocks none of them
    but for a change that has no safe form, and then the file says why, above the
    statement."""
    result = lint_files(paths, dialect, migrations_dirs=[migrations.path])
    for finding in result.blocking:
        assert finding.rule in NO_SAFE_FORM[dialect], (finding.rule, finding.message)
        lines = Path(finding.file).read_text().splitlines()
        comment = f"-- schemactl: {finding.rule} {finding.name}: "
        above = lines[: finding.line - 1]
        assert any(line.startswith(comment) for line in above[-3:]), (finding.file, comment)


def check_postgresql_files(paths: list[Path], step: int) -> None:
    """A concurrent statement alone in its transaction:false sections, idempotent; every
    transactional section on existing tables starts with the lock timeout."""
    for path in paths:
        up, down = sections(path)
        for section in (up, down):
            found = statements(section, "postgresql")
            if any("CONCURRENTLY" in s for s in found):
                assert not section.transaction, path.name
                concurrent = [s for s in found if "CONCURRENTLY" in s]
                assert len(concurrent) == 1, path.name
                assert all(" IF " in s for s in concurrent)  # EXISTS / NOT EXISTS: reruns
            elif step and found and section.transaction:
                assert found[0] == "SET LOCAL lock_timeout = '5s'", path.name
        text = path.read_text()
        if step == 3 and path.stem.endswith("step_3"):
            assert "FOREIGN KEY(team_id) REFERENCES teams (id) NOT VALID;" in text
            assert "CHECK (role IN ('admin', 'member')) NOT VALID;" in text


def check_mysql_file(path: Path, step: int) -> None:
    """Every statement on an existing table keeps it online, but those the server can only
    make by copying the table: a foreign key or a CHECK added."""
    up, down = sections(path)
    for section in (up, down):
        for statement in statements(section, "mysql"):
            if step == 0 and section is up:
                assert "ALGORITHM" not in statement  # new tables
            elif ("FOREIGN KEY" in statement and " ADD " in statement) or " CHECK " in statement:
                assert "ALGORITHM" not in statement, statement
            elif not statement.startswith("DROP TABLE"):
                assert "ALGORITHM=" in statement, statement
                assert "LOCK=NONE" in statement, statement


async def test_sqlite_still_writes_one_plain_file(
    tmp_path: Path, migrations: MigrationsDir
) -> None:
    url = fresh_url("sqlite", tmp_path)
    await schemactl.create(url)
    for step in range(7):
        result = await schemactl.new(
            f"step {step}", auto=True, url=url, models=models(step), migrations_dir=str(migrations)
        )
        assert len(result.files) == 1
        assert result.path is not None
        assert result.path == result.files[0].path
        up, down = sections(result.path)
        assert up.transaction
        assert down.transaction
        content = result.path.read_text()
        for word in ("CONCURRENTLY", "NOT VALID", "ALGORITHM", "lock_timeout"):
            assert word not in content
        await schemactl.up(url, migrations_dir=str(migrations))
    check = await schemactl.check(url, models=models(6), migrations_dir=str(migrations))
    assert check.clean
