"""The shape of the package: small modules, no import cycles, a core that knows nothing of
the CLI, and dialects that are all interface."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import schemactl
from schemactl.dialects import DIALECTS, Dialect

PACKAGE = Path(schemactl.__file__).parent
MAX_LINES = 600


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(name: str, path: Path) -> set[str]:
    """Every schemactl module ``name`` imports, at module level or inside a function, except
    under ``if TYPE_CHECKING:`` (annotations only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = package.split(".")
                    parent = parent[: len(parent) - child.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                if base.split(".")[0] == "schemactl":
                    found.add(base)
                    found.update(f"{base}.{alias.name}" for alias in child.names)
            elif isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("schemactl"))
            visit(child)

    visit(tree)
    return found


def test_no_module_is_over_600_lines() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                walk(dep, [*path, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    return cycles


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    known = modules()
    graph = {
        name: {dep for dep in imports_of(name, path) if dep in known and dep != name}
        for name, path in known.items()
    }
    assert graph["schemactl._session"] >= {"schemactl._lock", "schemactl._runner"}
    assert find_cycles(graph) == []


def test_the_core_knows_nothing_of_the_cli() -> None:
    """Typer is in ``cli`` and the ``_cli_*`` modules only, and the core imports none of them."""
    cli_modules = {n for n in modules() if n == "schemactl.cli" or n.startswith("schemactl._cli")}
    assert len(cli_modules) >= 5  # cli, _cli_app, _cli_options, _cli_run, the commands
    for name, path in modules().items():
        if name in cli_modules or name == "schemactl.__main__":
            continue
        assert "typer" not in path.read_text(), name
        assert not imports_of(name, path) & cli_modules, name


def test_every_dialect_method_is_abstract() -> None:
    members = {
        name
        for name, value in vars(Dialect).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or isinstance(value, classmethod))
    }
    assert members
    assert members <= Dialect.__abstractmethods__
    for dialect in DIALECTS:
        assert not dialect.__abstractmethods__, dialect.__name__
        facts = ("name", "schemes", "async_driver", "pip_extra", "transactional_ddl")
        assert all(getattr(dialect, fact, None) is not None for fact in facts), dialect


def test_only_the_mcp_server_imports_mcp() -> None:
    """The `mcp` package is an optional extra: ``_mcp`` alone imports it (and ``_cli_mcp``
    imports ``_mcp`` only when `schemactl mcp` runs, turning its absence into one line)."""
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        roots = {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and not node.level
        } | {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert ("mcp" in roots) == (name == "schemactl._mcp"), name
