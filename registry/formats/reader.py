"""Read a converted dataset: ``registry.load(id, split=None)``.

Example (shows one batch; trains nothing)::

    import registry
    ds = registry.load("carotid-plaque", split="train")
    print(len(ds), ds.classes)                # samples, class map per mask target
    sample = ds[0]                            # a registry.formats.sample.Sample
    sample.image.shape, sample.masks["plaque"].shape
    df = ds.to_pandas()                       # the manifest as a DataFrame (+ absolute paths)
    hf = ds.to_hf()                           # a datasets.Dataset with Image features
    tds = ds.to_torch(size=(256, 256))
    loader = torch.utils.data.DataLoader(tds, batch_size=8, collate_fn=tds.collate)
    batch = next(iter(loader))                # image (8, 1, 256, 256) float, mask_plaque (8, 256, 256) long
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from ..errors import UsageError, UsregError
from ..paths import usreg_home
from .layout import METADATA_NAME, resolve_dataset_dir
from .manifest import MANIFEST_NAME
from .sample import Box, Sample


def open_dataset(
    dataset_id: str, split: str | None = None, version: str | None = None, home: Path | str | None = None
) -> CommonDataset:
    """Open ``$USREG_HOME/datasets/<id>/<version>`` (the newest converted version by default)."""
    root = resolve_dataset_dir(Path(home) if home else usreg_home(), dataset_id, version)
    return CommonDataset(root, split=split)


class CommonDataset:
    """A converted dataset (or one split of it): iterate ``Sample``s, index them, or convert to pandas/HF/torch."""

    def __init__(self, root: Path, split: str | None = None) -> None:
        self.root = Path(root)
        self.metadata: dict[str, Any] = json.loads((self.root / METADATA_NAME).read_text(encoding="utf-8"))
        table = pq.read_table(self.root / MANIFEST_NAME)
        self.split_kind = (table.schema.metadata or {}).get(b"usreg.split_kind", b"").decode() or None
        rows = table.to_pylist()
        available = sorted({r["split"] for r in rows})
        if split is not None:
            if split not in available:
                raise UsregError(
                    f"dataset '{self.metadata['id']}' has no split '{split}'",
                    hint=f"splits: {', '.join(available)}",
                )
            rows = [r for r in rows if r["split"] == split]
        self.split = split
        self.splits = available
        self._rows = rows

    # --- facts ---------------------------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.metadata["id"]

    @property
    def version(self) -> str:
        return self.metadata["version"]

    @cached_property
    def classes(self) -> dict[str, dict[int, str]]:
        """Class map per mask target: {target: {value: name}}."""
        return {t: {int(k): v for k, v in info["classes"].items()} for t, info in self.metadata["targets"].items()}

    @property
    def labels(self) -> list[str] | None:
        return self.metadata.get("labels")

    @cached_property
    def targets(self) -> list[str]:
        return sorted({m["target"] for r in self._rows for m in r["masks"]})

    @property
    def sample_ids(self) -> list[str]:
        """The ids of the samples in this view, without reading any image."""
        return [r["sample_id"] for r in self._rows]

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"CommonDataset({self.id!r}, version={self.version!r}, split={self.split!r}, samples={len(self)})"

    # --- samples -------------------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Sample]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, index: int) -> Sample:
        row = self._rows[index]
        return Sample(
            sample_id=row["sample_id"],
            image=self._read(row["image"]),
            split=row["split"],
            masks={m["target"]: self._read(m["path"]) for m in row["masks"]},
            label=row["label"],
            boxes=[
                Box(b["x_min"], b["y_min"], b["x_max"], b["y_max"], b["category"], b["category_id"])
                for b in row["boxes"]
            ],
            points=[(p["x"], p["y"]) for p in row["points"]],
            subject_id=row["subject_id"],
            frame=row["frame"],
            source_file=row["source_file"],
            metadata=json.loads(row["extra"]) if row["extra"] else {},
        )

    def _read(self, rel: str) -> np.ndarray:
        with Image.open(self.root / rel) as im:
            return np.array(im)

    def rows(self) -> list[dict[str, Any]]:
        """The manifest rows of this split (plain dicts, paths relative to ``root``)."""
        return [dict(r) for r in self._rows]

    # --- conversions ---------------------------------------------------------------------------------------------
    def to_pandas(self):
        """The manifest as a DataFrame, with ``image_path`` and ``mask_<target>_path`` absolute paths added."""
        import pandas as pd

        df = pd.DataFrame(self._rows)
        if df.empty:
            return df
        df["image_path"] = [str(self.root / p) for p in df["image"]]
        for target in self.targets:
            df[f"mask_{target}_path"] = [
                next((str(self.root / m["path"]) for m in ms if m["target"] == target), None) for ms in df["masks"]
            ]
        return df

    def hf_info(self) -> Any:
        """A ``datasets.DatasetInfo`` with the entry's description, licence, homepage and BibTeX citation."""
        import datasets

        entry = self.metadata.get("entry") or {}
        citation = ""
        try:
            from ..citation import entry_bibtex
            from ..schema.dataset import Dataset

            citation = entry_bibtex(Dataset.model_validate(entry))
        except Exception:  # an entry written by an older schema: the rest of the info still helps
            citation = ""
        homepage = next((str(s.get("url")) for s in entry.get("sources") or [] if s.get("url")), "")
        licence = entry.get("license") or ""
        if entry.get("license_url"):
            licence = f"{licence} ({entry['license_url']})" if licence else str(entry["license_url"])
        return datasets.DatasetInfo(
            description=entry.get("description") or entry.get("name") or self.id,
            citation=citation,
            homepage=homepage,
            license=licence,
        )

    def to_hf(self):
        """Hugging Face data: a ``datasets.DatasetDict`` with one ``Dataset`` per split, or one ``Dataset`` when this
        view is a single split (``registry.load(id, split="train")``). ``image`` and ``mask_<target>`` are Image
        features; the entry's licence, citation and description are in each dataset's ``info``."""
        if self.split is None:
            try:
                import datasets
            except ImportError:
                raise UsageError(
                    "to_hf() needs the Hugging Face datasets library", hint="pip install 'usreg[data]'"
                ) from None
            return datasets.DatasetDict(
                {name: CommonDataset(self.root, split=name).to_hf() for name in self.splits if name}
            )
        return self._hf_split()

    def _hf_split(self):
        try:
            import datasets
        except ImportError:
            raise UsageError(
                "to_hf() needs the Hugging Face datasets library", hint="pip install 'usreg[data]'"
            ) from None
        features = {
            "sample_id": datasets.Value("string"),
            "split": datasets.Value("string"),
            "subject_id": datasets.Value("string"),
            "image": datasets.Image(),
            "label": datasets.ClassLabel(names=self.labels) if self.labels else datasets.Value("string"),
            "boxes": [
                {
                    "x_min": datasets.Value("float64"),
                    "y_min": datasets.Value("float64"),
                    "x_max": datasets.Value("float64"),
                    "y_max": datasets.Value("float64"),
                    "category": datasets.Value("string"),
                }
            ],
            "points": [{"x": datasets.Value("float64"), "y": datasets.Value("float64")}],
            "frame": datasets.Value("int32"),
            "width": datasets.Value("int32"),
            "height": datasets.Value("int32"),
        }
        for target in self.targets:
            features[f"mask_{target}"] = datasets.Image()
        data: dict[str, list[Any]] = {name: [] for name in features}
        for r in self._rows:
            masks = {m["target"]: m["path"] for m in r["masks"]}
            data["sample_id"].append(r["sample_id"])
            data["split"].append(r["split"])
            data["subject_id"].append(r["subject_id"])
            data["image"].append(str(self.root / r["image"]))
            data["label"].append(r["label"])
            data["boxes"].append(
                [{k: b[k] for k in ("x_min", "y_min", "x_max", "y_max", "category")} for b in r["boxes"]]
            )
            data["points"].append(r["points"])
            data["frame"].append(r["frame"])
            data["width"].append(r["width"])
            data["height"].append(r["height"])
            for target in self.targets:
                data[f"mask_{target}"].append(str(self.root / masks[target]) if target in masks else None)
        info = self.hf_info()
        info.features = datasets.Features(features)
        return datasets.Dataset.from_dict(data, info=info)

    def to_torch(self, size: tuple[int, int] | None = None, transform: Callable[[dict], dict] | None = None):
        """A ``torch.utils.data.Dataset`` of dicts of tensors (needs the optional torch extra).

        ``image``: float32 (C, H, W) in [0, 1]; ``mask_<target>``: int64 (H, W); ``label``: int64 index into
        ``labels`` (-1 without a label); ``boxes``: float32 (N, 4); ``sample_id``: str. ``size`` = (height, width)
        resizes images (bilinear) and masks (nearest) so that samples batch together; ``transform`` is applied to
        each dict last.
        """
        try:
            import torch
        except ImportError:
            raise UsageError(
                "to_torch() needs PyTorch, which is an optional extra",
                hint="pip install 'usreg[bench]' (or the CPU build: pip install torch==2.13.0)",
            ) from None
        from .torch_dataset import TorchDataset

        return TorchDataset(self, torch, size=size, transform=transform)
