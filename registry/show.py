"""Render one entry for the terminal: facts, sources, citation, score and links. All entry text is escaped."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .catalog import Catalog
from .citation import entry_bibtex
from .schema import Dataset, Model


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            rows.extend(_flatten(item, f"{prefix}.{key}" if prefix else key))
    elif isinstance(value, list) and value and all(not isinstance(v, dict | list) for v in value):
        rows.append((prefix, ", ".join(str(v) for v in value)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            rows.extend(_flatten(item, f"{prefix}[{i}]"))
    elif value not in (None, "", [], {}):
        rows.append((prefix, str(value)))
    return rows


def render_entry(
    out: Console, entry: Dataset | Model, catalog: Catalog, score: dict | None, results: list[dict]
) -> None:
    kind = "dataset" if isinstance(entry, Dataset) else "model"
    out.print(f"[bold]{escape(entry.name)}[/bold]  ({kind} [cyan]{escape(entry.id)}[/cyan])")
    if score:
        limited = f", limited by {escape(str(score.get('limited_by')))}" if score.get("limited_by") else ""
        out.print(
            f"tier [bold]{score['tier']}[/bold], {score['points']:.1f} points, "
            f"{score['verification_level']}, rubric {score['rubric_version']}{limited}"
        )
    data = entry.model_dump(mode="json", exclude_none=True)
    skip = {"sources", "evidence", "publications", "id", "name"}
    facts = Table(show_header=False, box=None, pad_edge=False)
    facts.add_column("field", style="bold")
    facts.add_column("value", overflow="fold")
    for field, value in _flatten({k: v for k, v in data.items() if k not in skip}):
        facts.add_row(escape(field), escape(value))
    out.print(facts)
    if isinstance(entry, Model):
        from .bench.runnability import runnable

        out.print(f"\n[bold]Runnable by usreg bench[/bold] {escape(str(runnable(entry)))}")
    if isinstance(entry, Dataset) and entry.sources:
        out.print("\n[bold]Sources[/bold]")
        for source in entry.sources:
            ident = f" {escape(source.id)}" if source.id else ""
            version = f" v{escape(source.version)}" if source.version else ""
            url = f"  {escape(source.url)}" if source.url else ""
            out.print(f"  - {source.kind}{ident}{version}{url}")
            for f in source.files:
                sums = " ".join(
                    x for x in (f"md5:{f.md5}" if f.md5 else "", f"sha256:{f.sha256}" if f.sha256 else "") if x
                )
                out.print(f"      {escape(f.name)} {f.size or ''} {sums}")
        out.print(f"  fetch: usreg fetch {entry.id}")
    if entry.evidence:
        out.print("\n[bold]Evidence[/bold]")
        for ev in entry.evidence:
            out.print(f"  - {escape(ev.url)}  ({escape(', '.join(ev.fields))})")
    if isinstance(entry, Dataset):
        linked = catalog.models_using(entry.id)
        if linked:
            out.print("\n[bold]Models[/bold] " + ", ".join(escape(m.id) for m in linked))
        collections = catalog.collections_of(entry.id)
        if collections:
            out.print("[bold]In collections[/bold] " + ", ".join(escape(c.id) for c in collections))
    if results:
        out.print("\n[bold]Benchmark results[/bold]")
        for r in results:
            pair = f"{escape(r['model_id'])} on {escape(r['dataset_id'])}"
            out.print(f"  {pair} [{r['split']}] {r['metric']} = {r['value']:.4g}")
    out.print("\n[bold]Citation (BibTeX)[/bold]")
    out.print(escape(entry_bibtex(entry)), markup=True, highlight=False)
