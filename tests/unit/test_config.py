"""CLI settings: flag > environment > .env file > [tool.schemactl] of pyproject.toml."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest

from schemactl._config import Config, read_env_file, read_pyproject, resolve
from schemactl._errors import ConfigurationError

LAYERS = ("flag", "environ", "dotenv", "pyproject")
# setting -> (environment variable, [tool.schemactl] key)
SETTINGS = {
    "url": ("DATABASE_URL", "url"),
    "migrations_dirs": ("SCHEMACTL_MIGRATIONS_DIR", "migrations_dir"),
    "migrations_table": ("SCHEMACTL_MIGRATIONS_TABLE", "migrations_table"),
}
DEFAULT = Config(url=None, migrations_dirs=("migrations",), migrations_table="schema_migrations")


def write_pyproject(directory: Path, body: str) -> Path:
    path = directory / "pyproject.toml"
    path.write_text(f'[project]\nname = "app"\n\n[tool.schemactl]\n{body}', encoding="utf-8")
    return path


def write_env(directory: Path, body: str, name: str = ".env") -> Path:
    path = directory / name
    path.write_text(body, encoding="utf-8")
    return path


def layer_value(setting: str, layer: str) -> str:
    return {"url": f"sqlite:{layer}.db", "migrations_dirs": f"{layer}_dir"}.get(
        setting, f"{layer}_table"
    )


PRECEDENCE = [
    (setting, layers)
    for setting in SETTINGS
    for size in range(len(LAYERS) + 1)
    for layers in itertools.combinations(LAYERS, size)
]


@pytest.mark.parametrize(
    ("setting", "layers"),
    PRECEDENCE,
    ids=[f"{setting}-{'+'.join(layers) or 'nothing'}" for setting, layers in PRECEDENCE],
)
def test_precedence(tmp_path: Path, setting: str, layers: tuple[str, ...]) -> None:
    env_name, key = SETTINGS[setting]
    environ: dict[str, str] = {"UNRELATED": "x"}
    flags: dict[str, str] = {}
    for layer in layers:
        value = layer_value(setting, layer)
        if layer == "flag":
            flags[setting] = value
        elif layer == "environ":
            environ[env_name] = value
        elif layer == "dotenv":
            write_env(tmp_path, f"# local settings\n{env_name}={value}\n")
        else:
            write_pyproject(tmp_path, f"{key} = {json.dumps(value)}\n")

    config = resolve(
        url=flags.get("url"),
        migrations_dirs=[flags["migrations_dirs"]] if "migrations_dirs" in flags else None,
        migrations_table=flags.get("migrations_table"),
        environ=environ,
        cwd=tmp_path,
    )

    expected = DEFAULT
    if layers:
        winner = layer_value(setting, layers[0])
        if setting == "url":
            expected = Config(winner, DEFAULT.migrations_dirs, DEFAULT.migrations_table)
        elif setting == "migrations_dirs":
            expected = Config(None, (winner,), DEFAULT.migrations_table)
        else:
            expected = Config(None, DEFAULT.migrations_dirs, winner)
    assert config == expected


def test_all_settings_from_different_layers(tmp_path: Path) -> None:
    write_pyproject(tmp_path, 'url = "sqlite:pyproject.db"\nmigrations_table = "py_table"\n')
    write_env(tmp_path, "SCHEMACTL_MIGRATIONS_TABLE=dotenv_table\nDATABASE_URL=sqlite:dotenv.db\n")
    config = resolve(
        migrations_dirs=["flag_dir"],
        environ={"DATABASE_URL": "sqlite:environ.db"},
        cwd=tmp_path,
    )
    assert config == Config("sqlite:environ.db", ("flag_dir",), "dotenv_table")


def test_cwd_defaults_to_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_pyproject(tmp_path, 'url = "sqlite:here.db"\n')
    write_env(tmp_path, "SCHEMACTL_MIGRATIONS_TABLE=here_table\n")
    config = resolve(environ={})
    assert config == Config("sqlite:here.db", ("migrations",), "here_table")


def test_environ_defaults_to_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:os.db")
    monkeypatch.delenv("SCHEMACTL_MIGRATIONS_DIR", raising=False)
    monkeypatch.delenv("SCHEMACTL_MIGRATIONS_TABLE", raising=False)
    write_env(tmp_path, "DATABASE_URL=sqlite:dotenv.db\nSCHEMACTL_MIGRATIONS_TABLE=t\n")
    config = resolve(cwd=tmp_path)
    assert config.url == "sqlite:os.db"
    assert config.migrations_table == "t"
    assert "SCHEMACTL_MIGRATIONS_TABLE" not in os.environ  # .env is read, never exported


def test_pyproject_of_parent_directory_is_not_read(tmp_path: Path) -> None:
    write_pyproject(tmp_path, 'url = "sqlite:parent.db"\n')
    child = tmp_path / "child"
    child.mkdir()
    assert resolve(environ={}, cwd=child) == DEFAULT


# --------------------------------------------------------------------------
# .env and the real environment


@pytest.mark.parametrize("explicit", [False, True], ids=["default-env-file", "explicit-env-file"])
def test_env_file_never_overrides_environment(tmp_path: Path, explicit: bool) -> None:
    write_env(
        tmp_path,
        "DATABASE_URL=sqlite:dotenv.db\nSCHEMACTL_MIGRATIONS_DIR=dotenv_dir\n"
        "SCHEMACTL_MIGRATIONS_TABLE=dotenv_table\n",
    )
    environ = {
        "DATABASE_URL": "sqlite:real.db",
        "SCHEMACTL_MIGRATIONS_DIR": "real_dir",
        "SCHEMACTL_MIGRATIONS_TABLE": "real_table",
    }
    before = dict(environ)
    config = resolve(environ=environ, cwd=tmp_path, env_file=".env" if explicit else None)
    assert config == Config("sqlite:real.db", ("real_dir",), "real_table")
    assert environ == before


def test_explicit_env_file_missing(tmp_path: Path) -> None:
    write_env(tmp_path, "DATABASE_URL=sqlite:dotenv.db\n")
    with pytest.raises(ConfigurationError) as info:
        resolve(env_file="ci.env", environ={}, cwd=tmp_path)
    assert "ci.env" in str(info.value)


def test_explicit_env_file_replaces_default(tmp_path: Path) -> None:
    write_env(tmp_path, "DATABASE_URL=sqlite:dotenv.db\nSCHEMACTL_MIGRATIONS_TABLE=default\n")
    write_env(tmp_path, "DATABASE_URL=sqlite:ci.db\n", name="ci.env")
    config = resolve(env_file="ci.env", environ={}, cwd=tmp_path)
    assert config == Config("sqlite:ci.db", ("migrations",), "schema_migrations")


def test_explicit_env_file_absolute_path(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = write_env(elsewhere, "DATABASE_URL=sqlite:abs.db\n", name="prod.env")
    cwd = tmp_path / "project"
    cwd.mkdir()
    assert resolve(env_file=str(env), environ={}, cwd=cwd).url == "sqlite:abs.db"


def test_default_env_file_missing_is_fine(tmp_path: Path) -> None:
    assert resolve(environ={}, cwd=tmp_path) == DEFAULT


def test_read_env_file_missing(tmp_path: Path) -> None:
    assert read_env_file(tmp_path / ".env", required=False) == {}
    with pytest.raises(ConfigurationError, match="does not exist"):
        read_env_file(tmp_path / ".env", required=True)


# --------------------------------------------------------------------------
# .env syntax


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("DATABASE_URL=sqlite:a.db", "sqlite:a.db"),
        ("export DATABASE_URL=sqlite:a.db", "sqlite:a.db"),
        ("  export\tDATABASE_URL = sqlite:a.db  ", "sqlite:a.db"),
        ('DATABASE_URL="sqlite:a.db"', "sqlite:a.db"),
        ("DATABASE_URL='sqlite:a.db'", "sqlite:a.db"),
        ('export DATABASE_URL="sqlite:a.db"', "sqlite:a.db"),
        ('DATABASE_URL=" spaced "', " spaced "),
        ('DATABASE_URL="it\'s"', "it's"),
        ('DATABASE_URL="a # not a comment"', "a # not a comment"),
        ("DATABASE_URL='a # not a comment'", "a # not a comment"),
        ("DATABASE_URL=sqlite:a.db # local database", "sqlite:a.db"),
        ("DATABASE_URL=sqlite:a.db\t# tab before the comment", "sqlite:a.db"),
        ("DATABASE_URL=postgres://u:p#w@h/d", "postgres://u:p#w@h/d"),
        ("DATABASE_URL=a=b=c", "a=b=c"),
        ("DATABASE_URL=", ""),
        ('DATABASE_URL=""', ""),
        ('DATABASE_URL="sqlite:a.db" # quoted, then a comment', "sqlite:a.db"),
        ("DATABASE_URL='sqlite:a.db' # quoted, then a comment", "sqlite:a.db"),
    ],
)
def test_env_file_syntax(tmp_path: Path, line: str, value: str) -> None:
    path = write_env(tmp_path, f"# a comment\n\n{line}\n")
    assert read_env_file(path, required=True) == {"DATABASE_URL": value}


def test_env_file_comments_blank_lines_and_several_keys(tmp_path: Path) -> None:
    path = write_env(
        tmp_path,
        "# database\n\n   # indented comment\nDATABASE_URL=sqlite:first.db\n\t\n"
        "export SCHEMACTL_MIGRATIONS_TABLE=versions  # inline\n"
        "DATABASE_URL=sqlite:last.db\n",
    )
    assert read_env_file(path, required=False) == {
        "DATABASE_URL": "sqlite:last.db",
        "SCHEMACTL_MIGRATIONS_TABLE": "versions",
    }


def test_env_file_crlf(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"# c\r\nDATABASE_URL=sqlite:a.db\r\nSCHEMACTL_MIGRATIONS_TABLE='t'\r\n")
    assert read_env_file(path, required=True) == {
        "DATABASE_URL": "sqlite:a.db",
        "SCHEMACTL_MIGRATIONS_TABLE": "t",
    }


@pytest.mark.parametrize(
    "bad",
    [
        "not a setting",
        "DATABASE_URL",
        "export DATABASE_URL",
        "export",
        "= value",
        "1KEY=x",
        "KEY-NAME=x",
        "DATABASE URL=x",
    ],
)
def test_env_file_bad_line(tmp_path: Path, bad: str) -> None:
    path = write_env(tmp_path, f"# comment\nGOOD=1\n\n{bad}\nALSO_GOOD=2\n")
    with pytest.raises(ConfigurationError) as info:
        read_env_file(path, required=True)
    assert f"{path}:4" in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        resolve(environ={}, cwd=tmp_path)
    assert f"{path}:4" in str(info.value)


def test_env_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"DATABASE_URL=sqlite:caf\xe9.db\n")
    with pytest.raises(ConfigurationError) as info:
        read_env_file(path, required=False)
    assert str(path) in str(info.value)


# --------------------------------------------------------------------------
# migrations directories


@pytest.mark.parametrize(
    ("value", "dirs"),
    [
        (os.pathsep.join(["db/a", "db/b"]), ("db/a", "db/b")),
        (os.pathsep.join(["one", "two", "three"]), ("one", "two", "three")),
        (os.pathsep + "db/a" + os.pathsep * 2 + "db/b" + os.pathsep, ("db/a", "db/b")),
        ("single", ("single",)),
    ],
)
@pytest.mark.parametrize("source", ["environ", "dotenv"])
def test_migrations_dir_path_list(
    tmp_path: Path, value: str, dirs: tuple[str, ...], source: str
) -> None:
    environ: dict[str, str] = {}
    if source == "environ":
        environ["SCHEMACTL_MIGRATIONS_DIR"] = value
    else:
        write_env(tmp_path, f"SCHEMACTL_MIGRATIONS_DIR={value}\n")
    assert resolve(environ=environ, cwd=tmp_path).migrations_dirs == dirs


def test_migrations_dirs_flag_several(tmp_path: Path) -> None:
    config = resolve(migrations_dirs=["a", "b"], environ={}, cwd=tmp_path)
    assert config.migrations_dirs == ("a", "b")


@pytest.mark.parametrize(
    ("toml", "dirs"),
    [
        ('migrations_dir = ["db/a", "db/b"]\n', ("db/a", "db/b")),
        ('migrations_dir = ["only"]\n', ("only",)),
        ('migrations_dir = "db/migrations"\n', ("db/migrations",)),
    ],
)
def test_pyproject_migrations_dir(tmp_path: Path, toml: str, dirs: tuple[str, ...]) -> None:
    write_pyproject(tmp_path, toml)
    assert resolve(environ={}, cwd=tmp_path).migrations_dirs == dirs


# --------------------------------------------------------------------------
# pyproject.toml


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ("migrations_dir = 5\n", "migrations_dir"),
        ('migrations_dir = ["a", 1]\n', "migrations_dir"),
        ("url = 5\n", "url"),
        ('url = ["sqlite:a.db"]\n', "url"),
    ],
)
def test_pyproject_wrong_types(tmp_path: Path, toml: str, fragment: str) -> None:
    write_pyproject(tmp_path, toml)
    with pytest.raises(ConfigurationError, match=fragment):
        resolve(environ={}, cwd=tmp_path)


def test_pyproject_unknown_keys(tmp_path: Path) -> None:
    path = write_pyproject(
        tmp_path, 'url = "sqlite:a.db"\nmigration_dir = "typo"\ndatabase_url = "x"\n'
    )
    with pytest.raises(ConfigurationError) as info:
        resolve(environ={}, cwd=tmp_path)
    message = str(info.value)
    assert str(path) in message
    assert "migration_dir" in message
    assert "database_url" in message
    with pytest.raises(ConfigurationError, match="migration_dir"):
        read_pyproject(path)


def test_pyproject_known_keys(tmp_path: Path) -> None:
    path = write_pyproject(
        tmp_path,
        'url = "sqlite:a.db"\nmigrations_dir = "m"\n'
        'migrations_table = "t"\nmodels = "app.models"\n',
    )
    assert read_pyproject(path) == {
        "url": "sqlite:a.db",
        "migrations_dir": "m",
        "migrations_table": "t",
        "models": "app.models",
    }
    assert resolve(environ={}, cwd=tmp_path) == Config("sqlite:a.db", ("m",), "t", "app.models")


@pytest.mark.parametrize(
    "text",
    [
        "[tool.schemactl\nurl = 'x'\n",
        "[tool.schemactl]\nurl = \n",
        "[tool.schemactl]\nurl = 'a'\nurl = 'b'\n",
        '[tool.schemactl]\nurl = "unterminated\n',
    ],
    ids=["unclosed-table", "missing-value", "duplicate-key", "unterminated-string"],
)
def test_pyproject_invalid_toml(tmp_path: Path, text: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as info:
        resolve(environ={}, cwd=tmp_path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "text",
    ["", '[project]\nname = "app"\n', "[tool.ruff]\nline-length = 100\n", "[tool.schemactl]\n"],
    ids=["empty", "no-tool", "other-tool", "empty-section"],
)
def test_pyproject_without_settings(tmp_path: Path, text: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    assert read_pyproject(path) == {}
    assert resolve(environ={}, cwd=tmp_path) == DEFAULT


def test_read_pyproject_missing(tmp_path: Path) -> None:
    assert read_pyproject(tmp_path / "pyproject.toml") == {}


# --------------------------------------------------------------------------
# no URL anywhere


def test_no_url_anywhere(tmp_path: Path) -> None:
    write_pyproject(tmp_path, 'migrations_dir = "m"\n')
    write_env(tmp_path, "SCHEMACTL_MIGRATIONS_TABLE=t\n")
    config = resolve(environ={"PATH": "/usr/bin"}, cwd=tmp_path)
    assert config.url is None
    with pytest.raises(ConfigurationError) as info:
        config.require_url()
    message = str(info.value)
    for hint in ("--url", "DATABASE_URL", ".env", "[tool.schemactl]", "pyproject.toml"):
        assert hint in message
    assert info.value.exit_code == 3


def test_require_url_returns_the_url(tmp_path: Path) -> None:
    config = resolve(environ={"DATABASE_URL": "sqlite:a.db"}, cwd=tmp_path)
    assert config.require_url() == "sqlite:a.db"


# --------------------------------------------------------------------------
# tables and schemas left out of autogenerate and check


def test_exclusions_from_pyproject(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        'exclude_tables = ["spatial_ref_sys", "audit_*"]\nexclude_schemas = ["audit"]\n',
    )
    config = resolve(environ={}, cwd=tmp_path)
    assert config.exclude_tables == ("spatial_ref_sys", "audit_*")
    assert config.exclude_schemas == ("audit",)
    flagged = resolve(exclude_tables=["tmp_*"], environ={}, cwd=tmp_path)
    assert flagged.exclude_tables == ("tmp_*",)  # a flag replaces the layer below, as always
    assert flagged.exclude_schemas == ("audit",)


@pytest.mark.parametrize(
    "toml",
    [
        'exclude_tables = "audit_*"\n',
        "exclude_tables = [1]\n",
        'exclude_tables = [""]\n',
        "exclude_schemas = {audit = true}\n",
    ],
)
def test_exclusions_of_the_wrong_type(tmp_path: Path, toml: str) -> None:
    write_pyproject(tmp_path, toml)
    with pytest.raises(ConfigurationError, match="must be a list of names or globs") as info:
        resolve(environ={}, cwd=tmp_path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("pattern", "schema", "name", "excluded"),
    [
        ("spatial_ref_sys", None, "spatial_ref_sys", True),
        ("spatial_ref_sys", None, "spatial_ref_sys_2", False),
        ("audit_*", None, "audit_log", True),
        ("audit_*", "other", "audit_log", True),  # unqualified: any schema
        ("audit_*", None, "Audit_log", False),  # case-sensitive
        ("audit.*", "audit", "events", True),
        ("audit.*", None, "events", False),
        ("public.spatial_*", None, "spatial_ref_sys", True),  # None is the default schema
        ("public.spatial_*", "gis", "spatial_ref_sys", False),
        ("gis.spatial_ref_sys", "gis", "spatial_ref_sys", True),
    ],
)
def test_table_patterns(pattern: str, schema: str | None, name: str, excluded: bool) -> None:
    from schemactl.autogen.filters import ObjectFilter

    patterns = ObjectFilter.build([pattern]).connected("public")
    assert patterns.table_excluded(schema, name) is excluded


def test_schema_patterns_and_the_callable() -> None:
    from sqlalchemy import Column, Integer, MetaData, Table

    from schemactl.autogen.filters import ObjectFilter

    table = Table("t", MetaData(), Column("id", Integer), schema="audit")
    by_schema = ObjectFilter.build(exclude_schemas="aud*").connected("public")
    assert by_schema.table_excluded("audit", "t")
    assert not by_schema.table_excluded(None, "t")
    assert not by_schema.includes(table, "t", "table", False, None)
    asked: list[tuple[str, bool]] = []

    def include_object(
        obj: object, name: str | None, type_: str, reflected: bool, _: object
    ) -> bool:
        asked.append((type_, reflected))
        return type_ != "column"

    by_callable = ObjectFilter.build(include_object=include_object)
    assert by_callable.includes(table, "t", "table", True, None)
    assert not by_callable.includes(table.c.id, "id", "column", False, None)
    assert asked == [("table", True), ("column", False)]
    with pytest.raises(ConfigurationError, match="exclude_tables takes"):
        ObjectFilter.build([3])  # type: ignore[list-item]


# -- [tool.schemactl.lint] and enforcement ---------------------------------------------------


def test_no_lint_table_loads_no_lint_code(tmp_path: Path) -> None:
    assert resolve(cwd=tmp_path, environ={}).lint_policy() is None


def test_the_lint_table_becomes_the_policy(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        '[tool.schemactl.lint]\nenforce = true\ndisable = ["missing-down"]\n'
        'severity = { DS102 = "warning" }\nstart_after = 20250101000000\n',
    )
    policy = resolve(cwd=tmp_path, environ={}).lint_policy()
    assert policy is not None
    assert policy.enforce
    assert policy.disabled == {"RB101"}
    assert policy.severities == {"DS102": "warning"}
    assert policy.start_after == "20250101000000"


@pytest.mark.parametrize(
    ("flag", "env", "table", "expected"),
    [
        (None, None, "enforce = true", True),
        (None, "0", "enforce = true", False),
        (None, "yes", "", True),
        (False, "1", "enforce = true", False),
        (True, "0", "", True),
        (None, None, "", False),
    ],
)
def test_enforcement_flag_over_environment_over_pyproject(
    tmp_path: Path, flag: bool | None, env: str | None, table: str, expected: bool
) -> None:
    write_pyproject(tmp_path, f"[tool.schemactl.lint]\n{table}\n")
    environ = {} if env is None else {"SCHEMACTL_LINT_ENFORCE": env}
    policy = resolve(cwd=tmp_path, environ=environ, enforce=flag).lint_policy()
    assert policy is not None
    assert policy.enforce is expected


def test_enforcement_from_the_env_file(tmp_path: Path) -> None:
    write_env(tmp_path, "SCHEMACTL_LINT_ENFORCE=true\n")
    policy = resolve(cwd=tmp_path, environ={}).lint_policy()
    assert policy is not None
    assert policy.enforce


@pytest.mark.parametrize(
    ("body", "environ", "message"),
    [
        ('[tool.schemactl.lint]\ndisable = ["XX999"]\n', {}, "unknown rule 'XX999' in [tool"),
        ("[tool.schemactl.lint]\nenforced = true\n", {}, "unknown setting 'enforced' in [tool"),
        ('[tool.schemactl.lint]\nblock = "fatal"\n', {}, "block in [tool.schemactl.lint] must be"),
        ('lint = "strict"\n', {}, "[tool.schemactl.lint] must be a table"),
        ("", {"SCHEMACTL_LINT_ENFORCE": "maybe"}, "SCHEMACTL_LINT_ENFORCE must be 1 or 0"),
    ],
)
def test_a_wrong_lint_setting_is_one_line(
    tmp_path: Path, body: str, environ: dict[str, str], message: str
) -> None:
    write_pyproject(tmp_path, body)
    with pytest.raises(ConfigurationError) as caught:
        resolve(cwd=tmp_path, environ=environ).lint_policy()
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_schemas_from_each_layer(tmp_path: Path) -> None:
    write_pyproject(tmp_path, 'schemas = ["p1", "p2"]\n')
    assert resolve(cwd=tmp_path, environ={}).schemas == ("p1", "p2")
    environ = {"SCHEMACTL_SCHEMAS_FROM": "SELECT 'e'"}
    found = resolve(cwd=tmp_path, environ=environ)
    with pytest.raises(ConfigurationError, match="--schemas or --schemas-from, not both"):
        resolve(cwd=tmp_path, environ={"SCHEMACTL_SCHEMAS": "a"} | environ)
    assert found.schemas_from == "SELECT 'e'"
    assert found.fleet
    flagged = resolve(cwd=tmp_path, environ=environ, schemas="f1,f2")  # a flag beats both
    assert (flagged.schemas, flagged.schemas_from) == (("f1", "f2"), None)
    with pytest.raises(ConfigurationError, match="--schemas or --schemas-from, not both"):
        resolve(cwd=tmp_path, environ={}, schemas="a", schemas_from="SELECT 1")
    write_pyproject(tmp_path, "schemas = 3\n")
    with pytest.raises(ConfigurationError, match="must be a list of schema names"):
        resolve(cwd=tmp_path, environ={})
    assert not resolve(cwd=tmp_path / "nowhere", environ={}).fleet
