"""Host base URLs, read from the environment so that tests (and labs with a proxy) can point usreg elsewhere.

Every host module asks this module for its base URL at call time; nothing caches it, so changing the environment
(e.g. in a test) takes effect on the next fetch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

#: environment variable -> default base URL (no trailing slash)
DEFAULTS: dict[str, str] = {
    "USREG_ZENODO_URL": "https://zenodo.org",
    "USREG_FIGSHARE_API": "https://api.figshare.com/v2",
    "USREG_MENDELEY_URL": "https://data.mendeley.com",
    "USREG_GDRIVE_URL": "https://drive.google.com",
    "USREG_GDRIVE_USERCONTENT_URL": "https://drive.usercontent.google.com",
    "USREG_GITHUB_API": "https://api.github.com",
    "USREG_GITHUB_URL": "https://github.com",
    "USREG_KAGGLE_API": "https://www.kaggle.com/api/v1",
    "USREG_KAGGLE_URL": "https://www.kaggle.com",
    "USREG_HF_URL": "https://huggingface.co",
}


def base_url(variable: str) -> str:
    """The configured base URL for ``variable`` (one of ``DEFAULTS``), without a trailing slash."""
    value = os.environ.get(variable, "").strip() or DEFAULTS[variable]
    return value.rstrip("/")


@dataclass(frozen=True)
class HostsConfig:
    """A snapshot of every host's base URL."""

    zenodo: str
    figshare_api: str
    mendeley: str
    gdrive: str
    gdrive_usercontent: str
    github_api: str
    github: str
    kaggle_api: str
    kaggle: str
    huggingface: str

    @classmethod
    def from_env(cls) -> HostsConfig:
        return cls(
            zenodo=base_url("USREG_ZENODO_URL"),
            figshare_api=base_url("USREG_FIGSHARE_API"),
            mendeley=base_url("USREG_MENDELEY_URL"),
            gdrive=base_url("USREG_GDRIVE_URL"),
            gdrive_usercontent=base_url("USREG_GDRIVE_USERCONTENT_URL"),
            github_api=base_url("USREG_GITHUB_API"),
            github=base_url("USREG_GITHUB_URL"),
            kaggle_api=base_url("USREG_KAGGLE_API"),
            kaggle=base_url("USREG_KAGGLE_URL"),
            huggingface=base_url("USREG_HF_URL"),
        )


def mirror_from_env() -> str | None:
    """``USREG_MIRROR``: a lab mirror serving ``<base>/<dataset-id>/<file-name>``."""
    value = os.environ.get("USREG_MIRROR", "").strip()
    return value.rstrip("/") or None
