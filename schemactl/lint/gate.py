"""The lint policy at apply time: `up` and `migrate` check the pending migrations first.

With enforcement on, the first pending migration with a blocking, unapproved finding is not
applied, nor anything after it; the ones before it are. With it off, every blocking finding
is a warning and everything is applied, as dbmate would. ``--allow RULE`` lets a rule's
findings through once, with a warning that says so. Migrations up to ``start_after`` are
not checked (they are replayed into the schema model only).

The analysis is offline: the applied migrations' files are replayed into the schema model,
then the pending ones are checked in order, each against the schema the ones before it left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .._errors import PolicyError
from .._files import Migration
from .._results import plural
from .approvals import OWN_RULES
from .engine import Finding, MigrationReport, Settings, analyse
from .parse import LintDialect
from .policy import Policy, judge


@dataclass(frozen=True)
class Verdict:
    """What the policy says of the pending migrations."""

    refused: MigrationReport | None  # the first pending migration refused (enforcement on)
    findings: tuple[Finding, ...]  # its blocking findings
    warnings: tuple[str, ...]  # blocking findings let through: not enforced, or --allow
    allowed: tuple[str, ...] = ()  # of those, the ones --allow let through
    behind: int = 0  # pending migrations after the refused one, not applied either

    def error(self, applied: int) -> PolicyError:
        """The refusal: one block, a finding a line; ``applied``: those before it, applied."""
        assert self.refused is not None
        name = self.refused.file
        after = f", nor the {plural(self.behind, 'pending migration')} after it" * bool(self.behind)
        before = ""
        if applied:
            were = "was" if applied == 1 else "were"
            before = f"; the {plural(applied, 'migration')} before it {were} applied"
        rules = sorted({f.rule for f in self.findings})
        approvable = [r for r in rules if r not in OWN_RULES]
        hint = "let it through once with " + " ".join(f"--allow {r}" for r in rules)
        if approvable:  # (an approval's own finding is fixed in the approval)
            hint = (
                f"approve a reviewed risk in the file (-- schemactl:approve {approvable[0]} "
                f'reason="..."), or {hint}'
            )
        lines = [
            f"the lint policy refuses {name}: it is not applied{after}{before}",
            *(_line(f) for f in self.findings),
            hint,
            *(f"let through by --allow: {line}" for line in self.allowed),
        ]
        return PolicyError(
            "\n".join(lines),
            version=self.refused.version,
            file=name,
            findings=[f.as_json() for f in self.findings],
        )


def check_pending(
    pending: Sequence[Migration],
    history: Sequence[Migration],
    *,
    dialect: LintDialect,
    policy: Policy,
    applied: Mapping[str, str | None],
    runner_lock_timeout: bool = False,
) -> Verdict:
    """Lint ``pending`` (Migrations, in apply order) after replaying ``history`` (the applied
    ones' files, in order). ``applied``: version -> checksum of the tracking table."""
    todo, done = list(pending), list(history)
    if policy.start_after is not None:  # left alone: replayed, not checked
        done += [m for m in todo if m.version <= policy.start_after]
        todo = [m for m in todo if m.version > policy.start_after]
    if not todo:
        return Verdict(None, (), ())
    settings = Settings(
        dialect,
        runner_lock_timeout=runner_lock_timeout,
        applied=applied,
        latest_applied=max(applied, default=None),
    )
    reports = judge(analyse(todo, settings, history=done), policy)
    warnings: list[str] = []
    allowed: list[str] = []
    for index, report in enumerate(reports):
        let_through = [
            _line(f).strip()
            for f in report.findings
            if f.rule in policy.allow
            and f.approved is None
            and f.severity.rank >= policy.block.rank
        ]
        allowed += let_through
        warnings += [f"{line} (let through by --allow)" for line in let_through]
        blocking = [f for f in report.findings if policy.blocks(f)]
        # what is wrong with an approval is said even below the blocking severity
        warnings += [
            _line(f).strip()
            for f in report.findings
            if f.rule in OWN_RULES and f not in blocking and f.rule not in policy.allow
        ]
        if blocking and policy.enforce:
            behind = len(reports) - index - 1
            return Verdict(report, tuple(blocking), tuple(warnings), tuple(allowed), behind)
        warnings += [f"{_line(f).strip()} (the lint policy is not enforced)" for f in blocking]
    return Verdict(None, (), tuple(warnings), tuple(allowed))


def _line(finding: Finding) -> str:
    return f"  {finding.rule} {finding.name} {finding.file}:{finding.line}: {finding.message}"
