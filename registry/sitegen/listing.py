"""Home page with charts, the filterable dataset and model tables, the rubric and the changelog."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..schema.types import country_name
from .charts import bar_chart
from .context import SiteContext
from .entry_pages import fetch_support, front_matter
from .html import esc

TIER_ORDER = ["diamond", "platinum", "gold", "silver", "bronze", "steel"]
DATASET_FILTERS = [
    ("anatomy", "Anatomy"),
    ("task", "Task"),
    ("label", "Label type"),
    ("species", "Species"),
    ("license", "Licence"),
    ("access", "Access"),
    ("fetch", "usreg fetch"),
    ("tier", "Tier"),
]
MODEL_FILTERS = [("anatomy", "Anatomy"), ("task", "Task"), ("license", "Licence"), ("tier", "Tier")]


def _tier(ctx: SiteContext, entry_id: str) -> str:
    return (ctx.scores.get(entry_id) or {}).get("tier", "unscored")


def _points(ctx: SiteContext, entry_id: str) -> str:
    points = (ctx.scores.get(entry_id) or {}).get("points")
    return f"{points:.1f}" if isinstance(points, int | float) else ""


def charts(ctx: SiteContext) -> dict[str, tuple[str, str, str]]:
    """file name -> (svg, caption, alt text)."""
    datasets = list(ctx.catalog.datasets.values())
    models = list(ctx.catalog.models.values())

    def count(values) -> list[tuple[str, int]]:
        return Counter(values).most_common(15)

    tiers_d = Counter(_tier(ctx, d.id) for d in datasets)
    tiers_m = Counter(_tier(ctx, m.id) for m in models)
    specs = {
        "datasets-by-tier.svg": (
            "Datasets by tier",
            [(t, tiers_d[t]) for t in [*TIER_ORDER, "unscored"] if tiers_d[t]],
        ),
        "datasets-by-anatomy.svg": ("Datasets by anatomy", count(a for d in datasets for a in d.anatomy)),
        "datasets-by-task.svg": ("Datasets by task", count(t for d in datasets for t in d.tasks)),
        "datasets-by-country.svg": (
            "Datasets by country",
            count(country_name(c) for d in datasets for c in d.acquisition.countries),
        ),
        "datasets-by-year.svg": (
            "Datasets by year of release",
            sorted(Counter(str(d.year) for d in datasets if d.year).items()),
        ),
        "models-by-tier.svg": ("Models by tier", [(t, tiers_m[t]) for t in [*TIER_ORDER, "unscored"] if tiers_m[t]]),
        "models-by-task.svg": ("Models by task", count(t for m in models for t in m.tasks)),
    }
    out = {}
    for name, (title, items) in specs.items():
        alt = f"{title}: " + ", ".join(f"{label} {value}" for label, value in items) if items else f"{title}: no data"
        out[name] = (bar_chart(title, items, alt), title, alt)
    return out


def home_page(ctx: SiteContext, chart_files: dict[str, tuple[str, str, str]]) -> str:
    datasets, models = ctx.catalog.datasets, ctx.catalog.models
    open_count = sum(1 for d in datasets.values() if d.access == "open")
    images = sum(d.counts.images or 0 for d in datasets.values() if d.kind == "dataset")
    figures = "".join(
        f'<figure class="usreg-chart"><img src="charts/{name}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
        for name, (_, caption, alt) in chart_files.items()
    )
    return (
        front_matter("Home")
        + "# usreg\n\n"
        + "<p>usreg catalogs public medical ultrasound datasets and open models, scores each entry with a transparent "
        "quality tier, fetches datasets from their real hosts with verification, and benchmarks reference models. "
        "Every fact links to its evidence.</p>"
        + '<div class="usreg-counts">'
        + f'<div><strong id="count-datasets">{len(datasets)}</strong> datasets</div>'
        + f'<div><strong id="count-models">{len(models)}</strong> models</div>'
        + f"<div><strong>{open_count}</strong> open datasets</div>"
        + f"<div><strong>{images:,}</strong> images declared</div></div>"
        + '<p><a class="md-button md-button--primary" href="datasets/index.html">Browse datasets</a> '
        + '<a class="md-button" href="models/index.html">Browse models</a></p>'
        + f'<div class="usreg-charts">{figures}</div>\n'
    )


def _filter_controls(filters: list[tuple[str, str]], values: dict[str, set[str]]) -> str:
    controls = []
    for key, label in filters:
        options = "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in sorted(values.get(key, ())))
        controls.append(
            f'<label>{esc(label)} <select data-filter="{key}" id="filter-{key}">'
            f'<option value="">all</option>{options}</select></label>'
        )
    controls.append(
        '<label>Search <input type="search" data-search id="filter-q" placeholder="name, alias, id"></label>'
    )
    controls.append('<button type="button" class="md-button" data-reset>Reset</button>')
    return '<div class="usreg-filters">' + "".join(controls) + '</div><p class="usreg-shown"></p>'


def _attr(values) -> str:
    return esc("|".join(sorted({str(v) for v in values if v})))


def dataset_table(ctx: SiteContext) -> str:
    values: dict[str, set[str]] = {k: set() for k, _ in DATASET_FILTERS}
    rows = []
    for d in sorted(ctx.catalog.datasets.values(), key=lambda d: d.name.lower()):
        facets = {
            "anatomy": d.anatomy,
            "task": d.tasks,
            "label": d.annotation.label_types,
            "species": d.species,
            "license": [d.license or "not stated"],
            "access": [d.access or "unknown"],
            "fetch": [fetch_support(d)],
            "tier": [_tier(ctx, d.id)],
        }
        for key, vals in facets.items():
            values[key].update(str(v) for v in vals)
        search = " ".join([d.id, d.name, *d.aliases]).lower()
        attrs = " ".join(f'data-{k}="{_attr(v)}"' for k, v in facets.items())
        rows.append(
            f'<tr {attrs} data-search="{esc(search)}">'
            f'<td data-value="{esc(d.name.lower())}"><a href="{esc(d.id)}.html">{esc(d.name)}</a></td>'
            f"<td>{esc(', '.join(d.anatomy))}</td><td>{esc(', '.join(d.tasks))}</td>"
            f'<td data-value="{d.counts.images if d.counts.images is not None else -1}">{esc(d.counts.images)}</td>'
            f'<td data-value="{d.year or 0}">{esc(d.year)}</td><td>{esc(d.license or "")}</td>'
            f"<td>{esc(d.access or '')}</td>"
            f'<td data-value="{_tier_rank(ctx, d.id)}">{esc(_tier(ctx, d.id))}</td>'
            f'<td data-value="{_points(ctx, d.id) or -1}">{_points(ctx, d.id)}</td></tr>'
        )
    headers = [
        ("name", "Name", "text"),
        ("anatomy", "Anatomy", "text"),
        ("tasks", "Tasks", "text"),
        ("images", "Images", "number"),
        ("year", "Year", "number"),
        ("license", "Licence", "text"),
        ("access", "Access", "text"),
        ("tier", "Tier", "number"),
        ("points", "Points", "number"),
    ]
    return _table_page("Datasets", "usreg-datasets", DATASET_FILTERS, values, headers, rows)


def model_table(ctx: SiteContext) -> str:
    values: dict[str, set[str]] = {k: set() for k, _ in MODEL_FILTERS}
    rows = []
    for m in sorted(ctx.catalog.models.values(), key=lambda m: m.name.lower()):
        licence = m.weights_license or (m.code.license if m.code else None) or "not stated"
        facets = {"anatomy": m.anatomy, "task": m.tasks, "license": [licence], "tier": [_tier(ctx, m.id)]}
        for key, vals in facets.items():
            values[key].update(str(v) for v in vals)
        search = " ".join([m.id, m.name, *m.aliases, m.architecture or ""]).lower()
        attrs = " ".join(f'data-{k}="{_attr(v)}"' for k, v in facets.items())
        rows.append(
            f'<tr {attrs} data-search="{esc(search)}">'
            f'<td data-value="{esc(m.name.lower())}"><a href="{esc(m.id)}.html">{esc(m.name)}</a></td>'
            f"<td>{esc(', '.join(m.tasks))}</td><td>{esc(', '.join(m.anatomy))}</td>"
            f"<td>{esc(m.architecture or '')}</td><td>{esc(licence)}</td>"
            f'<td data-value="{1 if m.weights else 0}">{"yes" if m.weights else "no"}</td>'
            f'<td data-value="{m.year or 0}">{esc(m.year)}</td>'
            f'<td data-value="{_tier_rank(ctx, m.id)}">{esc(_tier(ctx, m.id))}</td>'
            f'<td data-value="{_points(ctx, m.id) or -1}">{_points(ctx, m.id)}</td></tr>'
        )
    headers = [
        ("name", "Name", "text"),
        ("tasks", "Tasks", "text"),
        ("anatomy", "Anatomy", "text"),
        ("architecture", "Architecture", "text"),
        ("license", "Licence", "text"),
        ("weights", "Weights", "number"),
        ("year", "Year", "number"),
        ("tier", "Tier", "number"),
        ("points", "Points", "number"),
    ]
    return _table_page("Models", "usreg-models", MODEL_FILTERS, values, headers, rows)


def _tier_rank(ctx: SiteContext, entry_id: str) -> int:
    rank = (ctx.scores.get(entry_id) or {}).get("tier_rank")
    return rank if isinstance(rank, int) else -1


def _table_page(title, table_id, filters, values, headers, rows) -> str:
    head = "".join(
        f'<th data-sort="{key}" data-type="{kind}" tabindex="0" role="button">{esc(label)}</th>'
        for key, label, kind in headers
    )
    return (
        front_matter(title)
        + f"# {title}\n\n"
        + _filter_controls(filters, values)
        + f'<table class="usreg-filterable" id="{table_id}"><thead><tr>{head}</tr></thead>'
        + f"<tbody>{''.join(rows)}</tbody></table>\n"
    )


def rubric_page(ctx: SiteContext) -> str:
    parts = [
        front_matter("Quality rubric"),
        "# Quality rubric\n\n",
        "<p>Generated from the versioned rubric files in <code>scorers/rubrics/</code>. "
        "Tiers: diamond &gt; platinum &gt; gold &gt; silver &gt; bronze &gt; steel.</p>",
    ]
    for rubric in ctx.rubrics:
        parts.append(
            f"<h2>{esc(rubric.get('title') or rubric.get('kind') or rubric['_file'])} "
            f"(version {esc(rubric.get('version'))})</h2>"
        )
        parts.append(f"<p>File: <code>{esc(rubric['_file'])}</code></p>")
        parts.append(_render_value(rubric, skip={"_file", "title", "version"}))
    if not ctx.rubrics:
        parts.append("<p>No rubric files were found.</p>")
    return "".join(parts) + "\n"


def _render_value(value: Any, skip: set[str] | None = None) -> str:
    """Render rubric data generically: mappings as definition lists, lists of mappings as tables."""
    if isinstance(value, dict):
        items = "".join(
            f"<dt>{esc(k)}</dt><dd>{_render_value(v)}</dd>" for k, v in value.items() if k not in (skip or set())
        )
        return f"<dl>{items}</dl>"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        keys: list[str] = []
        for item in value:
            keys.extend(k for k in item if k not in keys)
        head = "".join(f"<th>{esc(k)}</th>" for k in keys)
        body = "".join(
            "<tr>" + "".join(f"<td>{_render_value(item.get(k, ''))}</td>" for k in keys) + "</tr>" for item in value
        )
        return f'<table class="usreg-rubric"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    if isinstance(value, list):
        return esc(", ".join(str(v) for v in value))
    return esc(value)


def changelog_page(ctx: SiteContext) -> str:
    parts = [
        front_matter("Changelog"),
        "# Changelog of catalog additions\n\n",
        "<p>Generated from the git history of <code>entries/</code>.</p>",
    ]
    if not ctx.additions:
        parts.append("<p>No git history is available for this build.</p>")
    else:
        rows = []
        for date, ref, subject in ctx.additions:
            kind, _, entry_id = ref.partition(":")
            folder = "datasets" if kind == "dataset" else "models"
            target = (
                f'<a href="{folder}/{esc(entry_id)}.html">{esc(entry_id)}</a>'
                if ctx.catalog.entry(entry_id)
                else esc(entry_id)
            )
            rows.append(f"<tr><td>{esc(date)}</td><td>{esc(kind)}</td><td>{target}</td><td>{esc(subject)}</td></tr>")
        parts.append(
            "<table><thead><tr><th>Date</th><th>Kind</th><th>Entry</th><th>Commit</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    return "".join(parts) + "\n"
