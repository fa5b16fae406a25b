"""What `status` shows: one entry per migration file, and per applied or failed version whose
file is gone, in dbmate's order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._files import checksum
from ._results import MigrationStatus

if TYPE_CHECKING:
    from ._files import MigrationFile
    from ._session import State


def status_entries(files: list[MigrationFile], state: State) -> tuple[MigrationStatus, ...]:
    """Each file with what the tracking tables say of it: applied (its checksum compared),
    pending (out of order when older than the newest applied version), or failed part-way."""
    from ._session import out_of_order

    late = {f.version for f in out_of_order(files, state.applied)}
    entries: list[MigrationStatus] = []
    for file in files:
        row = state.applied.get(file.version)
        checksum_ok = None
        if row is not None and row.checksum is not None:
            checksum_ok = checksum(file.content()) == row.checksum
        failure = state.failures.get(file.version)
        entries.append(
            MigrationStatus(
                version=file.version,
                name=file.name,
                path=file.path,
                applied=row is not None,
                applied_at=row.applied_at if row else None,
                checksum_ok=checksum_ok,
                state="failed" if failure else "applied" if row else "pending",
                failure=failure.describe() if failure else None,
                out_of_order=file.version in late,
            )
        )
    known = {f.version for f in files}
    for version in sorted((state.applied.keys() | state.failures.keys()) - known):
        # applied, or failed part-way, and its file gone since: still shown
        row, failure = state.applied.get(version), state.failures.get(version)
        entries.append(
            MigrationStatus(
                version,
                None,
                None,
                row is not None,
                row.applied_at if row else None,
                None,
                "failed" if failure else "applied",
                failure.describe() if failure else None,
            )
        )
    entries.sort(key=lambda m: m.path.name if m.path else m.version)
    return tuple(entries)
