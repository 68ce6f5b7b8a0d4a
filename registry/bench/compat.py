"""Which models can run on which datasets, decided from the task, the label types and the input spec."""

from __future__ import annotations

from dataclasses import dataclass, field

from .recipes import TRAINABLE

# What a model's output kind evaluates, and the dataset label types that can score it.
OUTPUT_TASKS: dict[str, tuple[str, set[str], set[str]]] = {
    "mask": ("segmentation", {"segmentation", "instance-segmentation"}, {"mask", "instance-mask", "polygon"}),
    "label": ("classification", {"classification", "plane-detection", "quality-assessment"}, {"class"}),
    "boxes": ("detection", {"detection", "instance-segmentation"}, {"box", "instance-mask"}),
    "points": ("regression", {"regression", "landmark", "biometry"}, {"keypoint"}),
}
RUNNABLE_WEIGHTS = {"onnx": "onnx", "torchscript": "torchscript"}
ADAPTERS = ("onnx", "torchscript", "builtin", "sam", "torch-state-dict")
# adapters that read PyTorch tensors (state dicts) rather than an exported graph
TENSOR_ADAPTERS = ("sam", "torch-state-dict")
# weights formats the adapters that load PyTorch tensors (never pickled code) can read
TENSOR_WEIGHTS = ("safetensors", "pytorch-state-dict", "pytorch-checkpoint")
TASK_OUTPUT = {task: kind for kind, (_, tasks, _) in OUTPUT_TASKS.items() for task in tasks}


@dataclass
class Compatibility:
    ok: bool
    task: str | None = None
    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok


def output_kind(model) -> str | None:
    """The model's output kind: declared, else implied by its first benchmarkable task."""
    if model.output is not None:
        return model.output.kind
    for task in model.tasks:
        if task in TASK_OUTPUT:
            return TASK_OUTPUT[task]
    return None


def adapter_name(model) -> str | None:
    """The adapter that runs a model entry: ``adapter.name`` if set, else the weights format when runnable."""
    if model.adapter is not None:
        return model.adapter.name
    for w in model.weights:
        if w.format in RUNNABLE_WEIGHTS:
            return RUNNABLE_WEIGHTS[w.format]
    return None


def check(model, dataset) -> Compatibility:
    """Whether ``model`` can be benchmarked on ``dataset``, and why not."""
    reasons: list[str] = []
    kind = output_kind(model)
    if kind not in OUTPUT_TASKS:
        return Compatibility(False, None, [f"output kind {kind!r} has no benchmark metric"])
    metric_task, tasks, label_types = OUTPUT_TASKS[kind]
    if not set(model.tasks) & set(dataset.tasks) & tasks:
        reasons.append(
            f"no shared task: model {sorted(model.tasks)} vs dataset {sorted(dataset.tasks)} "
            f"(need one of {sorted(tasks)})"
        )
    have = set(dataset.annotation.label_types)
    if have and not have & label_types:
        reasons.append(f"dataset labels {sorted(have)} cannot score a {kind} output (need {sorted(label_types)})")
    reasons.extend(_input_reasons(model, dataset))
    reasons.extend(_class_reasons(model, dataset, metric_task))
    name = adapter_name(model)
    if name is None:
        formats = sorted({w.format for w in model.weights}) or ["no weights"]
        reasons.append(
            f"no runnable weights ({', '.join(formats)}); the runner needs onnx or torchscript, or PyTorch weights "
            "with an adapter that names their architecture (sam, torch-state-dict)"
        )
    elif name not in ADAPTERS:
        reasons.append(f"unknown adapter {name!r} (known: {', '.join(ADAPTERS)})")
    return Compatibility(not reasons, metric_task, reasons)


def _input_reasons(model, dataset) -> list[str]:
    reasons = []
    spec = model.input
    dims = set(dataset.modality.dimensionality)
    if spec is not None and spec.size and len(spec.size) == 3 and dims and not dims & {"3d", "3d+t"}:
        reasons.append("the model takes 3-D volumes and the dataset has none")
    if (spec is None or not spec.size or len(spec.size) == 2) and dims and not dims & {"2d", "2d+t"}:
        reasons.append("the model takes 2-D images and the dataset has only volumes")
    if spec is not None and spec.channels not in (None, 1, 3):
        reasons.append(f"the model takes {spec.channels} input channels; the runner feeds 1 (grey) or 3")
    modes = set(dataset.modality.modes)
    if modes and modes <= {"rf", "iq"}:
        reasons.append("the dataset holds RF/IQ data, not images")
    return reasons


def _class_reasons(model, dataset, metric_task: str) -> list[str]:
    if metric_task not in ("segmentation", "classification") or model.output is None:
        return []
    theirs = {c.name.lower() for c in dataset.annotation.classes if c.id != 0 or metric_task == "classification"}
    ours = {c.name.lower() for c in model.output.classes if c.id != 0 or metric_task == "classification"}
    theirs.discard("background")
    ours.discard("background")
    if theirs and ours and not theirs & ours:
        return [f"no class in common: model {sorted(ours)} vs dataset {sorted(theirs)}"]
    return []


def baseline_check(dataset, needs: str = "segmentation") -> Compatibility:
    """Built-in segmentation baselines need a segmentation dataset with masks."""
    if needs not in dataset.tasks:
        return Compatibility(False, None, [f"the dataset has no {needs} task"])
    have = set(dataset.annotation.label_types)
    if have and not have & {"mask", "instance-mask", "polygon"}:
        return Compatibility(False, None, ["the dataset has no masks"])
    return Compatibility(True, "segmentation", [])


def needs_training(model) -> bool:
    """A catalog model run by a trainable built-in recipe without published weights: the runner trains it."""
    if model.adapter is None or model.adapter.name != "builtin" or model.weights:
        return False
    return model.adapter.options.get("recipe") in TRAINABLE
