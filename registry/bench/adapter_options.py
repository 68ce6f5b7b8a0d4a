"""The options of each model adapter (``adapter: {name, options}`` in a model entry), as pydantic models: the one
description of what an adapter takes, read by ``usreg validate`` (``registry.catalog._check_adapters``, which reports
each problem at its line) and by the adapters themselves when ``usreg bench`` builds them.

Pure data and pydantic: importing this module loads no torch, numpy or transformers, so validating a catalog stays
cheap. Every model forbids unknown keys and is strict (a string ``"8"`` is not a batch size, ``true`` is not an
integer; an integer is fine where a number is expected). Architecture names are not checked here: an architecture
outside the allow-list makes a model "not runnable" (``registry.bench.runnability``), not an invalid entry.

- ``onnx``, ``torchscript``: :class:`ArrayOptions` (how an array-in, arrays-out network is fed and read);
- ``torch-state-dict``: :class:`StateDictOptions` (those, plus the module and how to read its checkpoint);
- ``sam``: :class:`SamOptions`;
- ``builtin``: ``recipe`` (one of ``registry.bench.recipes.BUILTINS``) plus that recipe's own options
  (:data:`RECIPE_OPTIONS`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..errors import UsregError
from .compat import ADAPTERS
from .recipes import BUILTINS

# SAM image preprocessing (``SamAdapter._encode``): transformers' SamImageProcessor, or MedSAM's square resize.
SamPreprocess = Literal["sam", "medsam"]
SAM_PREPROCESSING: tuple[str, ...] = get_args(SamPreprocess)
# the encoders of the U-Net ensemble (the names of ``registry.bench.unet.ENCODERS``, a module that imports torch)
UNetEncoder = Literal["vgg", "resnet", "mobilenet"]
UNET_ENCODERS: tuple[str, ...] = get_args(UNetEncoder)
# the unet-ensemble recipe's defaults (``registry.bench.adapters.unet_ensemble``; Rulloni et al. give no exact values)
DEFAULTS: dict[str, Any] = {
    "size": 256,
    "epochs": 40,
    "batch_size": 8,
    "lr": 1e-3,
    "width": 16,
    "depth": 3,
    "shift": 0.1,
    "encoders": ["vgg", "resnet", "mobilenet"],
    "target": None,
}

_EXPONENT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _exponent_number(value: Any) -> Any:
    """YAML 1.1 (PyYAML, and so every entry and ``--option``) reads ``1e-3`` as text: take that one form as the
    number it spells. Any other string stays a string and fails the strict number check."""
    if isinstance(value, str) and _EXPONENT.fullmatch(value.strip()):
        return float(value)
    return value


Number = Annotated[float, BeforeValidator(_exponent_number)]


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# every adapter that reads an entry's weights declaration takes it (``registry.bench.weights.runnable_weights``)
_WEIGHTS_INDEX = "Which of the entry's weights declarations to run (0-based; default the first readable one)."


class ArrayOptions(_Options):
    """``onnx`` and ``torchscript``: how batches are built and the network's outputs read (``arraymodel``)."""

    layout: Literal["nchw", "nhwc"] = Field("nchw", description="Axis order of the network's input.")
    batch_size: int = Field(8, ge=1, description="Images per forward pass (1 when the network has a fixed batch of 1).")
    threshold: Number = Field(0.5, ge=0, le=1, description="Foreground probability threshold of single-channel masks.")
    output_index: int = Field(0, ge=0, description="Which network output holds the mask, logits or points.")
    box_outputs: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=lambda: [0, 1, 2],
        min_length=1,
        max_length=3,
        description="Indices of the boxes (N, 4), scores (N,) and labels (N,) outputs of a boxes model.",
    )
    box_format: Literal["xyxy", "xywh"] = Field("xyxy", description="Corner or corner-and-size boxes.")
    normalized: bool = Field(False, description="Boxes or points are in [0, 1] of the input size.")
    weights_index: int | None = Field(None, ge=0, description=_WEIGHTS_INDEX)


class StateDictOptions(ArrayOptions):
    """``torch-state-dict``: a module from the allow-list in ``adapters.architectures`` with the entry's tensors."""

    architecture: str | None = Field(None, description="A name from the allow-list (required to run).")
    num_outputs: int | None = Field(None, ge=1, description="Output classes/channels of the network.")
    input_scale: Number = Field(1.0, description="Multiply the normalised input by this factor.")
    center_crop: bool = Field(False, description="Crop each image to its centred square first (classifiers only).")
    checkpoint_keys: list[str] | None = Field(
        None, min_length=1, description="The checkpoint's parts whose union is the network's state dict."
    )
    points_from_heatmaps: bool = Field(
        False, description="Each point is the sigmoid-weighted centroid of its (N, K, H, W) heatmap."
    )


class SamOptions(_Options):
    """``sam``: a SAM-architecture checkpoint through transformers' ``SamModel`` (``sam_adapter``)."""

    architecture: str | None = Field(None, description="A name from the SAM allow-list (required to run).")
    preprocess: SamPreprocess = Field("sam", description="Image preprocessing: SAM's or MedSAM's.")
    refine: bool = Field(False, description="UltraSam's cascaded mask refinement (a second decoding pass).")
    weights_index: int | None = Field(None, ge=0, description=_WEIGHTS_INDEX)


class AllBackgroundOptions(_Options):
    """``all-background`` takes no options."""


class IntensityThresholdOptions(_Options):
    threshold: Literal["otsu"] | Annotated[Number, Field(ge=0, le=255)] = Field(
        "otsu", description="'otsu' (per image) or a grey level 0..255."
    )
    invert: bool = Field(False, description="Foreground below the threshold.")
    class_id: int = Field(1, ge=0, le=255, description="The class of the foreground.")


class UNetEnsembleOptions(_Options):
    size: int = Field(DEFAULTS["size"], ge=1, description="Images are resized to size x size.")
    epochs: int = Field(DEFAULTS["epochs"], ge=1)
    batch_size: int = Field(DEFAULTS["batch_size"], ge=1)
    lr: Number = Field(DEFAULTS["lr"], gt=0, description="Adam's learning rate.")
    width: int = Field(DEFAULTS["width"], ge=1, description="Channels of the first encoder stage.")
    depth: int = Field(DEFAULTS["depth"], ge=1, description="Down-sampling stages.")
    shift: Number = Field(DEFAULTS["shift"], ge=0, le=1, description="Largest random shift, as a share of the size.")
    encoders: list[UNetEncoder] = Field(
        default_factory=lambda: list(DEFAULTS["encoders"]), min_length=1, description="One network per encoder."
    )
    target: str | None = Field(DEFAULTS["target"], description="Which of a sample's masks to learn (default first).")


ADAPTER_OPTIONS: dict[str, type[_Options]] = {
    "onnx": ArrayOptions,
    "torchscript": ArrayOptions,
    "torch-state-dict": StateDictOptions,
    "sam": SamOptions,
}
RECIPE_OPTIONS: dict[str, type[_Options]] = {
    "all-background": AllBackgroundOptions,
    "intensity-threshold": IntensityThresholdOptions,
    "unet-ensemble": UNetEnsembleOptions,
}


@dataclass(frozen=True)
class OptionProblem:
    """One thing wrong with a model entry's ``adapter``: where (the path under ``adapter``) and what. The same shape
    as ``registry.loaders.OptionProblem``, which cannot be imported without the converters (numpy, PIL, scipy)."""

    path: tuple[str | int, ...]
    message: str
    hint: str


def allowed(model: type[BaseModel]) -> list[str]:
    """The option names a model takes, in declaration order."""
    return list(model.model_fields)


def _hint(what: str, model: type[BaseModel], first: tuple[str, ...] = ()) -> str:
    names = [*first, *allowed(model)]
    return f"options of {what}: {', '.join(names) or 'none'}"


def option_problems(
    model: type[BaseModel], options: Any, what: str, first: tuple[str, ...] = (), noun: str = "adapter option"
) -> list[OptionProblem]:
    """``options`` checked against ``model``, one problem per bad option, each with its path under ``options``.
    ``what`` names the adapter or recipe in the messages, ``noun`` what its options are called; ``first`` are names
    listed ahead of the model's own in the hint (``recipe``)."""
    if not isinstance(options, dict):
        return [OptionProblem((), f"the options of {what} must be a mapping", "write options: {name: value}")]
    try:
        model.model_validate(options)
    except ValidationError as exc:
        known = allowed(model)
        hint = _hint(what, model, first)
        out = []
        for err in exc.errors():
            loc = tuple(x for x in err["loc"] if isinstance(x, str | int))
            # a union (threshold: 'otsu' or a number) reports each branch; the option's own key comes first
            loc = loc[:1] + tuple(x for x in loc[1:] if isinstance(x, int))
            name = ".".join(str(x) for x in loc) or "(options)"
            if err["type"] == "extra_forbidden" and len(loc) == 1:
                close = difflib.get_close_matches(str(loc[0]), [*first, *known], n=1)
                guess = f"; did you mean '{close[0]}'?" if close else ""
                out.append(OptionProblem(loc, f"unknown {noun} '{name}' for {what}{guess}", hint))
            else:
                out.append(OptionProblem(loc, f"{noun} '{name}' of {what}: {err['msg']}", hint))
        return _one_per_option(out)
    return []


def _one_per_option(problems: list[OptionProblem]) -> list[OptionProblem]:
    """One problem per path: a value that fits no branch of a union fails each branch; their reasons are joined."""
    seen: dict[tuple[str | int, ...], OptionProblem] = {}
    for problem in problems:
        first = seen.get(problem.path)
        if first is None:
            seen[problem.path] = problem
        else:
            reason = problem.message.split(": ", 1)[-1].removeprefix("Input should be ")
            seen[problem.path] = OptionProblem(problem.path, f"{first.message}, or {reason}", first.hint)
    return list(seen.values())


def recipe_problems(recipe: str, options: Any) -> list[OptionProblem]:
    """A built-in recipe's own options (without ``recipe``), paths under ``options``."""
    return option_problems(RECIPE_OPTIONS[recipe], options, f"recipe '{recipe}'", noun="option")


def adapter_problems(name: str, options: Any) -> list[OptionProblem]:
    """Problems with an adapter name and its options, each with the path under ``adapter`` it is about (``("name",)``,
    or ``("options", <option>, ...)``); empty when valid. For ``usreg validate``, which reports each at its line."""
    if name not in ADAPTERS:
        close = difflib.get_close_matches(str(name), ADAPTERS, n=1)
        guess = f"; did you mean '{close[0]}'?" if close else ""
        return [OptionProblem(("name",), f"unknown adapter '{name}'{guess}", f"adapters: {', '.join(ADAPTERS)}")]
    if options is None:
        options = {}
    if name != "builtin":
        found = option_problems(ADAPTER_OPTIONS[name], options, f"adapter '{name}'")
        return [OptionProblem(("options", *p.path), p.message, p.hint) for p in found]
    if not isinstance(options, dict):
        return [OptionProblem(("options",), "the options of adapter 'builtin' must be a mapping", "")]
    recipe = options.get("recipe")
    recipes = ", ".join(BUILTINS)
    if recipe is None:
        return [
            OptionProblem(
                ("options",),
                "adapter 'builtin' needs options.recipe",
                f"recipes: {recipes} (e.g. options: {{recipe: unet-ensemble}})",
            )
        ]
    if recipe not in BUILTINS:
        close = difflib.get_close_matches(str(recipe), BUILTINS, n=1)
        guess = f"; did you mean '{close[0]}'?" if close else ""
        return [
            OptionProblem(("options", "recipe"), f"unknown built-in recipe {recipe!r}{guess}", f"recipes: {recipes}")
        ]
    own = {k: v for k, v in options.items() if k != "recipe"}
    found = option_problems(RECIPE_OPTIONS[recipe], own, f"recipe '{recipe}'", first=("recipe",), noun="option")
    return [OptionProblem(("options", *p.path), p.message, p.hint) for p in found]


def raise_problems(problems: list[OptionProblem], model_id: str) -> None:
    """At run time: the problems as one UsregError naming the model and each option."""
    if problems:
        message = "; ".join(p.message for p in problems)
        raise UsregError(f"model {model_id}: {message}", hint=problems[0].hint)


def check_adapter(name: str, options: Any, model_id: str) -> None:
    """At run time: :func:`adapter_problems` as a UsregError naming the model and the option."""
    raise_problems(adapter_problems(name, options), model_id)


def check_recipe(recipe: str, options: Any, model_id: str) -> None:
    """At run time: a built-in recipe's own options (no ``recipe`` key), else a UsregError naming the model."""
    raise_problems(recipe_problems(recipe, options), model_id)
