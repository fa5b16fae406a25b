"""Each PostgreSQL rule flags its risky migration and leaves its safe alternative alone, through
the engine's offline entry point (earlier files replayed into the schema model); each safe
alternative then applies on a real PostgreSQL after the same history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from schemactl._files import Migration, discover
from schemactl.lint.engine import Finding, Settings, analyse

from ..lint.online import Step, check_online

SETUP = """
CREATE TABLE users (id integer PRIMARY KEY, email varchar(100) NOT NULL, name varchar(50),
                    age integer, feeling text);
CREATE TABLE orders (id integer PRIMARY KEY, user_id integer, total numeric(10,2));
INSERT INTO users VALUES (1, 'a@example.com', 'a', 30, 'a'), (2, 'b@example.com', NULL, 40, 'b');
INSERT INTO orders VALUES (1, 1, 9.5), (2, 2, 10);
ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0);
CREATE INDEX users_email ON users (email);
CREATE TYPE mood AS ENUM ('a', 'b');
CREATE DOMAIN positive AS integer;
CREATE MATERIALIZED VIEW user_count AS SELECT 1 AS k, count(*) AS n FROM users;
CREATE UNIQUE INDEX user_count_k ON user_count (k);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$
"""

NEW_TABLE = "CREATE TABLE scratch (id integer, at timestamptz, r integer);\n"


@dataclass(frozen=True)
class File:
    sql: str
    transaction: bool = True


@dataclass(frozen=True)
class Case:
    rule: str
    risky: File
    safe: File
    history: tuple[File, ...] = ()  # files applied after SETUP, before the case
    name: str = ""
    online: bool = True  # the safe alternative applies on a real server
    settings: dict[str, object] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.rule}-{self.name}" if self.name else self.rule


NO_TX = False
CONCURRENT_NAME_INDEX = File(
    "CREATE UNIQUE INDEX CONCURRENTLY users_name_idx ON users (name)", NO_TX
)

CASES = [
    Case(
        "LK101",
        File("CREATE INDEX users_name ON users (name)"),
        File("CREATE INDEX CONCURRENTLY users_name ON users (name)", NO_TX),
    ),
    Case(
        "LK101",
        File("CREATE INDEX users_name ON users (name)"),
        File(NEW_TABLE + "CREATE INDEX scratch_id ON scratch (id)"),
        name="new-table",
    ),
    Case(
        "LK102",
        File("DROP INDEX users_email"),
        File("DROP INDEX CONCURRENTLY users_email", NO_TX),
    ),
    Case(
        "LK102",
        File("DROP INDEX users_email"),
        File(NEW_TABLE + "CREATE INDEX scratch_id ON scratch (id);\nDROP INDEX scratch_id"),
        name="new-table",
    ),
    Case(
        "LK103",
        File(
            "ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users"
        ),
        File(
            "ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users "
            "NOT VALID"
        ),
    ),
    Case(
        "LK103",
        File("ALTER TABLE orders ADD COLUMN buyer integer REFERENCES users"),
        File(NEW_TABLE + "ALTER TABLE scratch ADD COLUMN buyer integer REFERENCES users"),
        name="inline",
    ),
    Case(
        "LK104",
        File("ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0)"),
        File("ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0) NOT VALID"),
    ),
    Case(
        "LK105",
        File("ALTER TABLE users ALTER COLUMN name SET NOT NULL"),
        File("ALTER TABLE users ALTER COLUMN age SET NOT NULL"),
        history=(
            File("ALTER TABLE users ADD CONSTRAINT age_nn CHECK (age IS NOT NULL) NOT VALID"),
            File("ALTER TABLE users VALIDATE CONSTRAINT age_nn"),
        ),
    ),
    Case(
        "LK106",
        File("ALTER TABLE users ADD CONSTRAINT users_name_key UNIQUE (email)"),
        File("ALTER TABLE users ADD CONSTRAINT users_name_key UNIQUE USING INDEX users_name_idx"),
        history=(CONCURRENT_NAME_INDEX,),
    ),
    Case(
        "LK107",
        File("ALTER TABLE users ALTER COLUMN age TYPE bigint"),
        File(
            "ALTER TABLE users ALTER COLUMN name TYPE varchar(200);\n"
            "ALTER TABLE users ALTER COLUMN email TYPE text;\n"
            "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2)"
        ),
    ),
    Case(
        "LK107",
        File("ALTER TABLE users ALTER COLUMN name TYPE varchar(200) USING upper(name)"),
        File("ALTER TABLE users ALTER COLUMN name TYPE varchar(200) USING name"),
        name="using",
    ),
    Case(
        "LK108",
        File("ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT clock_timestamp()"),
        File("ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now()"),
    ),
    Case(
        "LK108",
        File("ALTER TABLE users ADD COLUMN serial_no bigserial"),
        File("ALTER TABLE users ADD COLUMN serial_no bigint"),
        name="serial",
    ),
    Case(
        "LK108",
        File(
            "ALTER TABLE users ADD COLUMN double_age integer GENERATED ALWAYS AS (age * 2) STORED"
        ),
        File(
            NEW_TABLE + "ALTER TABLE scratch ADD COLUMN d integer GENERATED ALWAYS AS (id) STORED"
        ),
        name="generated",
    ),
    Case("LK111", File("VACUUM FULL users", NO_TX), File("VACUUM users", NO_TX)),
    Case(
        "LK111",
        File("REINDEX INDEX users_email"),
        File("REINDEX INDEX CONCURRENTLY users_email", NO_TX),
        name="reindex",
    ),
    Case(
        "LK111",
        File("REFRESH MATERIALIZED VIEW user_count"),
        File("REFRESH MATERIALIZED VIEW CONCURRENTLY user_count"),
        name="refresh",
    ),
    Case(
        "LK111",
        File("ALTER TABLE orders SET UNLOGGED"),
        File(NEW_TABLE + "ALTER TABLE scratch SET UNLOGGED"),
        name="unlogged",
    ),
    Case(
        "LK112",
        File(
            "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW "
            "EXECUTE FUNCTION touch()"
        ),
        File(
            NEW_TABLE + "CREATE TRIGGER scratch_touch BEFORE UPDATE ON scratch FOR EACH ROW "
            "EXECUTE FUNCTION touch()"
        ),
    ),
    Case(
        "LK112",
        File("ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0)"),
        File("ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0) NOT VALID"),
        name="domain",
    ),
    Case(
        "LK114",
        File("ALTER TABLE orders ADD CONSTRAINT one_per_user EXCLUDE USING btree (user_id WITH =)"),
        File(NEW_TABLE + "ALTER TABLE scratch ADD CONSTRAINT one EXCLUDE USING btree (id WITH =)"),
    ),
    Case(
        "LK115",
        File("ALTER TABLE users ALTER COLUMN age TYPE bigint"),
        File("ALTER TABLE orders ALTER COLUMN user_id TYPE bigint"),
    ),
    Case(
        "LK119",
        File("LOCK TABLE users IN SHARE MODE"),
        File(NEW_TABLE + "LOCK TABLE scratch"),
    ),
    Case(
        "TX101",
        File("CREATE INDEX CONCURRENTLY users_name ON users (name)"),
        File("CREATE INDEX CONCURRENTLY users_name ON users (name)", NO_TX),
    ),
    Case(
        "TX101",
        File("BEGIN;\nCREATE INDEX CONCURRENTLY users_name ON users (name);\nCOMMIT", NO_TX),
        File("DROP INDEX CONCURRENTLY users_email", NO_TX),
        name="explicit-begin",
    ),
    Case(
        "TX107",
        File(
            "CREATE INDEX CONCURRENTLY users_name ON users (name);\n"
            "ALTER TABLE users ADD COLUMN note text",
            NO_TX,
        ),
        File(
            "SET statement_timeout = '10min';\n"
            "CREATE INDEX CONCURRENTLY users_name ON users (name)",
            NO_TX,
        ),
    ),
    Case(
        "TX103",
        File(
            "ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users "
            "NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user"
        ),
        File("ALTER TABLE orders VALIDATE CONSTRAINT orders_user"),
        history=(
            File(
                "ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) "
                "REFERENCES users NOT VALID"
            ),
        ),
    ),
    Case(
        "TX104",
        File("BEGIN;\nALTER TABLE users ADD COLUMN note text;\nCOMMIT"),
        File("BEGIN;\nALTER TABLE users ADD COLUMN note text;\nCOMMIT", NO_TX),
    ),
    Case(
        "TX105",
        File("BEGIN;\nALTER TABLE users ADD COLUMN note text", NO_TX),
        File("BEGIN;\nALTER TABLE users ADD COLUMN note text;\nCOMMIT", NO_TX),
        online=False,  # the runner's own tracking insert would ride in the open transaction
    ),
    Case(
        "BC105",
        File("ALTER TYPE mood RENAME VALUE 'a' TO 'z'"),
        File("ALTER TYPE mood ADD VALUE 'z'"),
    ),
    Case(
        "BC105",
        File("ALTER TYPE mood ADD VALUE 'c';\nSELECT 'c'::mood"),
        File("ALTER TYPE mood ADD VALUE 'c';\nSELECT 'c'::mood", NO_TX),
        name="added-value-used",
    ),
    Case(
        "TY102",
        File("CREATE TABLE events (at timestamp, payload json, code char(3))"),
        File("CREATE TABLE events (at timestamptz, payload jsonb, code text)"),
    ),
    Case(
        "TY103",
        File("CREATE TABLE events (id bigserial PRIMARY KEY)"),
        File("CREATE TABLE events (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)"),
    ),
    Case(
        "TY104",
        File("CREATE TABLE events (kind varchar(40))"),
        File("CREATE TABLE events (kind text CHECK (length(kind) <= 40))"),
    ),
    Case(
        "NM101",
        File(f"CREATE TABLE {'e' * 64} (id integer)"),
        File(f"CREATE TABLE {'e' * 63} (id integer)"),
        online=False,  # the risky name is what fails; the safe one is plain
    ),
    Case(
        "OP101",
        File("ALTER TABLE users ADD COLUMN note text"),
        File("SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN note text"),
    ),
    Case(
        "OP101",
        File(
            "SET lock_timeout = '2s';\nRESET lock_timeout;\nALTER TABLE users ADD COLUMN note text"
        ),
        File(NEW_TABLE + "ALTER TABLE scratch ADD COLUMN note text"),
        name="reset-and-new-table",
    ),
    Case(
        "DD101",
        File("ALTER TABLE users ALTER COLUMN name SET NOT NULL"),
        File("ALTER TABLE users ALTER COLUMN age SET NOT NULL"),
        history=(
            File("ALTER TABLE users ADD CONSTRAINT age_nn CHECK (age IS NOT NULL) NOT VALID"),
            File("ALTER TABLE users VALIDATE CONSTRAINT age_nn"),
        ),
        name="proven-not-null",
    ),
    Case(
        "DS104",
        File("DROP TABLE orders;\nCREATE TABLE purchases (id integer PRIMARY KEY)"),
        File(
            "CREATE TABLE staging (id integer);\nINSERT INTO staging VALUES (1);\n"
            "CREATE TABLE purchases (id integer PRIMARY KEY);\n"
            "INSERT INTO purchases SELECT id FROM staging;\nDROP TABLE staging"
        ),
        name="staging-table",
    ),
    Case(
        "LK107",
        File('ALTER TABLE users ALTER COLUMN name TYPE text COLLATE "C"'),
        File("ALTER TABLE users ALTER COLUMN name TYPE text"),
        name="collation",
    ),
    Case(
        "OP102",
        File("ALTER TABLE users ADD COLUMN note text"),
        File("SET statement_timeout = '1min';\nALTER TABLE users ADD COLUMN note text"),
    ),
]


def write(directory: Path, version: str, file: File) -> None:
    option = "" if file.transaction else " transaction:false"
    (directory / f"{version}_m.sql").write_text(
        f"-- migrate:up{option}\n{file.sql};\n\n-- migrate:down\n-- schemactl: no-op\n"
    )


def migrations_dir(tmp_path: Path, case: Case, target: File) -> Path:
    directory = tmp_path / uuid.uuid4().hex
    directory.mkdir()
    for number, file in enumerate((File(SETUP.strip()), *case.history, target), start=1):
        write(directory, f"{number:02d}", file)
    return directory


def findings(case: Case, tmp_path: Path, target: File) -> list[Finding]:
    files, _ = discover([migrations_dir(tmp_path, case, target)])
    migrations: list[Migration] = [f.read() for f in files]
    settings = Settings("postgresql", **case.settings)  # type: ignore[arg-type]
    (report,) = analyse(migrations[-1:], settings, history=migrations[:-1])
    return report.findings


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule_fires_on_risky_and_not_on_safe(case: Case, tmp_path: Path) -> None:
    risky = [f for f in findings(case, tmp_path, case.risky) if f.rule == case.rule]
    assert risky, f"{case.rule} missed: {case.risky.sql}"
    assert all(f.message for f in risky)
    safe = [f for f in findings(case, tmp_path, case.safe) if f.rule == case.rule]
    assert safe == []


def test_lock_timeout_is_reported_once_per_migration(tmp_path: Path) -> None:
    sql = "ALTER TABLE users ADD COLUMN a text;\nALTER TABLE orders ADD COLUMN b text"
    found = findings(Case("OP101", File(sql), File(sql)), tmp_path, File(sql))
    assert [(f.rule, f.line) for f in found if f.rule == "OP101"] == [("OP101", 2)]


def test_runner_lock_timeout_satisfies_lock_timeout(tmp_path: Path) -> None:
    sql = File("ALTER TABLE users ADD COLUMN note text")
    without = Case("OP101", sql, sql)
    assert "OP101" in {f.rule for f in findings(without, tmp_path, sql)}
    with_runner = Case("OP101", sql, sql, settings={"runner_lock_timeout": True})
    assert "OP101" not in {f.rule for f in findings(with_runner, tmp_path, sql)}


def test_finding_carries_the_lock_facts(tmp_path: Path) -> None:
    case = CASES[0]
    (finding,) = [f for f in findings(case, tmp_path, case.risky) if f.rule == "LK101"]
    assert (finding.lock, finding.blocks, finding.severity.value) == ("SHARE", "writes", "error")
    assert "CONCURRENTLY" in finding.safe_alternative


def test_enum_add_value_needs_no_transaction_before_postgresql_12(tmp_path: Path) -> None:
    case = Case("TX101", File("ALTER TYPE mood ADD VALUE 'c'"), File(""))
    old = Case(**{**case.__dict__, "settings": {"server_version": 110000}})
    assert "TX101" in {f.rule for f in findings(old, tmp_path, case.risky)}
    new = Case(**{**case.__dict__, "settings": {"server_version": 150000}})
    assert "TX101" not in {f.rule for f in findings(new, tmp_path, case.risky)}


@pytest.mark.anyio
@pytest.mark.parametrize(
    "case",
    [c for c in CASES if set(c.settings) <= {"runner_lock_timeout"}],
    ids=lambda c: c.id,
)
async def test_online(case: Case, tmp_path: Path) -> None:
    """The same verdicts against the live catalog of a real PostgreSQL holding the history;
    the safe alternative then applies there."""
    history = [Step(SETUP), *(Step(f.sql, f.transaction) for f in case.history)]
    await check_online(
        "postgresql",
        tmp_path,
        case.rule,
        history,
        Step(case.risky.sql, case.risky.transaction),
        Step(case.safe.sql, case.safe.transaction),
        ddl_lock_timeout=5 if case.settings.get("runner_lock_timeout") else None,
        apply_safe=case.online,
    )
