"""The public surface: `schemactl.__all__` is complete and every coroutine is async."""

from __future__ import annotations

import inspect

import pytest

import schemactl
from schemactl import _api, _errors, _migrator, _results


def test_all_names_exist() -> None:
    for name in schemactl.__all__:
        assert hasattr(schemactl, name), name


def test_every_public_coroutine_result_and_error_is_exported() -> None:
    public = {
        name
        for module in (_api, _errors, _migrator, _results)
        for name, value in vars(module).items()
        if not name.startswith("_")
        and getattr(value, "__module__", None) == module.__name__
        and (inspect.isclass(value) or inspect.iscoroutinefunction(value))
    }
    assert public <= set(schemactl.__all__), public - set(schemactl.__all__)


def test_api_functions_are_coroutines_with_docstrings() -> None:
    for name in ("up", "migrate", "rollback", "status", "create", "drop", "wait", "new", "check",
                 "resolve", "baseline", "plan"):  # fmt: skip
        function = getattr(schemactl, name)
        assert inspect.iscoroutinefunction(function), name
        assert ">>>" in (function.__doc__ or ""), name


def test_the_version_is_newer_than_the_first_release_on_pypi() -> None:
    """0.2.1 was the first implementation, published as schemactl: installers must see this
    one as newer, and the installed metadata must say the same as the package."""
    from importlib.metadata import version

    parts = tuple(int(p) for p in schemactl.__version__.split("."))
    assert parts > (0, 2, 1)
    assert version("schemactl") == schemactl.__version__


@pytest.mark.parametrize(
    ("count", "text"), [(0, "0 migrations"), (1, "1 migration"), (2, "2 migrations")]
)
def test_counts_are_said_in_good_english(count: int, text: str) -> None:
    from schemactl._results import plural

    assert plural(count, "migration") == text
