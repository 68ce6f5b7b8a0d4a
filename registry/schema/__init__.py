"""The entry schema: pydantic models are the single source of truth; ``schemas/*.json`` are generated."""

from .common import Evidence, Person, Publication, Source, SourceFile
from .dataset import Dataset
from .entry import JSON, Entry
from .model import Model

SCHEMA_FILES: dict[str, type[Dataset] | type[Model]] = {"dataset": Dataset, "model": Model}

__all__ = [
    "JSON",
    "SCHEMA_FILES",
    "Dataset",
    "Entry",
    "Evidence",
    "Model",
    "Person",
    "Publication",
    "Source",
    "SourceFile",
]
