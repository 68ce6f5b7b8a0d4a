"""The runner on in-memory splits: every task kind, class mapping, the process pool, jobs with provenance, the index,
leaderboards and verification evidence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from registry.bench import compat, results, verification
from registry.bench.adapters import build_builtin, build_for_model
from registry.bench.adapters.base import OutputClass
from registry.bench.executors import run_jobs
from registry.bench.jobs import BenchJob, ModelRef, run_job
from registry.bench.metrics.conventions import FM_UIA, USREG
from registry.bench.runner import class_lut, evaluate
from registry.formats.sample import Box, Sample
from registry.index import RegistryIndex
from tests.bench import onnx_models
from tests.bench.helpers import dataset_entry, onnx_model_entry, view
from tests.bench.synthetic import carotid_like

CLASSES = [OutputClass(0, "background"), OutputClass(1, "plaque")]


def _metrics(outcome):
    return {m.name: m for m in outcome.metrics}


def test_baselines_on_a_segmentation_split():
    samples = carotid_like(12, seed=4)
    bg = evaluate(build_builtin("all-background", CLASSES), view(samples), USREG, n_boot=50)
    m = _metrics(bg)
    assert bg.task == "segmentation" and bg.images == 12 and bg.target == "plaque"
    assert m["dice"].value == 0.0 and m["dice"].n == 8  # 8 plaque images, 4 plaque-free
    assert m["fp_rate"].value == 0.0 and m["fp_rate"].n == 4
    th = _metrics(evaluate(build_builtin("intensity-threshold", CLASSES), view(samples), USREG, n_boot=50))
    assert th["dice"].value > 0.05 and th["fp_rate"].value > 0  # the bright far wall fools it


def test_process_pool_gives_the_same_numbers_as_inline_scoring():
    samples = carotid_like(10, seed=5)
    adapter = build_builtin("intensity-threshold", CLASSES)
    inline = _metrics(evaluate(adapter, view(samples), FM_UIA, n_boot=20, workers=1, batch_size=3))
    pooled = _metrics(evaluate(adapter, view(samples), FM_UIA, n_boot=20, workers=2, batch_size=3))
    assert inline.keys() == pooled.keys()
    for name in inline:
        assert inline[name].value == pytest.approx(pooled[name].value), name
        assert inline[name].ci_low == pytest.approx(pooled[name].ci_low), name


def test_samples_without_the_target_are_skipped_and_labels_are_checked():
    samples = carotid_like(4, seed=6)
    samples[1].masks = {}
    out = evaluate(build_builtin("all-background", CLASSES), view(samples), USREG, n_boot=0)
    assert out.images == 3 and out.skipped == 1
    samples[0].masks["plaque"] = np.full_like(samples[0].masks["plaque"], 7)
    with pytest.raises(Exception, match="outside the class map"):
        evaluate(build_builtin("all-background", CLASSES), view(samples), USREG, n_boot=0)


def test_several_targets_need_a_choice():
    samples = carotid_like(2, seed=6)
    v = view(samples, targets={"plaque": ["background", "plaque"], "vessel": ["background", "vessel"]})
    with pytest.raises(Exception, match="several mask targets"):
        evaluate(build_builtin("all-background", CLASSES), v, USREG, n_boot=0)
    assert evaluate(build_builtin("all-background", CLASSES), v, USREG, target="plaque", n_boot=0).images == 2


def test_model_classes_are_mapped_to_dataset_classes_by_name():
    notes: list[str] = []
    lut = class_lut(
        [OutputClass(0, "bg"), OutputClass(1, "Vessel"), OutputClass(2, "plaque")], ["background", "plaque"], notes
    )
    assert list(lut[:3]) == [0, 0, 1]
    assert notes and "Vessel" in notes[0]
    assert class_lut(CLASSES, ["background", "plaque"], []) is None  # identity
    assert class_lut([], ["background", "plaque"], []) is None


def test_onnx_models_for_each_task(tmp_path):
    rng = np.random.default_rng(0)
    # classification: bright images are "malignant"
    samples = []
    for i in range(20):
        bright = i % 2 == 1
        img = np.clip(rng.normal(200 if bright else 50, 20, (16, 16)), 0, 255).astype(np.uint8)
        samples.append(Sample(f"c{i}", img, label="malignant" if bright else "benign"))
    path = onnx_models.mean_classifier(tmp_path / "cls.onnx")
    model = onnx_model_entry("cls", path, classes=("benign", "malignant"), kind="label", tasks=("classification",))
    out = evaluate(
        build_for_model(model, tmp_path, weights_override=path),
        view(samples, labels=["benign", "malignant"], targets={}),
        n_boot=20,
    )
    m = _metrics(out)
    assert out.task == "classification" and m["accuracy"].value == 1.0 and m["auc"].value == 1.0

    # regression: constant points scored with the mean radial error
    pts_path = onnx_models.constant_points(tmp_path / "pts.onnx", np.array([[8.0, 8.0]]))
    model = onnx_model_entry("pts", pts_path, classes=(), kind="points", tasks=("landmark",), activation="none")
    samples = [Sample(f"r{i}", np.zeros((32, 32), np.uint8), points=[(8.0 + 3 * i, 12.0)]) for i in range(3)]
    m = _metrics(
        evaluate(build_for_model(model, tmp_path, weights_override=pts_path), view(samples, targets={}), n_boot=0)
    )
    expected = np.mean([np.hypot(3 * i, 4) for i in range(3)])
    assert m["mre"].value == pytest.approx(expected)

    # detection: one constant box against GT boxes
    box_path = onnx_models.constant_boxes(
        tmp_path / "box.onnx", np.array([[4, 4, 12, 12]]), np.array([0.9]), np.array([1])
    )
    model = onnx_model_entry(
        "box", box_path, classes=("background", "lesion"), kind="boxes", tasks=("detection",), activation="none"
    )
    samples = [
        Sample("d0", np.zeros((32, 32), np.uint8), boxes=[Box(4, 4, 12, 12, "lesion")]),
        Sample("d1", np.zeros((32, 32), np.uint8), boxes=[Box(20, 20, 30, 30, "lesion")]),
    ]
    m = _metrics(
        evaluate(
            build_for_model(model, tmp_path, weights_override=box_path),
            view(samples, targets={}, box_categories=["lesion"]),
            n_boot=5,
        )
    )
    assert m["map50"].value == pytest.approx(0.5, abs=0.01) and m["box_iou"].value == pytest.approx(0.5)


def _catalog(tmp_path, models=(), datasets=()):
    from registry.catalog import Catalog

    cat = Catalog(root=tmp_path / "catalog")
    for d in datasets:
        cat.datasets[d.id] = d
    for m in models:
        cat.models[m.id] = m
    return cat


def test_run_job_rows_provenance_index_leaderboard_and_verification(tmp_path, usreg_home):
    samples = carotid_like(12, seed=8)
    path = onnx_models.threshold_segmenter(tmp_path / "seg.onnx", threshold=0.55, size=(32, 32))
    model = onnx_model_entry(
        "thresh-net",
        path,
        metrics=[
            {"dataset": "synthetic-carotid", "split": "test", "metric": "Dice", "value": 0.0},
            {"dataset": "synthetic-carotid", "metric": "mAP", "value": 0.5},  # never run: not listed
        ],
    )
    jobs = [
        BenchJob(
            "synthetic-carotid",
            ModelRef(entry=model),
            home=str(usreg_home),
            n_boot=30,
            weights=str(path),
            view=view(samples),
        ),
        BenchJob(
            "synthetic-carotid", ModelRef(builtin="all-background"), home=str(usreg_home), n_boot=30, view=view(samples)
        ),
    ]
    outcomes = run_jobs(jobs, workers=1)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    net, bg = outcomes
    rows = {r["metric"]: r for r in net.rows}
    assert rows["check.weights_load"]["value"] == 1.0 and rows["check.output_shape"]["value"] == 1.0
    dice = rows["dice"]
    assert dice["weights_sha256"] == model.weights[0].sha256
    assert (dice["dataset_version"], dice["converter"], dice["converter_version"]) == ("1", "synthetic", "1.0")
    assert dice["convention"] == "usreg" and dice["seed"] == 0 and dice["device"].startswith("cpu")
    assert "numpy" in json.loads(dice["packages"]) and json.loads(dice["detail"])["target"] == "plaque"
    assert len({r["run_id"] for r in net.rows}) == 1 and net.run_id != bg.run_id

    catalog = _catalog(tmp_path, [model], [dataset_entry()])
    index = RegistryIndex(tmp_path / "catalog")
    assert results.store(index, outcomes) == len(net.rows) + len(bg.rows)
    head, board = results.leaderboard(index, "synthetic-carotid")
    assert head == "dice" and [r["model"] for r in board] == ["thresh-net", "builtin:all-background"]
    assert board[0]["rank"] == 1 and board[0]["ci"].startswith("[") and board[0]["value"] > 0.3
    assert board[1]["value"] == 0.0

    tol = verification.tolerance(None)
    assert tol == {"absolute": 0.01, "relative": 0.02}  # scorers/rubrics/model-v1.yaml params
    [rep] = verification.reproductions(index, catalog)
    assert rep["model_id"] == "thresh-net" and rep["metric"] == "dice" and rep["reported"] == 0.0
    assert rep["reproduced"] == pytest.approx(net.metric("dice")) and rep["within_tolerance"] is False
    [fwd] = verification.forward_checks(index, catalog)
    assert fwd["weights_load"] and fwd["output_matches"] and fwd["ok"]

    path_records = verification.write_records(usreg_home, index, catalog)
    from scorers.providers.bench import read_records

    recs = read_records(path_records)
    assert {r.check for r in recs} == {"reproduction", "forward-pass"}


def test_reported_metric_within_tolerance_and_percent_units(tmp_path):
    samples = carotid_like(6, seed=9)
    outcome = run_job(
        BenchJob("synthetic-carotid", ModelRef(builtin="intensity-threshold"), n_boot=0, view=view(samples))
    )
    dice = outcome.metric("dice")
    model = onnx_model_entry(
        "dummy",
        None,
        metrics=[
            {"dataset": "synthetic-carotid", "metric": "mean DSC", "value": round(dice * 100 + 0.5, 3), "unit": "%"}
        ],
    )
    index = RegistryIndex(tmp_path / "catalog")
    for r in outcome.rows:
        r["model_id"] = "dummy"
    results.store(index, [outcome])
    [rep] = verification.reproductions(index, _catalog(tmp_path, [model]))
    assert rep["reported"] == pytest.approx(dice + 0.005, abs=1e-5) and rep["within_tolerance"] is True
    assert verification.canonical_metric("mAP50-95") == "map"
    assert verification.canonical_metric("Dice[plaque]") == "dice[plaque]"


def test_failed_weights_are_recorded_and_the_batch_continues(tmp_path):
    home = tmp_path / "home"
    junk = home / "downloads" / "broken" / "latest" / "junk.onnx"  # the released file, as `usreg fetch` left it
    junk.parent.mkdir(parents=True)
    junk.write_bytes(b"garbage")
    model = onnx_model_entry("broken", junk, with_sha=False)
    samples = carotid_like(3, seed=1)
    bad, good = run_jobs(
        [
            BenchJob("synthetic-carotid", ModelRef(entry=model), home=str(home), n_boot=0, view=view(samples)),
            BenchJob("synthetic-carotid", ModelRef(builtin="all-background"), n_boot=0, view=view(samples)),
        ],
        workers=2,
    )
    assert not bad.ok and "does not load" in bad.error
    assert [(r["metric"], r["value"], r["weights_status"]) for r in bad.rows] == [
        ("check.weights_load", 0.0, "unchecked")
    ]
    assert good.ok and good.images == 3
    index = RegistryIndex(tmp_path / "catalog")
    results.store(index, [bad, good])
    [fwd] = verification.forward_checks(index, _catalog(tmp_path, [model]))
    assert fwd["weights_load"] is False and fwd["ok"] is False


def test_untrained_recipe_is_refused():
    samples = carotid_like(3, seed=1)
    pytest.importorskip("torch", reason="the unet-ensemble recipe needs torch (extra usreg[bench])")
    out = run_job(BenchJob("synthetic-carotid", ModelRef(builtin="unet-ensemble"), n_boot=0, view=view(samples)))
    assert not out.ok and "must be trained" in out.error and "--train unet-ensemble" in out.hint


def test_compatibility_from_task_label_type_and_input_spec(tmp_path):
    seg = onnx_model_entry("seg", None)
    carotid = dataset_entry()
    assert compat.check(seg, carotid)
    cls = onnx_model_entry("cls", None, kind="label", tasks=("classification",), classes=("benign", "malignant"))
    verdict = compat.check(cls, carotid)
    assert not verdict and "no shared task" in verdict.reasons[0]
    volumes = dataset_entry("vol", modality={"modes": ["b-mode"], "dimensionality": ["3d"]})
    assert any("2-D" in r for r in compat.check(seg, volumes).reasons)
    other = onnx_model_entry("thy", None, classes=("background", "nodule"))
    assert any("no class in common" in r for r in compat.check(other, carotid).reasons)
    boxes_only = dataset_entry("det", tasks=["segmentation"], annotation={"label_types": ["box"]})
    assert any("cannot score" in r for r in compat.check(seg, boxes_only).reasons)
    from registry.schema import Model

    no_weights = Model.model_validate({"id": "paper-only", "name": "x", "tasks": ["segmentation"]})
    assert any("no runnable weights" in r for r in compat.check(no_weights, carotid).reasons)
    assert compat.baseline_check(carotid) and not compat.baseline_check(boxes_only)


def test_results_go_into_an_index_made_before_the_extra_columns(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:  # the bench_result table as the first index version created it
        conn.execute(
            "CREATE TABLE bench_result (id INTEGER PRIMARY KEY, dataset_id VARCHAR NOT NULL, "
            "model_id VARCHAR NOT NULL, split VARCHAR NOT NULL, metric VARCHAR NOT NULL, "
            "value FLOAT NOT NULL, ci_low FLOAT, ci_high FLOAT, n INTEGER, weights_sha256 VARCHAR, "
            "dataset_version VARCHAR, converter VARCHAR, converter_version VARCHAR, seed INTEGER, "
            "device VARCHAR, packages VARCHAR, "
            "created VARCHAR NOT NULL, run_id VARCHAR NOT NULL)"
        )
    outcome = run_job(
        BenchJob("synthetic-carotid", ModelRef(builtin="all-background"), n_boot=0, view=view(carotid_like(3, seed=2)))
    )
    index = RegistryIndex(tmp_path / "catalog", path=path)
    assert results.store(index, [outcome]) == len(outcome.rows)
    head, board = results.leaderboard(index, "synthetic-carotid")
    assert head == "dice" and board[0]["convention"] == "usreg"


def test_a_run_on_unverified_data_is_marked_and_reproduces_no_claim(tmp_path, usreg_home):
    """A bench on data no checksum verified (--from-file without a match, --skip-verify) was stored and reproduced or
    contradicted the model's reported metric like any other run, and the leaderboard showed it unmarked: unverified
    bytes could move a published score. It is now shown as 'unverified' and left out of reproduction."""
    samples = carotid_like(12, seed=8)
    path = onnx_models.threshold_segmenter(tmp_path / "seg.onnx", threshold=0.55, size=(32, 32))
    model = onnx_model_entry(
        "thresh-net", path, metrics=[{"dataset": "synthetic-carotid", "split": "test", "metric": "Dice", "value": 0.0}]
    )
    unverified = view(samples, trust="unverified", state="partial")
    job = BenchJob(
        "synthetic-carotid", ModelRef(entry=model), home=str(usreg_home), n_boot=5, weights=str(path), view=unverified
    )
    outcomes = run_jobs([job], workers=1)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    catalog = _catalog(tmp_path, [model], [dataset_entry()])
    index = RegistryIndex(tmp_path / "catalog")
    results.store(index, outcomes)
    _, board = results.leaderboard(index, "synthetic-carotid")
    assert [(r["model"], r["data"]) for r in board] == [("thresh-net", "unverified, partial")]
    assert "data" in results.columns(board, "dice")
    assert verification.reproductions(index, catalog) == []
    [fwd] = verification.forward_checks(index, catalog)  # the weights did load: that needs no verified data
    assert fwd["ok"]
