"""Locating a model's weights (fetching them when missing) and checking them against the entry's sha256.

Weights are fetched like datasets, by ``registry.fetch.fetch_dataset(model_entry)``: the fetch layer downloads every
weights source with retries and checksums into ``$USREG_HOME/downloads/<model id>/<version>/`` and unpacks archives
into ``$USREG_HOME/sources/<model id>/<version>/``. The runner looks there for the weights file (``weights.file``,
else the source's first file name, else the URL's last segment), fetches once when it is absent, and verifies a
declared sha256 again before running. ``--weights MODEL=PATH`` points at any local file instead. A declared sha256
that does not match is an error, never a warning.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UsregError
from ..formats.layout import sha256_file
from .compat import RUNNABLE_WEIGHTS


def runnable_weights(model):
    """The first weights declaration the runner can execute: onnx or torchscript, or for an adapter that reads
    tensors (``sam``, ``torch-state-dict``) a safetensors file or a PyTorch state dict / checkpoint."""
    from .compat import TENSOR_ADAPTERS, TENSOR_WEIGHTS

    adapter = getattr(model, "adapter", None)
    formats = TENSOR_WEIGHTS if adapter is not None and adapter.name in TENSOR_ADAPTERS else tuple(RUNNABLE_WEIGHTS)
    index = adapter.options.get("weights_index") if adapter is not None else None
    if isinstance(index, int) and not isinstance(index, bool):  # the entry names which declaration to run
        if 0 <= index < len(model.weights) and model.weights[index].format in formats:
            return model.weights[index]
        raise UsregError(
            f"model {model.id}: adapter option weights_index={index} does not name weights in {', '.join(formats)}",
            hint=f"the entry declares {len(model.weights)} weights; indices start at 0",
        )
    for w in model.weights:
        if w.format in formats:
            return w
    return None


def file_name(w) -> str | None:
    if w.file:
        return w.file
    if w.source.files:
        return w.source.files[0].name
    url = w.source.url or ""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None


def _verify(path: Path, expected: str | None, model_id: str) -> str:
    digest = sha256_file(path)
    if expected and digest != expected.lower():
        raise UsregError(
            f"model {model_id}: weights {path} have sha256 {digest}, the entry declares {expected}",
            hint="the file is corrupt or a different release; fetch it again or fix the entry's weights.sha256",
        )
    return digest


def cached(model, w, home: Path) -> Path | None:
    """The weights file under the fetch layer's downloads or unpacked sources, if present."""
    from ..fetch import pick_version
    from ..fetch.cache import Layout

    name = file_name(w)
    if not name:
        return None
    layout = Layout(Path(home))
    version = pick_version(model, None)
    direct = layout.downloads(model.id, version) / name
    if direct.is_file():
        return direct
    tree = layout.sources(model.id, version)
    if tree.is_dir():
        found = sorted(p for p in tree.rglob(name) if p.is_file())
        if found:
            return found[0]
    return None


def resolve(model, home: Path, override: Path | None = None, fetch: bool = True) -> tuple[Path, str]:
    """(path, sha256) of the weights to run for ``model``."""
    w = runnable_weights(model)
    expected = w.sha256 if w is not None else None
    if override is not None:
        given = Path(override)
        if not given.is_file():
            raise UsregError(f"model {model.id}: --weights file {given} does not exist")
        return given, _verify(given, expected, model.id)
    if w is None:
        from .compat import TENSOR_ADAPTERS, TENSOR_WEIGHTS

        adapter = getattr(model, "adapter", None)
        wanted = TENSOR_WEIGHTS if adapter is not None and adapter.name in TENSOR_ADAPTERS else tuple(RUNNABLE_WEIGHTS)
        raise UsregError(
            f"model {model.id} declares no weights in a format its adapter reads ({', '.join(wanted)})",
            hint="add weights in one of those formats to the entry, or pass --weights MODEL=PATH",
        )
    path = cached(model, w, home)
    if path is None and fetch:
        from ..fetch import FetchError, fetch_dataset

        try:
            fetch_dataset(model, home=Path(home))
        except FetchError as exc:
            raise UsregError(f"model {model.id}: cannot fetch its weights: {exc.message}", hint=exc.hint) from exc
        path = cached(model, w, home)
    if path is None:
        raise UsregError(
            f"model {model.id}: weights file {file_name(w) or '(unnamed)'} is not in the cache under {home}",
            hint=f"run `usreg fetch {model.id}`, or pass --weights {model.id}=PATH",
        )
    return path, _verify(path, expected, model.id)
