"""A plan as text for a terminal, and as a Markdown review brief a person or an LLM reads in
one pass: the decision and why, the riskiest statement, what to check (the pre-flight checks
and the blocking findings), then each migration with its statements, locks and down section.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lint.report import human_bytes

if TYPE_CHECKING:
    from ..lint.engine import StatementReport
    from ..lint.run import TableSize
    from .model import PlannedMigration, PlanResult
    from .preflight import Check


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _first_line(sql: str, limit: int = 100) -> str:
    code = [ln.strip() for ln in sql.strip().splitlines() if ln.strip()]
    code = [ln for ln in code if not ln.startswith("--")] or code
    first = code[0] if code else ""
    return first[:limit] + (" ..." if len(code) > 1 or len(first) > limit else "")


def _size(table: TableSize) -> str:
    if table.rows is None:
        return f"{table.name} (size unknown)"
    size = f", {human_bytes(table.bytes)}" if table.bytes is not None else ""
    return f"{table.name} ({_count(table.rows, 'row')}{size})"


def _lock(statement: StatementReport) -> str:
    fact = statement.lock
    if fact.lock == "none":
        return "no lock on existing tables"
    text = f"{fact.lock}, blocks {fact.blocks}"
    if fact.rewrite:
        text += ", rewrites the table"
    elif fact.scan:
        text += ", scans the table"
    return text


def _result(check: Check) -> str:
    if check.error is not None:
        return f"no count: {check.error}"
    if check.count is None:
        return "not run (--preflight runs it)"
    verdict = "FAILS" if check.fails else "ok"
    return f"{check.count:,} ({verdict})"


def _summary(plan: PlanResult) -> str:
    count = len(plan.migrations)
    what = "pending migration" if plan.direction == "up" else "migration to roll back"
    return f"{_count(count, what)} on {plan.database}; risk {plan.risk.score}/100 {plan.risk.tier}"


def riskiest(plan: PlanResult) -> tuple[PlannedMigration, StatementReport] | None:
    """The statement holding the strongest lock longest on the biggest table."""
    best: tuple[tuple[int, bool, int], PlannedMigration, StatementReport] | None = None
    for migration in plan.migrations:
        for statement in migration.statements:
            if not statement.tables or statement.lock.lock == "none":
                continue
            rows = max((migration.rows_of(t) or 0) for t in statement.tables)
            key = (statement.lock.level, statement.lock.long, rows)
            if best is None or key > best[0]:
                best = (key, migration, statement)
    return None if best is None else (best[1], best[2])


# -- Markdown ----------------------------------------------------------------------------------


def as_markdown(plan: PlanResult) -> str:
    going = "up" if plan.direction == "up" else "rollback"
    lines = [
        f"# schemactl plan ({going}): {plan.decision.upper()}",
        "",
        f"**Decision: {plan.decision}.** {_summary(plan)}.",
        f"Digest: `{plan.digest}` (apply exactly this plan: "
        f"`schemactl up --plan-digest {plan.digest}`)."
        if plan.direction == "up"
        else f"Digest: `{plan.digest}`.",
        "",
    ]
    if plan.blocking_reasons:
        lines += ["Blocks:", *(f"- {reason}" for reason in plan.blocking_reasons), ""]
    if plan.review_reasons:
        lines += ["To review:", *(f"- {reason}" for reason in plan.review_reasons), ""]
    if not plan.migrations:
        lines += ["Nothing would run.", ""]
        return "\n".join(lines)
    top = riskiest(plan)
    if top is not None:
        migration, statement = top
        tables = ", ".join(_size(t) for t in migration.tables if t.name in statement.tables)
        lines += [
            "## Riskiest statement",
            "",
            f"`{migration.file}:{statement.line}` on {tables}: {_lock(statement)}.",
            "",
            "```sql",
            statement.sql.strip(),
            "```",
            "",
        ]
    lines += ["## What to check", ""]
    todo = _to_check(plan)
    lines += todo or ["Nothing: no pre-flight check applies and no finding blocks."]
    lines += ["", "## Migrations", ""]
    for number, migration in enumerate(plan.migrations, start=1):
        lines += _migration_markdown(number, migration, plan)
    return "\n".join(lines).rstrip("\n") + "\n"


def _to_check(plan: PlanResult) -> list[str]:
    lines = []
    for check in plan.checks:
        mark = "x" if check.fails is False else " "
        lines.append(
            f"- [{mark}] pre-flight **{check.check}** ({check.version}, line {check.line}): "
            f"{check.about}: {_result(check)}"
        )
        lines.append(f"  `{check.sql}`")
    for finding in plan.blocking:
        lines.append(
            f"- [ ] **{finding.rule} {finding.name}** blocks, `{finding.file}:{finding.line}`: "
            f"{finding.message}"
        )
        if finding.safe_alternative:
            lines.append(f"  Instead: {finding.safe_alternative}")
    return lines


def _migration_markdown(number: int, migration: PlannedMigration, plan: PlanResult) -> list[str]:
    down = migration.down
    loses = ", ".join(down.loses) if down.loses else "nothing"
    lines = [
        f"### {number}. `{migration.file}`",
        "",
        f"- version {migration.version}; "
        f"{'in a transaction' if migration.transaction else 'transaction:false'}; "
        f"risk {migration.risk.score}/100 {migration.risk.tier}",
        "- tables: " + (", ".join(_size(t) for t in migration.tables) or "none existing"),
        f"- down section: {'present' if down.present else 'MISSING'}; its rollback loses: {loses}",
        "",
        "| line | lock | blocks | rewrites | statement |",
        "|---:|---|---|---|---|",
    ]
    for s in migration.statements:
        sql = _first_line(s.sql, 80).replace("|", "\\|")
        rewrite = "yes" if s.lock.rewrite else "scan" if s.lock.scan else "no"
        lines.append(f"| {s.line} | {s.lock.lock} | {s.lock.blocks} | {rewrite} | `{sql}` |")
    lines.append("")
    for finding in migration.findings:
        state = (
            f"approved: {finding.approved}"
            if finding.approved is not None
            else ("blocking" if plan.policy.blocks(finding) else finding.severity.value)
        )
        lines.append(
            f"- {finding.rule} {finding.name} ({state}), line {finding.line}: {finding.message}"
        )
    if migration.findings:
        lines.append("")
    return lines


# -- text --------------------------------------------------------------------------------------


def as_text(plan: PlanResult) -> str:
    going = "Plan" if plan.direction == "up" else "Rollback plan"
    lines = [f"{going}: {plan.decision.upper()}  ({_summary(plan)})", f"digest {plan.digest}"]
    lines += [f"  - {reason}" for reason in plan.reasons]
    lines.append("")
    for migration in plan.migrations:
        lines += _migration_text(migration, plan)
    if not plan.migrations:
        lines.append("Nothing would run.")
    return "\n".join(lines).rstrip("\n") + "\n"


def _migration_text(migration: PlannedMigration, plan: PlanResult) -> list[str]:
    mode = "" if migration.transaction else ", transaction:false"
    lines = [f"{migration.file}  risk {migration.risk.score}/100 {migration.risk.tier}{mode}"]
    if migration.tables:
        lines.append("  tables: " + ", ".join(_size(t) for t in migration.tables))
    for s in migration.statements:
        lines.append(f"  {s.line:>4}  {_first_line(s.sql)}")
        lines.append(f"        {_lock(s)}")
    for finding in migration.findings:
        blocking = " [blocks]" if plan.policy.blocks(finding) else ""
        lines.append(
            f"  {finding.severity.value} {finding.rule} {finding.name}{blocking} "
            f"line {finding.line}: {finding.message}"
        )
    for check in migration.preflight:
        lines.append(f"  pre-flight {check.check} line {check.line}: {_result(check)}")
        lines.append(f"        {check.sql}")
    down = migration.down
    loses = ", ".join(down.loses) if down.loses else "nothing"
    lines.append(f"  down: {'present' if down.present else 'MISSING'}; loses {loses}")
    lines.append("")
    return lines
