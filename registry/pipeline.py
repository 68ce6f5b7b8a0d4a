"""The data path, one way: fetch, then convert (whose last step runs the data checks on the staged files).

``registry.fetch`` downloads or ingests, verifies and unpacks, records the lock, and returns; it never converts.
This module then hands the verified source tree to ``registry.loaders``, which writes the common format and runs
``registry.checks`` on it before publishing. ``usreg fetch`` and collections call this module; library users may call
``fetch_dataset`` and ``convert_entry`` themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .fetch import FetchResult, fetch_dataset
from .home import usreg_home
from .schema import Model

if TYPE_CHECKING:
    from .fetch.progress import Reporter
    from .schema import Entry


def convert_fetched(
    entry: Entry, result: FetchResult, home: Path, reporter: Reporter | None = None
) -> tuple[Path | None, str]:
    """Convert a fetched dataset's source tree; (the converted directory or None, a message for the user)."""
    source_dir = result.source_dir
    if source_dir is None:
        return None, result.message
    if isinstance(entry, Model):
        return None, f"weights of {entry.id} are in {source_dir}"
    loader = entry.loader
    no_loader = f"no loader for {entry.id} yet; raw files are in {source_dir}"
    if loader is None:
        return None, no_loader
    from . import loaders

    if loader.name not in set(loaders.names()):
        return None, no_loader + f" (loader {loader.name!r} is not registered)"
    if reporter is not None:
        reporter.message(f"converting with loader {loader.name!r}")
    out = loaders.convert_entry(entry, source_dir, home, result.version)
    return Path(out), f"{entry.id} is ready in {out}"


def fetch_and_convert(
    entry: Entry, *, home: Path | None = None, reporter: Reporter | None = None, **fetch_options: Any
) -> FetchResult:
    """``fetch_dataset`` (whose lock and connections are released when it returns), then ``convert_fetched``.

    ``fetch_options`` are ``fetch_dataset``'s keyword arguments (version, dest, jobs, mirror, from_files, skip_verify,
    dry_run, settings). The returned result carries ``converted_dir`` and the final message.
    """
    home = Path(home) if home else usreg_home()
    result = fetch_dataset(entry, home=home, reporter=reporter, **fetch_options)
    if result.dry_run or result.source_dir is None:
        return result
    result.converted_dir, result.message = convert_fetched(entry, result, home, reporter)
    return result
