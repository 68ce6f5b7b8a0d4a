"""Every host usreg knows, one line each: a source ``kind`` and the module that declares the host.

Adding a host is its module under ``registry/fetch/hosts/`` (a module-level ``HOST = Host(...)``, see
``registry/fetch/hosts/base.py``) plus its line here. Everything else is derived: the schema's ``HostKind``
vocabulary (``registry/schema/vocab.py``), the fetch planner's resolver and its by-hand kinds, the URL and DOI
recognisers of ``usreg import`` and the link checker's host rules (``registry/fetch/hosts/__init__.py``).

This module imports nothing, so the schema can read it without importing the fetch layer.
"""

from __future__ import annotations

HOSTS: dict[str, str] = {
    "zenodo": "registry.fetch.hosts.zenodo",
    "figshare": "registry.fetch.hosts.figshare",
    "mendeley": "registry.fetch.hosts.mendeley",
    "gdrive": "registry.fetch.hosts.gdrive",
    "github": "registry.fetch.hosts.github",
    "kaggle": "registry.fetch.hosts.kaggle",
    "huggingface": "registry.fetch.hosts.huggingface",
    "grand-challenge": "registry.fetch.hosts.manual",
    "tcia": "registry.fetch.hosts.manual",
    "physionet": "registry.fetch.hosts.manual",
    "http": "registry.fetch.hosts.http",
    "manual": "registry.fetch.hosts.manual",
}
