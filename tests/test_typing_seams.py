"""Typed seams: what crosses between modules is typed, not ``Any``, and checked before it is used.

- a parameter or attribute that holds a catalog entry (``entry``, ``dataset``, ``model``) or the catalog itself is
  annotated with ``registry.schema.Entry`` / ``Dataset`` / ``Model`` / ``registry.catalog.Catalog``, never ``Any``
  (checked on the source with ``ast``);
- every converter declares its options type (``Options``), reads its options through it, and `usreg validate`
  checks each entry's ``loader.options`` against it, naming the entry, the option and the allowed names.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

from registry.loaders.base import CommonOptions, ConvertContext, Converter, Item
from tests.conftest import REPO_ROOT, minimal_dataset

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
        text = path.read_text(encoding="utf-8")
        if "Any" not in text:
            continue
        tree = ast.parse(text, filename=str(path))
        rel = path.relative_to(REPO_ROOT).as_posix()
        offenders += [f"{rel}:{line}: {name}: Any" for line, name in any_typed_entries(tree, rel)]
    assert not offenders, (
        "annotate entries with registry.schema.Entry (or Dataset / Model) and the catalog with "
        "registry.catalog.Catalog, narrowing with isinstance where kind-specific fields are read:\n  "
        + "\n  ".join(offenders)
    )


# --- typed options per converter --------------------------------------------------------------------------------


def _options_as_reads(tree: ast.AST) -> list[ast.expr]:
    """The ``X`` of each ``<ctx>.options_as(X)`` call."""
    return [
        node.args[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "options_as"
        and len(node.args) == 1
    ]


def _resolve(expr: ast.expr, namespace: dict[str, object]) -> object:
    """A name or dotted name, looked up in ``namespace`` (None when it is neither)."""
    if isinstance(expr, ast.Name):
        return namespace.get(expr.id)
    if isinstance(expr, ast.Attribute):
        return getattr(_resolve(expr.value, namespace), expr.attr, None)
    return None


def options_misreads(classes: list[type], namespace: dict[str, object]) -> list[str]:
    """Converters that read (``ctx.options_as(X)``) a model their ``Options`` is not: each fails at conversion time
    although `usreg validate` accepted its options. ``namespace`` resolves the names (the converters' module)."""
    import inspect
    import textwrap

    wrong = []
    for cls in classes:
        for expr in _options_as_reads(ast.parse(textwrap.dedent(inspect.getsource(cls)))):
            read = _resolve(expr, namespace)
            if not (isinstance(read, type) and issubclass(cls.Options, read)):
                wrong.append(f"{cls.__module__}.{cls.__qualname__} reads {ast.unparse(expr)}")
    return wrong


def test_every_converter_declares_an_options_type_that_forbids_unknown_keys() -> None:
    from registry.loaders import base

    assert len(base.registry()) > 10
    for name, cls in base.registry().items():
        assert issubclass(cls.Options, base.CommonOptions), name
        assert cls.Options.model_config.get("extra") == "forbid", f"{name}: {cls.Options.__name__} accepts any key"


def test_converters_read_their_options_through_their_own_options_type() -> None:
    import inspect
    import sys

    from registry.loaders import base

    by_module: dict[str, list[type]] = {}
    for cls in base.registry().values():
        by_module.setdefault(cls.__module__, []).append(cls)
    wrong = []
    for module_name, classes in sorted(by_module.items()):
        namespace = vars(sys.modules[module_name])
        wrong += options_misreads(classes, namespace)
        # helpers outside the classes read the options type of some converter of the same module
        for expr in _options_as_reads(ast.parse(inspect.getsource(sys.modules[module_name]))):
            read = _resolve(expr, namespace)
            if not any(isinstance(read, type) and issubclass(c.Options, read) for c in classes):
                wrong.append(f"{module_name} reads {ast.unparse(expr)}, which no converter there declares")
    assert not wrong, "set `Options = <the model it reads>` on the converter:\n  " + "\n  ".join(wrong)


class _Size(CommonOptions):
    size: int = 1


class _Declares(Converter):
    name = "declares"
    Options = _Size

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.options_as(_Size)
        yield from ()


class _Forgets(Converter):
    name = "forgets"

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.options_as(_Size)
        yield from ()


def test_the_options_guard_finds_a_converter_reading_a_model_it_does_not_declare() -> None:
    assert options_misreads([_Declares, _Forgets], globals()) == [f"{__name__}._Forgets reads _Size"]


def test_validate_reports_an_unknown_option_at_its_line_with_the_allowed_names(catalog_root, run_cli) -> None:
    options = {"images": "img/*.png", "mask": "gt/{stem}.png", "requre_masks": True}
    path = catalog_root.dataset(minimal_dataset("typo", loader={"name": "image-mask-folders", "options": options}))
    result = run_cli("validate", root=catalog_root.root)
    assert result.exit_code == 1
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "requre_masks" in text)
    assert f"typo.yaml:{line}:" in result.output
    assert "[loader.options.requre_masks]" in result.output
    assert (
        "unknown option 'requre_masks' for loader 'image-mask-folders'; did you mean 'require_masks'?" in result.output
    )
    assert "options of 'image-mask-folders': seed, " in result.output and "require_masks" in result.output
    assert "Traceback" not in result.output


def test_validate_reports_an_option_of_the_wrong_type(catalog_root, run_cli) -> None:
    options = {"images": "img/*.png", "seed": "first"}
    catalog_root.dataset(minimal_dataset("typed", loader={"name": "image-mask-folders", "options": options}))
    catalog_root.dataset(minimal_dataset("fine", loader={"name": "image-mask-folders", "options": {"images": "*.png"}}))
    result = run_cli("validate", "--format", "json", root=catalog_root.root)
    assert result.exit_code == 1
    errors = json.loads(result.output)["errors"]
    assert [(e["entry"], e["field"]) for e in errors] == [("typed", "loader.options.seed")]
    assert "option 'seed' of loader 'image-mask-folders': Input should be a valid integer" in errors[0]["message"]


# --- one settings object ------------------------------------------------------------------------------------------

# Modules that may read the environment themselves, each with why. Only registry/settings.py today.
ENVIRONMENT_READERS = {"registry/settings.py": "the settings object: reads every variable once"}


def environment_reads(tree: ast.AST) -> list[int]:
    """Lines that read the process environment: ``os.environ``, ``os.getenv``, ``os.environb`` or ``from os import
    environ / getenv``."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"environ", "environb", "getenv", "getenvb"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ) or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(a.name in {"environ", "environb", "getenv", "getenvb"} for a in node.names)
        ):
            found.append(node.lineno)
    return sorted(found)


def test_the_environment_detector_finds_each_way_of_reading_it() -> None:
    source = (
        "import os\nfrom os import getenv\n"
        "a = os.environ.get('X')\nb = os.getenv('Y')\nc = dict(os.environ)\nd = os.path.join('a')\n"
    )
    assert environment_reads(ast.parse(source)) == [2, 3, 4, 5]


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = []
    for path in _sources():
        rel = path.relative_to(REPO_ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        if rel in ENVIRONMENT_READERS or ("environ" not in text and "getenv" not in text):
            continue
        readers += [f"{rel}:{line}" for line in environment_reads(ast.parse(text, filename=str(path)))]
    assert not readers, "read the environment through registry.settings.settings():\n  " + "\n  ".join(readers)


def test_settings_read_every_documented_variable(monkeypatch) -> None:
    from registry.settings import FETCH_LIMITS, load_settings, settings

    environ = {
        "USREG_HOME": "~/cache",
        "USREG_MIRROR": " https://mirror.example.org/usreg/ ",
        "USREG_SITE_URL": "https://example.org/usreg/",
        "USREG_ZENODO_URL": "http://127.0.0.1:9/zenodo/",
        "USREG_CROSSREF_API": "http://127.0.0.1:9/crossref",
        "USREG_RETRIES": "2",
        "HF_ENDPOINT": "https://hub.example.org/",
        "HF_TOKEN": "hf_secret",
        "GITHUB_TOKEN": "gh_secret",
        "KAGGLE_USERNAME": "me",
        "KAGGLE_KEY": "kaggle_secret",
        "KAGGLE_CONFIG_DIR": "~/kaggle",
        "NO_COLOR": "1",
        "COLUMNS": "132",
        "UNRELATED": "x",
    }
    s = load_settings(environ)
    assert s.home == Path("~/cache").expanduser() and s.mirror == "https://mirror.example.org/usreg"
    assert s.site_url == "https://example.org/usreg/"
    assert s.urls == {
        "USREG_ZENODO_URL": "http://127.0.0.1:9/zenodo",
        "USREG_CROSSREF_API": "http://127.0.0.1:9/crossref",
    }
    assert s.url("USREG_ZENODO_URL", "https://zenodo.org") == "http://127.0.0.1:9/zenodo"
    assert s.url("USREG_GITHUB_URL", "https://github.com/") == "https://github.com"
    assert s.number("USREG_RETRIES", 5) == 2.0 and s.number("USREG_MIN_RATE", 1024) == 1024
    assert s.hf_endpoint == "https://hub.example.org" and s.no_color and s.columns == 132
    assert (s.hf_token, s.github_token, s.kaggle_username, s.kaggle_key) == (
        "hf_secret",
        "gh_secret",
        "me",
        "kaggle_secret",
    )
    assert s.kaggle_config_dir == Path("~/kaggle").expanduser()
    assert "secret" not in repr(s)
    empty = load_settings({"USREG_HOME": "", "COLUMNS": "wide", "NO_COLOR": ""})
    assert (empty.home, empty.columns, empty.no_color, dict(empty.urls)) == (None, None, False, {})
    assert "USREG_RETRIES" in FETCH_LIMITS

    monkeypatch.setenv("USREG_MIRROR", "https://one.example.org")
    first = settings()
    assert first.mirror == "https://one.example.org" and settings() is first  # read once, then cached
    monkeypatch.setenv("USREG_MIRROR", "https://two.example.org")  # the conftest fixture clears the cache
    assert settings().mirror == "https://two.example.org"


def test_a_bad_fetch_limit_is_a_usage_error_naming_the_variable() -> None:
    import pytest

    from registry.errors import UsageError
    from registry.settings import load_settings

    with pytest.raises(UsageError, match=r"USREG_RETRIES='many' is not a number"):
        load_settings({"USREG_RETRIES": "many"}).number("USREG_RETRIES", 5)


def test_every_variable_is_documented_in_the_readme() -> None:
    import re

    from registry import settings as module

    rows = [line for line in (module.__doc__ or "").splitlines() if re.match(r"^[A-Z]", line)]
    names = {name for row in rows for name in re.findall(r"[A-Z][A-Z0-9_<>]*_[A-Z0-9_<>]+|NO_COLOR|COLUMNS", row[:32])}
    assert {"USREG_HOME", "HF_TOKEN", "KAGGLE_KEY", "COLUMNS", "NO_COLOR", "USREG_LOCK_TIMEOUT"} <= names
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if name not in readme)
    assert not missing, f"README's configuration section lacks {missing}"


def test_each_command_reads_the_environment_as_it_starts(catalog_root, tmp_path) -> None:
    from click.testing import CliRunner

    from registry.cli import main
    from registry.settings import settings

    catalog_root.dataset(minimal_dataset("fine"))
    before = settings().home  # cached by an earlier read in this process
    other = tmp_path / "other-home"
    result = CliRunner().invoke(
        main, ["--root", str(catalog_root.root), "validate"], env={"USREG_HOME": str(other)}, catch_exceptions=False
    )
    assert result.exit_code == 0
    assert before != other and settings().home == other  # the command read USREG_HOME from its own environment
