"""Tiny ONNX models built with the onnx package, for the adapter and end-to-end tests.

- ``threshold_segmenter``: class-1 logit = x - t, class-0 logit = t - x (per pixel), so the arg-max is a threshold;
- ``mean_classifier``: logits from the image mean, (t - mean, mean - t);
- ``constant_points`` / ``constant_boxes``: fixed outputs in input pixel coordinates (to check the scaling back).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


def _save(graph, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def _input(size: tuple[int, int] | None, batch: int | str = "N", channels: int = 1):
    h, w = size if size else ("H", "W")
    return helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, channels, h, w])


def threshold_segmenter(
    path: Path, threshold: float = 0.5, size: tuple[int, int] | None = (32, 32), channels: int = 1, n_out: int = 2
) -> Path:
    t = numpy_helper.from_array(np.array(threshold, np.float32), "t")
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["x"], axes=[1], keepdims=1),
        helper.make_node("Sub", ["x", "t"], ["fg"]),
        helper.make_node("Sub", ["t", "x"], ["bg"]),
    ]
    if n_out == 1:
        nodes.append(helper.make_node("Identity", ["fg"], ["logits"]))
    else:
        nodes.append(helper.make_node("Concat", ["bg"] + ["fg"] * (n_out - 1), ["logits"], axis=1))
    h, w = size if size else ("H", "W")
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", n_out, h, w])
    return _save(helper.make_graph(nodes, "threshold", [_input(size, channels=channels)], [out], [t]), path)


def mean_classifier(path: Path, threshold: float = 0.5, size: tuple[int, int] = (16, 16)) -> Path:
    t = numpy_helper.from_array(np.array(threshold, np.float32), "t")
    nodes = [
        helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["m"], axis=1),
        helper.make_node("Sub", ["m", "t"], ["pos"]),
        helper.make_node("Sub", ["t", "m"], ["neg"]),
        helper.make_node("Concat", ["neg", "pos"], ["raw"], axis=1),
        helper.make_node("Mul", ["raw", "k"], ["logits"]),
    ]
    k = numpy_helper.from_array(np.array(20.0, np.float32), "k")
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])
    return _save(helper.make_graph(nodes, "classifier", [_input(size)], [out], [t, k]), path)


def _constant_outputs(path: Path, name: str, consts: dict[str, np.ndarray], size: tuple[int, int]) -> Path:
    """Outputs that are constants plus 0 * mean(image), so the graph consumes its input (batch fixed at 1)."""
    zero = numpy_helper.from_array(np.array(0.0, np.float32), "zero")
    nodes = [
        helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("Mul", ["flat", "zero"], ["nothing"]),
    ]
    inits = [zero]
    outputs = []
    for out_name, value in consts.items():
        inits.append(numpy_helper.from_array(value, f"{out_name}_c"))
        if value.dtype == np.int64:
            nodes.append(helper.make_node("Identity", [f"{out_name}_c"], [out_name]))
            outputs.append(helper.make_tensor_value_info(out_name, TensorProto.INT64, list(value.shape)))
        else:
            nodes.append(helper.make_node("Add", [f"{out_name}_c", "nothing"], [out_name]))
            outputs.append(helper.make_tensor_value_info(out_name, TensorProto.FLOAT, list(value.shape)))
    return _save(helper.make_graph(nodes, name, [_input(size, batch=1)], outputs, inits), path)


def constant_points(path: Path, points: np.ndarray, size: tuple[int, int] = (32, 32)) -> Path:
    return _constant_outputs(path, "points", {"points": points.astype(np.float32)[None]}, size)


def constant_boxes(
    path: Path, boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, size: tuple[int, int] = (32, 32)
) -> Path:
    consts = {
        "boxes": boxes.astype(np.float32)[None],
        "scores": scores.astype(np.float32)[None],
        "labels": labels.astype(np.int64)[None],
    }
    return _constant_outputs(path, "boxes", consts, size)
