"""A lint result as SARIF 2.1.0, for code-scanning upload (GitHub, GitLab, Azure DevOps).

The run's ``tool.driver.rules`` is the rule catalog of the dialect linted; each finding is a
result pointing at its file and line. An approved finding carries an in-source suppression
with the approval's reason, so code scanning shows it as reviewed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .._version import __version__
from .catalog import Rule, Severity, rules
from .engine import Finding
from .run import LintResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def as_sarif(result: LintResult) -> str:
    catalog = [r for r in rules() if result.dialect in r.dialects]
    index = {r.id: i for i, r in enumerate(catalog)}
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "schemactl",
                        "version": __version__,
                        "informationUri": "https://github.com/schemactl/schemactl",
                        "rules": [_rule(r) for r in catalog],
                    }
                },
                "results": [_result(f, index) for f in result.findings],
                "properties": {"risk": result.risk.as_json(), "dialect": result.dialect},
            }
        ],
    }
    return json.dumps(document, indent=2)


def _rule(rule: Rule) -> dict[str, Any]:
    lock = f"{rule.lock} (blocks {rule.blocks})" if rule.lock else "no lock"
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.detects},
        "fullDescription": {"text": f"{rule.detects}. Lock: {lock}."},
        "help": {"text": f"Instead: {rule.safe_alternative}"},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "dialects": sorted(rule.dialects),
            "lock": rule.lock,
            "blocks": rule.blocks,
            "rewrite": rule.rewrite,
        },
    }


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": _LEVEL[finding.severity],
        "message": {"text": f"{finding.message}. Instead: {finding.safe_alternative}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(finding.file)},
                    "region": {"startLine": max(1, finding.line)},
                }
            }
        ],
        "properties": {
            "section": finding.section,
            "lock": finding.lock,
            "blocks": finding.blocks,
            "rewrite": finding.rewrite,
        },
    }
    if finding.rule in index:
        out["ruleIndex"] = index[finding.rule]
    if finding.approved is not None:
        out["suppressions"] = [{"kind": "inSource", "justification": finding.approved}]
    return out


def _uri(file: str) -> str:
    path = Path(file)
    if path.is_absolute():
        return path.as_uri()
    return quote(path.as_posix())
