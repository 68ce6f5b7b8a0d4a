"""The shared CLI state: the catalog root, and loading the catalog with consistent error handling."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..catalog import Catalog, load_catalog
from ..paths import find_root

#: the most worker processes --workers takes (convert, bench): more only multiplies memory and start-up time, and
#: 100000 would try to start that many processes
MAX_WORKERS = 256


@dataclass
class AppContext:
    root_option: Path | None = None

    @property
    def root(self) -> Path:
        if self.root_option is None:
            return find_root()
        root = self.root_option.resolve()
        if not (root / "entries").is_dir():  # else every command reads an empty catalog and says "0 entries"
            from ..errors import UsageError

            raise UsageError(
                f"no catalog at --root {root}: it has no 'entries/' directory",
                hint="pass the folder that holds entries/ (a usreg checkout), or leave --root out to search upward",
            )
        return root

    def catalog(self, only: list[Path] | None = None, plugins: bool = False, duplicates: bool = True) -> Catalog:
        """The whole catalog, validated; ``duplicates=False`` skips the possible-duplicate warnings (a comparison of
        every pair of names: commands that show no warnings need not pay for it)."""
        return load_catalog(self.root, only, plugins=plugins, duplicates=duplicates)

    def valid_catalog(self) -> Catalog:
        """The entries that validate; invalid entry files are reported once on stderr and skipped.

        `usreg validate` (and CI) fail on them; reading commands go on with the rest.
        """
        catalog = self.catalog()
        report_skipped(catalog)
        return catalog.usable()


def report_skipped(catalog: Catalog) -> None:
    """One line on stderr naming the entry files that do not validate and are skipped."""
    warn_skipped(catalog.invalid_files)


def warn_skipped(files: list[str]) -> None:
    """One line on stderr naming ``files``, entry files that do not validate and are skipped (none: nothing)."""
    if files:
        shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
        click.echo(
            f"warning: skipping {len(files)} entry file(s) that do not validate: {shown} (run `usreg validate`)",
            err=True,
        )


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def scoring() -> Any:
    """The scorers as the index's scoring service (``registry.index.Scoring``): the command line composes the two
    packages, so the registry package itself never imports the scorers."""
    from scorers.service import ScorersService

    return ScorersService()


def scored_index(root: Path, catalog: Catalog | None = None, force: bool = False) -> Any:
    """The catalog's index, rebuilt when stale, with every entry's score stored and kept current."""
    from ..index import open_index

    return open_index(root, catalog, force=force, scoring=scoring())
