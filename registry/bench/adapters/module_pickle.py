"""The tensors of a checkpoint that pickles a whole ``torch.nn.Module`` (``torch.save(model, path)``), read without
importing or running any of the classes it names.

Some authors save the module object rather than its state dict (UltraBones100k's ``train_lightning.py`` saves its
segmentation_models_pytorch FPN with ``torch.save(self.model, ...)``); ``torch.load`` then needs the authors' library
and runs its unpickling code. Here the file is read by torch's weights-only unpickler, with every class it refuses
bound to an inert :class:`Record`: a record keeps the pickled attribute dictionary as plain data (dicts, tensors,
other records) and nothing of the named class is imported or executed. A module's attributes hold its tensors in
``_parameters`` and ``_buffers`` and its children in ``_modules``, so :func:`module_state_dict` rebuilds exactly the
keys ``module.state_dict()`` would give (non-persistent buffers excepted).

:func:`read_weights` is what the ``torch-state-dict`` adapter reads: a safetensors file, a state dict (wrapped by a
training framework or not), a pickled module, or, with ``parts``, the union of several state dicts stored side by
side in one checkpoint (MI-SegNet keeps its encoder and decoder under ``state_dict_seg_en`` / ``state_dict_seg_de``).
"""

from __future__ import annotations

import pickle
import pickletools
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ...errors import UsregError
from ..weights import first_line
from .checkpoint import MAX_PLACEHOLDERS, refused_global

MAX_DEPTH = 64  # nesting of modules inside modules
MAX_MODULES = 100_000  # modules in one pickled model
MAX_PICKLE_OPS = 5_000_000  # opcodes scanned for class names in data.pkl


class Record:
    """Stands for a pickled object of a refused class: keeps its pickled state as data and runs nothing."""

    refused_name = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __repr__(self) -> str:
        return f"<record of {type(self).refused_name}>"


def _record_class(name: str) -> type[Record]:
    return type("Record", (Record,), {"refused_name": name})


def _pickled_globals(path: Path) -> list[str]:
    """The ``module.name`` of every GLOBAL opcode in the checkpoint's pickle (torch.save writes protocol 2)."""
    names: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            member = next((n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"), None)
            if member is None:
                return names
            data = archive.read(member)
        for n, (op, arg, _) in enumerate(pickletools.genops(data)):
            if n > MAX_PICKLE_OPS:
                break
            if op.name == "GLOBAL" and isinstance(arg, str):
                names.append(arg.replace(" ", "."))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return []
    return list(dict.fromkeys(names))


def _allowed_by_default() -> set[str]:
    try:
        from torch import _weights_only_unpickler as wou

        return set(wou._get_allowed_globals())
    except (ImportError, AttributeError):  # a torch without the helper: the retry loop below still finds them
        return set()


def load_records(path: Path) -> Any:
    """``torch.load(path, weights_only=True)`` with refused globals bound to :class:`Record` subclasses."""
    import torch

    allowed = _allowed_by_default()
    bound: list[tuple[type, str]] = [
        (_record_class(name), name) for name in _pickled_globals(path) if allowed and name not in allowed
    ][: 4 * MAX_PLACEHOLDERS]
    for _ in range(MAX_PLACEHOLDERS + 1):
        try:
            with torch.serialization.safe_globals([*bound]):
                return torch.load(str(path), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            name = refused_global(exc)
            if name is None or any(n == name for _, n in bound):
                raise
            bound.append((_record_class(name), name))
    raise pickle.UnpicklingError(f"more than {MAX_PLACEHOLDERS} kinds of objects beyond tensors in the checkpoint")


def is_module_record(obj: Any) -> bool:
    return isinstance(obj, Record) and isinstance(obj.state, Mapping) and "_modules" in obj.state


def module_state_dict(root: Record) -> dict[str, Any]:
    """``state_dict()`` of a pickled module, rebuilt from its records."""
    out: dict[str, Any] = {}
    stack: list[tuple[str, Any, int]] = [("", root, 0)]
    seen = 0
    while stack:
        prefix, node, depth = stack.pop()
        seen += 1
        if depth > MAX_DEPTH or seen > MAX_MODULES:
            raise UsregError(
                f"the pickled module nests deeper than {MAX_DEPTH} levels or holds over {MAX_MODULES} modules"
            )
        state = node.state if isinstance(node, Record) else None
        if not isinstance(state, Mapping):
            raise UsregError(f"the pickled module's part {prefix.rstrip('.') or '(root)'} carries no attributes")
        skip = set(state.get("_non_persistent_buffers_set") or ())
        for group in ("_parameters", "_buffers"):
            for name, tensor in (state.get(group) or {}).items():
                if tensor is not None and not (group == "_buffers" and name in skip):
                    out[prefix + name] = tensor.detach() if hasattr(tensor, "detach") else tensor
        children = [(n, c) for n, c in (state.get("_modules") or {}).items() if c is not None]
        stack.extend((f"{prefix}{name}.", child, depth + 1) for name, child in reversed(children))
    return out


def read_weights(path: Path, parts: Sequence[str] | None = None) -> dict[str, Any]:
    """The state dict of a weights file (see the module docs); clear errors for anything else."""
    from .sam_adapter import _unwrap, read_state_dict, tensor_state

    if path.suffix == ".safetensors":
        if parts:
            raise UsregError(f"{path.name}: adapter option checkpoint_keys applies to PyTorch checkpoints only")
        return read_state_dict(path)
    try:
        obj = load_records(path)
    except Exception as exc:  # truncated, not a checkpoint, or pickled objects that weights_only refuses
        raise UsregError(
            f"{path.name} does not load with torch.load(weights_only=True): {first_line(exc)}",
            hint="the file is truncated or not a PyTorch checkpoint",
        ) from None
    if parts:
        state = _merge_parts(obj, list(parts), path.name)
    else:
        inner = next((obj[k] for k in ("model", "module") if k in obj), None) if isinstance(obj, dict) else None
        module = obj if is_module_record(obj) else inner if is_module_record(inner) else None
        state = module_state_dict(module) if module is not None else _unwrap(obj)
    return tensor_state(state, path.name)


def _merge_parts(obj: Any, parts: list[str], name: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise UsregError(f"{name} is not a dict of state dicts, so checkpoint_keys {parts} cannot apply")
    missing = [p for p in parts if not isinstance(obj.get(p), dict)]
    if missing:
        have = ", ".join(sorted(str(k) for k in obj)[:10])
        raise UsregError(
            f"{name} has no state dict under {', '.join(missing)} (its keys: {have})",
            hint="check adapter.options.checkpoint_keys in the model entry",
        )
    merged: dict[str, Any] = {}
    for part in parts:
        clash = sorted(set(merged) & set(obj[part]))
        if clash:
            raise UsregError(f"{name}: {part} repeats keys of an earlier part (e.g. {clash[0]})")
        merged.update(obj[part])
    return merged
