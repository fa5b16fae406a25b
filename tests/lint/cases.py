"""The lint corpus: for each rule, a risky migration it must flag and a safe alternative it
must leave alone, per dialect, against a small schema that every case starts from.

``SETUP`` is applied first (offline: replayed as an earlier migration; online: applied to a
real database). A case's SQL is the up section of one migration; ``transaction=False`` marks it
``transaction:false``. ``safe`` runs on the real server in the online tests, so every safe
alternative here is proven to be valid SQL that works on a table with rows.
"""

from __future__ import annotations

from dataclasses import dataclass

PG, MY, SL = "postgresql", "mysql", "sqlite"

SETUP = {
    PG: """
CREATE SCHEMA billing;
CREATE TABLE users (id integer PRIMARY KEY, email varchar(100) NOT NULL, name varchar(50),
                    age integer);
CREATE TABLE orders (id integer PRIMARY KEY, user_id integer, total numeric(10,2));
INSERT INTO users VALUES (1, 'a@example.com', 'a', 30), (2, 'b@example.com', 'b', 40);
INSERT INTO orders VALUES (1, 1, 9.5), (2, 2, 10);
ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0);
CREATE INDEX orders_user_ix ON orders (user_id);
CREATE UNIQUE INDEX users_email_ix ON users (email);
""",
    MY: """
CREATE TABLE users (id integer PRIMARY KEY, email varchar(100) NOT NULL, name varchar(50),
                    age integer);
CREATE TABLE orders (id integer PRIMARY KEY, user_id integer, total numeric(10,2));
INSERT INTO users VALUES (1, 'a@example.com', 'a', 30), (2, 'b@example.com', 'b', 40);
INSERT INTO orders VALUES (1, 1, 9.5), (2, 2, 10);
ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0);
""",
    SL: """
CREATE TABLE users (id integer PRIMARY KEY, email varchar(100) NOT NULL, name varchar(50),
                    age integer CONSTRAINT age_positive CHECK (age > 0));
CREATE TABLE orders (id integer PRIMARY KEY, user_id integer, total numeric(10,2));
INSERT INTO users VALUES (1, 'a@example.com', 'a', 30), (2, 'b@example.com', 'b', 40);
INSERT INTO orders VALUES (1, 1, 9.5), (2, 2, 10);
""",
}


@dataclass(frozen=True)
class Case:
    rule: str
    dialect: str
    risky: str
    safe: str
    risky_transaction: bool = True
    safe_transaction: bool = True
    online: bool = True  # False: the risky SQL cannot reach a server (unparseable on purpose)

    @property
    def id(self) -> str:
        return f"{self.rule}-{self.dialect}"


def _all(rule: str, risky: str, safe: str, dialects: tuple[str, ...] = (PG, MY, SL)) -> list[Case]:
    return [Case(rule, d, risky, safe) for d in dialects]


CASES: list[Case] = [
    *_all(
        "DS101",
        "DROP TABLE orders",
        "CREATE TABLE scratch (id integer);\nDROP TABLE scratch",
    ),
    *_all(
        "DS102",
        "ALTER TABLE users DROP COLUMN age",
        "CREATE TABLE scratch (id integer, x integer);\nALTER TABLE scratch DROP COLUMN x",
        (PG, SL),
    ),
    Case(
        "DS102",
        MY,
        "ALTER TABLE users DROP COLUMN name",
        "CREATE TABLE scratch (id integer, x integer);\nALTER TABLE scratch DROP COLUMN x",
    ),
    Case("DS103", PG, "DROP SCHEMA billing CASCADE", "CREATE SCHEMA reports"),
    *_all(
        "DS104",
        "ALTER TABLE users DROP COLUMN name;\nALTER TABLE users ADD COLUMN full_name varchar(50)",
        "ALTER TABLE users RENAME COLUMN name TO full_name",
    ),
    *_all("DS105", "TRUNCATE TABLE orders", "DELETE FROM orders WHERE id = 2", (PG, MY)),
    Case(
        "DS106",
        PG,
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(50)",
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(200)",
    ),
    Case(
        "DS106",
        MY,
        "ALTER TABLE users MODIFY email varchar(50) NOT NULL",
        "ALTER TABLE users MODIFY email varchar(200) NOT NULL",
    ),
    *_all(
        "DS107",
        "ALTER TABLE users DROP CONSTRAINT age_positive",
        "ALTER TABLE users ADD COLUMN note varchar(10)",
        (PG, MY),
    ),
    *_all(
        "DS108",
        "DROP TABLE orders;\nCREATE TABLE orders (id integer PRIMARY KEY)",
        "ALTER TABLE orders ADD COLUMN note varchar(10)",
    ),
    *_all(
        "BC101",
        "ALTER TABLE users RENAME COLUMN name TO full_name",
        "CREATE TABLE scratch (a integer);\nALTER TABLE scratch RENAME COLUMN a TO b",
    ),
    *_all(
        "BC102",
        "ALTER TABLE orders RENAME TO purchases",
        "CREATE TABLE scratch (a integer);\nALTER TABLE scratch RENAME TO scratch2",
        (PG, SL),
    ),
    Case(
        "BC102",
        MY,
        "RENAME TABLE orders TO purchases",
        "CREATE TABLE scratch (a integer);\nRENAME TABLE scratch TO scratch2",
    ),
    *_all(
        "BC103",
        "ALTER TABLE users ADD COLUMN tier integer NOT NULL",
        "ALTER TABLE users ADD COLUMN tier integer NOT NULL DEFAULT 0",
    ),
    Case(
        "BC104",
        PG,
        "ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
        "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'unknown'",
    ),
    Case(
        "BC104",
        MY,
        "ALTER TABLE users MODIFY email varchar(100) NULL",
        "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'unknown'",
    ),
    Case("BC106", PG, "ALTER SCHEMA billing RENAME TO money", "CREATE SCHEMA money"),
    *_all(
        "DD101",
        "CREATE UNIQUE INDEX users_name_key ON users (name)",
        "CREATE TABLE scratch (a integer);\nCREATE UNIQUE INDEX scratch_a_key ON scratch (a)",
    ),
    *_all(
        "DD102",
        "ALTER TABLE users ADD COLUMN tier integer;\nUPDATE users SET tier = 1",
        "UPDATE users SET age = 31 WHERE id = 1",
        (PG, SL),
    ),
    Case("DD102", MY, "UPDATE users SET age = 31", "UPDATE users SET age = 31 WHERE id = 1"),
    *[
        Case("UN101", d, "CREATE TABLE (", "CREATE TABLE scratch (a integer)", online=False)
        for d in (PG, MY, SL)
    ],
    # -- PostgreSQL ---------------------------------------------------------------------------
    Case(
        "LK101",
        PG,
        "CREATE INDEX users_name_ix ON users (name)",
        "CREATE INDEX CONCURRENTLY users_name_ix ON users (name)",
        safe_transaction=False,
    ),
    Case(
        "LK102",
        PG,
        "DROP INDEX orders_user_ix",
        "DROP INDEX CONCURRENTLY orders_user_ix",
        safe_transaction=False,
    ),
    Case(
        "LK103",
        PG,
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id)"
        " REFERENCES users (id)",
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id)"
        " REFERENCES users (id) NOT VALID",
    ),
    Case(
        "LK104",
        PG,
        "ALTER TABLE users ADD CONSTRAINT age_small CHECK (age < 200)",
        "ALTER TABLE users ADD CONSTRAINT age_small CHECK (age < 200) NOT VALID",
    ),
    Case(
        "LK105",
        PG,
        "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
        "ALTER TABLE users ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE users VALIDATE CONSTRAINT name_nn;\n"
        "ALTER TABLE users ALTER COLUMN name SET NOT NULL;\n"
        "ALTER TABLE users DROP CONSTRAINT name_nn",
        safe_transaction=False,
    ),
    Case(
        "LK106",
        PG,
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)",
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_ix",
    ),
    Case(
        "LK107",
        PG,
        "ALTER TABLE users ALTER COLUMN age TYPE bigint",
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(80)",
    ),
    Case(
        "LK108",
        PG,
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()",
        "ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now()",
    ),
    Case(
        "LK111",
        PG,
        "VACUUM FULL users",
        "VACUUM users",
        risky_transaction=False,
        safe_transaction=False,
    ),
    Case(
        "TX101",
        PG,
        "CREATE INDEX CONCURRENTLY users_name_ix ON users (name)",
        "CREATE INDEX CONCURRENTLY users_name_ix ON users (name)",
        safe_transaction=False,
    ),
    Case(
        "TX107",
        PG,
        "CREATE INDEX CONCURRENTLY users_name_ix ON users (name);\n"
        "CREATE INDEX CONCURRENTLY users_age_ix ON users (age)",
        "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_name_ix ON users (name)",
        risky_transaction=False,
        safe_transaction=False,
    ),
    Case(
        "OP101",
        PG,
        "ALTER TABLE users ADD COLUMN nick text",
        "SET LOCAL lock_timeout = '5s';\nALTER TABLE users ADD COLUMN nick text",
    ),
    # -- MySQL / MariaDB ----------------------------------------------------------------------
    Case(
        "LK109",
        MY,
        "ALTER TABLE users ADD COLUMN nick varchar(20)",
        "ALTER TABLE users ADD COLUMN nick varchar(20), ALGORITHM=INSTANT, LOCK=NONE",
    ),
    Case(
        "LK120",
        MY,
        "ALTER TABLE users ADD COLUMN nick varchar(20), ALGORITHM=COPY",
        "ALTER TABLE users ADD COLUMN nick varchar(20), ALGORITHM=INSTANT, LOCK=NONE",
    ),
    Case(
        "LK103",
        MY,
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id)"
        " REFERENCES users (id)",
        "SET foreign_key_checks = 0;\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id)"
        " REFERENCES users (id), ALGORITHM=INPLACE, LOCK=NONE;\n"
        "SET foreign_key_checks = 1",
    ),
    Case(
        "LK107",
        MY,
        "ALTER TABLE users MODIFY age bigint",
        "ALTER TABLE users MODIFY name varchar(60), ALGORITHM=INPLACE, LOCK=NONE",
    ),
    Case(
        "TX102",
        MY,
        "ALTER TABLE users ADD COLUMN a1 int;\nALTER TABLE users ADD COLUMN a2 int",
        "ALTER TABLE users ADD COLUMN a1 int, ADD COLUMN a2 int, ALGORITHM=INSTANT, LOCK=NONE",
    ),
    # -- SQLite -------------------------------------------------------------------------------
    Case(
        "LK113",
        SL,
        "CREATE TABLE users_new (id integer PRIMARY KEY, email varchar(100) NOT NULL,"
        " name varchar(50) NOT NULL, age integer);\n"
        "INSERT INTO users_new SELECT id, email, coalesce(name, ''), age FROM users;\n"
        "DROP TABLE users;\n"
        "ALTER TABLE users_new RENAME TO users",
        "ALTER TABLE users ADD COLUMN nick text",
    ),
]
