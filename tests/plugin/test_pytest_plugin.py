"""The pytest plugin, run as a project uses it: a generated project's own test run
(``pytester``) against the real servers, then a look at what is left on them."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import anyio
import pytest

from schemactl._urls import to_sqlalchemy_url
from tests.conftest import DB_PREFIX, DIALECTS, MYSQL_BASE, PG_BASE

USERS = """\
-- migrate:up
create table users (id integer not null primary key, name varchar(50) not null);

-- migrate:down
drop table users;
"""
MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(50), nullable=False),
    {extra}
)
"""
# each test records the database it was given, for the outer test to look for afterwards
RECORD = """\
from pathlib import Path

def record(url):
    with open(Path(__file__).parent / "urls.txt", "a") as f:
        f.write(url + "\\n")

def recorded():
    return (Path(__file__).parent / "urls.txt").read_text().split()
"""


QUIET_ASYNCIO = "asyncio_default_fixture_loop_scope = function\n"


def server_of(dialect: str) -> str:
    return {"sqlite": "sqlite", "postgresql": PG_BASE, "mysql": MYSQL_BASE}[dialect]


def project(
    pytester: pytest.Pytester,
    dialect: str,
    *,
    migrations: dict[str, str] | None = None,
    models: str | None = None,
    ini: str = "",
) -> str:
    """A project using the plugin on ``dialect``'s server; the prefix of its databases."""
    prefix = f"{DB_PREFIX}plug{uuid.uuid4().hex[:6]}_"
    schemactl = 'models = "models"' if models is not None else ""
    pytester.makepyprojecttoml(
        textwrap.dedent(
            f"""
            [tool.schemactl]
            migrations_dir = "db/migrations"
            {schemactl}

            [tool.pytest.ini_options]
            schemactl_server = "{server_of(dialect)}"
            schemactl_database_prefix = "{prefix}"
            asyncio_default_fixture_loop_scope = "function"
            """
        )
        + ini
    )
    directory = pytester.mkdir("db").joinpath("migrations")
    directory.mkdir()
    for name, text in (migrations or {"20260101000000_users.sql": USERS}).items():
        (directory / name).write_text(text)
    if models is not None:
        pytester.makepyfile(models=MODELS.format(extra=models))
    pytester.makepyfile(record=RECORD)
    return prefix


def leftovers(pytester: pytest.Pytester, dialect: str, prefix: str) -> list[str]:
    """The databases named ``prefix``... still on the server (SQLite: files in the run's
    temporary directories)."""
    if dialect == "sqlite":
        return [p.name for p in pytester.path.parent.rglob(f"{prefix}*.db")]

    async def names() -> list[str]:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        if dialect == "postgresql":
            url, query = f"{PG_BASE}/postgres", "select datname from pg_database"
        else:
            url, query = f"{MYSQL_BASE}/mysql", "show databases"
        engine = create_async_engine(to_sqlalchemy_url(url))
        try:
            async with engine.connect() as conn:
                found = [str(row[0]) for row in await conn.execute(text(query))]
        finally:
            await engine.dispose()
        return [name for name in found if name.startswith(prefix)]

    return anyio.run(names)


def recorded(pytester: pytest.Pytester) -> list[str]:
    return (pytester.path / "urls.txt").read_text().split()


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- the fixtures ---------------------------------------------------------------------------


def test_each_test_gets_a_migrated_database_under_anyio_and_pytest_asyncio(
    pytester: pytest.Pytester, dialect: str
) -> None:
    prefix = project(pytester, dialect)
    pytester.makepyfile(
        test_app="""
        import pytest
        import sqlalchemy as sa
        from record import record

        @pytest.mark.anyio
        async def test_under_anyio(migrated_engine, migrated_url):
            record(migrated_url)
            async with migrated_engine.begin() as conn:
                await conn.execute(sa.text("insert into users values (1, 'ada')"))
                count = await conn.execute(sa.text("select count(*) from users"))
                assert count.scalar() == 1

        @pytest.mark.asyncio
        async def test_under_pytest_asyncio(migrated_engine, migrated_url):
            record(migrated_url)
            async with migrated_engine.connect() as conn:
                count = await conn.execute(sa.text("select count(*) from users"))
                assert count.scalar() == 0  # a database of its own: not the row above

        def test_sync(migrated_url):
            record(migrated_url)
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=3)
    urls = recorded(pytester)
    assert len(set(urls)) == 3
    assert all(prefix in url for url in urls)
    assert leftovers(pytester, dialect, prefix) == []


def test_session_scope_shares_one_database(pytester: pytest.Pytester, dialect: str) -> None:
    prefix = project(pytester, dialect, ini='schemactl_scope = "session"\n')
    pytester.makepyfile(
        test_app="""
        import pytest
        import sqlalchemy as sa
        from record import record

        @pytest.mark.anyio
        async def test_first(migrated_engine, migrated_url):
            record(migrated_url)
            async with migrated_engine.begin() as conn:
                await conn.execute(sa.text("insert into users values (1, 'ada')"))

        @pytest.mark.asyncio
        async def test_second(migrated_engine, migrated_url):
            record(migrated_url)
            async with migrated_engine.connect() as conn:
                count = await conn.execute(sa.text("select count(*) from users"))
                assert count.scalar() == 1  # the first test's row: the same database
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=2)
    urls = recorded(pytester)
    assert len(urls) == 2
    assert len(set(urls)) == 1
    assert leftovers(pytester, dialect, prefix) == []


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_a_failing_test_still_drops_its_database(pytester: pytest.Pytester, dialect: str) -> None:
    prefix = project(pytester, dialect)
    pytester.makepyfile(
        test_app="""
        import pytest
        import sqlalchemy as sa
        from record import record

        @pytest.mark.anyio
        async def test_fails_holding_a_connection(migrated_engine, migrated_url):
            record(migrated_url)
            conn = await migrated_engine.connect()  # left open: the drop must not wait on it
            await conn.execute(sa.text("select 1 from users"))
            assert False, "the test fails"
        """
    )
    # a process of its own: the connection left open is collected after its event loop closed
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the test fails*"])
    assert len(recorded(pytester)) == 1
    assert leftovers(pytester, dialect, prefix) == []


def test_a_migration_that_fails_is_one_clear_error(pytester: pytest.Pytester) -> None:
    broken = "-- migrate:up\ncreate tabel users (id integer);\n-- migrate:down\ndrop table users;\n"
    prefix = project(pytester, "postgresql", migrations={"20260101000000_users.sql": broken})
    pytester.makepyfile(test_app="def test_app(migrated_url):\n    pass\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*schemactl: *20260101000000_users.sql*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    assert leftovers(pytester, "postgresql", prefix) == []


BACKFILL = """\
-- migrate:up
alter table users add column name_key varchar(50);
update users set name_key = lower(name);

-- migrate:down
alter table users drop column name_key;
"""


def test_migration_steps_seed_rows_before_a_migration_and_check_them_after(
    pytester: pytest.Pytester, dialect: str
) -> None:
    """A data migration tested as pytest-alembic's ``at_revision_data`` does: the database
    migrated to just before it, rows seeded, the migration applied, its result read; then
    rolled back. The database is dropped afterwards."""
    migrations = {"20260101000000_users.sql": USERS, "20260102000000_key.sql": BACKFILL}
    prefix = project(pytester, dialect, migrations=migrations)
    pytester.makepyfile(
        test_app="""
        import pytest
        import sqlalchemy as sa
        from record import record

        @pytest.mark.anyio
        async def test_backfill(migration_steps):
            record(migration_steps.url)
            assert await migration_steps.up_before("20260102000000") == ("20260101000000",)
            async with migration_steps.engine.begin() as conn:
                await conn.execute(sa.text("insert into users values (1, 'Ada'), (2, 'BOB')"))
            assert await migration_steps.up_to("20260102000000") == ("20260102000000",)
            async with migration_steps.engine.connect() as conn:
                keys = await conn.execute(sa.text("select name_key from users order by id"))
                assert keys.scalars().all() == ["ada", "bob"]
            assert await migration_steps.rollback_to("0") == ("20260102000000", "20260101000000")
            assert await migration_steps.up() == ("20260101000000", "20260102000000")

        @pytest.mark.anyio
        async def test_an_unknown_version(migration_steps):
            with pytest.raises(Exception, match="no migration file has version '9'"):
                await migration_steps.up_before("9")
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=2)
    assert len(recorded(pytester)) == 1
    assert leftovers(pytester, dialect, prefix) == []


# -- settings -------------------------------------------------------------------------------


def test_the_command_line_server_wins_over_the_environment_and_the_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(pytester, "postgresql")  # the ini names PostgreSQL
    monkeypatch.setenv("SCHEMACTL_TEST_SERVER", "mysql://nobody@127.0.0.1:1")
    pytester.makepyfile(
        test_app="""
        def test_app(migrated_url):
            assert migrated_url.startswith("sqlite:")
        """
    )
    pytester.runpytest_inprocess("--schemactl-server", "sqlite").assert_outcomes(passed=1)


def test_the_ini_migrations_directory_wins_over_the_project_s(pytester: pytest.Pytester) -> None:
    project(pytester, "sqlite", ini='schemactl_migrations_dir = ["fixtures/migrations"]\n')
    other = pytester.mkdir("fixtures").joinpath("migrations")
    other.mkdir()
    (other / "20260101000000_things.sql").write_text(USERS.replace("users", "things"))
    pytester.makepyfile(
        test_app="""
        import sqlite3
        from contextlib import closing

        def test_app(migrated_url):
            with closing(sqlite3.connect(migrated_url.removeprefix("sqlite:"))) as db:
                tables = db.execute("select name from sqlite_master").fetchall()
            assert ("things",) in tables
            assert ("users",) not in tables
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("", "*no database server for the schemactl fixtures: pass --schemactl-server*"),
        ("schemactl_server = postgresql://postgres@127.0.0.1/app", "*names a database*"),
        ("schemactl_server = sqlite:app.db", "*write just sqlite*"),
        ("schemactl_server = oracle://x@y", "*unsupported database URL scheme 'oracle'*"),
    ],
)
def test_a_bad_server_setting_is_one_clear_error(
    pytester: pytest.Pytester, setting: str, message: str
) -> None:
    pytester.makeini(f"[pytest]\n{setting}\n{QUIET_ASYNCIO}")
    pytester.makepyfile(test_app="def test_app(migrated_url):\n    pass\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at setup of test_app*", message.replace("*", "schemactl: *", 1)]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*During handling*")


def test_a_bad_scope_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\nschemactl_scope = module\n{QUIET_ASYNCIO}")
    pytester.makepyfile(test_app="def test_app():\n    pass\n")
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*schemactl_scope must be function or session, not 'module'*"])


def test_a_project_that_does_not_use_it_gets_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed but unused: no fixture runs, no test is added, SQLAlchemy is never imported
    (a process of its own, so that this one's imports do not count)."""
    monkeypatch.setenv("SCHEMACTL_TEST_SERVER", PG_BASE)
    (pytester.path / "migrations").mkdir()
    (pytester.path / "migrations" / "20260101000000_users.sql").write_text(USERS)
    pytester.makepyfile(
        test_app="""
        import sys

        def test_nothing_heavy_loaded():
            assert "schemactl.pytest_plugin" in sys.modules  # installed: pytest loaded it
            heavy = ("sqlalchemy", "alembic", "asyncpg", "schemactl._test_databases")
            assert [m for m in heavy if m in sys.modules] == []
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["collected 1 item"])
    result.stdout.no_fnmatch_line("*schemactl:*")


# -- the ready-made tests -------------------------------------------------------------------

BUILTIN = "schemactl_builtin_tests = true\n"


def test_the_ready_made_tests_pass_on_a_good_project(
    pytester: pytest.Pytester, dialect: str
) -> None:
    prefix = project(pytester, dialect, models="", ini=BUILTIN)
    result = pytester.runpytest_inprocess("-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "schemactl: 4 ready-made tests added (schemactl_builtin_tests)",
            "schemactl::test_linear_history PASSED*",
            "schemactl::test_applies_from_zero PASSED*",
            "schemactl::test_rolls_back_cleanly PASSED*",
            "schemactl::test_models_match PASSED*",
        ]
    )
    assert leftovers(pytester, dialect, prefix) == []


def test_the_ready_made_tests_fail_clearly_on_a_bad_down_and_drifted_models(
    pytester: pytest.Pytester, dialect: str
) -> None:
    keeps_the_table = USERS.replace("drop table users;", "select 1;")
    prefix = project(
        pytester,
        dialect,
        migrations={"20260101000000_users.sql": keeps_the_table},
        models='sa.Column("email", sa.String(100)),',
        ini=BUILTIN,
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines_random(
        [
            "*schemactl test_rolls_back_cleanly: every down restores the schema, but:",
            "20260101000000_users.sql: not-restored: *",
            "*schemactl test_models_match: models match migrations, but:",
            "the models models differ from the schema the migrations build *",
            "*email*",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    assert leftovers(pytester, dialect, prefix) == []


def test_the_ready_made_tests_fail_on_duplicate_versions(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        "sqlite",
        migrations={"20260101000000_users.sql": USERS, "20260101000000_again.sql": USERS},
        ini=BUILTIN,
    )
    result = pytester.runpytest_inprocess("-m", "schemactl", "-k", "linear_history")
    result.assert_outcomes(failed=1, deselected=2)
    result.stdout.fnmatch_lines(["*have the same version 20260101000000*"])


def test_the_ready_made_tests_stay_out_of_a_run_of_named_tests(pytester: pytest.Pytester) -> None:
    project(pytester, "sqlite", ini=BUILTIN)
    pytester.makepyfile(test_app="def test_app():\n    pass\n")
    pytester.runpytest_inprocess("test_app.py").assert_outcomes(passed=1)
    pytester.runpytest_inprocess().assert_outcomes(passed=4)


def test_the_plugin_is_registered_by_its_entry_point() -> None:
    from importlib.metadata import entry_points

    (plugin,) = [e for e in entry_points(group="pytest11") if e.name == "schemactl"]
    assert plugin.value == "schemactl.pytest_plugin"
    assert Path(plugin.load().__file__).name == "pytest_plugin.py"
