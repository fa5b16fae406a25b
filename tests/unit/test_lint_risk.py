"""The risk score: its formula's promises (size matters, unknown is medium, findings add, the
tiers' bounds, determinism), on hand-made statement reports; no parser, no database."""

from __future__ import annotations

import pytest

from schemactl.lint.catalog import Severity
from schemactl.lint.engine import Finding, StatementReport
from schemactl.lint.locks import LockFact
from schemactl.lint.risk import (
    UNKNOWN_SIZE,
    Risk,
    Size,
    Tier,
    migration_risk,
    overall_risk,
    size_factor,
)

SHARE_SCAN = LockFact("SHARE", "writes", scan=True)  # CREATE INDEX
REWRITE = LockFact("ACCESS EXCLUSIVE", "reads and writes", rewrite=True)
BRIEF = LockFact("ACCESS EXCLUSIVE", "reads and writes")
CONCURRENT = LockFact("SHARE UPDATE EXCLUSIVE", "schema changes", scan=True)


def statement(lock: LockFact, *tables: str) -> StatementReport:
    return StatementReport(1, "SQL", lock, tables)


def finding(severity: Severity, approved: str | None = None) -> Finding:
    return Finding(
        rule="LK101",
        name="create-index-not-concurrently",
        severity=severity,
        version="1",
        file="migrations/1_x.sql",
        line=1,
        section="up",
        statement="CREATE INDEX ...",
        message="m",
        lock="SHARE",
        blocks="writes",
        rewrite=False,
        safe_alternative="s",
        approved=approved,
    )


SMALL = {"users": Size(20, 16384)}
LARGE = {"users": Size(300_000, 45_056_000)}


def score(lock: LockFact, sizes: dict[str, Size] | None, *findings: Finding) -> int:
    return migration_risk([statement(lock, "users")], findings, sizes).score


def test_the_same_statement_scores_higher_on_a_bigger_table() -> None:
    small, unknown, large = (score(SHARE_SCAN, s) for s in (SMALL, None, LARGE))
    assert small < unknown < large
    assert large - small >= 20


def test_documented_examples() -> None:
    """The numbers the module docstring and the README quote."""
    error = finding(Severity.ERROR)
    assert migration_risk([statement(SHARE_SCAN, "users")], [error], SMALL) == Risk(
        31, Tier.MODERATE
    )
    assert migration_risk([statement(SHARE_SCAN, "users")], [error], None) == Risk(
        42, Tier.MODERATE
    )
    assert migration_risk([statement(SHARE_SCAN, "users")], [error], LARGE) == Risk(59, Tier.HIGH)
    assert migration_risk([statement(REWRITE, "users")], [error], LARGE) == Risk(89, Tier.CRITICAL)


def test_a_rewrite_outweighs_a_scan_and_a_brief_lock() -> None:
    assert score(REWRITE, LARGE) > score(SHARE_SCAN, LARGE) > score(BRIEF, LARGE)
    assert score(CONCURRENT, LARGE) < score(SHARE_SCAN, LARGE)


def test_size_factor_bounds() -> None:
    assert size_factor(None) == UNKNOWN_SIZE
    assert size_factor(Size(None, None)) == UNKNOWN_SIZE
    assert size_factor(Size(0, 0)) == 0
    assert size_factor(Size(10**9, None)) == 1
    assert size_factor(Size(None, 10**12)) == 1
    assert size_factor(Size(1000, None)) == pytest.approx(0.5, abs=0.01)


def test_a_table_the_migration_created_scores_nothing() -> None:
    assert migration_risk([statement(REWRITE)], [], None).score == 0


def test_a_table_missing_online_is_empty() -> None:
    """Online, a table the database lacks is created by an earlier pending migration."""
    assert score(REWRITE, {}) == score(REWRITE, {"users": Size(0, 0)}) < score(REWRITE, None)


def test_findings_add_unless_approved_and_are_capped() -> None:
    base = score(BRIEF, SMALL)
    assert score(BRIEF, SMALL, finding(Severity.ERROR)) == base + 15
    assert score(BRIEF, SMALL, finding(Severity.WARNING)) == base + 5
    assert score(BRIEF, SMALL, finding(Severity.INFO)) == base
    assert score(BRIEF, SMALL, finding(Severity.ERROR, approved="40 rows")) == base
    many = [finding(Severity.ERROR)] * 10
    assert score(BRIEF, SMALL, *many) == base + 30


def test_other_statements_add_a_quarter() -> None:
    one = migration_risk([statement(SHARE_SCAN, "users")], [], LARGE).score
    two = migration_risk([statement(SHARE_SCAN, "users")] * 2, [], LARGE).score
    assert one < two < 2 * one


def test_scores_stay_within_0_and_100() -> None:
    worst = [statement(REWRITE, "users")] * 20
    assert migration_risk(worst, [finding(Severity.ERROR)] * 5, LARGE) == Risk(100, Tier.CRITICAL)
    assert overall_risk([Risk(100, Tier.CRITICAL)] * 3).score == 100
    assert overall_risk([]) == Risk(0, Tier.LOW)


@pytest.mark.parametrize(
    ("value", "tier"),
    [(0, Tier.LOW), (24, Tier.LOW), (25, Tier.MODERATE), (49, Tier.MODERATE), (50, Tier.HIGH),
     (74, Tier.HIGH), (75, Tier.CRITICAL), (100, Tier.CRITICAL)],
)  # fmt: skip
def test_tier_bounds(value: int, tier: Tier) -> None:
    assert Risk.of(value).tier is tier


def test_the_whole_set_is_led_by_its_riskiest_migration() -> None:
    risks = [Risk.of(60), Risk.of(10), Risk.of(20)]
    assert overall_risk(risks).score == 63
    assert overall_risk(list(reversed(risks))) == overall_risk(risks)
