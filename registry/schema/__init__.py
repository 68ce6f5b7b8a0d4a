"""The entry schema: pydantic models are the single source of truth; ``schemas/*.json`` are generated."""

from .common import Evidence, Person, Publication, Source, SourceFile
from .dataset import Dataset
from .model import Model

SCHEMA_FILES: dict[str, type[Dataset] | type[Model]] = {"dataset": Dataset, "model": Model}

__all__ = ["SCHEMA_FILES", "Dataset", "Evidence", "Model", "Person", "Publication", "Source", "SourceFile"]
