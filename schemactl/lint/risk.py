"""A migration's risk: a score from 0 to 100 and its tier, from locks, table sizes and findings.

The formula, deterministic and the same on every database::

    size(table)  = max(min(1, log10(1 + rows) / 6), min(1, log10(1 + bytes / 64 KiB) / 5))
                   # 0 for an empty table, 0.22 for 20 rows, 0.5 for 1,000 rows, 0.91 for
                   # 300,000 rows, 1 from a million rows (or ~6.5 GB); unknown (offline): 0.5
    hold(lock)   = 0, 0.3, 0.7, 1.0 for a lock that blocks nothing, schema changes, writes,
                   reads and writes (the lock level 0..3)
    length       = 1 when the statement rewrites the table, 0.8 when it scans it, else 0
    statement    = 20 * hold * (0.5 + 0.5 * size) + 60 * hold * length * size
    findings     = min(30, 15 * errors + 5 * warnings)      # unapproved, after the policy
    migration    = min(100, max(statement) + 0.25 * sum(the other statements) + findings)
    whole set    = min(100, max(migration) + 0.1 * sum(the other migrations))

A statement's size is its largest locked table's; a statement that locks no table that existed
before the migration (a table it created itself) scores 0. The tiers: LOW below 25, MODERATE
below 50, HIGH below 75, CRITICAL from 75. So a ``CREATE INDEX`` (SHARE lock, a scan) with
its LK101 error scores 31 (MODERATE) on a 20-row table, 42 offline, and 59 (HIGH) on a
300,000-row one; a volatile default that rewrites a 300,000-row table under ACCESS EXCLUSIVE,
with its error, scores 89 (CRITICAL). ``tests/unit/test_lint_risk.py`` checks these numbers.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .catalog import Severity
from .engine import Finding, StatementReport
from .locks import LockFact

UNKNOWN_SIZE = 0.5  # a table whose size is not known: a "medium" one (about 1,000 rows)
_HOLD = (0.0, 0.3, 0.7, 1.0)


class Tier(enum.StrEnum):
    LOW = "LOW"
    MODERATE = "MODERATE"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @classmethod
    def of(cls, score: int) -> Tier:
        if score < 25:
            return cls.LOW
        if score < 50:
            return cls.MODERATE
        if score < 75:
            return cls.HIGH
        return cls.CRITICAL


@dataclass(frozen=True)
class Risk:
    score: int  # 0..100
    tier: Tier

    @classmethod
    def of(cls, value: float) -> Risk:
        score = max(0, min(100, round(value)))
        return cls(score, Tier.of(score))

    def as_json(self) -> dict[str, object]:
        return {"score": self.score, "tier": self.tier.value}


@dataclass(frozen=True)
class Size:
    rows: int | None
    bytes: int | None


def size_factor(size: Size | None) -> float:
    """0 (empty) .. 1 (a million rows or more); ``UNKNOWN_SIZE`` when nothing is known."""
    if size is None or (size.rows is None and size.bytes is None):
        return UNKNOWN_SIZE
    by_rows = min(1.0, math.log10(1 + max(size.rows, 0)) / 6) if size.rows is not None else 0.0
    by_bytes = (
        min(1.0, math.log10(1 + max(size.bytes, 0) / 65536) / 5) if size.bytes is not None else 0.0
    )
    return max(by_rows, by_bytes)


def statement_score(lock: LockFact, size: float) -> float:
    hold = _HOLD[lock.level]
    length = 1.0 if lock.rewrite else 0.8 if lock.scan else 0.0
    return 20 * hold * (0.5 + 0.5 * size) + 60 * hold * length * size


def findings_score(findings: Iterable[Finding]) -> float:
    errors = warnings = 0
    for finding in findings:
        if finding.approved is not None:
            continue
        errors += finding.severity is Severity.ERROR
        warnings += finding.severity is Severity.WARNING
    return min(30.0, 15.0 * errors + 5.0 * warnings)


def migration_risk(
    statements: Sequence[StatementReport],
    findings: Iterable[Finding],
    sizes: Mapping[str, Size] | None,
) -> Risk:
    """``sizes`` by table name as the statements name them; None offline (every existing
    table then counts as a medium one); online, a table missing from ``sizes`` is one the
    database does not hold yet (an earlier pending migration creates it): empty."""
    scores = sorted(
        (statement_score(s.lock, _statement_size(s, sizes)) for s in statements if s.tables),
        reverse=True,
    )
    top = scores[0] if scores else 0.0
    return Risk.of(top + 0.25 * sum(scores[1:]) + findings_score(findings))


def overall_risk(risks: Iterable[Risk]) -> Risk:
    scores = sorted((r.score for r in risks), reverse=True)
    if not scores:
        return Risk.of(0)
    return Risk.of(scores[0] + 0.1 * sum(scores[1:]))


def _statement_size(statement: StatementReport, sizes: Mapping[str, Size] | None) -> float:
    if sizes is None:
        return UNKNOWN_SIZE
    return max(size_factor(sizes.get(t, Size(0, 0))) for t in statement.tables)
