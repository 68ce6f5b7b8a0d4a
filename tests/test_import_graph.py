"""The one-way architecture, checked on the source: imports at module level and deferred ones inside functions.

- ``registry`` (the data path: catalog, fetch, loaders, formats, checks, bench, site) never imports ``scorers``;
  ``registry.cli`` is the command-line application that composes the two, so it may;
- no import cycle between modules (``if TYPE_CHECKING:`` imports do not run and do not count);
- only ``registry.index`` speaks SQL (imports sqlite3, sqlmodel or sqlalchemy).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO_ROOT

PACKAGES = ("registry", "scorers")
APPLICATION = ("registry.cli",)
SQL = {"sqlite3", "sqlmodel", "sqlalchemy"}
SQL_OWNER = "registry.index"
# What still breaks the rules, each with what removes it. A test fails when one is fixed but still listed, so these
# lists only shrink.
KNOWN_EDGES: dict[tuple[str, str], str] = {}
KNOWN_CYCLES: dict[frozenset[str], str] = {}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO_ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import nodes that run: everything except the bodies of ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.module == "__future__":
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base) + (f".{node.module}" if node.module else "")
    else:
        target = node.module or ""
    submodules = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
    return submodules if len(submodules) == len(node.names) else [target, *submodules]


def _edges() -> dict[str, set[str]]:
    edges = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        edges[module] = {t for node in _runtime_imports(tree) for t in _targets(module, is_package, node)}
    return edges


EDGES = _edges()


def _violations() -> dict[tuple[str, str], str]:
    found = {}
    for module, targets in EDGES.items():
        for target in targets:
            top = target.split(".")[0]
            if module.startswith("registry") and not module.startswith(APPLICATION) and top == "scorers":
                found[(module, target)] = "registry imports scorers"
            if top in SQL and module != SQL_OWNER:
                found[(module, target)] = "SQL outside registry.index"
    return found


def _cycles() -> list[list[str]]:
    graph = {m: {t for t in targets if t in MODULES and t != m} for m, targets in EDGES.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):  # iterative Tarjan: no recursion limit on a deep import chain
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_registry_never_imports_scorers_and_only_the_index_speaks_sql():
    unexpected = {edge: why for edge, why in _violations().items() if edge not in KNOWN_EDGES}
    assert not unexpected, "\n".join(f"{a} -> {b}: {why}" for (a, b), why in sorted(unexpected.items()))


def test_no_import_cycle():
    cycles = [c for c in _cycles() if frozenset(c) not in KNOWN_CYCLES]
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)


def test_known_exceptions_are_still_real():
    fixed_edges = set(KNOWN_EDGES) - set(_violations())
    fixed_cycles = set(KNOWN_CYCLES) - {frozenset(c) for c in _cycles()}
    assert not fixed_edges and not fixed_cycles, f"fixed, remove from the lists: {fixed_edges} {fixed_cycles}"
