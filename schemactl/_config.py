"""Where the CLI's settings come from: flag > environment > .env > [tool.schemactl].

The API never reads any of this: it takes plain arguments. Only the CLI resolves settings.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import ConfigurationError

if TYPE_CHECKING:
    from .lint.policy import Policy

ENV_URL = "DATABASE_URL"
ENV_MIGRATIONS_DIR = "SCHEMACTL_MIGRATIONS_DIR"
ENV_MIGRATIONS_TABLE = "SCHEMACTL_MIGRATIONS_TABLE"
ENV_MODELS = "SCHEMACTL_MODELS"
ENV_LINT_ENFORCE = "SCHEMACTL_LINT_ENFORCE"
ENV_SCHEMA_FILE = "SCHEMACTL_SCHEMA_FILE"
ENV_PASSWORD_COMMAND = "SCHEMACTL_PASSWORD_COMMAND"
ENV_URL_FILE = "SCHEMACTL_URL_FILE"
ENV_SCHEMAS = "SCHEMACTL_SCHEMAS"
ENV_SCHEMAS_FROM = "SCHEMACTL_SCHEMAS_FROM"
PYPROJECT_KEYS = {
    "url",
    "url_file",
    "schemas",
    "schemas_from",
    "migrations_dir",
    "migrations_table",
    "models",
    "exclude_tables",
    "exclude_schemas",
    "strict",
    "fail_on_drift",
    "schema_file",
    "dump_schema",
    "password_command",
    "lint",  # the [tool.schemactl.lint] table: lint.policy reads it
}
_QUOTED = re.compile(r"""^(["'])(.*?)\1\s*(?:#.*)?$""")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True)
class Config:
    url: str | None
    migrations_dirs: tuple[str, ...]
    migrations_table: str
    models: str | None = None
    exclude_tables: tuple[str, ...] = ()  # left out of autogenerate and check: names, globs
    exclude_schemas: tuple[str, ...] = ()
    strict: bool = False  # refuse out-of-order pending migrations (`up`, `migrate`)
    fail_on_drift: bool = False  # refuse to run while an applied file changed
    lint_table: Mapping[str, Any] | None = None  # [tool.schemactl.lint], its keys checked
    lint_enforce: bool | None = None  # --enforce/--no-enforce, else SCHEMACTL_LINT_ENFORCE
    schema_file: str = "schema.sql"  # what `dump` writes and `load` reads
    dump_schema: bool = False  # `up`, `migrate`, `rollback`, `redo` dump after a change
    password_command: str | None = None  # its output is the password of each new connection
    url_file: str | None = None  # a fleet: one database URL a line (replaces `url`)
    schemas: tuple[str, ...] | None = None  # PostgreSQL: run in each of these schemas
    schemas_from: str | None = None  # PostgreSQL: run in each schema this query lists

    @property
    def fleet(self) -> bool:
        """Many targets: the databases of a URL file, or the schemas of a database."""
        return bool(self.url_file or self.schemas or self.schemas_from)

    def lint_policy(self) -> Policy | None:
        """The lint policy: [tool.schemactl.lint] with enforcement from the flag or the
        environment over its ``enforce`` key; None when nothing sets one. Built on demand,
        by the commands that lint: naming rules loads the rule catalog."""
        if self.lint_table is None and self.lint_enforce is None:
            return None
        from .lint.policy import Policy

        policy = Policy.from_table(self.lint_table or {})
        if self.lint_enforce is None:
            return policy
        return dataclasses.replace(policy, enforce=self.lint_enforce)

    def require_url(self) -> str:
        if not self.url:
            raise ConfigurationError(
                "no database URL: pass --url, set DATABASE_URL (or put it in .env), "
                "or set url in [tool.schemactl] of pyproject.toml"
            )
        return self.url


def resolve(
    *,
    url: str | None = None,
    migrations_dirs: Sequence[str] | None = None,
    migrations_table: str | None = None,
    models: str | None = None,
    exclude_tables: Sequence[str] | None = None,
    enforce: bool | None = None,
    schema_file: str | None = None,
    dump_schema: bool | None = None,
    password_command: str | None = None,
    url_file: str | None = None,
    schemas: str | None = None,
    schemas_from: str | None = None,
    env_file: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Resolve the settings of one CLI run. ``env_file`` None means ``.env`` if it exists.

    ``--exclude-table`` flags replace ``exclude_tables`` of [tool.schemactl], as every flag
    replaces the setting below it. A URL file (``--url-file``) is found as ``url`` is; a
    ``--url`` flag beats one from the environment or pyproject, and both flags at once are a
    ``ConfigurationError``."""
    environ = os.environ if environ is None else environ
    cwd = cwd or Path.cwd()
    dotenv = read_env_file(cwd / (env_file or ".env"), required=env_file is not None)
    project = read_pyproject(cwd / "pyproject.toml")

    def pick(flag: Any, env_name: str, key: str) -> Any:
        if flag:
            return flag
        if environ.get(env_name):
            return environ[env_name]
        if dotenv.get(env_name):
            return dotenv[env_name]
        return project.get(key)

    dirs = pick(list(migrations_dirs or []), ENV_MIGRATIONS_DIR, "migrations_dir") or "migrations"
    if isinstance(dirs, str):
        dirs = [d for d in dirs.split(os.pathsep) if d]
    if not isinstance(dirs, list) or not all(isinstance(d, str) for d in dirs):
        raise ConfigurationError("migrations_dir in [tool.schemactl] must be a string or a list")
    table = pick(migrations_table, ENV_MIGRATIONS_TABLE, "migrations_table") or "schema_migrations"
    if not isinstance(table, str):  # `migrations_table = 3` is not the table "3"
        raise ConfigurationError("migrations_table in [tool.schemactl] must be a string")
    found_url = pick(url, ENV_URL, "url")
    if found_url is not None and not isinstance(found_url, str):
        raise ConfigurationError("url in [tool.schemactl] must be a string")
    found_url_file = _url_file(url, url_file, pick(url_file, ENV_URL_FILE, "url_file"))
    found_schema_file = pick(schema_file, ENV_SCHEMA_FILE, "schema_file") or "schema.sql"
    if not isinstance(found_schema_file, str):
        raise ConfigurationError("schema_file in [tool.schemactl] must be a string (a path)")
    found_models = pick(models, ENV_MODELS, "models")
    if found_models is not None and not isinstance(found_models, str):
        raise ConfigurationError("models in [tool.schemactl] must be a string like app.models")
    found_command = pick(password_command, ENV_PASSWORD_COMMAND, "password_command")
    if found_command is not None and not isinstance(found_command, str):
        raise ConfigurationError("password_command in [tool.schemactl] must be a string")
    found_schemas, found_schemas_from = _tenants(
        [
            (schemas, schemas_from),
            *((d.get(ENV_SCHEMAS), d.get(ENV_SCHEMAS_FROM)) for d in (environ, dotenv)),
            (project.get("schemas"), project.get("schemas_from")),
        ]
    )
    return Config(
        url=found_url,
        migrations_dirs=tuple(dirs),
        migrations_table=table,
        models=found_models,
        exclude_tables=tuple(exclude_tables or _names(project, "exclude_tables")),
        exclude_schemas=_names(project, "exclude_schemas"),
        strict=_flag(project, "strict"),
        fail_on_drift=_flag(project, "fail_on_drift"),
        lint_table=_lint_table(project),
        lint_enforce=_enforce(enforce, pick(None, ENV_LINT_ENFORCE, "")),
        schema_file=found_schema_file,
        dump_schema=_flag(project, "dump_schema") if dump_schema is None else dump_schema,
        password_command=found_command or None,
        url_file=found_url_file,
        schemas=found_schemas,
        schemas_from=found_schemas_from,
    )


def _url_file(url_flag: str | None, url_file_flag: str | None, found: Any) -> str | None:
    if url_flag and url_file_flag:
        raise ConfigurationError("give --url or --url-file, not both")
    if url_flag:  # a flag beats a URL file set in the environment or pyproject
        return None
    if found is not None and not isinstance(found, str):
        raise ConfigurationError("url_file in [tool.schemactl] must be a string (a path)")
    return found or None


def _tenants(layers: list[tuple[Any, Any]]) -> tuple[tuple[str, ...] | None, str | None]:
    """--schemas (a comma list, or a list in pyproject) or --schemas-from: from the first
    layer (flag, environment, .env, pyproject) that sets either; one layer may not set both."""
    schemas, schemas_from = next(((a, b) for a, b in layers if a or b), (None, None))
    if schemas and schemas_from:
        raise ConfigurationError("give --schemas or --schemas-from, not both")
    if isinstance(schemas, str):
        from ._tenants import parse_schemas

        schemas = parse_schemas(schemas)
    if schemas and not (
        isinstance(schemas, list) and all(isinstance(n, str) and n for n in schemas)
    ):
        raise ConfigurationError("schemas in [tool.schemactl] must be a list of schema names")
    if schemas_from and not isinstance(schemas_from, str):
        raise ConfigurationError("schemas_from in [tool.schemactl] must be a string (a query)")
    return (tuple(schemas) if schemas else None), (schemas_from or None)


def _lint_table(project: dict[str, Any]) -> dict[str, Any] | None:
    """[tool.schemactl.lint], its keys checked (its values: by ``Config.lint_policy``)."""
    table = project.get("lint")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigurationError("[tool.schemactl.lint] must be a table")
    from .lint.policy import check_keys

    check_keys(table)
    return table


def _enforce(flag: bool | None, env: str | None) -> bool | None:
    """--enforce/--no-enforce, else SCHEMACTL_LINT_ENFORCE (environment, then .env)."""
    if flag is not None or env is None:
        return flag
    lowered = env.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{ENV_LINT_ENFORCE} must be 1 or 0 (true or false), not {env!r}")


def _flag(project: dict[str, Any], key: str) -> bool:
    """A true/false setting of [tool.schemactl]."""
    value = project.get(key, False)
    if not isinstance(value, bool):
        raise ConfigurationError(f"{key} in [tool.schemactl] must be true or false")
    return value


def _names(project: dict[str, Any], key: str) -> tuple[str, ...]:
    """A list of names or globs in [tool.schemactl]."""
    value = project.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigurationError(
            f'{key} in [tool.schemactl] must be a list of names or globs, like ["audit_*"]'
        )
    return tuple(value)


def read_env_file(path: Path, *, required: bool) -> dict[str, str]:
    """Parse a dotenv file: KEY=VALUE lines, optional `export`, quotes, # comments."""
    if not path.exists():
        if required:
            raise ConfigurationError(f"env file {str(path)!r} does not exist")
        return {}
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read env file {path}: {exc}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "\0" in line:  # no environment variable can hold one; paths and URLs fail on it
            raise ConfigurationError(f"{path}:{number}: contains a NUL byte")
        match = _ENV_LINE.match(line)
        if match is None:
            raise ConfigurationError(f"{path}:{number}: expected KEY=VALUE")
        key, value = match.groups()
        quoted = _QUOTED.match(value)
        values[key] = quoted.group(2) if quoted else re.split(r"\s+#", value, maxsplit=1)[0]
    return values


def read_pyproject(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from None
    tool = data.get("tool", {})
    section = tool.get("schemactl", {}) if isinstance(tool, dict) else None
    if not isinstance(section, dict):  # `tool = 3`, `[tool] schemactl = "x"`
        raise ConfigurationError(f"{path}: [tool.schemactl] must be a table")
    nul = sorted(key for key, value in section.items() if "\0" in str(value))
    if nul:  # a TOML string may hold "\u0000"; paths and URLs fail on it
        raise ConfigurationError(f"{path}: {nul[0]} in [tool.schemactl] contains a NUL byte")
    unknown = sorted(set(section) - PYPROJECT_KEYS)
    if unknown:
        raise ConfigurationError(
            f"{path}: unknown key(s) in [tool.schemactl]: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(PYPROJECT_KEYS))})"
        )
    return dict(section)
