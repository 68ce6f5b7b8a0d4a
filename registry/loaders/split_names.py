"""Split names: the spellings sources use for train, val and test, and their canonical form (a leaf module)."""

from __future__ import annotations

SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "training_set": "train",
    "trainset": "train",
    "tr": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "validation_set": "val",
    "dev": "val",
    "test": "test",
    "testing": "test",
    "test_set": "test",
    "testset": "test",
    "ts": "test",
}


def canonical_split(name: str, mapping: dict[str, str] | None = None) -> str:
    """'Training' -> 'train', 'validation' -> 'val'; an explicit ``mapping`` wins; unknown names are kept."""
    if mapping and name in mapping:
        return mapping[name]
    return SPLIT_ALIASES.get(name.strip().lower(), name.strip().lower())
