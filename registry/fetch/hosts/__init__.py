"""One module per host. Each ``resolve(source, index, ctx)`` turns an entry's source into concrete files.

Hosts return ``RemoteFile`` objects with the host's own URL as the only candidate; the fetch layer adds mirrors.
Sources that cannot be downloaded automatically are handled by ``manual``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ...schema import Source
from ..client import HttpClient
from ..hosts_config import HostsConfig
from ..plan import RemoteFile


@dataclass
class HostContext:
    client: HttpClient
    config: HostsConfig
    dataset_id: str
    version: str | None = None  # --version, for hosts with versioned records (Mendeley, figshare, Kaggle)
    entry_kind: str = "dataset"  # "model" for weights (Hugging Face model repos)
    warn: Callable[[str], None] = field(default=lambda message: None)


Resolver = Callable[[Source, int, HostContext], list[RemoteFile]]

#: kinds a person must download by hand (then ``usreg fetch ID --from-file PATH``)
MANUAL_KINDS = frozenset({"manual", "grand-challenge", "tcia", "physionet"})


def resolver(kind: str) -> Resolver:
    from . import figshare, gdrive, github, http, huggingface, kaggle, mendeley, zenodo

    table: dict[str, Resolver] = {
        "zenodo": zenodo.resolve,
        "figshare": figshare.resolve,
        "mendeley": mendeley.resolve,
        "gdrive": gdrive.resolve,
        "github": github.resolve,
        "kaggle": kaggle.resolve,
        "huggingface": huggingface.resolve,
        "http": http.resolve,
    }
    return table[kind]
