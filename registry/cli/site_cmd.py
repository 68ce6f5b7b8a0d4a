"""`usreg site build` and `usreg site serve`."""

from __future__ import annotations

from pathlib import Path

import click

from .context import AppContext, pass_app
from .output import console


@click.group()
def site() -> None:
    """Build and serve the static catalog site (mkdocs-material, fully offline)."""


def _default_out(app: AppContext, out: Path | None) -> Path:
    return (out or app.root / "site-build").resolve()


@site.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Build dir (default <root>/site-build).")
@pass_app
def build(app: AppContext, out: Path | None) -> None:
    """Generate the pages from the catalog, scores and benchmark results, then build with mkdocs."""
    from ..sitegen.build import build_site

    site_dir = build_site(app.root, _default_out(app, out), catalog=app.valid_catalog())
    console(stderr=True).print(f"built {site_dir}")


@site.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Build dir (default <root>/site-build).")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--build/--no-build", "rebuild", default=True, show_default=True, help="Build before serving.")
@pass_app
def serve(app: AppContext, out: Path | None, port: int, rebuild: bool) -> None:
    """Serve the site on http://127.0.0.1:PORT/."""
    from ..sitegen.build import build_site, serve_site

    target = _default_out(app, out)
    site_dir = build_site(app.root, target, catalog=app.valid_catalog()) if rebuild else target / "site"
    serve_site(site_dir, port=port)


COMMANDS = [site]
