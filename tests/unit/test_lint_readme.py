"""The README's rule table is the catalog's own: regenerate it with

.venv/bin/python -m tests.unit.test_lint_readme
"""

from __future__ import annotations

from pathlib import Path

from schemactl.lint.catalog import catalog_markdown, rules

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- rules:start -->\n", "<!-- rules:end -->"


def readme_table(text: str) -> str:
    _head, found, rest = text.partition(START)
    assert found, f"{README} has no {START.strip()} marker"
    table, found, _ = rest.partition(END)
    assert found, f"{README} has no {END} marker"
    return table


def test_the_readme_lists_every_rule_as_the_code_describes_it() -> None:
    table = readme_table(README.read_text(encoding="utf-8"))
    assert table == catalog_markdown(), (
        "README rule table is stale: python -m tests.unit.test_lint_readme"
    )
    assert len(rules()) >= 30
    for rule in rules():
        assert f"| {rule.id} | `{rule.name}` |" in table


def regenerate() -> None:
    text = README.read_text(encoding="utf-8")
    table = readme_table(text)
    README.write_text(
        text.replace(START + table + END, START + catalog_markdown() + END), encoding="utf-8"
    )


if __name__ == "__main__":
    regenerate()
