"""The project's lint policy: severity overrides, disabled rules, what blocks, from when.

``[tool.schemactl.lint]`` in pyproject.toml::

    [tool.schemactl.lint]
    severity = { DS102 = "warning", TY102 = "error" }   # by id or name
    disable = ["RB101"]
    block = "error"            # the severity from which an unapproved finding blocks
    start_after = "20250101000000"  # leave migrations up to this version alone
    enforce = true             # `up` and `migrate` refuse a pending migration that blocks

``judge`` applies it to the engine's reports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import ConfigurationError
from .catalog import Severity, rule
from .engine import Finding, MigrationReport

_KEYS = {"severity", "disable", "block", "start_after", "enforce"}


@dataclass(frozen=True)
class Policy:
    severities: Mapping[str, Severity] = field(default_factory=dict)  # rule id -> severity
    disabled: frozenset[str] = frozenset()  # rule ids
    block: Severity = Severity.ERROR
    start_after: str | None = None
    enforce: bool = False
    allow: frozenset[str] = frozenset()  # rule ids let through once (`--allow`)

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Policy:
        """Read ``[tool.schemactl.lint]``; a wrong key or value is a ConfigurationError."""
        where = "[tool.schemactl.lint]"
        unknown = set(table) - _KEYS
        if unknown:
            known = ", ".join(sorted(_KEYS))
            raise ConfigurationError(
                f"unknown setting {sorted(unknown)[0]!r} in {where}; known: {known}"
            )
        raw_severities = table.get("severity", {})
        if not isinstance(raw_severities, Mapping):
            raise ConfigurationError(
                f'severity in {where} must be a table like {{ DS102 = "warning" }}'
            )
        severities = {
            rule_id(k, where): _severity(v, f"severity.{k} in {where}")
            for k, v in raw_severities.items()
        }
        disable = table.get("disable", [])
        if not isinstance(disable, list) or not all(isinstance(d, str) for d in disable):
            raise ConfigurationError(
                f'disable in {where} must be a list of rule ids, like ["RB101"]'
            )
        start_after = table.get("start_after")
        if start_after is not None and not isinstance(start_after, str | int):
            raise ConfigurationError(f"start_after in {where} must be a version")
        enforce = table.get("enforce", False)
        if not isinstance(enforce, bool):
            raise ConfigurationError(f"enforce in {where} must be true or false")
        return cls(
            severities=severities,
            disabled=frozenset(rule_id(d, where) for d in disable),
            block=_severity(table.get("block", "error"), f"block in {where}"),
            start_after=None if start_after is None else str(start_after),
            enforce=enforce,
        )

    def blocks(self, finding: Finding) -> bool:
        """An unapproved finding at or above the blocking severity, not let through."""
        return (
            finding.approved is None
            and finding.rule not in self.allow
            and finding.severity.rank >= self.block.rank
        )


def rule_id(id_or_name: str, where: str) -> str:
    found = rule(id_or_name)
    if found is None:
        raise ConfigurationError(f"unknown rule {id_or_name!r} in {where}")
    return found.id


def _severity(value: object, where: str) -> Severity:
    try:
        return Severity(str(value).lower())
    except ValueError:
        raise ConfigurationError(f"{where} must be error, warning or info, not {value!r}") from None


def judge(reports: Sequence[MigrationReport], policy: Policy) -> list[MigrationReport]:
    """The reports with the policy applied: migrations up to ``start_after`` left out,
    disabled rules dropped, severities overridden."""
    out = []
    for report in reports:
        if policy.start_after is not None and report.version <= policy.start_after:
            continue
        findings = [
            dataclasses.replace(f, severity=policy.severities.get(f.rule, f.severity))
            for f in report.findings
            if f.rule not in policy.disabled
        ]
        out.append(dataclasses.replace(report, findings=findings))
    return out
