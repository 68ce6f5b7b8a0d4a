"""Checksums: parse the forms hosts use, hash while streaming, and compare against every known value."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from .settings import CHUNK_SIZE

_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}


def parse_checksum(value: str, default: str | None = None) -> tuple[str, str] | None:
    """``"md5:<hex>"``, ``"sha256:<hex>"`` or bare hex (algorithm from ``default`` or the length) -> (alg, hex)."""
    if not value:
        return None
    text = value.strip().lower()
    if ":" in text:
        alg, _, digest = text.partition(":")
    else:
        alg, digest = default or _LENGTHS.get(len(text), ""), text
    alg = alg.replace("-", "")
    if alg not in ("md5", "sha1", "sha256", "sha512") or not digest or any(c not in "0123456789abcdef" for c in digest):
        return None
    return alg, digest


def new_hashers(algorithms: Iterable[str]) -> dict[str, hashlib._Hash]:
    """sha256 always (the lock file records it) plus whatever the known checksums use."""
    names = {"sha256", *algorithms}
    return {name: hashlib.new(name) for name in sorted(names)}


def feed_file(path: Path, hashers: dict[str, hashlib._Hash]) -> int:
    """Hash the bytes already on disk (a resumed ``.part``); returns how many were read."""
    total = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            for h in hashers.values():
                h.update(chunk)
            total += len(chunk)
    return total


def hash_file(path: Path, algorithms: Iterable[str] = ()) -> dict[str, str]:
    hashers = new_hashers(algorithms)
    feed_file(path, hashers)
    return {name: h.hexdigest() for name, h in hashers.items()}


def first_mismatch(
    computed: dict[str, str], expected: Iterable[tuple[str, str, str]]
) -> tuple[str, str, str, str] | None:
    """The first (algorithm, expected, origin, actual) that does not match, or None when all match."""
    for alg, value, origin in expected:
        actual = computed.get(alg)
        if actual is not None and actual != value.lower():
            return alg, value.lower(), origin, actual
    return None
