"""A correct history of 23 migrations for `verify`, in each database's SQL: tables, columns,
indexes (unique, composite, an expression one built CONCURRENTLY on PostgreSQL), foreign
keys, CHECK and unique constraints, a view, seed rows, a rename, a type change (a table
rebuild on SQLite), an enum, a no-op down, and an up that drops a column its down adds back
(the up loses that data, not the down: verify lets it pass)."""

from __future__ import annotations

Migration = tuple[str, str, str, str]  # name, up, down, up options


def drop_index(dialect: str, name: str, table: str) -> str:
    return f"DROP INDEX {name} ON {table};" if dialect == "mysql" else f"DROP INDEX {name};"


def history(dialect: str) -> list[Migration]:
    pg, my, lite = dialect == "postgresql", dialect == "mysql", dialect == "sqlite"
    steps: list[Migration] = [
        (
            "users",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL);",
            "DROP TABLE users;",
            "",
        ),
        (
            "teams",
            "CREATE TABLE teams (id INTEGER PRIMARY KEY, "
            "name VARCHAR(100) NOT NULL DEFAULT 'team');",
            "DROP TABLE teams;",
            "",
        ),
        (
            "users_nick",
            "ALTER TABLE users ADD COLUMN nick VARCHAR(50);",
            "ALTER TABLE users DROP COLUMN nick;",
            "",
        ),
        (
            "ix_users_email",
            "CREATE INDEX ix_users_email ON users (email);",
            drop_index(dialect, "ix_users_email", "users"),
            "",
        ),
        (
            "ux_teams_name",
            "CREATE UNIQUE INDEX ux_teams_name ON teams (name);",
            drop_index(dialect, "ux_teams_name", "teams"),
            "",
        ),
        (
            "users_team",
            "ALTER TABLE users ADD COLUMN team_id INTEGER REFERENCES teams (id);"
            if lite
            else "ALTER TABLE users ADD COLUMN team_id INTEGER;\n"
            "ALTER TABLE users ADD CONSTRAINT fk_users_team FOREIGN KEY (team_id) "
            "REFERENCES teams (id);",
            # (SQLite cannot drop a column a foreign key uses: the table is rebuilt)
            "CREATE TABLE users_old (id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL, "
            "nick VARCHAR(50));\n"
            "INSERT INTO users_old (id, email, nick) SELECT id, email, nick FROM users;\n"
            "DROP TABLE users;\nALTER TABLE users_old RENAME TO users;\n"
            "CREATE INDEX ix_users_email ON users (email);"
            if lite
            else (
                "ALTER TABLE users DROP FOREIGN KEY fk_users_team;\n"
                "DROP INDEX fk_users_team ON users;\n"
                if my
                else "ALTER TABLE users DROP CONSTRAINT fk_users_team;\n"
            )
            + "ALTER TABLE users DROP COLUMN team_id;",
            "",
        ),
        (
            "posts",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, "
            "body VARCHAR(1000), CONSTRAINT ck_posts_id CHECK (id > 0), "
            "CONSTRAINT fk_posts_user FOREIGN KEY (user_id) REFERENCES users (id));",
            "DROP TABLE posts;",
            "",
        ),
        (
            "active_users",
            "CREATE VIEW active_users AS SELECT id, email FROM users WHERE nick IS NOT NULL;",
            "DROP VIEW active_users;",
            "",
        ),
        (
            "seed_teams",
            "INSERT INTO teams (id, name) VALUES (1, 'core');",
            "DELETE FROM teams WHERE id = 1;",
            "",
        ),
        (
            "posts_title",
            "ALTER TABLE posts ADD COLUMN title VARCHAR(200) NOT NULL DEFAULT 'untitled';",
            "ALTER TABLE posts DROP COLUMN title;",
            "",
        ),
        (
            "tags",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(40) NOT NULL, "
            "CONSTRAINT uq_tags_label UNIQUE (label));",
            "DROP TABLE tags;",
            "",
        ),
        (
            "post_tags",
            "CREATE TABLE post_tags (post_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, "
            "PRIMARY KEY (post_id, tag_id), "
            "CONSTRAINT fk_pt_post FOREIGN KEY (post_id) REFERENCES posts (id), "
            "CONSTRAINT fk_pt_tag FOREIGN KEY (tag_id) REFERENCES tags (id));",
            "DROP TABLE post_tags;",
            "",
        ),
        (
            "rename_body",
            "ALTER TABLE posts RENAME COLUMN body TO content;",
            "ALTER TABLE posts RENAME COLUMN content TO body;",
            "",
        ),
        (
            "users_created_at",
            "ALTER TABLE users ADD COLUMN created_at TIMESTAMP NULL;",
            "ALTER TABLE users DROP COLUMN created_at;",
            "",
        ),
        (
            "ix_posts_title",
            "CREATE INDEX ix_posts_title ON posts (title, id);",
            drop_index(dialect, "ix_posts_title", "posts"),
            "",
        ),
        (
            "tags_color",
            "ALTER TABLE tags ADD COLUMN color VARCHAR(7) DEFAULT '#000000';",
            "ALTER TABLE tags DROP COLUMN color;",
            "",
        ),
        (
            "audit_log",
            "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, message TEXT, at_ts TIMESTAMP NULL);",
            "DROP TABLE audit_log;",
            "",
        ),
        (
            "drop_at_ts",  # the up loses the column's data; the down adds the column back
            "ALTER TABLE audit_log DROP COLUMN at_ts;",
            "ALTER TABLE audit_log ADD COLUMN at_ts TIMESTAMP NULL;",
            "",
        ),
        _widen_team_name(dialect),
        _mood(dialect),
        (
            "ix_tags",
            "CREATE INDEX CONCURRENTLY ix_tags_lower ON tags (lower(label));"
            if pg
            else "CREATE INDEX ix_tags_color ON tags (color);",
            "DROP INDEX CONCURRENTLY ix_tags_lower;"
            if pg
            else drop_index(dialect, "ix_tags_color", "tags"),
            "transaction:false" if pg else "",
        ),
        (
            "touch_teams",
            "UPDATE teams SET name = name WHERE id = 1;",
            "-- schemactl: no-op",
            "",
        ),
        (
            "settings",
            "CREATE TABLE settings (k VARCHAR(50) PRIMARY KEY, v VARCHAR(200));",
            "DROP TABLE settings;",
            "",
        ),
    ]
    return steps


def _widen_team_name(dialect: str) -> Migration:
    if dialect == "postgresql":
        return (
            "widen_team_name",
            "ALTER TABLE teams ALTER COLUMN name TYPE VARCHAR(200);",
            "ALTER TABLE teams ALTER COLUMN name TYPE VARCHAR(100);",
            "",
        )
    if dialect == "mysql":
        return (
            "widen_team_name",
            "ALTER TABLE teams MODIFY name VARCHAR(200) NOT NULL DEFAULT 'team';",
            "ALTER TABLE teams MODIFY name VARCHAR(100) NOT NULL DEFAULT 'team';",
            "",
        )

    def rebuild(size: int) -> str:  # SQLite's way: a new table, the rows copied over
        return (
            f"CREATE TABLE teams_new (id INTEGER PRIMARY KEY, "
            f"name VARCHAR({size}) NOT NULL DEFAULT 'team');\n"
            "INSERT INTO teams_new (id, name) SELECT id, name FROM teams;\n"
            "DROP TABLE teams;\nALTER TABLE teams_new RENAME TO teams;\n"
            "CREATE UNIQUE INDEX ux_teams_name ON teams (name);"
        )

    return ("widen_team_name", rebuild(200), rebuild(100), "")


def _mood(dialect: str) -> Migration:
    if dialect == "postgresql":
        return (
            "users_mood",
            "CREATE TYPE mood AS ENUM ('ok', 'meh');\nALTER TABLE users ADD COLUMN mood mood;",
            "ALTER TABLE users DROP COLUMN mood;\nDROP TYPE mood;",
            "",
        )
    kind = "ENUM('ok', 'meh')" if dialect == "mysql" else "VARCHAR(3)"
    return (
        "users_mood",
        f"ALTER TABLE users ADD COLUMN mood {kind};",
        "ALTER TABLE users DROP COLUMN mood;",
        "",
    )
