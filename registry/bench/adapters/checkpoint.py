"""Reading the tensors of a PyTorch checkpoint without running code from it.

``torch.load(weights_only=True)`` refuses any pickled object outside its allow-list. Training frameworks store such
objects next to the weights: MMEngine keeps ``mmengine.logging.HistoryBuffer`` objects in ``message_hub`` (UltraSam's
MMDetection checkpoints), many scripts save numpy scalars or arrays as metrics. The weights themselves are plain
tensors. :func:`load_tensors` therefore retries the weights-only load with each refused global name bound to an inert
placeholder class: the placeholder accepts and drops its arguments and state, so nothing of the named class or
function is imported or executed, and the metadata it stood for is simply not available. Tensors are rebuilt by
torch's own weights-only unpickler as usual. A tensor that itself depends on a refused global would come back as a
placeholder, which the adapters reject as a key without a tensor.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

_REFUSED = re.compile(r"Unsupported global: GLOBAL ([\w.]+)")
MAX_PLACEHOLDERS = 32  # distinct refused names tolerated in one file; each costs one more read


class Placeholder:
    """Stands in for a pickled object of a refused class: it keeps nothing and runs nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __repr__(self) -> str:
        return f"<placeholder for {type(self).refused_name}>"

    refused_name = ""


def refused_global(exc: BaseException) -> str | None:
    found = _REFUSED.search(str(exc))
    return found.group(1) if found else None


def load_tensors(path: Path) -> Any:
    """``torch.load(path, weights_only=True)``, with refused globals replaced by placeholders (see module docs)."""
    import torch

    bound: list[tuple[type, str]] = []
    for _ in range(MAX_PLACEHOLDERS + 1):
        try:
            with torch.serialization.safe_globals([*bound]):  # a list of the stub's own element type
                return torch.load(str(path), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            name = refused_global(exc)
            if name is None or any(n == name for _, n in bound):
                raise
            bound.append((type("Placeholder", (Placeholder,), {"refused_name": name}), name))
    raise pickle.UnpicklingError(f"more than {MAX_PLACEHOLDERS} kinds of non-tensor objects in the checkpoint")
