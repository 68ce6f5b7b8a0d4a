"""Shared fixtures: an isolated USREG_HOME, temporary catalogs and a CLI runner."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import settings

# Property tests draw the same examples on every run (a CI run must not fail on a draw no earlier run saw);
# HYPOTHESIS_PROFILE=explore draws new, random examples to look for counter-examples.
settings.register_profile("usreg", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "usreg"))

REPO_ROOT = Path(__file__).resolve().parents[1]
DATASET_HEADER = "# yaml-language-server: $schema=../../schemas/dataset.schema.json\n"
MODEL_HEADER = "# yaml-language-server: $schema=../../schemas/model.schema.json\n"


@pytest.fixture(autouse=True)
def usreg_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own cache/index home; nothing touches the user's real cache.

    usreg reads the environment once (``registry.settings.settings()``, cached): the cache is cleared here, and
    whenever this test's ``monkeypatch`` sets or deletes a variable, so a test sees the environment it set up.
    """
    from registry.settings import settings as usreg_settings

    def clearing(change: Callable[..., None]) -> Callable[..., None]:
        def changed(*args: object, **kwargs: object) -> None:
            change(*args, **kwargs)
            usreg_settings.cache_clear()

        return changed

    monkeypatch.setenv = clearing(monkeypatch.setenv)  # type: ignore[method-assign]
    monkeypatch.delenv = clearing(monkeypatch.delenv)  # type: ignore[method-assign]
    home = tmp_path_factory.mktemp("usreg-home")
    monkeypatch.setenv("USREG_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    yield home
    usreg_settings.cache_clear()  # the next test (or a module fixture) reads its own environment


def minimal_dataset(entry_id: str, **fields) -> dict:
    data = {"id": entry_id, "name": f"Dataset {entry_id}", "anatomy": ["breast"], "tasks": ["segmentation"]}
    data.update(fields)
    return data


def minimal_model(entry_id: str, **fields) -> dict:
    data = {"id": entry_id, "name": f"Model {entry_id}", "tasks": ["segmentation"]}
    data.update(fields)
    return data


class CatalogBuilder:
    """Writes entries into a temporary catalog root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "entries" / "datasets").mkdir(parents=True, exist_ok=True)
        (root / "entries" / "models").mkdir(parents=True, exist_ok=True)

    def dataset(self, data: dict, name: str | None = None) -> Path:
        return self.raw("datasets", name or data["id"], DATASET_HEADER + yaml.safe_dump(data, sort_keys=False))

    def model(self, data: dict, name: str | None = None) -> Path:
        return self.raw("models", name or data["id"], MODEL_HEADER + yaml.safe_dump(data, sort_keys=False))

    def raw(self, folder: str, stem: str, text: str | bytes) -> Path:
        path = self.root / "entries" / folder / f"{stem}.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture
def catalog_root(tmp_path: Path) -> CatalogBuilder:
    return CatalogBuilder(tmp_path / "catalog")


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    from registry.cli import main

    def run(*args: str, root: Path | None = None, input: str | None = None) -> Result:
        full = (["--root", str(root)] if root else []) + [str(a) for a in args]
        return CliRunner().invoke(main, full, input=input, catch_exceptions=False)

    return run
