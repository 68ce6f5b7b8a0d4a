"""Fixtures for the fetch tests: the real local host server, configured through the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.schema import Dataset
from tests.conftest import minimal_dataset
from tests.fixtures.server import HostServer

CLEAN_ENV = (
    "USREG_MIRROR",
    "KAGGLE_USERNAME",
    "KAGGLE_KEY",
    "GITHUB_TOKEN",
    "HF_TOKEN",
    "http_proxy",
    "https_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "all_proxy",
)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[HostServer]:
    """A started HostServer; every host base URL points at it; retries are fast; no real credentials are read."""
    srv = HostServer().start()
    for key, value in srv.env().items():
        monkeypatch.setenv(key, value)
    for key in CLEAN_ENV:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("USREG_RETRY_BASE_DELAY", "0.01")
    monkeypatch.setenv("USREG_RETRIES", "3")
    monkeypatch.setenv("USREG_CONNECT_TIMEOUT", "5")
    monkeypatch.setenv("USREG_READ_TIMEOUT", "5")
    kaggle_dir = tmp_path / "kaggle-config"
    kaggle_dir.mkdir()
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(kaggle_dir))
    yield srv
    srv.stop()


def dataset(entry_id: str, sources: list[dict], **fields) -> Dataset:
    """A valid Dataset entry with these sources."""
    return Dataset.model_validate(minimal_dataset(entry_id, sources=sources, **fields))


def kaggle_token(server: HostServer, config_dir: Path) -> None:
    import json

    user, key = server.kaggle_credentials
    (config_dir / "kaggle.json").write_text(json.dumps({"username": user, "key": key}))
