"""Load the application's SQLAlchemy metadata: the desired state of the database.

A spec is a dotted module (``app.models``) importable from the working directory, or a path
(``app/models.py``), optionally followed by ``:attr`` naming a ``MetaData``, a declarative
base (classic ``declarative_base()`` or a 2.0 ``DeclarativeBase`` subclass) or anything with a
``.metadata``. Without ``:attr`` the module must define exactly one MetaData.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._errors import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy import MetaData


NO_MODELS = "no models: pass --models app.models (or set models in [tool.schemactl])"


class ModelsError(ConfigurationError):
    """The models could not be loaded: bad spec, import failure, no or several MetaData."""


def metadata_of(models: str | MetaData | None) -> MetaData:
    """The models as given to the API: a MetaData, or a spec ``load_metadata`` loads."""
    if models is None:
        raise ConfigurationError(NO_MODELS)
    return load_metadata(models) if isinstance(models, str) else models


def load_metadata(spec: str, *, cwd: Path | None = None) -> MetaData:
    """Import ``spec`` and return its MetaData.

    >>> load_metadata("app.models:Base").tables.keys()
    """
    from sqlalchemy import MetaData

    module_part, _, attr = spec.partition(":")
    if not module_part:
        raise ModelsError(f"--models {spec!r}: expected a module or path, like app.models")
    module = _import(module_part, cwd or Path.cwd())
    if attr:
        value: Any = module
        for part in attr.split("."):
            if not hasattr(value, part):
                raise ModelsError(f"--models {spec!r}: {module.__name__} has no attribute {attr!r}")
            value = getattr(value, part)
        metadata = value if isinstance(value, MetaData) else getattr(value, "metadata", None)
        if not isinstance(metadata, MetaData):
            raise ModelsError(
                f"--models {spec!r}: {attr} is neither a MetaData nor a declarative base"
            )
        return metadata
    found: dict[int, tuple[str, MetaData]] = {}
    for name, value in sorted(vars(module).items()):
        metadata = value if isinstance(value, MetaData) else getattr(value, "metadata", None)
        if isinstance(metadata, MetaData) and not _from_a_library(value):
            found.setdefault(id(metadata), (name, metadata))
    if not found:
        raise ModelsError(f"--models {spec!r}: {module.__name__} defines no SQLAlchemy MetaData")
    if len(found) > 1:
        names = ", ".join(name for name, _ in found.values())
        raise ModelsError(
            f"--models {spec!r}: {module.__name__} defines several MetaData ({names}); "
            f"name one, like {module_part}:{next(iter(found.values()))[0]}"
        )
    return next(iter(found.values()))[1]


def _from_a_library(value: Any) -> bool:
    """SQLAlchemy's own classes (an imported DeclarativeBase, say) are not the app's models."""
    owner = getattr(value, "__module__", None) or ""
    return isinstance(value, type) and owner.split(".")[0] in ("sqlalchemy", "alembic")


def _import(module_part: str, cwd: Path) -> ModuleType:
    looks_like_path = module_part.endswith(".py") or "/" in module_part or "\\" in module_part
    try:
        if looks_like_path:
            return _import_path(
                Path(module_part) if Path(module_part).is_absolute() else cwd / module_part
            )
        if str(cwd) not in sys.path:
            sys.path.insert(0, str(cwd))
        return importlib.import_module(module_part)
    except ModelsError:
        raise
    except ModuleNotFoundError as exc:
        if exc.name and module_part.startswith(exc.name):
            raise ModelsError(
                f"--models {module_part!r}: no module named {exc.name!r} (importable from {cwd}?)"
            ) from exc
        raise ModelsError(f"importing {module_part} failed: {_one_line(exc)}") from exc
    except (Exception, SystemExit, KeyboardInterrupt) as exc:
        # A module that exits or raises KeyboardInterrupt itself while imported is a broken
        # models module, not a request to stop: a real Ctrl-C cancels the run's task instead.
        raise ModelsError(f"importing {module_part} failed: {_one_line(exc)}") from exc


def _import_path(path: Path) -> ModuleType:
    if not path.is_file():
        raise ModelsError(f"--models {str(path)!r}: no such file")
    name = path.stem
    package_root = path.parent
    # A file inside a package (app/models.py with app/__init__.py) imports as app.models, so
    # its relative imports work.
    while (package_root / "__init__.py").exists():
        name = f"{package_root.name}.{name}"
        package_root = package_root.parent
    if str(package_root) not in sys.path:
        sys.path.insert(0, str(package_root))
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModelsError(f"--models {str(path)!r}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
