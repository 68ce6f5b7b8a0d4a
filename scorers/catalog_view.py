"""Reverse links of a catalog, computed once per scoring run (which models use a dataset, and so on)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from registry.catalog import Catalog
    from registry.schema import Dataset, Model
    from registry.schema.model import ReportedMetric


@dataclass
class CatalogView:
    catalog: Catalog | None
    models_by_dataset: dict[str, list[Model]] = field(default_factory=dict)
    metrics_by_dataset: dict[str, list[tuple[Model, ReportedMetric]]] = field(default_factory=dict)

    @classmethod
    def build(cls, catalog: Catalog | None) -> CatalogView:
        view = cls(catalog=catalog)
        if catalog is None:
            return view
        for model in catalog.models.values():
            for dataset_id in dict.fromkeys([*model.trained_on, *model.evaluated_on]):
                view.models_by_dataset.setdefault(dataset_id, []).append(model)
            for metric in model.metrics:
                if metric.dataset:
                    view.metrics_by_dataset.setdefault(metric.dataset, []).append((model, metric))
        return view

    def datasets(self) -> dict[str, Dataset]:
        return self.catalog.datasets if self.catalog is not None else {}

    def models(self) -> dict[str, Model]:
        return self.catalog.models if self.catalog is not None else {}
