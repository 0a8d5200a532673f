"""The house's layers, checked on the code itself (issue 15): pages over services over lessons, voice and
progress_db, arrows one way. Imports inside functions count: a circle hidden in a function is still a circle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("learn", "progress_db")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def imports(name: str) -> set[str]:
    """What the module ``name`` imports, as module names (``from pkg import submodule`` is the submodule, not the
    package: importing a submodule needs its package loaded, which is not a dependency on its contents)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names)
    return found


def _ours(module: str) -> str | None:
    while module and module not in MODULES:
        module = module.rpartition(".")[0]
    return module or None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of ``graph`` (strongly connected parts of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = [stack.pop()]
            while part[-1] != v:
                part.append(stack.pop())
            if len(part) > 1:
                found.append(sorted(part))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_there_is_no_import_circle() -> None:
    graph = {m: {o for i in imports(m) if (o := _ours(i)) and o != m} for m in MODULES}
    assert cycles(graph) == []


def test_the_circle_finder_finds_circles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_pages_take_only_record_types_from_the_database_package() -> None:
    for page in (m for m in MODULES if m.startswith("learn.app.views.")):
        reached = {i for i in imports(page) if i.startswith("progress_db")}
        assert reached <= {"progress_db.records"}, f"{page} imports {sorted(reached)}: call a service instead"


def test_only_the_app_imports_streamlit_and_only_progress_db_imports_peewee() -> None:
    for module in MODULES:
        found = {i.partition(".")[0] for i in imports(module)}
        if not module.startswith("learn.app"):
            assert "streamlit" not in found, f"{module} imports streamlit: only learn/app draws pages"
        if not module.startswith("progress_db"):
            assert not found & {"peewee", "playhouse"}, f"{module} imports peewee: only progress_db stores"
