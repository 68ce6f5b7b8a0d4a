"""`usreg site build` and `usreg site serve`."""

from __future__ import annotations

from pathlib import Path

import click

from .context import AppContext, pass_app
from .output import console

SITE_URL_HELP = (
    "Public URL of the site, for canonical links and sitemap.xml (else $USREG_SITE_URL, else site/mkdocs.yml)."
)


@click.group()
def site() -> None:
    """Build and serve the static catalog site (mkdocs-material, fully offline)."""


def default_out(app: AppContext, out: Path | None) -> Path:
    return (out or app.root / "site-build").resolve()


@site.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory that receives the site, index.html at its top (default <root>/site-build).",
)
@click.option("--site-url", default=None, help=SITE_URL_HELP)
@pass_app
def build(app: AppContext, out: Path | None, site_url: str | None) -> None:
    """Generate the pages from the catalog, scores and benchmark results, then build with mkdocs."""
    from scorers.committed import committed_scores

    from ..sitegen.build import build_site

    catalog = app.valid_catalog()
    site_dir = build_site(
        app.root, default_out(app, out), catalog=catalog, site_url=site_url, scores=committed_scores(catalog)
    )
    from ..wrapping import visible

    shown = visible(site_dir)
    console(stderr=True).print(
        f"built {shown} (open {visible(site_dir / 'index.html')}, or run `usreg site serve {shown}`)",
        markup=False,
        highlight=False,
    )


@site.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", type=int, default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option("--build", "rebuild", is_flag=True, help="Build the site into DIRECTORY first.")
@pass_app
def serve(app: AppContext, directory: Path | None, port: int, rebuild: bool) -> None:
    """Serve a built site on http://127.0.0.1:PORT/ (DIRECTORY defaults to <root>/site-build)."""
    from scorers.committed import committed_scores

    from ..sitegen.build import build_site, serve_site

    target = default_out(app, directory)
    if rebuild:
        catalog = app.valid_catalog()
        build_site(app.root, target, catalog=catalog, scores=committed_scores(catalog))
    serve_site(target, port=port)


COMMANDS = [site]
