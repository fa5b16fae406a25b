"""pytester's in-process runs put ``sys.modules`` back as they found it after each run: a
library first imported inside one run (SQLAlchemy's dialects, a driver, Alembic) would be
imported afresh by the next, beside objects of the first copy still cached (SQLAlchemy's
compiled extensions then fail with "'InternalTraversal' object is not callable"). Only the
generated projects' own modules are forgotten here; libraries stay imported, as they would
in one real pytest process."""

from __future__ import annotations

import sys
from collections.abc import Callable

import _pytest.pytester
import pytest


@pytest.fixture(autouse=True)
def _libraries_stay_imported(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    projects = str(tmp_path_factory.getbasetemp())

    def not_a_project_module(name: str) -> bool:
        file = getattr(sys.modules.get(name), "__file__", None) or ""
        return not file.startswith(projects)

    class KeepingLibraries(_pytest.pytester.SysModulesSnapshot):
        def __init__(self, preserve: Callable[[str], bool] | None = None) -> None:
            super().__init__(
                preserve=lambda name: (
                    not_a_project_module(name) or bool(preserve and preserve(name))
                )
            )

    monkeypatch.setattr(_pytest.pytester, "SysModulesSnapshot", KeepingLibraries)
