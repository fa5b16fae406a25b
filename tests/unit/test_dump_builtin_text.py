"""The text work of the built-in dumps, without a server: dependency order, and what the
MySQL dump takes out of ``SHOW CREATE`` output (foreign keys, definers, delimiters)."""

from __future__ import annotations

from schemactl._dump._order import dependency_order
from schemactl._dump.builtin_mysql import _DEFINER, _compound, _without_foreign_keys
from schemactl._split import split_statements


def test_dependencies_come_first_and_ties_go_by_name() -> None:
    nodes = {1: "c", 2: "a", 3: "b"}
    assert dependency_order(nodes, {2: {1}}) == [3, 1, 2]
    assert dependency_order(nodes, {}) == [2, 3, 1]


def test_a_cycle_is_broken_at_its_smallest_name_and_nothing_is_lost() -> None:
    nodes = {"x": "x", "y": "y", "z": "z"}
    assert dependency_order(nodes, {"x": {"y"}, "y": {"x"}, "z": {"x"}}) == ["x", "y", "z"]


def test_foreign_keys_leave_the_create_table_with_its_commas_right() -> None:
    create = (
        "CREATE TABLE `t` (\n"
        "  `id` int(11) NOT NULL,\n"
        "  `p` int(11) DEFAULT NULL,\n"
        "  PRIMARY KEY (`id`),\n"
        "  KEY `t_fk` (`p`),\n"
        "  CONSTRAINT `t_c` CHECK (`p` > 0),\n"
        "  CONSTRAINT `t_fk` FOREIGN KEY (`p`) REFERENCES `t` (`id`) ON DELETE CASCADE\n"
        ") ENGINE=InnoDB"
    )
    table, keys = _without_foreign_keys(create)
    assert keys == ["CONSTRAINT `t_fk` FOREIGN KEY (`p`) REFERENCES `t` (`id`) ON DELETE CASCADE"]
    assert table.endswith("  CONSTRAINT `t_c` CHECK (`p` > 0)\n) ENGINE=InnoDB")


def test_definers_of_every_spelling_go() -> None:
    for definer in ("`root`@`localhost`", "'a b'@'%'", "`we``ird`@`10.0.0.1`", "CURRENT_USER"):
        text = f"CREATE DEFINER={definer} TRIGGER `t` BEFORE INSERT ON `x` FOR EACH ROW SET @a = 1"
        assert _DEFINER.sub("", text, count=1) == (
            "CREATE TRIGGER `t` BEFORE INSERT ON `x` FOR EACH ROW SET @a = 1"
        )


def test_a_routine_splits_as_one_statement_with_a_delimiter_its_body_lacks() -> None:
    body = "CREATE PROCEDURE p()\nBEGIN\n  SELECT ';;';\n  SELECT 2;\nEND"
    script = _compound(body) + "SELECT 3;\n"
    assert script.startswith("DELIMITER $$\n")
    assert [s.sql for s in split_statements(script, "mysql")] == [body, "SELECT 3"]
