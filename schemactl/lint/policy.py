"""The project's lint policy: severity overrides, disabled rules, what blocks, from when.

``[tool.schemactl.lint]`` in pyproject.toml::

    [tool.schemactl.lint]
    severity = { DS102 = "warning", TY102 = "error" }   # by id or name
    disable = ["RB101"]
    block = "error"            # the severity from which an unapproved finding blocks
    start_after = "20250101000000"  # leave migrations up to this version alone
    enforce = true             # `up` and `migrate` refuse a pending migration that blocks

``judge`` applies it, and the approvals written in the migrations (see ``approvals``), to the
engine's reports. The API takes a ``Policy`` as it is (``schemactl.up(url, policy=...)``); a
rule named by name is stored by id, an unknown one is a ConfigurationError.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError
from .catalog import Severity, rule

if TYPE_CHECKING:
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

    def __post_init__(self) -> None:
        where = "the lint policy"
        object.__setattr__(
            self,
            "severities",
            {
                rule_id(k, where): _severity(v, f"severity of {k}")
                for k, v in self.severities.items()
            },
        )
        object.__setattr__(self, "disabled", frozenset(rule_id(d, where) for d in self.disabled))
        object.__setattr__(self, "allow", frozenset(rule_id(a, "--allow") for a in self.allow))
        object.__setattr__(self, "block", _severity(self.block, "block"))
        if self.start_after is not None:
            object.__setattr__(self, "start_after", str(self.start_after))

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Policy:
        """Read ``[tool.schemactl.lint]``; a wrong key or value is a ConfigurationError."""
        where = "[tool.schemactl.lint]"
        check_keys(table)
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


def check_keys(table: Mapping[str, Any]) -> None:
    """Every key of ``[tool.schemactl.lint]`` is one the policy knows."""
    unknown = set(table) - _KEYS
    if unknown:
        known = ", ".join(sorted(_KEYS))
        raise ConfigurationError(
            f"unknown setting {sorted(unknown)[0]!r} in [tool.schemactl.lint]; known: {known}"
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


def judge(
    reports: Sequence[MigrationReport],
    policy: Policy,
    *,
    texts: Mapping[str, str] | None = None,
) -> list[MigrationReport]:
    """The reports with the policy applied: migrations up to ``start_after`` left out,
    disabled rules dropped, the approvals of each file applied (``approved`` set to the
    reason, and the approvals' own findings added), severities overridden.

    ``texts`` maps a version to its file's text; by default the file ``report.file`` is read.

    >>> judged = judge(analyse(files, Settings("postgresql")), Policy(disabled={"RB101"}))
    """
    from .approvals import approve, read_approvals

    out = []
    for report in reports:
        if policy.start_after is not None and report.version <= policy.start_after:
            continue
        text = (texts or {}).get(report.version)
        if text is None:
            text = _read(report.file)
        kept = [f for f in report.findings if f.rule not in policy.disabled]
        approved = approve(report, kept, read_approvals(text)) if text else kept
        findings = [
            dataclasses.replace(f, severity=policy.severities.get(f.rule, f.severity))
            for f in approved
            if f.rule not in policy.disabled
        ]
        out.append(dataclasses.replace(report, findings=findings))
    return out


def _read(file: str) -> str:
    """A migration file's text; "" when it cannot be read (the engine read it a moment ago:
    a display name that is no path)."""
    try:
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
