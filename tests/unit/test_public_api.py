"""The public surface: `schemactl.__all__` is complete and every coroutine is async."""

from __future__ import annotations

import inspect

import schemactl
from schemactl import _api, _errors, _results


def test_all_names_exist() -> None:
    for name in schemactl.__all__:
        assert hasattr(schemactl, name), name


def test_every_public_coroutine_result_and_error_is_exported() -> None:
    public = {
        name
        for module in (_api, _errors, _results)
        for name, value in vars(module).items()
        if not name.startswith("_")
        and getattr(value, "__module__", None) == module.__name__
        and (inspect.isclass(value) or inspect.iscoroutinefunction(value))
    }
    assert public <= set(schemactl.__all__), public - set(schemactl.__all__)


def test_api_functions_are_coroutines_with_docstrings() -> None:
    for name in ("up", "migrate", "rollback", "status", "create", "drop", "wait", "new", "check",
                 "resolve"):  # fmt: skip
        function = getattr(schemactl, name)
        assert inspect.iscoroutinefunction(function), name
        assert ">>>" in (function.__doc__ or ""), name
