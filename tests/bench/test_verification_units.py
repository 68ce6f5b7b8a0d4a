"""Reported metrics are compared with reproduced ones only in the same units; the tolerance comes from a rubric file."""

from __future__ import annotations

import pytest

from registry.bench import verification


@pytest.mark.parametrize(
    ("metric", "unit", "comparable"),
    [
        ("hd95", "mm", False),  # the runner measures pixels
        ("hd95", "px", True),
        ("hd95", None, True),
        ("assd", "millimetres", False),
        ("dice", "%", True),
        ("dice", None, True),
        ("dice[plaque]", "%", True),
        ("dice", "mm", False),
    ],
)
def test_units_decide_whether_a_reported_metric_is_compared(metric, unit, comparable):
    assert verification.comparable_units(metric, unit) is comparable


def test_hd95_in_mm_is_never_compared_with_pixels(tmp_path):
    from registry.bench import results
    from registry.bench.jobs import BenchJob, ModelRef, run_job
    from registry.index import RegistryIndex
    from tests.bench.helpers import onnx_model_entry, view
    from tests.bench.synthetic import carotid_like

    outcome = run_job(
        BenchJob("synthetic-carotid", ModelRef(builtin="intensity-threshold"), n_boot=0, view=view(carotid_like(4)))
    )
    assert outcome.ok, outcome.error
    for r in outcome.rows:
        r["model_id"] = "mm-model"
    index = RegistryIndex(tmp_path / "catalog")
    results.store(index, [outcome])
    hd95 = outcome.metric("hd95")
    claims = [
        {"dataset": "synthetic-carotid", "metric": "HD95", "value": 1.0, "unit": "mm"},
        {"dataset": "synthetic-carotid", "metric": "HD95", "value": hd95, "unit": "px"},
    ]
    model = onnx_model_entry("mm-model", None, metrics=claims)
    from registry.catalog import Catalog

    catalog = Catalog(root=tmp_path)
    catalog.models[model.id] = model
    reps = verification.reproductions(index, catalog)
    assert [(r["metric"], r["within_tolerance"]) for r in reps] == [("hd95", True)]  # the mm claim is not compared


def test_tolerance_is_read_from_the_named_rubric_file(tmp_path):
    rubric = tmp_path / "model-v9.yaml"
    rubric.write_text("params:\n  reproduction_tolerance: {absolute: 0.05, relative: 0.0}\n", encoding="utf-8")
    assert verification.tolerance(rubric) == {"absolute": 0.05, "relative": 0.0}
    assert verification.tolerance(None) == verification.DEFAULT_TOLERANCE


def test_a_runs_data_trust_comes_from_the_fetch_lock_recorded_at_conversion():
    from registry.bench.data import view_from_metadata

    verified = {
        "source": {
            "lock": {"files": {"a.zip": {"trust_level": "host-verified"}, "b.zip": {"trust_level": "host-verified"}}}
        }
    }
    mixed = {
        "source": {
            "lock": {"files": {"a.zip": {"trust_level": "host-verified"}, "b.zip": {"trust_level": "unverified"}}}
        }
    }
    assert view_from_metadata("d", "test", [], verified).trust == "host-verified"
    assert view_from_metadata("d", "test", [], mixed).trust == "unverified"
    assert view_from_metadata("d", "test", [], {}).trust == "unverified"
