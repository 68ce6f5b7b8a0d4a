"""`usreg list`, `usreg show`, `usreg export` and `usreg index`: reading the catalog through the index."""

from __future__ import annotations

from pathlib import Path

import click

from ..columns import SORTABLE
from ..errors import UsregError
from .context import AppContext, pass_app
from .output import FORMATS, console, emit_json, emit_rows

TIERS = ("steel", "bronze", "silver", "gold", "platinum", "diamond")
LIST_COLUMNS = ["id", "kind", "name", "year", "anatomy", "tasks", "access", "license", "tier", "points", "verification"]


def _multi(name: str, help_text: str):
    return click.option(f"--{name}", name.replace("-", "_"), multiple=True, help=help_text + " (repeatable; OR-ed)")


@click.command("list")
@click.option("--kind", type=click.Choice(["dataset", "model"]), help="Only datasets or only models.")
@_multi("anatomy", "Filter by anatomy")
@_multi("task", "Filter by task")
@_multi("label-type", "Filter by label type")
@_multi("species", "Filter by species")
@_multi("country", "Filter by ISO country code")
@_multi("license", "Filter by licence id")
@_multi("access", "Filter by access (open, registration, request, challenge)")
@click.option("-q", "--search", "text_query", help="Free text (id, name, aliases, description).")
@click.option("--min-tier", type=click.Choice(TIERS), help="Only entries at or above this tier.")
@click.option("--sort", type=click.Choice(SORTABLE), default="id", show_default=True)
@click.option("--desc", is_flag=True, help="Sort descending.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@pass_app
def list_entries(
    app: AppContext,
    kind,
    anatomy,
    task,
    label_type,
    species,
    country,
    license,
    access,
    text_query,
    min_tier,
    sort,
    desc,
    fmt,
) -> None:
    """List entries, filtered and sorted."""
    from ..index import open_index

    index = open_index(app.root)
    rows = index.query(
        kind=kind,
        filters={"anatomy": anatomy, "task": task, "label_type": label_type, "species": species, "country": country},
        text_query=text_query,
        access=access,
        license=license,
        min_tier_rank=TIERS.index(min_tier) if min_tier else None,
        sort=sort,
        descending=desc,
    )
    emit_rows(rows, LIST_COLUMNS, fmt, title=f"{len(rows)} entries")


@click.command()
@click.argument("entry_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def show(app: AppContext, entry_id: str, fmt: str) -> None:
    """Every fact of one entry, its sources, citation, score and linked entries."""
    from ..citation import entry_bibtex
    from ..show import render_entry

    catalog = app.valid_catalog()
    entry = catalog.entry(entry_id)
    if entry is None:
        import difflib

        close = difflib.get_close_matches(entry_id, list(catalog.datasets) + list(catalog.models), n=3)
        raise UsregError(
            f"no entry {entry_id!r}", hint=f"did you mean {', '.join(close)}?" if close else "see `usreg list`"
        )
    from ..index import open_index

    index = open_index(app.root, catalog)
    score = index.score(entry_id, catalog)
    results = (
        index.bench_results(dataset_id=entry_id)
        if catalog.kind_of(entry_id) == "dataset"
        else index.bench_results(model_id=entry_id)
    )
    if fmt == "json":
        emit_json(
            {
                "entry": entry.model_dump(mode="json", exclude_none=True),
                "kind": catalog.kind_of(entry_id),
                "score": score,
                "models": [m.id for m in catalog.models_using(entry_id)],
                "collections": [c.id for c in catalog.collections_of(entry_id)],
                "bench_results": results,
                "bibtex": entry_bibtex(entry),
            }
        )
        return
    render_entry(console(), entry, catalog, score, results)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "parquet", "bibtex"]), required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default stdout; required for parquet).",
)
@click.option("--kind", type=click.Choice(["dataset", "model"]), help="Only datasets or only models.")
@pass_app
def export(app: AppContext, fmt: str, output: Path | None, kind: str | None) -> None:
    """Export the whole catalog as CSV, JSON, Parquet or BibTeX."""
    from ..export import export_catalog

    catalog = app.valid_catalog()
    from ..index import open_index

    scores = open_index(app.root, catalog).scores()
    if fmt == "parquet" and output is None:
        raise UsregError("parquet is binary", hint="pass -o FILE.parquet")
    data = export_catalog(catalog, fmt, kind=kind, scores=scores)
    if output is None:
        click.echo(data if isinstance(data, str) else data.decode(), nl=False)
        return
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    tmp.replace(output)
    console(stderr=True).print(f"wrote {output}")


@click.command("index")
@click.option("--rebuild", is_flag=True, help="Rebuild even when the entries did not change.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def index_cmd(app: AppContext, rebuild: bool, fmt: str) -> None:
    """Build the SQLite index (automatic when entries change; --rebuild forces it)."""
    from ..index import RegistryIndex

    index = RegistryIndex(app.root)
    rebuilt = index.ensure(force=rebuild)
    counts = {k: len(index.query(kind=k)) for k in ("dataset", "model")}
    if fmt == "json":
        emit_json({"path": str(index.path), "rebuilt": rebuilt, **counts})
    else:
        state = "rebuilt" if rebuilt else "up to date"
        click.echo(f"index {state}: {counts['dataset']} datasets, {counts['model']} models -> {index.path}")


COMMANDS = [list_entries, show, export, index_cmd]
