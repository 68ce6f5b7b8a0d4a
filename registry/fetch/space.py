"""Free disk space before a download: the bytes still to fetch must fit where they will be written.

Without this check a large dataset fails hours in, on a full disk, leaving partial files behind; with it the fetch
stops before the first byte and says how much is needed and how much is free. A file whose size nobody gives (no size
in the entry or the host's API, no Content-Length) cannot be checked in advance: :func:`check_room_to_grow` is called
as it arrives, so a host sending an endless body stops the download before the disk is full, not after."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from .errors import FetchError
from .plan import RemoteFile

#: left free on top of the download itself (the lock file, the index, the rest of the system)
RESERVE_BYTES = 64 << 20


def bytes_to_fetch(files: Iterable[RemoteFile], downloads: Path) -> int:
    """Bytes still to download: each file of known size, less a complete copy in the cache or a kept ``.part``."""
    total = 0
    for remote in files:
        if remote.size is None:
            continue
        final = downloads / remote.name
        if final.is_file() and final.stat().st_size == remote.size:
            continue  # in the cache already (its checksums are checked before it is used)
        part = final.with_name(final.name + ".part")
        have = part.stat().st_size if part.is_file() else 0
        total += max(remote.size - have, 0)
    return total


def _existing(path: Path) -> Path:
    """``path`` or its nearest parent that exists (the downloads folder of a first fetch does not yet)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return path


def check_download_space(files: list[RemoteFile], downloads: Path) -> None:
    """Raise :class:`FetchError` when the files still to download do not fit the free space under ``downloads``."""
    _check_free(
        bytes_to_fetch(files, downloads),
        downloads,
        f"download {len(files)} file(s)",
        "`usreg fetch ID --dry-run` lists the files and their sizes",
    )


def check_copy_space(sources: list[Path], downloads: Path) -> None:
    """Raise :class:`FetchError` when the files given with ``--from-file`` do not fit the free space under
    ``downloads``, before the first is copied (a folder given by mistake, a home directory, would fill the disk)."""
    _check_free(
        sum(source.stat().st_size for source in sources),
        downloads,
        f"copy {len(sources)} given file(s)",
        "check the paths given with --from-file",
    )


def _check_free(needed: int, downloads: Path, what: str, listed: str) -> None:
    if needed == 0:
        return
    where = _existing(downloads)
    free = shutil.disk_usage(where).free
    if needed + RESERVE_BYTES > free:
        raise FetchError(
            f"not enough disk space to {what}: they need {_gib(needed)} ({needed:,} bytes) and usreg keeps "
            f"{_gib(RESERVE_BYTES)} free beside them, but {_gib(free)} ({free:,} bytes) are free under {where}",
            hint=f"free some space or set USREG_HOME to a larger disk; {listed}",
        )


def _gib(n: int) -> str:
    return f"{n / (1 << 30):.1f} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.1f} MiB"


#: bytes received between two checks of the free space, for a download of unknown size
GROWTH_CHECK_BYTES = 64 << 20


def check_room_to_grow(part: Path, name: str, received: int) -> None:
    """Raise :class:`FetchError` when less than ``RESERVE_BYTES`` is left free beside ``part``, a download of unknown
    size that has reached ``received`` bytes."""
    free = shutil.disk_usage(part.parent).free
    if free < RESERVE_BYTES:
        raise FetchError(
            f"stopped downloading {name}: the host gave no size and has sent {_gib(received)} ({received:,} bytes) so "
            f"far; only {_gib(free)} is left free under {part.parent}",
            hint="free some space and fetch again (the download resumes); if the file cannot be that large, the host "
            "is sending an endless body: report it, and `usreg cache clean ID --what partial` removes the partial file",
        )
