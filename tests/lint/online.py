"""Check a rule online (test helper): the history applied to a real database, then the risky
and the safe migration each linted as the pending one against the live catalog; the safe one
then applies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import schemactl

from ..conftest import fresh_url


@dataclass(frozen=True)
class Step:
    """The up section of one migration file."""

    sql: str
    transaction: bool = True


def write(directory: Path, steps: Sequence[Step]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for number, step in enumerate(steps, start=1):
        option = "" if step.transaction else " transaction:false"
        body = step.sql.strip().rstrip(";")
        (directory / f"{number:03d}_m.sql").write_text(
            f"-- migrate:up{option}\n{body};\n\n-- migrate:down\n-- schemactl: no-op\n"
        )
    return directory


async def check_online(
    dialect: str,
    tmp_path: Path,
    rule: str,
    history: Sequence[Step],
    risky: Step,
    safe: Step,
    *,
    ddl_lock_timeout: float | None = None,
    apply_safe: bool = True,
) -> None:
    url = fresh_url(dialect, tmp_path)
    try:
        applied = write(tmp_path / "applied", history)
        await schemactl.up(url, migrations_dir=applied)
        for step, fires in ((risky, True), (safe, False)):
            directory = write(tmp_path / ("risky" if fires else "safe"), [*history, step])
            result = await schemactl.lint_database(
                url, migrations_dir=directory, ddl_lock_timeout=ddl_lock_timeout
            )
            assert [m.version for m in result.migrations] == [f"{len(history) + 1:03d}"]
            found = {f.rule for f in result.findings}
            assert (rule in found) is fires, (rule, step.sql, sorted(found))
        if apply_safe:
            directory = tmp_path / "safe"
            result_up = await schemactl.up(url, migrations_dir=directory)
            assert len(result_up.applied) == 1
    finally:
        await schemactl.drop(url)
