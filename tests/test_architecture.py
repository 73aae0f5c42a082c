"""The house's layout holds: no import cycles, no commits or SQL in routes and pages, no routes called from
pages or commands. (import-linter checks the layers in ``make lint``; these are what it cannot say.)"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("schemas", "solver", "service")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Our modules that ``path`` imports, at the top or inside a function (a lazy import is still a cycle)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        out.update(n for n in names if n in modules)
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = defaultdict(set)
    for name, path in modules.items():
        # a package's __init__ importing its own submodules is how packages are made, not a cycle
        graph[name] = {m for m in _imports(path, modules) if not (m.startswith(name + ".") and path.stem == "__init__")}
    return graph


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_a_cycle_is_seen():
    """The check itself bites: two modules importing each other make one cycle."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def _thin_modules() -> list[Path]:
    service = ROOT / "service"
    return sorted([*service.glob("*/routes.py"), *(service / "web").glob("*.py"), *(service / "cli").glob("*.py")])


def _calls(path: Path) -> set[str]:
    return {
        node.func.attr
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


@pytest.mark.parametrize("path", _thin_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_routes_pages_and_commands_neither_commit_nor_query(path):
    """The service owns the transaction and the repository the SQL; a route, a page or a command does neither."""
    assert _calls(path) & {"commit", "exec", "execute", "scalars", "scalar"} == set()


@pytest.mark.parametrize(
    "path",
    sorted([*(ROOT / "service/web").glob("*.py"), *(ROOT / "service/cli").glob("*.py")]),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_pages_and_commands_never_import_routes(path):
    modules = _modules()
    assert {m for m in _imports(path, modules) if m.endswith(".routes")} == set()
