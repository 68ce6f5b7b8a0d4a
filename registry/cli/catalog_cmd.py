"""`usreg list`, `usreg show`, `usreg export` and `usreg index`: reading the catalog through the index."""

from __future__ import annotations

from pathlib import Path

import click

from ..columns import SORTABLE
from ..errors import UsageError, UsregError
from .context import AppContext, pass_app
from .output import FORMATS, console, emit_fitted_table, emit_json, emit_rows

TIERS = ("steel", "bronze", "silver", "gold", "platinum", "diamond")
LIST_COLUMNS = ["id", "kind", "name", "year", "anatomy", "tasks", "access", "license", "tier", "points", "verification"]
DEFAULT_TABLE_COLUMNS = ["id", "tier", "points", "anatomy", "tasks", "name"]
# Minimum widths before a column is shortened with an ellipsis; -1: never shortened (ids must stay copyable).
MIN_WIDTHS = {"id": -1, "tier": 8, "points": 6, "kind": 7, "year": 4, "anatomy": 10, "tasks": 14, "name": 20}
DROP_ORDER = ["tasks", "anatomy", "points", "kind", "year", "access", "license", "verification"]


def _columns(value: str | None, fmt: str) -> list[str]:
    if not value:
        return DEFAULT_TABLE_COLUMNS if fmt == "table" else LIST_COLUMNS
    chosen = [c.strip() for c in value.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in LIST_COLUMNS]
    if unknown or not chosen:
        from ..errors import UsageError

        raise UsageError(
            f"unknown column(s): {', '.join(unknown) or '(none given)'}", hint="choose from: " + ", ".join(LIST_COLUMNS)
        )
    return chosen


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
@click.option(
    "--columns",
    "columns_option",
    metavar="COL,COL",
    help="Columns to show, comma-separated (default: " + ",".join(DEFAULT_TABLE_COLUMNS) + "; json/csv: all). "
    "Known: " + ", ".join(LIST_COLUMNS) + ".",
)
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
    columns_option,
) -> None:
    """List entries, filtered and sorted.

    Filter values are matched case-insensitively against the vocabularies (`--anatomy Breast` is `breast`); an
    unknown value is an error with the closest known ones. The table fits the terminal, one line per entry.
    """
    from .context import scored_index, warn_skipped
    from .list_filters import normalise_country, normalise_license, normalise_vocabulary

    columns = _columns(columns_option, fmt)
    anatomy = normalise_vocabulary("anatomy", anatomy)
    task = normalise_vocabulary("task", task)
    label_type = normalise_vocabulary("label-type", label_type)
    species = normalise_vocabulary("species", species)
    access = normalise_vocabulary("access", access)
    country = normalise_country(country)
    index = scored_index(app.root)
    warn_skipped(index.skipped_files())
    if license:
        license = normalise_license(license, index.distinct_values("license"))
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
    singular, plural = {"dataset": ("dataset", "datasets"), "model": ("model", "models")}.get(
        kind, ("entry", "entries")
    )
    title = f"{len(rows)} {singular if len(rows) == 1 else plural}"
    if fmt == "table":
        emit_fitted_table(
            rows,
            columns,
            MIN_WIDTHS,
            droppable=DROP_ORDER,
            title=title,
            decimals={"points": 1},
            empty="no entry matches these filters (see `usreg stats` for the values in use)",
        )
    else:
        emit_rows(rows, columns, fmt, title=title)


@click.command()
@click.argument("entry_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def show(app: AppContext, entry_id: str, fmt: str) -> None:
    """Every fact of one entry, its sources, citation, score and linked entries."""
    from ..citation import entry_bibtex
    from ..show import render_entry
    from .context import scored_index, warn_skipped

    index = scored_index(app.root)  # rebuilt when stale (one set of workers for a large catalog), scores current
    catalog = index.stored_catalog()  # the validated entries, without parsing every YAML file again
    if catalog is None:  # a stored entry no longer validates (the schema changed): the index is rebuilt from files
        catalog = app.valid_catalog()
        index = scored_index(app.root, catalog, force=True)
    else:
        warn_skipped(index.skipped_files())
    entry = catalog.entry(entry_id)
    if entry is None:
        import difflib

        close = difflib.get_close_matches(entry_id, list(catalog.datasets) + list(catalog.models), n=3)
        raise UsregError(
            f"no entry {entry_id!r}", hint=f"did you mean {', '.join(close)}?" if close else "see `usreg list`"
        )
    score = index.score(entry_id, catalog)
    results = (
        index.bench_results(dataset_id=entry_id)
        if catalog.kind_of(entry_id) == "dataset"
        else index.bench_results(model_id=entry_id)
    )
    if fmt == "json":
        from ..bench.runnability import runnable

        emit_json(
            {
                "entry": entry.model_dump(mode="json", exclude_none=True),
                "kind": catalog.kind_of(entry_id),
                **({"runnable": runnable(entry).to_dict()} if catalog.kind_of(entry_id) == "model" else {}),
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
    from .context import scored_index

    scores = scored_index(app.root, catalog).scores()
    if fmt == "parquet" and output is None:
        raise UsageError("parquet is binary: it is not printed", hint="pass -o FILE.parquet")
    if output is not None:  # an export must not overwrite the cache's own files (a lock file, the index)
        from ..fetch.ingest import check_outside_cache
        from ..home import usreg_home

        check_outside_cache(output, usreg_home(), option="-o", what="the export")
    data = export_catalog(catalog, fmt, kind=kind, scores=scores)
    if output is None:
        click.echo(data if isinstance(data, str) else data.decode(), nl=False)
        return
    import errno

    from ..atomicfile import replace_with
    from ..wrapping import visible

    try:
        replace_with(output, data.encode() if isinstance(data, str) else data)
    except OSError as exc:  # name the file asked for, not the temporary one beside it
        raise UsageError(
            f"cannot write {visible(output)}: {exc.strerror or exc}",
            hint="the disk or device is full: free some space or choose another -o"
            if exc.errno == errno.ENOSPC
            else "check that its folder exists and is writable",
        ) from None
    console(stderr=True).print(f"wrote {visible(output)}", markup=False, highlight=False)


@click.command("index")
@click.option("--rebuild", is_flag=True, help="Rebuild even when the entries did not change.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def index_cmd(app: AppContext, rebuild: bool, fmt: str) -> None:
    """Build the SQLite index (automatic when entries change; --rebuild forces it)."""
    from ..index import RegistryIndex
    from .context import scoring

    index = RegistryIndex(app.root, scoring=scoring())
    rebuilt = index.ensure(force=rebuild)
    counts = {k: len(index.query(kind=k)) for k in ("dataset", "model")}
    if fmt == "json":
        emit_json({"path": str(index.path), "rebuilt": rebuilt, **counts})
    else:
        state = "rebuilt" if rebuilt else "up to date"
        click.echo(f"index {state}: {counts['dataset']} datasets, {counts['model']} models -> {index.path}")


COMMANDS = [list_entries, show, export, index_cmd]
