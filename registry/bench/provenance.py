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


def code_version() -> str:
    """usreg's version, plus the git commit when the code runs from a checkout (read from .git, no subprocess)."""
    try:
        version = metadata.version("usreg")
    except metadata.PackageNotFoundError:
        version = "unknown"
    git = Path(__file__).resolve().parents[2] / ".git"
    try:
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if head.startswith("ref: "):
            ref = git / head[5:]
            head = ref.read_text(encoding="utf-8").strip() if ref.is_file() else ""
        return f"{version}+g{head[:12]}" if head else version
    except OSError:
        return version


def membership_sha256(sample_ids) -> str:
    """A hash of which samples a split holds (sorted ids), so two runs can tell whether they trained on the same."""
    digest = hashlib.sha256()
    for sample_id in sorted(str(s) for s in sample_ids):
        digest.update(sample_id.encode("utf-8") + b"\n")
    return digest.hexdigest()
