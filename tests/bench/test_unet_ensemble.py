"""The trainable U-Net ensemble recipe: a short training run on a tiny carotid-like fixture must beat the
all-background baseline's Dice on images with plaque. Needs torch (extra usreg[bench])."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from registry.bench.adapters.unet_ensemble import majority_vote
from registry.bench.jobs import BenchJob, ModelRef, run_job
from tests.bench.helpers import view
from tests.bench.synthetic import carotid_like

# Small enough for two CPU cores in well under a minute; options go through the same path as --option.
TINY = {"size": 64, "epochs": 10, "lr": 3e-3, "width": 8, "depth": 3, "batch_size": 8}


@pytest.fixture
def one_torch_thread():
    """One intra-op thread: on a small shared CPU, torch's spinning OpenMP threads make training several times
    slower when other processes compete for the cores (measured 19 s with one thread vs 85 s with two)."""
    torch = pytest.importorskip("torch", reason="the unet-ensemble recipe needs torch (pip install 'usreg[bench]')")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_majority_vote_and_tie_break():
    labels = np.array([[[0, 1, 2]], [[1, 1, 1]], [[1, 2, 1]]])  # three networks, one row of three pixels
    probs = np.zeros((3, 1, 3), np.float32)
    probs[2, 0, 2] = 0.9  # pixel 3 votes (2, 1, 1): class 1 wins on votes even though class 2 is more probable
    assert majority_vote(labels, probs).tolist() == [[1, 1, 1]]
    disagree = np.array([[[0]], [[1]], [[2]]])
    mean = np.array([[[0.2]], [[0.3]], [[0.5]]], np.float32)
    assert majority_vote(disagree, mean).tolist() == [[2]]  # a three-way tie goes to the highest mean probability


def test_short_training_beats_all_background(usreg_home, one_torch_thread):
    train = carotid_like(32, seed=1, split="train")
    test = carotid_like(12, seed=2, split="test")
    trained = run_job(
        BenchJob(
            "synthetic-carotid",
            ModelRef(builtin="unet-ensemble", options=TINY, train=True),
            home=str(usreg_home),
            n_boot=100,
            view=view(test),
            train_view=view(train, split="train"),
        )
    )
    baseline = run_job(BenchJob("synthetic-carotid", ModelRef(builtin="all-background"), n_boot=0, view=view(test)))
    assert trained.ok, trained.error
    rows = {r["metric"]: r for r in trained.rows}
    # Dice under the usreg convention is computed on the images whose GT has plaque (8 of the 12)
    assert rows["dice"]["n"] == 8 and baseline.metric("dice") == 0.0
    assert rows["dice"]["value"] > 0.5 > baseline.metric("dice")
    assert rows["fp_rate"]["n"] == 4
    saved = usreg_home / "bench" / "trained" / "synthetic-carotid" / "1" / "unet-ensemble-seed0.pt"
    assert saved.is_file()
    assert rows["dice"]["weights_sha256"] == hashlib.sha256(saved.read_bytes()).hexdigest()

    # the saved ensemble reloads and predicts the same masks
    reloaded = run_job(
        BenchJob(
            "synthetic-carotid",
            ModelRef(builtin="unet-ensemble", options={"weights": str(saved)}),
            n_boot=0,
            view=view(test),
        )
    )
    assert reloaded.ok and reloaded.metric("dice") == pytest.approx(trained.metric("dice"))


def test_bad_ensemble_file_is_a_clear_error(tmp_path: Path):
    pytest.importorskip("torch", reason="the unet-ensemble recipe needs torch (pip install 'usreg[bench]')")
    bad = tmp_path / "x.pt"
    bad.write_bytes(b"nope")
    out = run_job(
        BenchJob(
            "synthetic-carotid",
            ModelRef(builtin="unet-ensemble", options={"weights": str(bad)}),
            n_boot=0,
            view=view(carotid_like(2)),
        )
    )
    assert not out.ok and "cannot read" in out.error


def test_a_catalog_model_run_by_the_recipe_is_trained_when_named(tmp_path, usreg_home, one_torch_thread):
    from registry.bench.plan import make_plan
    from registry.catalog import Catalog
    from registry.schema import Model
    from tests.bench.helpers import dataset_entry

    model = Model.model_validate(
        {
            "id": "plaque-ensemble",
            "name": "x",
            "tasks": ["segmentation"],
            "output": {"kind": "mask", "classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "plaque"}]},
            "adapter": {
                "name": "builtin",
                "options": {"recipe": "unet-ensemble", "size": 32, "epochs": 1, "width": 4, "depth": 2},
            },
        }
    )
    catalog = Catalog(root=tmp_path)
    catalog.datasets["synthetic-carotid"] = dataset_entry()
    catalog.models[model.id] = model
    implicit = make_plan(catalog, usreg_home, ["synthetic-carotid"])
    assert "plaque-ensemble" not in [m.model_id for _, m in implicit.pairs]
    assert "name it to train it" in next(s["reason"] for s in implicit.skipped if s["model"] == "plaque-ensemble")
    [(_, ref)] = make_plan(catalog, usreg_home, ["synthetic-carotid"], model_ids=("plaque-ensemble",)).pairs
    assert ref.train and ref.entry is model
    out = run_job(
        BenchJob(
            "synthetic-carotid",
            ref,
            home=str(usreg_home),
            n_boot=0,
            view=view(carotid_like(4)),
            train_view=view(carotid_like(8, seed=3, split="train"), split="train"),
        )
    )
    assert out.ok, out.error
    assert not [r for r in out.rows if r["metric"].startswith("check.")]  # no published weights to check
    assert out.rows[0]["model_id"] == "plaque-ensemble" and out.rows[0]["weights_sha256"]
    import json as _json

    from registry.bench.provenance import membership_sha256

    detail = _json.loads(next(r["detail"] for r in out.rows if r["metric"] == "dice"))
    assert detail["train_samples"] == 8 and detail["train_seconds"] > 0
    assert detail["train_split_sha256"] == membership_sha256(
        s.sample_id for s in carotid_like(8, seed=3, split="train")
    )
    assert detail["code_version"].startswith(("0.", "unknown"))
    assert detail["data_trust"] == "host-verified"  # the test helper's view stands for verified data


def _ensemble_catalog(tmp_path, trained_on=("synthetic-carotid",)):
    from registry.catalog import Catalog
    from registry.schema import Model
    from tests.bench.helpers import dataset_entry

    model = Model.model_validate(
        {
            "id": "plaque-ensemble",
            "name": "x",
            "tasks": ["segmentation"],
            "trained_on": list(trained_on),
            "output": {"kind": "mask", "classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "plaque"}]},
            "adapter": {"name": "builtin", "options": {"recipe": "unet-ensemble", "size": 32, "epochs": 40}},
        }
    )
    catalog = Catalog(root=tmp_path)
    catalog.datasets["synthetic-carotid"] = dataset_entry()
    catalog.models[model.id] = model
    return catalog


def test_option_reaches_a_catalog_model_run_by_a_recipe(tmp_path, usreg_home):
    """`usreg bench D --model M --option epochs=1`: the option overrides the entry's recipe options (was ignored)."""
    pytest.importorskip("torch", reason="the unet-ensemble recipe needs torch (pip install 'usreg[bench]')")
    from registry.bench.jobs import _adapter
    from registry.bench.plan import make_plan
    from registry.cli.bench_cmd import _recipe_options

    catalog = _ensemble_catalog(tmp_path)
    options = _recipe_options(("epochs=1",))
    [(_, ref)] = make_plan(catalog, usreg_home, ["synthetic-carotid"], ("plaque-ensemble",), options=options).pairs
    assert ref.options == {"epochs": 1}
    adapter, _ = _adapter(BenchJob("synthetic-carotid", ref, home=str(usreg_home)), view(carotid_like(2)))
    assert adapter.config["epochs"] == 1 and adapter.config["size"] == 32
    [(_, default_ref)] = make_plan(catalog, usreg_home, ["synthetic-carotid"], ("plaque-ensemble",)).pairs
    default, _ = _adapter(BenchJob("synthetic-carotid", default_ref, home=str(usreg_home)), view(carotid_like(2)))
    assert default.config["epochs"] == 40


def test_train_recipe_results_belong_to_the_entry_that_is_that_recipe(tmp_path, usreg_home):
    """`--train unet-ensemble` on a dataset that a catalog entry is this recipe trained on runs as that entry."""
    from registry.bench.plan import make_plan

    owned = _ensemble_catalog(tmp_path)
    [(_, ref)] = make_plan(owned, usreg_home, ["synthetic-carotid"], train=("unet-ensemble",)).pairs
    assert ref.entry is owned.models["plaque-ensemble"] and ref.model_id == "plaque-ensemble" and ref.train
    unowned = _ensemble_catalog(tmp_path, trained_on=())
    [(_, ref)] = make_plan(unowned, usreg_home, ["synthetic-carotid"], train=("unet-ensemble",)).pairs
    assert ref.entry is None and ref.model_id == "builtin:unet-ensemble"


def test_recipe_weights_not_downloaded_say_how_to_get_them(tmp_path, usreg_home):
    """A recipe entry that declares published weights: a missing file is a clear error (was an ImportError)."""
    pytest.importorskip("torch", reason="the unet-ensemble recipe needs torch (pip install 'usreg[bench]')")
    from registry.bench.adapters import build_for_model
    from registry.errors import UsregError
    from registry.schema import Model

    model = Model.model_validate(
        {
            "id": "plaque-ensemble",
            "name": "x",
            "tasks": ["segmentation"],
            "output": {"kind": "mask", "classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "plaque"}]},
            "adapter": {"name": "builtin", "options": {"recipe": "unet-ensemble"}},
            "weights": [
                {
                    "format": "pytorch-checkpoint",
                    "file": "ens.pt",
                    "source": {"kind": "http", "url": "https://x.org/ens.pt"},
                }
            ],
        }
    )
    with pytest.raises(UsregError) as err:
        build_for_model(model, usreg_home)
    assert "not downloaded" in err.value.message and "usreg fetch plaque-ensemble" in err.value.hint
