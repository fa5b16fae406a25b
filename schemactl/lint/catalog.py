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

_RULE_MODULES = (
    "rules_shared",
    "rules_postgresql",
    "rules_mysql",
    "rules_sqlite",
    "approvals",
)


def _register(rule: Rule) -> None:
    if rule.id in _RULES and _RULES[rule.id].name != rule.name:
        raise ValueError(f"rule id {rule.id} is taken by {_RULES[rule.id].name}")
    _RULES[rule.id] = rule


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


def policy_rule(
    id: str,
    name: str,
    severity: Severity,
    dialects: frozenset[str],
    **facts: Any,
) -> Rule:
    """Register rule ``id`` that no check runs: the policy reports it (the approvals' SU rules,
    which read the file's comments and the other rules' findings)."""
    entry = Rule(id=id, name=name, severity=severity, dialects=dialects, **facts)
    _register(entry)
    return entry


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
