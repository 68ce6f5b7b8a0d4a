"""Entry builders and small utilities shared by the scorer tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from registry.catalog import Catalog
from registry.schema import Dataset, Model

RICH_DATASET: dict[str, Any] = {
    "id": "rich-set",
    "name": "Rich Set",
    "anatomy": ["breast"],
    "tasks": ["segmentation"],
    "species": ["human"],
    "version": "1",
    "release_date": "2021-05-01",
    "dataset_doi": "10.5281/zenodo.1234567",
    "access": "open",
    "license": "CC-BY-4.0",
    "sources": [{"kind": "zenodo", "id": "1234567"}],
    "formats": ["png"],
    "loader": {"name": "rich-set"},
    "modality": {"modes": ["b-mode"], "dimensionality": ["2d"]},
    "counts": {"images": 100, "subjects": 20},
    "acquisition": {"countries": ["ES"], "devices": ["Vendor A"]},
    "annotation": {
        "label_types": ["mask"],
        "classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "lesion"}],
        "annotators": [{"count": 2, "expertise": "radiologists"}],
        "protocol": "Delineated by two radiologists.",
        "agreement": "Dice 0.9 between annotators",
        "reference_standard": "biopsy",
    },
    "splits": {"official": True, "subject_level": True, "subject_ids": True},
    "demographics": {"age": "18-80"},
    "ethics": {"approval": "IRB 42", "deidentification": "headers removed", "consent": "written"},
    "preprocessing": "Calipers removed.",
    "limitations": "One site.",
    "publications": [{"title": "Rich Set paper", "doi": "10.1000/rich.paper", "year": 2021, "role": "descriptor"}],
    "contact": "team@example.org",
    "changelog": [{"date": "2021-05-01", "change": "first release"}],
    "evidence": [{"url": "https://example.org/rich", "fields": ["*"]}],
}

BARE_DATASET: dict[str, Any] = {"id": "bare-set", "name": "Bare Set", "anatomy": ["thyroid"]}

RICH_MODEL: dict[str, Any] = {
    "id": "rich-net",
    "name": "Rich Net",
    "tasks": ["segmentation"],
    "anatomy": ["breast"],
    "code": {"url": "https://github.com/example/rich-net", "license": "MIT", "ref": "v1.0"},
    "weights": [
        {"format": "onnx", "source": {"kind": "github", "id": "example/rich-net", "tag": "v1.0"}, "sha256": "a" * 64}
    ],
    "weights_license": "MIT",
    "archive_doi": "10.5281/zenodo.7654321",
    "model_card": "https://example.org/rich-net/card",
    "trained_on": ["rich-set"],
    "evaluated_on": ["rich-set"],
    "metrics": [
        {
            "dataset": "rich-set",
            "split": "test",
            "metric": "dice",
            "value": 0.85,
            "source": "https://example.org/rich-net#t2",
        }
    ],
    "reproducibility": {
        "pinned_dependencies": True,
        "train_script": True,
        "eval_script": True,
        "inference_example": True,
        "reproduction_command": "python eval.py",
    },
    "evaluation": {"uncertainty": True, "subgroups": True, "failure_analysis": True},
    "intended_use": "Research only.",
    "regulatory_status": "research use only",
    "evidence": [{"url": "https://example.org/rich-net", "fields": ["*"]}],
}


def dataset(data: dict[str, Any] | None = None, **changes: Any) -> Dataset:
    base = copy.deepcopy(data if data is not None else RICH_DATASET)
    base.update(changes)
    return Dataset.model_validate(base)


def model(data: dict[str, Any] | None = None, **changes: Any) -> Model:
    base = copy.deepcopy(data if data is not None else RICH_MODEL)
    base.update(changes)
    return Model.model_validate(base)


def catalog_of(*entries: Dataset | Model, root: Path | None = None) -> Catalog:
    catalog = Catalog(root=root or Path("/nonexistent-usreg-root"))
    for entry in entries:
        target = catalog.models if isinstance(entry, Model) else catalog.datasets
        target[entry.id] = entry
    return catalog


def write_checks(home: Path, dataset_id: str, version: str, statuses: dict[str, str], **extra: Any) -> Path:
    """A checks.json in the contract's shape, written where the data-check provider looks for it."""
    folder = home / "datasets" / dataset_id / version
    folder.mkdir(parents=True, exist_ok=True)
    checks = [
        {"name": name, "status": status, "summary": f"{name} {status}", "details": {}}
        for name, status in statuses.items()
    ]
    checks.extend(extra.pop("raw_checks", []))
    payload = {
        "schema": "usreg-checks/1",
        "dataset": dataset_id,
        "version": version,
        "created": extra.pop("created", "2026-11-22T14:00:00Z"),
        "converter": {"name": dataset_id, "version": "1.0"},
        "checks": checks,
        **extra,
    }
    path = folder / "checks.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def criterion(score_dict: dict[str, Any], criterion_id: str) -> dict[str, Any]:
    return next(c for c in score_dict["criteria"] if c["id"] == criterion_id)
