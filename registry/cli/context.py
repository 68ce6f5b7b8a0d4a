"""The shared CLI state: the catalog root, and loading the catalog with consistent error handling."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from ..catalog import Catalog, load_catalog
from ..paths import find_root


@dataclass
class AppContext:
    root_option: Path | None = None

    @property
    def root(self) -> Path:
        return self.root_option.resolve() if self.root_option else find_root()

    def catalog(self, only: list[Path] | None = None, plugins: bool = False) -> Catalog:
        return load_catalog(self.root, only, plugins=plugins)

    def valid_catalog(self) -> Catalog:
        """The catalog, or exit 1 listing every validation error (nothing is indexed from an invalid catalog)."""
        from ..errors import UsregError

        catalog = self.catalog()
        if catalog.errors:
            for finding in catalog.errors:
                click.echo(finding.render(), err=True)
            raise UsregError(
                f"the catalog has {len(catalog.errors)} validation error(s)", hint="fix them, then run `usreg validate`"
            )
        return catalog


pass_app = click.make_pass_decorator(AppContext, ensure=True)
