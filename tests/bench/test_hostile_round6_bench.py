"""Hostile input, round 6: model files whose forward pass gives no usable output (the wrong architecture for the
entry, NaN or infinite values). Such a run stores its checks, but no metric, so it never reaches the leaderboard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from registry.bench import results
from registry.bench.jobs import BenchJob, ModelRef, run_job
from registry.index import RegistryIndex
from tests.bench import onnx_models
from tests.bench.helpers import onnx_model_entry, view
from tests.bench.synthetic import carotid_like


def _graph(path: Path, nodes, channels: int = 2, initializers=()) -> Path:
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", channels, 32, 32])
    graph = helper.make_graph(nodes, "hostile", [onnx_models._input((32, 32))], [out], list(initializers))
    return onnx_models._save(graph, path)


def _nan_everywhere(path: Path) -> Path:
    """0 / 0 on every pixel: NaN logits already for the blank input of the forward-pass check."""
    zero = numpy_helper.from_array(np.array(0, np.float32), "z")
    nodes = [
        helper.make_node("Mul", ["image", "z"], ["a"]),
        helper.make_node("Div", ["a", "a"], ["n"]),
        helper.make_node("Concat", ["n", "n"], ["logits"], axis=1),
    ]
    return _graph(path, nodes, initializers=[zero])


def _nan_on_bright_pixels(path: Path) -> Path:
    """sqrt(-x): 0 for the blank check input, NaN wherever a real image is brighter than black."""
    nodes = [
        helper.make_node("Neg", ["image"], ["m"]),
        helper.make_node("Sqrt", ["m"], ["n"]),
        helper.make_node("Concat", ["n", "m"], ["logits"], axis=1),
    ]
    return _graph(path, nodes)


def _five_channels(path: Path) -> Path:
    """Another architecture's head: five score maps for an entry that declares background and plaque."""
    return _graph(path, [helper.make_node("Concat", ["image"] * 5, ["logits"], axis=1)], channels=5)


def _run(tmp_path: Path, build) -> tuple:
    path = build(tmp_path / "model.onnx")
    model = onnx_model_entry("hostile-net", path, size=(32, 32))
    samples = carotid_like(4, size=32, seed=3)
    job = BenchJob("synthetic-carotid", ModelRef(entry=model), n_boot=0, weights=str(path), view=view(samples))
    baseline = BenchJob("synthetic-carotid", ModelRef(builtin="all-background"), n_boot=0, view=view(samples))
    return run_job(job), run_job(baseline)


def _board(tmp_path: Path, outcomes) -> list[str]:
    index = RegistryIndex(tmp_path / "catalog")
    results.store(index, outcomes)
    return [r["model"] for r in results.leaderboard(index, "synthetic-carotid")[1]]


def test_a_model_whose_output_is_nan_is_not_scored(tmp_path: Path) -> None:
    """NaN logits became an all-background mask: the run was 'ok' with Dice 0 on the leaderboard, exit 0."""
    bad, good = _run(tmp_path, _nan_everywhere)
    assert not bad.ok and "NaN or infinite values" in bad.error and "not evaluated" in bad.error
    rows = {r["metric"]: r["value"] for r in bad.rows}
    assert rows == {"check.weights_load": 1.0, "check.output_shape": 0.0}
    assert _board(tmp_path, [bad, good]) == ["builtin:all-background"]


def test_nan_on_real_images_stops_the_evaluation(tmp_path: Path) -> None:
    """A model that passes the blank-input check but gives NaN on real images was scored as well."""
    bad, _ = _run(tmp_path, _nan_on_bright_pixels)
    assert not bad.ok and "network output 0 holds NaN or infinite values" in bad.error
    assert {r["metric"] for r in bad.rows} == {"check.weights_load", "check.output_shape"}


def test_weights_of_another_architecture_are_not_scored(tmp_path: Path) -> None:
    """A failed check.output_shape (five score maps for two declared classes) was stored, and then the run went on
    and put a Dice for it on the leaderboard, exit 0."""
    bad, good = _run(tmp_path, _five_channels)
    assert not bad.ok and "does not give the output the entry declares" in bad.error
    assert "[[1, 5, 32, 32]]" in bad.error and "another architecture" in bad.hint
    assert {r["metric"] for r in bad.rows} == {"check.weights_load", "check.output_shape"}
    assert _board(tmp_path, [bad, good]) == ["builtin:all-background"]


def test_an_empty_checkpoint_is_a_weights_load_failure(tmp_path: Path) -> None:
    """An empty .pth given with --weights crashed the adapter with 'IndexError: list index out of range' (torch.load
    raises EOFError with no message, and the error text took its first line)."""
    import pytest
    import yaml

    from registry.bench.adapters import WeightsLoadError, build_for_model
    from registry.schema.model import Model
    from tests.conftest import REPO_ROOT

    entry = Model.model_validate(yaml.safe_load((REPO_ROOT / "entries/models/sononet.yaml").read_text()))
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    with pytest.raises(
        WeightsLoadError, match=r"empty\.pth does not load with torch\.load\(weights_only=True\): EOFError"
    ):
        build_for_model(entry, tmp_path / "home", weights_override=empty)
