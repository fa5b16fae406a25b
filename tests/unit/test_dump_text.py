"""The dump's text work without a database: client output made deterministic, client
versions matched to servers, and the schema-file settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemactl._config import resolve
from schemactl._dump import normalise
from schemactl._dump.clients import _flavour
from schemactl._errors import ConfigurationError

MARIADB_TRIGGER = """/*M!999999\\- enable the sandbox mode */
/*!40101 SET NAMES utf8mb4 */;
/*!50003 SET sql_mode = 'STRICT_TRANS_TABLES' */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`127.0.0.1`*/ /*!50003 TRIGGER t BEFORE INSERT ON p
FOR EACH ROW
BEGIN
  SET NEW.title = TRIM(NEW.title);
END */;;
DELIMITER ;
CREATE TABLE `p` (`id` int NOT NULL AUTO_INCREMENT) ENGINE=InnoDB AUTO_INCREMENT=42;
DO SETVAL(`s`, 1000, 0);
"""


def test_mysql_dump_keeps_trigger_bodies_and_drops_session_noise() -> None:
    text = normalise.mysql(MARIADB_TRIGGER)
    assert "  SET NEW.title = TRIM(NEW.title);" in text  # the body's SET, not the session's
    assert "CREATE TRIGGER t BEFORE INSERT" in text
    for noise in (
        "sandbox",
        "SET NAMES",
        "sql_mode",
        "DEFINER",
        "AUTO_INCREMENT=",
        "SETVAL",
        "/*!",
    ):
        assert noise not in text
    assert text.startswith(normalise.MYSQL_PRELUDE)
    assert text.endswith(normalise.MYSQL_EPILOGUE)


def test_postgresql_dump_drops_restrict_keys_versions_and_defaults() -> None:
    raw = (
        "\\restrict Abc123\n\n-- Dumped from database version 15.20\n"
        "SET lock_timeout = 0;\nSET check_function_bodies = false;\n\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\nSET x = 1;\n\n\n$$;\n"
        "\\unrestrict Abc123\n"
    )
    text = normalise.postgresql(raw)
    assert text.startswith("SET check_function_bodies = false;\n")
    assert "restrict" not in text
    assert "Dumped" not in text
    assert "lock_timeout" not in text
    assert "$$\nSET x = 1;\n\n\n$$" in text  # a body keeps every line and blank


def test_sqlite_schema_leaves_out_its_own_and_excluded_tables() -> None:
    raw = (
        "CREATE TABLE t(a);\nCREATE TABLE sqlite_sequence(name,seq);\n"
        'CREATE TABLE "x_failures"(v);\nCREATE INDEX ix ON "x_failures"(v);\n'
        "CREATE VIEW v AS SELECT a FROM t\n/* v(a) */;\n"
    )
    text = normalise.sqlite(raw, frozenset({"x_failures"}))
    assert text == "CREATE TABLE t(a);\nCREATE VIEW v AS SELECT a FROM t;\n"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("10.11.19-MariaDB-0+deb12u1", ("mariadb", (10, 11))),
        (
            "mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu",
            ("mariadb", (10, 11)),
        ),
        ("8.0.36", ("mysql", (8, 0))),
        (
            "mysqldump  Ver 8.4.0 for Linux on x86_64 (MySQL Community Server - GPL)",
            ("mysql", (8, 4)),
        ),
    ],
)
def test_client_and_server_flavours(version: str, expected: tuple[str, tuple[int, int]]) -> None:
    assert _flavour(version) == expected


def test_schema_file_settings_resolve_like_the_others(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schemactl]\nschema_file = "db/schema.sql"\ndump_schema = true\n'
    )
    config = resolve(cwd=tmp_path, environ={})
    assert (config.schema_file, config.dump_schema) == ("db/schema.sql", True)
    config = resolve(cwd=tmp_path, environ={"SCHEMACTL_SCHEMA_FILE": "env.sql"}, dump_schema=False)
    assert (config.schema_file, config.dump_schema) == ("env.sql", False)
    assert resolve(cwd=tmp_path, environ={}, schema_file="flag.sql").schema_file == "flag.sql"
    assert resolve(cwd=tmp_path / "nowhere", environ={}).schema_file == "schema.sql"
    (tmp_path / "pyproject.toml").write_text('[tool.schemactl]\ndump_schema = "yes"\n')
    with pytest.raises(ConfigurationError, match=r"dump_schema .* must be true or false"):
        resolve(cwd=tmp_path, environ={})
