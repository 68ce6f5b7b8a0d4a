"""Training says how long it should take, then reports every epoch, and the CLI writes it as JSON lines when piped."""

from __future__ import annotations

import json

import pytest

from registry.bench.jobs import BenchJob, ModelRef, run_job
from tests.bench.helpers import view
from tests.bench.synthetic import carotid_like

TINY = {"size": 32, "epochs": 2, "width": 4, "depth": 2}


def test_training_emits_an_estimate_then_each_epoch_then_images(usreg_home):
    pytest.importorskip("torch", reason="the unet-ensemble recipe needs torch (pip install 'usreg[bench]')")
    events = []
    out = run_job(
        BenchJob(
            "synthetic-carotid",
            ModelRef(builtin="unet-ensemble", options=dict(TINY), train=True),
            home=str(usreg_home),
            n_boot=0,
            view=view(carotid_like(4, seed=2)),
            train_view=view(carotid_like(6, seed=1, split="train"), split="train"),
        ),
        progress=events.append,
    )
    assert out.ok, out.error
    dicts = [e for e in events if isinstance(e, dict)]
    assert dicts[0]["event"] == "train-estimate" and dicts[0]["seconds"] > 0 and dicts[0]["networks"] == 3
    epochs = [e for e in dicts if e["event"] == "epoch"]
    assert len(epochs) == 3 * 2 and epochs[-1]["eta"] == 0 and all(e["loss"] >= 0 for e in epochs)
    assert [e["epoch"] for e in epochs] == [1, 2] * 3
    assert sum(e for e in events if isinstance(e, int)) == 4  # then the evaluated images
    assert events.index(dicts[-1]) < next(i for i, e in enumerate(events) if isinstance(e, int))


def test_piped_progress_is_json_lines(capsys):
    from registry.cli.bench_cmd import _json_progress

    job = BenchJob("d", ModelRef(builtin="unet-ensemble"), split="test")
    emit = _json_progress(job)
    emit({"event": "train-estimate", "seconds": 12.0, "networks": 3, "epochs": 2, "samples": 6, "device": "cpu"})
    emit({"event": "epoch", "network": "1/3 (resnet)", "epoch": 1, "epochs": 2, "loss": 0.5, "elapsed": 1, "eta": 5})
    emit(4)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["event"] for line in lines] == ["train-estimate", "epoch", "images"]
    assert all(line["model"] == "builtin:unet-ensemble" and line["dataset"] == "d" for line in lines)
    assert lines[-1]["done"] == 4
