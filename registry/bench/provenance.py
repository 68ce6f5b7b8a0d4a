"""Provenance of a benchmark run: run id, time, package versions, device, file checksums."""

from __future__ import annotations

import hashlib
import json
import platform
import uuid
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

# Distributions whose versions can change a benchmark number.
PACKAGES = ("usreg", "numpy", "scipy", "pillow", "onnxruntime", "torch", "pycocotools", "ray")


def package_versions() -> dict[str, str]:
    """Installed versions (read from package metadata, so nothing heavy is imported)."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def packages_json() -> str:
    return json.dumps(package_versions(), sort_keys=True)


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def device_name(device: str) -> str:
    """'cpu' plus the processor, or 'cuda' plus the GPU name when torch can tell."""
    if device == "cuda":
        try:
            import torch

            if torch.cuda.is_available():
                return f"cuda ({torch.cuda.get_device_name(0)})"
        except ImportError:
            pass
        return "cuda"
    return f"cpu ({platform.machine()})"
