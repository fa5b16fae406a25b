"""Approvals: a reviewed risk, approved inside the migration, where review and version control
keep it::

    -- schemactl:approve LK101 reason="table has 40 rows, deploy at night"
    CREATE INDEX users_email ON users (email);

Where an approval stands decides what it approves:

* above ``-- migrate:up`` (the file's header): its rules' findings anywhere in the migration,
  including those about the whole file (a missing down section, an edited file);
* in the up section: its rules' findings on the next statement. The comment lines between two
  statements belong to the one after them, so approvals stack, with other comments or blank
  lines between; one inside a statement's text (between its lines) approves that statement;
* in the down section: its rules' findings in the down section.

Rules are named by id or name, several separated by commas (``DS102, drop-table``); the reason,
in double or single quotes, is required. What is wrong with an approval is a finding of its
own: SU102 (no reason: it approves nothing), SU103 (an unknown rule, or a line that cannot be
read: it approves nothing), SU101 (it approves nothing: no such finding where it stands).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .catalog import ALL, Rule, Severity, policy_rule, rule

if TYPE_CHECKING:
    from .engine import Finding, MigrationReport

Scope = Literal["migration", "statement", "down"]

# "-- schemactl:approve ..." (a space after "--" or not; "schemactl: approve" as "schemactl:
# no-op" may be spelled); "approves", "approval" are misspellings, reported, not ignored
_DIRECTIVE = re.compile(r"^[ \t]*--[ \t]*schemactl:[ \t]*(approv\w*)(.*)$", re.IGNORECASE)
_BODY = re.compile(
    r"""^[ \t]+(?P<rules>[\w-]+(?:[ \t]*,[ \t]*[\w-]+)*)"""
    r"""(?:[ \t]+reason[ \t]*=[ \t]*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'))?[ \t]*$""",
    re.IGNORECASE,
)
_MARKER = re.compile(r"^--\s*migrate:(\w+)")  # as the migration file parser reads it
SYNTAX = '-- schemactl:approve RULE[,RULE...] reason="why it is safe"'
_CHECKED_BY_VERIFY = frozenset({"RB102"})  # irreversible: a down section verify proves wrong

UNUSED = policy_rule(
    "SU101",
    "unused-approval",
    Severity.WARNING,
    ALL,
    detects="an approval that approves nothing: no finding of its rule where it stands",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative="remove it, or move it before the statement it is meant for (or above "
    "`-- migrate:up` for the whole migration)",
)
NO_REASON = policy_rule(
    "SU102",
    "approval-without-reason",
    Severity.ERROR,
    ALL,
    detects='an approval without reason="...": it approves nothing',
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative='say why the risk is acceptable: reason="table has 40 rows"',
)
INVALID = policy_rule(
    "SU103",
    "invalid-approval",
    Severity.ERROR,
    ALL,
    detects="an approval naming an unknown rule, or that cannot be read: it approves nothing",
    lock="",
    blocks="",
    rewrite=False,
    safe_alternative=f"write it as {SYNTAX}, with rule ids from the catalog",
)
OWN_RULES = frozenset({UNUSED.id, NO_REASON.id, INVALID.id})


@dataclass(frozen=True)
class Approval:
    """One ``-- schemactl:approve`` line."""

    line: int  # 1-based line of the file
    text: str  # the line, stripped
    scope: Scope  # "statement" until bound to one; see ``bind``
    rules: tuple[str, ...] = ()  # rule ids
    reason: str | None = None  # None or "": no reason (SU102)
    problem: str | None = None  # why it cannot approve anything (SU103)
    statement: int | None = None  # scope "statement": the first line of the statement approved

    @property
    def valid(self) -> bool:
        return self.problem is None and bool(self.reason)


def read_approvals(text: str) -> list[Approval]:
    """Every approval line of a migration file's text, with its scope (statements unbound).

    >>> read_approvals('-- migrate:up\\n-- schemactl:approve DS101 reason="empty"\\nDROP TABLE t;')
    [Approval(line=2, ..., scope='statement', rules=('DS101',), reason='empty', ...)]
    """
    found = []
    scope: Scope = "migration"
    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.rstrip("\r")  # (a file written on Windows)
        marker = _MARKER.match(line)
        if marker is not None:
            scope = "statement" if marker.group(1) == "up" else "down"
            continue
        directive = _DIRECTIVE.match(line)
        if directive is not None:
            found.append(_parse(number, line.strip(), scope, directive))
    return found


def _parse(number: int, text: str, scope: Scope, directive: re.Match[str]) -> Approval:
    approval = Approval(number, text, scope)
    if directive.group(1).lower() != "approve":
        return dataclasses.replace(
            approval, problem=f"schemactl:{directive.group(1)} is not a directive; write {SYNTAX}"
        )
    body = _BODY.match(directive.group(2))
    if body is None:
        return dataclasses.replace(approval, problem=f"cannot be read; write {SYNTAX}")
    names = [name.strip() for name in body.group("rules").split(",")]
    reason = body.group("dq") if body.group("dq") is not None else body.group("sq")
    approval = dataclasses.replace(approval, reason=(reason or "").strip() or None)
    ids = []
    for name in names:
        found = rule(name) or rule(name.upper())
        if found is None:
            return dataclasses.replace(
                approval, problem=f"names {name!r}, which is no rule: it approves nothing"
            )
        if found.id in OWN_RULES:
            return dataclasses.replace(
                approval, problem=f"{found.id} is about approvals themselves; it cannot be approved"
            )
        ids.append(found.id)
    return dataclasses.replace(approval, rules=tuple(dict.fromkeys(ids)))


def bind(approvals: Sequence[Approval], report: MigrationReport) -> list[Approval]:
    """Each up-section approval with the statement it approves: the one whose text holds its
    line, or else the next one (None after the last statement)."""
    spans = [(s.line, s.line + s.sql.count("\n")) for s in report.statements]
    bound = []
    for approval in approvals:
        if approval.scope == "statement":
            first = next(
                (
                    start
                    for start, end in spans
                    if start <= approval.line <= end or start > approval.line
                ),
                None,
            )
            approval = dataclasses.replace(approval, statement=first)
        bound.append(approval)
    return bound


def approve(
    report: MigrationReport, findings: Sequence[Finding], approvals: Sequence[Approval]
) -> list[Finding]:
    """``findings`` with ``approved`` set to the reason of the approval covering each, and the
    approvals' own findings (SU101-SU103), in line order."""
    approvals = bind(approvals, report)
    # the approval nearest the finding first: a statement's own, then the down section's,
    # then the header's
    order = sorted((a for a in approvals if a.valid), key=lambda a: a.scope == "migration")
    used: set[tuple[int, str]] = set()
    out = []
    for finding in findings:
        cover = next((a for a in order if finding.rule in a.rules and _covers(a, finding)), None)
        if cover is not None:
            used.add((cover.line, finding.rule))
            finding = dataclasses.replace(finding, approved=cover.reason)
        out.append(finding)
    for approval in approvals:
        if approval.problem is not None:
            out.append(_own(INVALID, report, approval, approval.problem))
        elif not approval.reason:
            message = (
                f"approves {', '.join(approval.rules)} without a reason, so it approves "
                'nothing: add reason="..." (why the risk is acceptable)'
            )
            out.append(_own(NO_REASON, report, approval, message))
        else:
            for rule_id in approval.rules:
                if rule_id in _CHECKED_BY_VERIFY:
                    continue  # an approval for `schemactl verify`, which lint does not run
                if (approval.line, rule_id) not in used:
                    out.append(_own(UNUSED, report, approval, _unused(approval, rule_id)))
    out.sort(key=lambda f: (f.section != "up", f.line, f.rule))
    return out


def _covers(approval: Approval, finding: Finding) -> bool:
    if approval.scope == "migration":
        return True
    if approval.scope == "down":
        return finding.section == "down"
    return (
        finding.section == "up" and bool(finding.statement) and finding.line == approval.statement
    )


def _unused(approval: Approval, rule_id: str) -> str:
    if approval.scope == "migration":
        return f"approves {rule_id} for the whole migration, which has no {rule_id} finding"
    if approval.scope == "down":
        return f"approves {rule_id} in the down section, which has no {rule_id} finding"
    if approval.statement is None:
        return f"approves {rule_id}, but no statement of the up section follows it"
    return (
        f"approves {rule_id} for the statement at line {approval.statement}, "
        f"which has no {rule_id} finding"
    )


def _own(rule: Rule, report: MigrationReport, approval: Approval, message: str) -> Finding:
    from .engine import Finding

    return Finding(
        rule=rule.id,
        name=rule.name,
        severity=rule.severity,
        version=report.version,
        file=report.file,
        line=approval.line,
        section="down" if approval.scope == "down" else "up",
        statement=approval.text,
        message=message,
        lock="",
        blocks="",
        rewrite=False,
        safe_alternative=rule.safe_alternative,
    )
