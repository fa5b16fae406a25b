"""What autogenerate, `check` and `up` look at before comparing or migrating: migrations
the database lacks, migrations directories not made yet, and the name to show for the
database compared."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ._errors import StateError
from ._files import MigrationFile, discover

if TYPE_CHECKING:
    from ._database import Database
    from ._session import State


def discover_first_run(dirs: tuple[Path, ...]) -> tuple[list[MigrationFile], list[str]]:
    """``up`` on a new project: a migrations directory not made yet holds no migrations (the
    database is still created), and a warning says where migrations are looked for. The
    other commands keep refusing a missing directory: there it is likely a typo."""
    present = [d for d in dirs if d.exists()]
    files, warnings = discover(present) if present else ([], [])
    for directory in dirs:
        if not directory.exists():
            warnings.append(
                f"migrations directory {str(directory)!r} does not exist yet: no migrations "
                "to apply from it (`schemactl new NAME` creates it)"
            )
    return files, warnings


def existing_files(dirs: tuple[Path, ...]) -> list[MigrationFile]:
    """The migration files to compare with the tracking table; for autogenerate and check, a
    directory not made yet holds none (``new`` makes it)."""
    present = [d for d in dirs if d.exists()]
    return discover(present)[0] if present else []


def refuse_pending(files: list[MigrationFile], state: State) -> None:
    """Autogenerate against a database that lacks a teammate's migration would copy that
    migration's changes into the new one (and check would report them): refuse instead."""
    pending = [f for f in files if f.version not in state.applied]
    if pending:
        count = f"{len(pending)} pending migration{'s' if len(pending) != 1 else ''}"
        raise StateError(
            f"the database has {count} (first: {pending[0].path.name}): "
            "apply them with `schemactl up` first, or pass --allow-pending "
            "(allow_pending=True) to compare anyway"
        )


def compared(db: Database) -> str:
    """The database's URL as a person recognises it, without driver, options or password
    (but the search path it compared in, when the URL gave one)."""
    search_path = db.dialect.profile.search_path
    query = {} if search_path is None else {"search_path": search_path}
    url = db.url.set(drivername=db.url.get_backend_name(), query=query)
    return db.redact(url.render_as_string(hide_password=True))
