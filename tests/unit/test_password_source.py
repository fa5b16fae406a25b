"""Where a password command comes from (flag > environment > .env > pyproject), and what
``password=`` accepts, checked before anything connects."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from schemactl._config import resolve
from schemactl._errors import ConfigurationError, DatabaseConnectionError
from schemactl._password import command_password, password_source


def test_password_command_flag_over_environment_over_dotenv_over_pyproject(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.schemactl]\npassword_command = "py"\n')
    assert resolve(cwd=tmp_path, environ={}).password_command == "py"
    (tmp_path / ".env").write_text("SCHEMACTL_PASSWORD_COMMAND=dotenv\n")
    assert resolve(cwd=tmp_path, environ={}).password_command == "dotenv"
    environ = {"SCHEMACTL_PASSWORD_COMMAND": "environ"}
    assert resolve(cwd=tmp_path, environ=environ).password_command == "environ"
    flagged = resolve(password_command="flag", cwd=tmp_path, environ=environ)
    assert flagged.password_command == "flag"


def test_password_command_in_pyproject_must_be_a_string(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.schemactl]\npassword_command = 3\n")
    with pytest.raises(ConfigurationError, match=r"password_command .* must be a string"):
        resolve(cwd=tmp_path, environ={})


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "password= is empty"), (3, "not int")],
)
def test_password_argument_refused_at_once(value: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        password_source(value)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_function_returning_no_str_is_one_line() -> None:
    source = password_source(lambda: None)  # type: ignore[arg-type]
    assert source is not None
    with pytest.raises(ConfigurationError, match="returned NoneType, not a password"):
        await source()


@pytest.mark.anyio
async def test_sync_and_async_functions_and_commands_give_the_stripped_password() -> None:
    async def token() -> str:
        return "from-a-coroutine"

    for given, expected in ((lambda: "plain", "plain"), (token, "from-a-coroutine")):
        source = password_source(given)
        assert source is not None
        assert await source() == expected
        assert source.last == expected
    assert await command_password("printf '  tok en\\n\\n'")() == "tok en"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("echo s3cret-out; exit 7", "failed with exit status 7"),
        ("true", "printed no password"),
    ],
)
async def test_a_failing_command_is_one_line_without_its_output(command: str, message: str) -> None:
    with pytest.raises(DatabaseConnectionError, match=message) as raised:
        await command_password(command)()
    assert "s3cret" not in str(raised.value)
    assert command not in str(raised.value)


def test_the_command_gets_no_terminal_input() -> None:
    async def run() -> str:
        return await command_password("cat; echo read-nothing")()

    assert anyio.run(run) == "read-nothing"
