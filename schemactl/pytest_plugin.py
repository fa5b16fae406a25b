"""schemactl's pytest plugin: throwaway databases as fixtures (migrated, or migrated a step at
a time by the test: ``migration_steps``), and ready-made tests of a project's migrations that
it switches on.

Registered through the ``pytest11`` entry point, so pytest imports it in every project that
installs schemactl: this module imports nothing but pytest (loaded already) and the standard
library; SQLAlchemy, the drivers and the migration code load when a fixture or a ready-made
test first runs. A project that uses neither gets only the options and the ``schemactl``
marker.

    [tool.pytest.ini_options]
    schemactl_server = "postgresql://postgres@localhost:5432"   # or "sqlite"
    schemactl_scope = "session"          # one database for the run (default: one per test)
    schemactl_builtin_tests = true       # add the ready-made tests

    async def test_signup(migrated_engine):
        async with migrated_engine.begin() as conn: ...
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pytest

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from ._builtin_checks import BuiltinCheck
    from ._test_databases import MigrationSteps, ScratchServer

T = TypeVar("T")
_ADDED = pytest.StashKey[int]()
SCOPES = ("function", "session")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("schemactl", "schemactl test databases")
    group.addoption(
        "--schemactl-server",
        dest="schemactl_server",
        default=None,
        metavar="URL",
        help="server for the migrated_url/migrated_engine databases: a URL without a "
        "database (postgresql://postgres@localhost:5432) or sqlite; over "
        "SCHEMACTL_TEST_SERVER and the schemactl_server ini setting",
    )
    parser.addini("schemactl_server", "server for schemactl's test databases (or sqlite)")
    parser.addini(
        "schemactl_scope", "one migrated database per test (function) or per run (session)"
    )
    parser.addini(
        "schemactl_migrations_dir",
        "migrations directories, over the project's [tool.schemactl] migrations_dir",
        type="paths",
        default=[],
    )
    parser.addini("schemactl_database_prefix", "start of each test database's name (default test_)")
    parser.addini(
        "schemactl_builtin_tests",
        "add schemactl's ready-made tests of the migrations to a run",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "schemactl: one of schemactl's ready-made tests (schemactl_builtin_tests)"
    )
    scope = _scope_setting(config)
    if scope not in SCOPES:
        raise pytest.UsageError(f"schemactl_scope must be function or session, not {scope!r}")


def _scope_setting(config: pytest.Config) -> str:
    return str(config.getini("schemactl_scope")).strip() or "function"


def _scope(fixture_name: str, config: pytest.Config) -> Literal["function", "session"]:
    """migrated_url's scope (pytest_configure refused any other value)."""
    return "session" if _scope_setting(config) == "session" else "function"


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _schemactl_scratch_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> ScratchServer:
    return _settled(lambda: _scratch_server(request.config, tmp_path_factory.mktemp("schemactl")))


@pytest.fixture(scope=_scope)
def migrated_url(_schemactl_scratch_server: ScratchServer) -> Iterator[str]:
    """The URL of a fresh database with every migration applied, dropped afterwards (also
    when the test fails). One per test; one per run with ``schemactl_scope = session``."""
    from ._test_databases import create_migrated, drop_database

    url = _settled(lambda: _run(create_migrated, _schemactl_scratch_server))
    try:
        yield url
    finally:
        _settled(lambda: _run(drop_database, url))


@pytest.fixture
def migrated_engine(migrated_url: str) -> Iterator[AsyncEngine]:
    """An ``AsyncEngine`` on ``migrated_url``'s database. It has no pool, so it belongs to no
    event loop: tests run by anyio's plugin and by pytest-asyncio both use it as it is."""
    from ._test_databases import engine_for

    engine = _settled(lambda: engine_for(migrated_url))
    try:
        yield engine
    finally:
        engine.sync_engine.dispose()  # no pool: nothing to close on an event loop


@pytest.fixture
def migration_steps(_schemactl_scratch_server: ScratchServer) -> Iterator[MigrationSteps]:
    """A fresh database with no migration applied, dropped afterwards (also when the test
    fails), to migrate a step at a time: ``await migration_steps.up_before(version)``, seed
    rows through ``migration_steps.engine``, ``await migration_steps.up_to(version)``, check
    what the migration made of them."""
    from ._test_databases import MigrationSteps, create_empty, drop_database, engine_for

    server = _schemactl_scratch_server
    url = _settled(lambda: _run(create_empty, server))
    steps = MigrationSteps(url, engine_for(url), server)
    try:
        yield steps
    finally:
        steps.engine.sync_engine.dispose()
        _settled(lambda: _run(drop_database, url))


def _scratch_server(config: pytest.Config, sqlite_dir: Path) -> ScratchServer:
    from ._test_databases import SERVER_ENV, scratch_server

    server = (
        config.getoption("schemactl_server")
        or os.environ.get(SERVER_ENV)
        or str(config.getini("schemactl_server"))
    )
    return scratch_server(
        server=server,
        sqlite_dir=sqlite_dir,
        rootdir=config.rootpath,
        migrations_dirs=config.getini("schemactl_migrations_dir"),
        prefix=str(config.getini("schemactl_database_prefix")).strip() or "test_",
    )


def _run(function: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    from ._test_databases import run_async

    return run_async(function, *args)


def _settled(work: Callable[[], T]) -> T:
    """``work()``; an error of schemactl's becomes one line in pytest's report."""
    from ._errors import SchemactlError

    try:
        return work()
    except SchemactlError as exc:
        error = exc
    pytest.fail(f"schemactl: {error}", pytrace=False)  # outside the except: no chained report


# -- the ready-made tests -------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not config.getini("schemactl_builtin_tests"):
        return
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        return  # tests named on the command line: only those
    checks = BuiltinChecks.from_parent(session, name="schemactl", nodeid="schemactl").collect()
    items.extend(checks)
    config.stash[_ADDED] = len(checks)


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    added = config.stash.get(_ADDED, 0)
    return f"schemactl: {added} ready-made tests added (schemactl_builtin_tests)" if added else None


class BuiltinChecks(pytest.Collector):
    """The ready-made tests, collected as ``schemactl::test_...``."""

    def collect(self) -> list[BuiltinCheckItem]:
        from ._builtin_checks import builtin_checks
        from ._config import resolve
        from ._errors import ConfigurationError

        try:
            models = resolve(cwd=self.config.rootpath).models
        except ConfigurationError:
            models = None  # the tests report the error when they run
        return [
            BuiltinCheckItem.from_parent(self, name=check.name, check=check)
            for check in builtin_checks(models=models)
        ]


class BuiltinCheckFailed(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))


class BuiltinCheckItem(pytest.Item):
    def __init__(self, *, check: BuiltinCheck, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.add_marker("schemactl")

    def runtest(self) -> None:
        from ._errors import SchemactlError

        # SQLite databases (and verify's own) in a directory of this test's, removed after it
        with tempfile.TemporaryDirectory(prefix="schemactl-") as sqlite_dir:
            problems: list[str]
            try:
                server = _scratch_server(self.config, Path(sqlite_dir))
                problems = _run(self.check.run, server)
            except SchemactlError as exc:
                problems = [str(exc)]
        if problems:
            raise BuiltinCheckFailed([f"schemactl {self.name}: {self.check.doc}, but:", *problems])

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, BuiltinCheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, None, str]:
        return self.path, None, f"schemactl::{self.name}"
