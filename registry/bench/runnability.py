"""Whether the benchmark runner can execute a model entry (``usreg show``), decided from the entry alone: its adapter,
the architecture's place in the allow-list, its output declaration and weights in a format the adapter reads. Nothing
is downloaded or loaded."""

from __future__ import annotations

from dataclasses import dataclass

from .compat import ADAPTERS, OUTPUT_TASKS, TENSOR_ADAPTERS, TENSOR_WEIGHTS, adapter_name, output_kind
from .recipes import BUILTINS as BUILTIN_RECIPES
from .recipes import TRAINABLE


@dataclass
class Runnable:
    """Whether the benchmark runner can execute a model entry, with which adapter, and why not."""

    ok: bool
    adapter: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"runnable": self.ok, "adapter": self.adapter, "detail": self.detail}

    def __str__(self) -> str:
        head = f"yes, adapter {self.adapter}" if self.ok else "no"
        return f"{head} ({self.detail})" if self.detail else head


def runnable(model) -> Runnable:
    """The runner's verdict on a model entry, from its adapter, weights and output declaration (nothing is loaded)."""
    from ..errors import UsregError
    from .weights import runnable_weights

    name = adapter_name(model)
    if name is None:
        formats = sorted({w.format for w in model.weights})
        if not formats:
            return Runnable(False, None, "no weights declared")
        if set(formats) & set(TENSOR_WEIGHTS):
            return Runnable(False, None, f"{', '.join(formats)} weights and no adapter naming their architecture")
        return Runnable(False, None, f"no weights in a format the runner reads ({', '.join(formats)})")
    if name not in ADAPTERS:
        return Runnable(False, name, f"unknown adapter {name!r}")
    options = model.adapter.options if model.adapter is not None else {}
    if name == "builtin":
        recipe = options.get("recipe")
        if recipe not in BUILTIN_RECIPES:
            return Runnable(False, name, "options.recipe names no built-in recipe")
        trains = recipe in TRAINABLE and not model.weights
        return Runnable(True, name, f"recipe {recipe}" + (", trained by the runner first" if trains else ""))
    detail = ""
    if name in TENSOR_ADAPTERS:
        architecture = str(options.get("architecture") or "")
        known = _architectures(name)
        if architecture not in known:
            return Runnable(False, name, f"architecture {architecture or '(none)'} is not in the {name} allow-list")
        detail = f"architecture {architecture}"
    if name != "sam" and output_kind(model) not in OUTPUT_TASKS:
        return Runnable(False, name, "the entry does not say what the model outputs")
    try:
        w = runnable_weights(model)
    except UsregError as exc:
        return Runnable(False, name, exc.message)
    if w is None:
        if name == "sam":  # SAM runs on its own random initialisation only in tests; the entry needs weights
            return Runnable(False, name, "no safetensors or PyTorch weights declared")
        return Runnable(False, name, f"no weights in a format the {name} adapter reads")
    where = f"weights[{list(model.weights).index(w)}] {w.format}"
    if getattr(w, "revision", None):
        where += f" on the Hugging Face Hub at {str(w.revision)[:12]}"
    return Runnable(True, name, ", ".join(x for x in (detail, where) if x))


def _architectures(adapter: str) -> set[str]:
    if adapter == "sam":
        from .adapters.sam_adapter import ARCHITECTURES as SAM

        return set(SAM)
    from .adapters.architectures import ARCHITECTURES

    return set(ARCHITECTURES)
