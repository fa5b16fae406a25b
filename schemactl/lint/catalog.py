"""The rule catalog: each rule's stable id, what it detects, the lock, the safe alternative.

Rules register themselves with ``op_rule`` (called for each operation of each statement of an
up section) or ``migration_rule`` (called once per migration, for what spans statements).
``rules()`` imports every rule module and returns the catalog in id order; the README's table
is generated from it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import Hit, MigrationContext, OpContext
    from .ops import Op


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


POSTGRESQL = frozenset({"postgresql"})
MYSQL = frozenset({"mysql"})
SQLITE = frozenset({"sqlite"})
ALL = POSTGRESQL | MYSQL | SQLITE

OpCheck = Callable[["OpContext", "Op"], "str | None"]
MigrationCheck = Callable[["MigrationContext"], "Iterable[Hit]"]


@dataclass(frozen=True, kw_only=True)
class Rule:
    id: str  # stable: "LK101"
    name: str  # "create-index-not-concurrently"
    severity: Severity  # the default; [tool.schemactl.lint] may override it
    dialects: frozenset[str]
    detects: str  # one sentence
    lock: str  # the lock taken, per dialect where they differ; "" when none
    blocks: str  # what that lock blocks
    rewrite: bool  # rewrites or scans the table
    safe_alternative: str
    on_op: OpCheck | None = None
    on_migration: MigrationCheck | None = None


_RULES: dict[str, Rule] = {}

_RULE_MODULES = ("rules_shared", "rules_postgresql", "rules_mysql", "rules_sqlite")


def _register(rule: Rule) -> None:
    """Add a rule; a rule of the same id and name for other dialects (LK105 on PostgreSQL in
    ``rules_postgresql``, on MySQL in ``rules_mysql``) joins it: one catalog entry, whose
    checks each run on their own dialects."""
    existing = _RULES.get(rule.id)
    if existing is not None and existing.name != rule.name:
        raise ValueError(f"rule id {rule.id} is taken by {existing.name}")
    if existing is None or existing.dialects & rule.dialects:
        _RULES[rule.id] = rule
    else:
        _RULES[rule.id] = _joined(existing, rule)


def _joined(first: Rule, second: Rule) -> Rule:
    if first.severity != second.severity:
        raise ValueError(f"rule {first.id} has one default severity for every dialect")

    def text(a: str, b: str) -> str:
        return a if a == b or not b else (b if not a else f"{a}; {b}")

    def on_op(ctx: OpContext, op: Op) -> str | None:
        for part in (first, second):
            if ctx.dialect in part.dialects and part.on_op is not None:
                return part.on_op(ctx, op)
        return None

    def on_migration(ctx: MigrationContext) -> Iterable[Hit]:
        for part in (first, second):
            if ctx.dialect in part.dialects and part.on_migration is not None:
                return part.on_migration(ctx)
        return ()

    return Rule(
        id=first.id,
        name=first.name,
        severity=first.severity,
        dialects=first.dialects | second.dialects,
        detects=text(first.detects, second.detects),
        lock=text(first.lock, second.lock),
        blocks=text(first.blocks, second.blocks),
        rewrite=first.rewrite or second.rewrite,
        safe_alternative=text(first.safe_alternative, second.safe_alternative),
        on_op=on_op if first.on_op or second.on_op else None,
        on_migration=on_migration if first.on_migration or second.on_migration else None,
    )


def op_rule(
    id: str,
    name: str,
    severity: Severity,
    dialects: frozenset[str],
    **facts: Any,
) -> Callable[[OpCheck], OpCheck]:
    """Register ``check(context, op) -> message | None`` as rule ``id``."""

    def register(check: OpCheck) -> OpCheck:
        _register(
            Rule(id=id, name=name, severity=severity, dialects=dialects, on_op=check, **facts)
        )
        return check

    return register


def migration_rule(
    id: str,
    name: str,
    severity: Severity,
    dialects: frozenset[str],
    **facts: Any,
) -> Callable[[MigrationCheck], MigrationCheck]:
    """Register ``check(context) -> hits`` as rule ``id``."""

    def register(check: MigrationCheck) -> MigrationCheck:
        _register(
            Rule(
                id=id, name=name, severity=severity, dialects=dialects, on_migration=check, **facts
            )
        )
        return check

    return register


def rules() -> list[Rule]:
    """Every rule, in id order."""
    import importlib

    for module in _RULE_MODULES:
        try:
            importlib.import_module(f"{__package__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{module}":
                raise
    return sorted(_RULES.values(), key=lambda r: r.id)


def rule(id_or_name: str) -> Rule | None:
    """A rule by id (``LK101``) or name (``create-index-not-concurrently``)."""
    return next((r for r in rules() if id_or_name in (r.id, r.name)), None)


def catalog_markdown() -> str:
    """The README's rule table."""
    dialect_names = {"postgresql": "PG", "mysql": "MY", "sqlite": "SL"}
    lines = [
        "| id | name | severity | dialects | detects | lock (blocks) | safe alternative |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rules():
        dialects = ", ".join(
            dialect_names[d] for d in ("postgresql", "mysql", "sqlite") if d in r.dialects
        )
        lock = f"{r.lock} ({r.blocks})" if r.lock else "—"
        if r.rewrite:
            lock += ", rewrites or scans"
        cells = [
            r.id,
            f"`{r.name}`",
            r.severity.value,
            dialects,
            r.detects,
            lock,
            r.safe_alternative,
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
