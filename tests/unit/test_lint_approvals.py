"""Approvals written in a migration file: where they stand, what they approve, what is wrong
with them (SU101-SU103); and the policy's own validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemactl._errors import ConfigurationError
from schemactl._files import MigrationFile
from schemactl.lint.approvals import read_approvals
from schemactl.lint.catalog import Severity, rule, rules
from schemactl.lint.engine import Finding, Settings, analyse
from schemactl.lint.policy import Policy, judge

HISTORY = (
    "-- migrate:up\nCREATE TABLE users (id integer, legacy text);\nCREATE TABLE old (id integer);\n"
)
# the rules these tests are about (PostgreSQL's others, lock_timeout and the like, left out)
SHOWN = {"DS101", "DS102", "RB101", "SU101", "SU102", "SU103"}


def lint(tmp_path: Path, text: str, policy: Policy | None = None) -> list[Finding]:
    """The judged findings of ``text`` as migration 2, after a migration creating the tables."""
    files = []
    for version, body in (("1", HISTORY), ("2", text)):
        path = tmp_path / f"{version}_m.sql"
        path.write_text(body, encoding="utf-8")
        files.append(MigrationFile(version, "m", path).read())
    reports = analyse(files[1:], Settings("postgresql"), history=files[:1])
    (report,) = judge(reports, policy or Policy(disabled=frozenset({"RB101"})))
    return [f for f in report.findings if f.rule in SHOWN]


def by_rule(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for finding in findings:
        out.setdefault(finding.rule, []).append(finding)
    return out


# -- reading ------------------------------------------------------------------------------------


def test_scopes_rules_and_reasons_are_read() -> None:
    text = (
        '-- schemactl:approve DS101 reason="whole file"\n'
        "-- migrate:up\n"
        "--   schemactl: approve drop-column, DS101   reason='two, by name and id'\n"
        "ALTER TABLE users DROP COLUMN legacy;\n"
        "-- migrate:down\n"
        '-- schemactl:approve lk101 reason="lower case id"\n'
    )
    header, statement, down = read_approvals(text)
    assert (header.line, header.scope, header.rules, header.reason) == (
        1,
        "migration",
        ("DS101",),
        "whole file",
    )
    assert (statement.line, statement.scope, statement.rules, statement.reason) == (
        3,
        "statement",
        ("DS102", "DS101"),
        "two, by name and id",
    )
    assert (down.scope, down.rules, down.problem) == ("down", ("LK101",), None)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('-- schemactl:approve XX999 reason="typo"', "names 'XX999', which is no rule"),
        ('-- schemactl:approve reason="no rule"', "cannot be read"),
        ("-- schemactl:approve", "cannot be read"),
        ("-- schemactl:approve DS101 because it is fine", "cannot be read"),
        ('-- schemactl:approve DS101 reason="unterminated', "cannot be read"),
        ('-- schemactl:approved DS101 reason="x"', "schemactl:approved is not a directive"),
        ('-- schemactl:approve SU101 reason="x"', "SU101 is about approvals themselves"),
    ],
)
def test_an_approval_that_cannot_approve_says_why(line: str, problem: str) -> None:
    (approval,) = read_approvals(f"-- migrate:up\n{line}\nSELECT 1;\n")
    assert approval.problem is not None
    assert problem in approval.problem
    assert not approval.valid


@pytest.mark.parametrize("reason", ["", 'reason=""', "reason='  '"])
def test_an_empty_or_missing_reason_is_no_reason(reason: str) -> None:
    (approval,) = read_approvals(f"-- migrate:up\n-- schemactl:approve DS101 {reason}\n")
    assert approval.problem is None
    assert approval.reason is None
    assert not approval.valid


def test_windows_line_ends_and_a_byte_order_mark() -> None:
    text = '\ufeff-- migrate:up\r\n-- schemactl:approve DS101 reason="crlf"\r\nDROP TABLE t;\r\n'
    (approval,) = read_approvals(text)
    assert (approval.line, approval.rules, approval.reason) == (2, ("DS101",), "crlf")


def test_ordinary_comments_and_sql_are_not_approvals() -> None:
    text = "-- migrate:up\n-- approve DS101 reason=\"x\"\nSELECT '-- schemactl:approve DS101';\n"
    assert read_approvals(text) == []


# -- applying -----------------------------------------------------------------------------------


def test_a_statement_approval_approves_that_statement_only(tmp_path: Path) -> None:
    findings = by_rule(
        lint(
            tmp_path,
            "-- migrate:up\n"
            '-- schemactl:approve DS101 reason="old is empty since 2024"\n'
            "\n"
            "-- another comment between them\n"
            "DROP TABLE old;\n"
            "ALTER TABLE users DROP COLUMN legacy;\n",
        )
    )
    assert [(f.line, f.approved) for f in findings["DS101"]] == [(5, "old is empty since 2024")]
    assert [(f.line, f.approved) for f in findings["DS102"]] == [(6, None)]
    assert "SU101" not in findings


def test_stacked_approvals_and_one_line_for_two_rules(tmp_path: Path) -> None:
    findings = lint(
        tmp_path,
        "-- migrate:up\n"
        '-- schemactl:approve DS101 reason="a"\n'
        '-- schemactl:approve DS102 reason="b"\n'
        "DROP TABLE old;\n"
        '-- schemactl:approve drop-column,DS101 reason="c"\n'
        "ALTER TABLE users DROP COLUMN legacy;\n",
    )
    approved = {(f.rule, f.line): f.approved for f in findings}
    assert approved[("DS101", 4)] == "a"
    assert approved[("DS102", 6)] == "c"
    # b stands before DROP TABLE, which drops no column; c's DS101 finds no DROP TABLE
    unused = sorted((f.line, f.message) for f in findings if f.rule == "SU101")
    assert unused == [
        (3, "approves DS102 for the statement at line 4, which has no DS102 finding"),
        (5, "approves DS101 for the statement at line 6, which has no DS101 finding"),
    ]
    assert all(f.severity is Severity.WARNING for f in findings if f.rule == "SU101")


def test_a_header_approval_covers_the_whole_migration(tmp_path: Path) -> None:
    findings = lint(
        tmp_path,
        '-- schemactl:approve DS101 reason="both tables are gone from the code"\n'
        '-- schemactl:approve RB101 reason="the tables\' data cannot come back"\n'
        "-- migrate:up\n"
        "DROP TABLE old;\n"
        "DROP TABLE users;\n",
        Policy(),
    )
    assert {(f.rule, f.line, f.approved) for f in findings} == {
        ("DS101", 4, "both tables are gone from the code"),
        ("DS101", 5, "both tables are gone from the code"),
        ("RB101", 4, "the tables' data cannot come back"),  # about the file: no statement
    }


def test_an_approval_inside_a_statement_approves_it(tmp_path: Path) -> None:
    findings = lint(
        tmp_path,
        "-- migrate:up\n"
        "ALTER TABLE users\n"
        '  -- schemactl:approve DS102 reason="unused since v3"\n'
        "  DROP COLUMN legacy;\n",
    )
    assert [(f.rule, f.approved) for f in findings] == [("DS102", "unused since v3")]


def test_without_a_reason_the_approval_is_an_error_and_approves_nothing(tmp_path: Path) -> None:
    findings = lint(tmp_path, "-- migrate:up\n-- schemactl:approve DS101\nDROP TABLE old;\n")
    assert [(f.rule, f.line, f.severity, f.approved) for f in findings] == [
        ("SU102", 2, Severity.ERROR, None),
        ("DS101", 3, Severity.ERROR, None),
    ]
    assert Policy().blocks(findings[0])
    assert findings[0].statement == "-- schemactl:approve DS101"


def test_unknown_rule_and_trailing_approval(tmp_path: Path) -> None:
    findings = lint(
        tmp_path,
        "-- migrate:up\n"
        '-- schemactl:approve DS1O1 reason="letter O"\n'
        "DROP TABLE old;\n"
        '-- schemactl:approve DS101 reason="after the last statement"\n'
        "-- migrate:down\n"
        "CREATE TABLE old (id integer);\n",
    )
    assert [(f.rule, f.line) for f in findings] == [("SU103", 2), ("DS101", 3), ("SU101", 4)]
    assert "which is no rule" in findings[0].message
    assert findings[2].message == ("approves DS101, but no statement of the up section follows it")


def test_a_down_section_approval_covers_the_down_sections_findings(tmp_path: Path) -> None:
    findings = lint(
        tmp_path,
        "-- migrate:up\nCREATE TABLE t (id integer);\n-- migrate:down\n"
        '-- schemactl:approve RB101 reason="t stays: nothing to undo"\n',
        Policy(),
    )
    assert [(f.rule, f.section, f.approved) for f in findings] == [
        ("RB101", "down", "t stays: nothing to undo")
    ]


def test_the_policy_applies_to_the_approvals_own_findings(tmp_path: Path) -> None:
    text = '-- migrate:up\n-- schemactl:approve DS101 reason="x"\nCREATE TABLE t (id int);\n'
    assert [f.rule for f in lint(tmp_path, text)] == ["SU101"]
    quiet = Policy(disabled=frozenset({"RB101", "unused-approval"}))
    assert lint(tmp_path, text, quiet) == []
    loud = Policy(disabled=frozenset({"RB101"}), severities={"SU101": Severity.ERROR})
    (finding,) = lint(tmp_path, text, loud)
    assert finding.severity is Severity.ERROR
    assert loud.blocks(finding)


def test_judge_reads_the_text_it_is_given(tmp_path: Path) -> None:
    """The lint command may show another name than the path: it passes the text."""
    path = tmp_path / "2_m.sql"
    path.write_text("-- migrate:up\nDROP TABLE old;\n", encoding="utf-8")
    migration = MigrationFile("2", "m", path).read()
    reports = analyse([migration], Settings("sqlite"), display={"2": "shown/2_m.sql"})
    text = '-- schemactl:approve DS101 reason="given"\n-- migrate:up\nDROP TABLE old;\n'
    (report,) = judge(reports, Policy(disabled=frozenset({"RB101"})), texts={"2": text})
    assert [(f.rule, f.approved) for f in report.findings] == [("DS101", "given")]


# -- the catalog and the policy -----------------------------------------------------------------


def test_the_approval_rules_are_in_the_catalog() -> None:
    ids = {r.id: r for r in rules()}
    assert {"SU101", "SU102", "SU103"} <= set(ids)
    assert rule("approval-without-reason") is ids["SU102"]
    assert ids["SU102"].severity is Severity.ERROR
    assert ids["SU101"].severity is Severity.WARNING
    assert ids["SU101"].on_op is None
    assert ids["SU101"].on_migration is None


def test_a_policy_stores_rules_by_id_and_refuses_unknown_ones() -> None:
    policy = Policy(allow=frozenset({"drop-table"}), disabled=frozenset({"missing-down"}))
    assert policy.allow == {"DS101"}
    assert policy.disabled == {"RB101"}
    with pytest.raises(ConfigurationError, match=r"unknown rule 'XX1' in --allow"):
        Policy(allow=frozenset({"XX1"}))
    with pytest.raises(
        ConfigurationError, match=r"unknown rule 'nope' in \[tool\.schemactl\.lint\]"
    ):
        Policy.from_table({"disable": ["nope"]})
    with pytest.raises(ConfigurationError, match=r"unknown setting 'enforced'"):
        Policy.from_table({"enforced": True})


def test_verify_s_irreversible_approval_is_neither_invalid_nor_unused(tmp_path: Path) -> None:
    """`-- schemactl:approve irreversible reason=...` is for `schemactl verify` (RB102): lint
    knows the rule and does not call the approval unused; without a reason it is SU102."""
    from schemactl import lint_files

    directory = tmp_path / "migrations"
    directory.mkdir()
    body = "-- migrate:up\nCREATE TABLE a (id integer);\n-- migrate:down\nDROP TABLE a;\n"
    (directory / "001_a.sql").write_text(
        '-- schemactl:approve irreversible reason="archived"\n' + body
    )
    (directory / "002_b.sql").write_text(
        "-- schemactl:approve irreversible\n" + body.replace(" a", " b")
    )
    result = lint_files([], "sqlite", migrations_dirs=[directory])
    assert [(f.version, f.rule) for f in result.findings] == [("002", "SU102")]
