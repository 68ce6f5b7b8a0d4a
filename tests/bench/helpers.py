"""Shared builders for the bench tests: model and dataset entries, and in-memory dataset views."""

from __future__ import annotations

import hashlib
from pathlib import Path

from registry.bench.data import DatasetView
from registry.schema import Dataset, Model


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def onnx_model_entry(
    model_id: str,
    path: Path | None = None,
    classes=("background", "plaque"),
    kind: str = "mask",
    size=None,
    normalization="zero-one",
    activation="softmax",
    tasks=("segmentation",),
    with_sha: bool = True,
    options: dict | None = None,
    file_name: str | None = None,
    url: str | None = None,
    **extra,
) -> Model:
    data = {
        "id": model_id,
        "name": f"Model {model_id}",
        "tasks": list(tasks),
        "weights": [
            {
                "format": "onnx",
                "file": file_name or (path.name if path else "model.onnx"),
                "source": {"kind": "http", "url": url or f"https://example.org/{model_id}/model.onnx"},
                **({"sha256": sha256(path)} if path is not None and with_sha else {}),
            }
        ],
        "input": {"channels": 1, "normalization": normalization, **({"size": list(size)} if size else {})},
        "output": {
            "kind": kind,
            "classes": [{"id": i, "name": n} for i, n in enumerate(classes)],
            "activation": activation,
        },
    }
    if options is not None:
        data["adapter"] = {"name": "onnx", "options": options}
    data.update(extra)
    return Model.model_validate(data)


def dataset_entry(dataset_id: str = "synthetic-carotid", **extra) -> Dataset:
    data = {
        "id": dataset_id,
        "name": "Synthetic carotid",
        "anatomy": ["carotid"],
        "tasks": ["segmentation"],
        "modality": {"modes": ["b-mode"], "dimensionality": ["2d"]},
        "annotation": {
            "label_types": ["mask"],
            "classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "plaque"}],
        },
    }
    data.update(extra)
    return Dataset.model_validate(data)


def view(samples, dataset_id: str = "synthetic-carotid", split: str = "test", **kw) -> DatasetView:
    kw.setdefault("targets", {"plaque": ["background", "plaque"]})
    kw.setdefault("trust", "host-verified")  # as fetched with verified checksums, unless a test says otherwise
    return DatasetView(
        dataset_id=dataset_id,
        split=split,
        samples=samples,
        version="1",
        converter="synthetic",
        converter_version="1.0",
        **kw,
    )
