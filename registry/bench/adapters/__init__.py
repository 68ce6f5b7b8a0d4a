"""Model adapters, chosen by registered name (never by an import path from YAML).

- ``onnx``: ONNX Runtime (``onnx_adapter``);
- ``torchscript``: TorchScript archives, optional extra ``usreg[bench]`` (``torch_adapter``);
- ``sam``: SAM-architecture checkpoints through transformers' ``SamModel`` (``sam_adapter``, ``sam_keys``);
- ``torch-state-dict``: PyTorch state dicts loaded into a module of the allow-list in ``architectures``
  (``torch_state_dict``), chosen by ``options.architecture``;
- ``builtin``: the recipes below, which need no downloaded weights. A model entry may name one with
  ``adapter: {name: builtin, options: {recipe: unet-ensemble, ...}}``.

Built-in recipes: ``all-background`` and ``intensity-threshold`` (trivial references) and ``unet-ensemble``
(trainable; needs torch). Their results are stored under the model id ``builtin:<name>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import UsregError
from ..adapter_options import check_adapter
from ..compat import ADAPTERS
from ..preprocess import Spec
from ..recipes import BASELINES, BUILTIN_PREFIX, BUILTINS, TRAINABLE, builtin_id
from ..weights import first_line
from .base import Adapter, AdapterInfo, OutputClass, Prediction

if TYPE_CHECKING:
    from ...schema import Model

__all__ = [
    "BASELINES",
    "BUILTINS",
    "BUILTIN_PREFIX",
    "TRAINABLE",
    "Adapter",
    "AdapterInfo",
    "OutputClass",
    "Prediction",
    "WeightsLoadError",
    "build_builtin",
    "build_for_model",
    "builtin_id",
]


def build_builtin(
    name: str,
    classes: Sequence[OutputClass],
    options: dict[str, Any] | None = None,
    device: str = "cpu",
    workdir: Path | None = None,
    model_id: str | None = None,
) -> Adapter:
    info = AdapterInfo(name=name, model_id=model_id or builtin_id(name), options=dict(options or {}))
    if name == "all-background":
        from .baselines import AllBackground

        return AllBackground(info, classes)
    if name == "intensity-threshold":
        from .baselines import IntensityThreshold

        return IntensityThreshold(info, classes)
    if name == "unet-ensemble":
        from .unet_ensemble import UNetEnsemble

        return UNetEnsemble(info, classes, device=device, workdir=workdir)
    raise UsregError(f"unknown built-in model {name!r}", hint="choose one of: " + ", ".join(BUILTINS))


def _output_kind(model: Model) -> str:
    """The kind of output the model's adapter returns; a clear error when neither the entry nor its tasks say."""
    from ..compat import output_kind

    kind = output_kind(model)
    if kind is None:
        raise UsregError(
            f"model {model.id} does not say what it outputs, and none of its tasks implies it",
            hint="add output: {kind: mask|label|boxes|points} to the entry",
        )
    return kind


def model_classes(model) -> list[OutputClass]:
    if model.output is None:
        return []
    return [OutputClass(int(c.id), c.name) for c in model.output.classes]


def build_for_model(
    model,
    home: Path,
    device: str = "cpu",
    weights_override: Path | None = None,
    threads: int | None = None,
    workdir: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> Adapter:
    """The adapter for a model entry, with its weights located and checked. ``overrides`` (from `--option`) replace
    the entry's recipe options for this run."""
    from .. import weights as weights_mod
    from ..compat import adapter_name

    name = adapter_name(model)
    options = dict(model.adapter.options) if model.adapter else {}
    if name in ADAPTERS:  # a bad option is the entry's (or --option's) fault: said before any weights are read
        check_adapter(name, {**options, **(overrides or {})}, model.id)
    classes = model_classes(model)
    if name == "builtin":
        recipe = options.pop("recipe", None)
        options.update(overrides or {})
        if recipe not in BUILTINS:
            raise UsregError(
                f"model {model.id}: adapter 'builtin' needs options.recipe, one of {', '.join(BUILTINS)}",
                hint="e.g. adapter: {name: builtin, options: {recipe: unet-ensemble}}",
            )
        resolved = None
        if recipe in TRAINABLE and (model.weights or weights_override):
            resolved = (
                weights_mod.given_weights(model, weights_override, model.weights[0].sha256 if model.weights else None)
                if weights_override
                else _any_weights(model, home)
            )
            options["weights"] = str(resolved.path)
        return _mark(build_builtin(recipe, classes, options, device, workdir=workdir, model_id=model.id), resolved)
    if name == "sam":
        from .sam_adapter import build_sam

        sam = weights_mod.resolve(model, home, weights_override) if (model.weights or weights_override) else None
        sam_digest = sam.sha256 if sam else None
        try:
            adapter = build_sam(model, {**options, **(overrides or {})}, sam.path if sam else None, sam_digest, device)
        except UsregError as exc:
            raise WeightsLoadError(exc.message, exc.hint, sam_digest, sam.status if sam else None) from exc
        return _mark(adapter, sam)
    if name == "torch-state-dict":
        return _build_state_dict(model, home, device, weights_override, {**options, **(overrides or {})}, classes)
    if name not in ("onnx", "torchscript"):
        raise UsregError(
            f"model {model.id} cannot be run: no onnx or torchscript weights and no adapter",
            hint="declare weights in a runnable format, or adapter: {name: onnx|torchscript|builtin}",
        )
    kind = _output_kind(model)
    resolved = weights_mod.resolve(model, home, weights_override)
    path, digest = resolved.path, resolved.sha256
    info = AdapterInfo(name, model.id, digest, str(path), options, resolved.status)
    spec = Spec.from_entry(model.input)
    activation = model.output.activation if model.output else None
    try:
        if name == "onnx":
            from .onnx_adapter import OnnxAdapter

            return _mark(
                OnnxAdapter(info, path, spec, kind, classes, activation, device=device, threads=threads), resolved
            )
        from .torch_adapter import TorchScriptAdapter

        return _mark(TorchScriptAdapter(info, path, spec, kind, classes, activation, device=device), resolved)
    except UsregError as exc:
        if "not installed" in exc.message or "--device cuda" in exc.message:
            raise
        raise WeightsLoadError(exc.message, exc.hint, digest, resolved.status) from exc
    except Exception as exc:  # the runtime rejecting the file is the finding
        raise WeightsLoadError(
            f"model {model.id}: {path.name} does not load with {name}: {first_line(exc)}",
            "check that the file is a valid model in the declared format",
            digest,
            resolved.status,
        ) from exc


def _build_state_dict(model, home: Path, device: str, weights_override, options: dict[str, Any], classes) -> Adapter:
    """``torch-state-dict``: a module from the allow-list in ``architectures`` with the entry's PyTorch weights."""
    from .. import weights as weights_mod

    resolved = weights_mod.resolve(model, home, weights_override)
    path, digest = resolved.path, resolved.sha256
    info = AdapterInfo("torch-state-dict", model.id, digest, str(path), options, resolved.status)
    activation = model.output.activation if model.output else None
    try:
        from .torch_state_dict import TorchStateDictAdapter

        adapter = TorchStateDictAdapter(
            info, path, Spec.from_entry(model.input), _output_kind(model), classes, activation, device=device
        )
        return _mark(adapter, resolved)
    except UsregError as exc:
        if "not installed" in exc.message or "--device cuda" in exc.message:
            raise
        raise WeightsLoadError(f"model {model.id}: {exc.message}", exc.hint, digest, resolved.status) from exc


class WeightsLoadError(UsregError):
    """The weights were found (and match their checksum) but the runtime cannot load them."""

    def __init__(self, message: str, hint: str = "", sha256: str | None = None, status: str | None = None) -> None:
        super().__init__(message, hint)
        self.sha256 = sha256
        self.status = status  # the weights_status of the file that did not load


def _mark(adapter: Adapter, resolved) -> Adapter:
    """Record on the adapter which weights file ran and its ``weights_status`` (``registry.bench.weights``)."""
    if resolved is not None:
        adapter.info.weights_path = str(resolved.path)
        adapter.info.weights_status = resolved.status
        adapter.info.weights_note = resolved.describe()
    return adapter


def _any_weights(model, home: Path):
    """A recipe's declared weights file, downloaded by `usreg fetch MODEL` (the first weights declaration),
    checked against its declared sha256."""
    from ..weights import cached, file_name, released

    w = model.weights[0]
    path = cached(model, w, home)
    if path is None:
        raise UsregError(
            f"model {model.id}: recipe weights {file_name(w) or '(unnamed)'} are not downloaded",
            hint=f"run `usreg fetch {model.id}`, or pass --weights {model.id}=PATH",
        )
    return released(path, w.sha256, model.id)
