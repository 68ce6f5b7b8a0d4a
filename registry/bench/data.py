"""The evaluation data: a split of a dataset in the common format, with what the runner needs to know about it.

``DatasetView`` carries the samples (any sized iterable of ``registry.formats.sample.Sample``) plus the class map,
version and converter recorded in ``metadata.json``. ``open_split`` builds one from a fetched dataset through the
common-format reader; tests and callers with samples in memory build a ``DatasetView`` directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import UsregError
from ..formats.sample import Sample


class Samples(Protocol):
    """The samples of a split: counted, then read in order (a list, or a ``CommonDataset`` read from disk)."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Sample]: ...


@dataclass
class DatasetView:
    dataset_id: str
    split: str
    samples: Samples
    version: str | None = None
    converter: str | None = None
    converter_version: str | None = None
    loader: str | None = None
    # target name -> class names indexed by class id (0 = background)
    targets: dict[str, list[str]] = field(default_factory=dict)
    labels: list[str] | None = None
    box_categories: list[str] | None = None
    # how the converted bytes were verified: host-verified, entry-verified, unverified (see registry.fetch.lockfile)
    trust: str | None = None
    # the conversion's state: complete, or partial (a data check failed or source images were dropped)
    state: str | None = None

    def __len__(self) -> int:
        return len(self.samples)

    def class_names(self, target: str | None) -> list[str] | None:
        if target is None:
            return None
        return self.targets.get(target)


def class_list(classes: dict[str, str] | dict[int, str] | Sequence[Any]) -> list[str]:
    """Class names indexed by id, from a {id: name} map or a list of {id, name}; missing ids get 'class<id>'."""
    if isinstance(classes, dict):
        pairs = {int(k): str(v) for k, v in classes.items()}
    else:
        pairs = {}
        for c in classes:
            if isinstance(c, dict):
                pairs[int(c["id"])] = str(c["name"])
            else:
                pairs[int(c.id)] = str(c.name)
    if not pairs:
        return []
    names = [f"class{i}" for i in range(max(pairs) + 1)]
    for i, n in pairs.items():
        names[i] = n
    if 0 not in pairs:
        names[0] = "background"
    return names


def view_from_metadata(dataset_id: str, split: str, samples: Samples, metadata: dict[str, Any]) -> DatasetView:
    converter = metadata.get("converter") or {}
    entry = metadata.get("entry") or {}
    targets = {
        name: class_list(t.get("classes", {}) if isinstance(t, dict) else t)
        for name, t in (metadata.get("targets") or {}).items()
    }
    return DatasetView(
        dataset_id=dataset_id,
        split=split,
        samples=samples,
        version=metadata.get("version"),
        converter=converter.get("name") if isinstance(converter, dict) else str(converter),
        converter_version=str(converter.get("version"))
        if isinstance(converter, dict) and converter.get("version")
        else None,
        loader=(entry.get("loader") or {}).get("name"),
        targets=targets,
        labels=[str(x) for x in metadata["labels"]] if metadata.get("labels") else None,
        box_categories=[str(x) for x in metadata["box_categories"]] if metadata.get("box_categories") else None,
        trust=_trust(metadata),
        state=_state(metadata),
    )


def _state(metadata: dict[str, Any]) -> str | None:
    status = metadata.get("status")
    state = status.get("state") if isinstance(status, dict) else None
    return str(state) if state else None


def _trust(metadata: dict[str, Any]) -> str:
    """The weakest trust level of the downloads the dataset was converted from (``unverified`` without a lock)."""
    from ..fetch.lockfile import lock_trust

    source = metadata.get("source")
    return lock_trust(source.get("lock") if isinstance(source, dict) else None)


def open_split(dataset_id: str, split: str, version: str | None = None, home: Path | None = None) -> DatasetView:
    """A split of a fetched dataset, through ``registry.formats.reader.open_dataset``."""
    from ..formats.reader import open_dataset

    dataset = open_dataset(dataset_id, split=split, version=version, home=home)
    if len(dataset) == 0:
        raise UsregError(
            f"dataset '{dataset_id}' has no sample in split '{split}'",
            hint="choose another split with --split (it has: " + ", ".join(dataset.splits) + ")",
        )
    return view_from_metadata(dataset_id, split, dataset, dataset.metadata)
