"""`usreg up`: the main job on the embedded defaults (validate, index, score, build the site, serve it)."""

from __future__ import annotations

from pathlib import Path

import click

from .context import AppContext, pass_app
from .output import console


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Site build directory (default: <root>/site-build).",
)
@click.option("--serve/--no-serve", default=True, show_default=True, help="Serve the built site on localhost.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port on 127.0.0.1 for the site.")
@pass_app
def up(app: AppContext, out: Path | None, serve: bool, port: int) -> None:
    """Validate, index and score the catalog, then build the site and serve it locally."""
    out_console = console(stderr=True)
    if serve:
        from ..sitegen.build import check_port

        check_port(port)  # a busy port is reported before the work, not after it
    catalog = app.valid_catalog()
    out_console.print(f"validated {len(catalog.datasets)} datasets and {len(catalog.models)} models")
    from .context import scored_index

    index = scored_index(app.root, catalog, force=True)
    scores = index.scores()
    out_console.print(f"indexed and scored {len(scores)} entries -> {index.path}")
    try:
        from scorers.committed import committed_scores

        from ..sitegen.build import build_site, serve_site
    except ImportError:
        out_console.print("the site generator is not installed in this build; stopping after the index")
        return
    target = (out or app.root / "site-build").resolve()
    built = build_site(app.root, target, catalog=catalog, scores=committed_scores(catalog))
    from ..wrapping import visible

    out_console.print(f"built the site -> {visible(built)}", markup=False, highlight=False)
    if serve:
        serve_site(built, port=port)


COMMANDS = [up]
