"""usreg: the open registry of public medical ultrasound datasets and models."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load"]


def load(dataset_id: str, split: str | None = None, version: str | None = None, home=None):
    """Open a fetched dataset in the common format. See ``registry.formats.reader``."""
    from .formats.reader import open_dataset

    return open_dataset(dataset_id, split=split, version=version, home=home)
