"""Typed seams, checked on the source with ``ast``: what crosses between modules is typed, not ``Any``.

- a parameter or attribute that holds a catalog entry (``entry``, ``dataset``, ``model``) or the catalog itself is
  annotated with ``registry.schema.Entry`` / ``Dataset`` / ``Model`` / ``registry.catalog.Catalog``, never ``Any``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO_ROOT

PACKAGES = ("registry", "scorers")
# Names that hold an entry (or the catalog) wherever they appear in registry/ and scorers/.
ENTRY_NAMES = {"entry", "dataset", "model", "catalog", "collection"}
# (file, function, parameter) where one of those names holds something else, with what it holds.
NOT_ENTRIES = {
    # the transformers SamModel network (a third-party object, untyped here), not a catalog model entry
    ("registry/bench/adapters/sam_adapter.py", "__init__", "model"),
}


def _sources() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((REPO_ROOT / package).rglob("*.py"))


def _is_any(annotation: ast.expr | None) -> bool:
    """``Any``, ``typing.Any``, ``Any | None``, ``Optional[Any]`` (also as strings)."""
    if annotation is None:
        return False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return False
    if isinstance(annotation, ast.Name):
        return annotation.id == "Any"
    if isinstance(annotation, ast.Attribute):
        return annotation.attr == "Any"
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _is_any(annotation.left) or _is_any(annotation.right)
    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value) in {"Optional", "typing.Optional"}:
        return _is_any(annotation.slice)
    return False


def any_typed_entries(tree: ast.AST, rel: str = "") -> list[tuple[int, str]]:
    """(line, name) of each parameter or annotated attribute named like an entry and annotated ``Any``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                if (rel, node.name, arg.arg) in NOT_ENTRIES:
                    continue
                if arg.arg in ENTRY_NAMES and _is_any(arg.annotation):
                    found.append((arg.lineno, arg.arg))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name | ast.Attribute):
            name = node.target.id if isinstance(node.target, ast.Name) else node.target.attr
            if name in ENTRY_NAMES and _is_any(node.annotation):
                found.append((node.lineno, name))
    return found


def test_the_detector_finds_any_typed_entries() -> None:
    source = (
        "from typing import Any, Optional\n"
        "def f(entry: Any, dataset: 'Any', n: Any) -> None: ...\n"
        "def g(*, model: Any | None = None, catalog: Optional[Any] = None) -> None: ...\n"
        "class C:\n"
        "    entry: Any\n"
        "    def m(self, entry: Dataset | Model, other: Any) -> None:\n"
        "        self.collection: typing.Any = None\n"
    )
    assert any_typed_entries(ast.parse(source)) == [
        (2, "entry"),
        (2, "dataset"),
        (3, "model"),
        (3, "catalog"),
        (5, "entry"),
        (7, "collection"),
    ]


def test_no_entry_is_typed_any() -> None:
    offenders = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = path.relative_to(REPO_ROOT).as_posix()
        offenders += [f"{rel}:{line}: {name}: Any" for line, name in any_typed_entries(tree, rel)]
    assert not offenders, (
        "annotate entries with registry.schema.Entry (or Dataset / Model) and the catalog with "
        "registry.catalog.Catalog, narrowing with isinstance where kind-specific fields are read:\n  "
        + "\n  ".join(offenders)
    )
