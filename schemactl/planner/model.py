"""The plan as data: what each migration would do, the decision, the ``schemactl.plan/1``
JSON document (its JSON Schema is ``schemactl/schemas/plan.schema.json``).

The decision, from the policy's point of view and the data's:

- ``block``: a finding blocks under the lint policy (unapproved, at or above its blocking
  severity, default error), or a pre-flight check fails (it counted rows in the way);
- ``review``: any warning; a statement that blocks writes (or reads and writes) on a table
  that has rows; a risk of HIGH or more; a pre-flight check that timed out or could not run;
- ``pass``: none of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..lint.catalog import Severity
from ..lint.risk import Risk, Tier

if TYPE_CHECKING:
    from ..lint.engine import Finding, StatementReport
    from ..lint.policy import Policy
    from ..lint.run import TableSize
    from .preflight import Check

FORMAT = "schemactl.plan/1"
Decision = Literal["pass", "review", "block"]
Direction = Literal["up", "down"]


@dataclass(frozen=True)
class DownSection:
    """Whether a migration can be rolled back, and what its down section would destroy."""

    present: bool
    loses: tuple[str, ...]  # "table audit", "column users.nick", "rows of table t"

    def as_json(self) -> dict[str, Any]:
        return {"present": self.present, "loses": list(self.loses)}


@dataclass(frozen=True)
class PlannedMigration:
    version: str
    file: str
    transaction: bool
    statements: tuple[StatementReport, ...]
    findings: tuple[Finding, ...]
    risk: Risk
    tables: tuple[TableSize, ...]  # the existing tables it locks, with their live sizes
    down: DownSection
    preflight: tuple[Check, ...]

    def rows_of(self, table: str) -> int | None:
        return next((t.rows for t in self.tables if t.name == table), None)

    def as_json(self, policy: Policy) -> dict[str, Any]:
        return {
            "version": self.version,
            "file": self.file,
            "transaction": self.transaction,
            "statements": [
                {
                    "line": s.line,
                    "sql": s.sql.strip(),
                    "lock": s.lock.lock,
                    "blocks": s.lock.blocks,
                    "rewrites": s.lock.rewrite,
                    "scans": s.lock.scan,
                    "tables": list(s.tables),
                }
                for s in self.statements
            ],
            "findings": [{**f.as_json(), "blocking": policy.blocks(f)} for f in self.findings],
            "risk": self.risk.as_json(),
            "tables": [t.as_json() for t in self.tables],
            "down": self.down.as_json(),
            "preflight": [c.as_json() for c in self.preflight],
        }


@dataclass(frozen=True)
class PlanResult:
    """What ``up`` (or, ``direction="down"``, a rollback) would do, changing nothing.

    >>> plan = await schemactl.plan("postgresql://app@db/app", preflight=True)
    >>> plan.decision, plan.digest
    ('review', 'sha256:...')
    >>> await schemactl.up("postgresql://app@db/app", plan_digest=plan.digest)
    """

    digest: str
    direction: Direction
    database: str  # the database, password hidden
    dialect: str
    migrations: tuple[PlannedMigration, ...]
    risk: Risk
    policy: Policy
    preflight_run: bool
    steps: int | None = None  # down: as asked
    to: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(c for m in self.migrations for c in m.preflight)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for m in self.migrations for f in m.findings)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if self.policy.blocks(f))

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the decision is what it is, one sentence each: what blocks, then what asks for
        a review (none for ``pass``)."""
        return self.blocking_reasons + self.review_reasons

    @property
    def blocking_reasons(self) -> tuple[str, ...]:
        block = [f"{f.rule} {f.name} blocks ({f.file}:{f.line})" for f in self.blocking]
        block += [
            f"pre-flight {c.check} check fails: {c.count:,} {c.about}"
            for c in self.checks
            if c.fails
        ]
        return tuple(block)

    @property
    def review_reasons(self) -> tuple[str, ...]:
        review = [
            f"{f.rule} {f.name} warns ({f.file}:{f.line})"
            for f in self.findings
            if f.severity is Severity.WARNING and f.approved is None and not self.policy.blocks(f)
        ]
        for migration in self.migrations:
            for statement in migration.statements:
                if statement.lock.level < 2:
                    continue
                busy = [t for t in statement.tables if (migration.rows_of(t) or 0) > 0]
                if busy or any(migration.rows_of(t) is None for t in statement.tables):
                    review.append(
                        f"{migration.file}:{statement.line} blocks {statement.lock.blocks} on "
                        f"{', '.join(busy or statement.tables)}"
                    )
            if migration.risk.tier in (Tier.HIGH, Tier.CRITICAL):
                review.append(
                    f"{migration.file}: risk {migration.risk.score}/100 {migration.risk.tier}"
                )
        review += [
            f"pre-flight {c.check} check on {c.table} gave no count: {c.error}"
            for c in self.checks
            if c.error is not None
        ]
        return tuple(review)

    @property
    def decision(self) -> Decision:
        if self.blocking_reasons:
            return "block"
        return "review" if self.review_reasons else "pass"

    def as_json(self) -> dict[str, Any]:
        """The ``schemactl.plan/1`` document."""
        document: dict[str, Any] = {
            "format": FORMAT,
            "direction": self.direction,
            "digest": self.digest,
            "decision": self.decision,
            "reasons": list(self.reasons),
            "database": self.database,
            "dialect": self.dialect,
            "risk": self.risk.as_json(),
            "preflight_run": self.preflight_run,
            "migrations": [m.as_json(self.policy) for m in self.migrations],
            "warnings": list(self.warnings),
        }
        if self.direction == "down":
            document["steps"], document["to"] = self.steps, self.to
        return document

    def markdown(self) -> str:
        """A review brief for a person or an LLM: the decision first, the riskiest
        statement, what to check, then each migration."""
        from .render import as_markdown

        return as_markdown(self)

    def text(self) -> str:
        from .render import as_text

        return as_text(self)
