"""Dataset and model pages: facts with evidence, score breakdown, fetch command, citation, links, leaderboard."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..citation import entry_bibtex
from ..schema import Dataset, Model
from .context import Page, SiteContext
from .facts import fact_rows
from .html import esc, link, safe_url, script_json
from .jsonld import dataset_jsonld
from .leaderboard import _latest_runs, dataset_board_links, ranked_tables


def tier_badge(score: dict[str, Any] | None, prefix: str = "../") -> str:
    if not score:
        return '<span class="usreg-tier usreg-tier-none">not scored</span>'
    tier = esc(score.get("tier", "unscored"))
    level = esc(score.get("verification_level", ""))
    points = score.get("points")
    shown = f"{points:.1f}" if isinstance(points, int | float) else ""
    return (
        f'<a class="usreg-tier usreg-tier-{tier}" data-tier="{tier}" href="{prefix}rubric.html#tiers" '
        f'title="quality tier: see the rubric">{tier}</a> '
        f'<span class="usreg-level" title="verification level">{level}</span> '
        f'<span class="usreg-points">{shown} points</span>'
    )


def field_name(path: str) -> str:
    """A fact's field path, escaped, that a narrow column may break after its dots and underscores only
    (``reproducibility.``/``train_``/``script``), never inside a word."""
    parts = re.split(r"(?<=[._])", path)
    return "<wbr>".join(esc(part) for part in parts if part)


def _facts_table(entry: Dataset | Model) -> str:
    """Field, value and evidence links, each labelled with its number in the page's Evidence list."""
    number: dict[str, int] = {}
    for i, item in enumerate(entry.evidence):
        number.setdefault(item.url, i + 1)
    rows = []
    for path, value, urls in fact_rows(entry):
        sources = (
            " ".join(link(u, f"[{number[u]}]") for u in dict.fromkeys(urls)) or '<span class="usreg-muted">—</span>'
        )
        rows.append(f"<tr><th>{field_name(path)}</th><td>{esc(value)}</td><td>{sources}</td></tr>")
    return (
        '<table class="usreg-facts"><thead><tr><th>Field</th><th>Value</th><th>Evidence</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def _score_section(score: dict[str, Any] | None) -> str:
    if not score:
        return "<p>This entry has not been scored yet.</p>"
    parts = [f"<p>{tier_badge(score)} (rubric {esc(score.get('rubric_version'))})</p>"]
    if score.get("limited_by"):
        parts.append(f"<p>Limited by: <strong>{esc(score['limited_by'])}</strong></p>")
    rows = []
    for c in score.get("criteria", []):
        flag = f' <span class="usreg-flag">{esc(c.get("flag"))}</span>' if c.get("flag") else ""
        rows.append(
            f"<tr><td>{esc(c.get('group'))}</td><td>{esc(c.get('title') or c.get('id'))}{flag}</td>"
            f"<td>{esc(_num(c.get('points')))} / {esc(_num(c.get('max_points')))}</td>"
            f"<td>{esc(c.get('evidence_kind'))}</td><td>{esc(c.get('why_it_matters'))}</td></tr>"
        )
    parts.append(
        '<table class="usreg-breakdown"><thead><tr><th>Group</th><th>Criterion</th><th>Points</th>'
        "<th>Evidence</th><th>Why it matters</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
    nxt = score.get("next_tier")
    if nxt and nxt.get("tier"):
        actions = "".join(f"<li>{esc(_action_text(a))}</li>" for a in nxt.get("actions", []))
        gates = ", ".join(esc(g) for g in nxt.get("gates_failing", []))
        parts.append(
            f'<h3 id="raise-tier">What would raise the tier to {esc(nxt["tier"])}</h3>'
            f"<p>Points needed: {esc(_num(nxt.get('points_needed')))}"
            + (f"; gates failing: {gates}" if gates else "")
            + f"</p><ol>{actions}</ol>"
        )
    return "".join(parts)


def _action_text(action: Any) -> str:
    if isinstance(action, dict):
        text = action.get("how") or action.get("how_to_earn") or action.get("criterion")
        gain = action.get("points") or action.get("gain")
        return f"{text} (+{_num(gain)} points)" if gain else str(text)
    return str(action)


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return "" if value is None else str(value)


def _copy_block(block_id: str, text: str, label: str) -> str:
    return (
        f'<div class="usreg-copyable"><pre><code id="{block_id}">{esc(text)}</code></pre>'
        f'<button type="button" class="md-button usreg-copy" data-copy-target="{block_id}">Copy {esc(label)}</button>'
        "</div>"
    )


def _entry_links(ctx: SiteContext, ids: list[str], prefix: str) -> str:
    items = []
    for entry_id in ids:
        kind = ctx.catalog.kind_of(entry_id)
        if kind:
            page = f"{prefix}{'datasets' if kind == 'dataset' else 'models'}/{entry_id}.html"
            items.append(f'<a href="{esc(page)}">{esc(entry_id)}</a>')
        else:
            items.append(esc(entry_id))
    return ", ".join(items) or '<span class="usreg-muted">none</span>'


def leaderboard_section(ctx: SiteContext, entry: Dataset | Model, prefix: str) -> str:
    """The ranked results of a dataset (by model) or a model (by dataset), with links to the full leaderboards."""
    is_dataset = isinstance(entry, Dataset)
    results = ctx.bench_for_dataset(entry.id) if is_dataset else ctx.bench_for_model(entry.id)
    run_list = _latest_runs(results)
    if not run_list:
        return "<p>No benchmark results yet. Run <code>usreg bench</code> to add some.</p>"
    links = ""
    if is_dataset:
        boards = dataset_board_links(ctx, entry.id, prefix)
        links = (
            "<p>Full leaderboards with the provenance of each run: "
            + ", ".join(f'<a href="{esc(url)}">{esc(task)}</a>' for task, url in boards)
            + ".</p>"
        )
    return links + ranked_tables(ctx, run_list, prefix, column="model" if is_dataset else "dataset")


def author_list(pub: Any, limit: int = 6) -> str | None:
    """A readable author list ("Al-Dhabyani W, Gomaa M, et al.") from the structured authors."""
    authors = list(getattr(pub, "authors", None) or [])
    if not authors:
        return None
    names = [a.name or " ".join(x for x in (a.family, a.given) if x) for a in authors[:limit]]
    more = len(authors) > limit or getattr(pub, "authors_truncated", False)
    return ", ".join(names) + (", et al." if more else "")


def _publications(entry: Dataset | Model) -> str:
    items = []
    for pub in entry.publications:
        target = (
            f"https://doi.org/{pub.doi}"
            if pub.doi
            else (f"https://arxiv.org/abs/{pub.arxiv}" if pub.arxiv else pub.url)
        )
        title = pub.title or pub.doi or pub.arxiv or pub.url
        where = pub.journal or pub.venue
        if where and pub.volume:
            where += f" {pub.volume}" + (f"({pub.issue})" if pub.issue else "")
        if where and (pub.pages or pub.article_number):
            where += f", {pub.pages or pub.article_number}"
        meta = ", ".join(esc(x) for x in (author_list(pub, limit=10), where, pub.year) if x)
        items.append(f"<li>{link(target, title)}{' — ' + meta if meta else ''} ({esc(pub.role)})</li>")
    return f"<ul>{''.join(items)}</ul>" if items else "<p>No publication recorded.</p>"


def _links(entry: Dataset | Model) -> str:
    data = entry.links.model_dump(exclude_none=True)
    if not data:
        return ""
    return "<ul>" + "".join(f"<li>{esc(k)}: {link(v)}</li>" for k, v in data.items()) + "</ul>"


def _source_file(file) -> str:
    """One file of a source: its name (linked when it has its own URL), size and checksums."""
    size = f" {file.size:,} bytes" if file.size is not None else ""
    sums = "".join(
        f" {algo} <code>{esc(value)}</code>" for algo, value in (("md5", file.md5), ("sha256", file.sha256)) if value
    )
    name = link(file.url, file.name) if file.url else esc(file.name)
    return f"<li><code class='usreg-file'>{name}</code>{size}{sums}</li>"


def _source_item(source, tag: bool = True) -> str:
    from ..show import version_label

    version = version_label(source.version)
    parts = [esc(source.kind), esc(source.id or ""), esc(version)]
    parts += [f"tag {esc(source.tag)}" if source.tag else "", f"folder {esc(source.folder)}" if source.folder else ""]
    text = " ".join(p for p in parts if p) + (f" {link(source.url)}" if source.url else "")
    if source.mirrors:
        text += "<br>mirrors: " + ", ".join(link(m) for m in source.mirrors)
    if source.instructions:
        text += f"<br><em>{esc(source.instructions)}</em>"
    if source.files:
        text += "<ul class='usreg-files'>" + "".join(_source_file(f) for f in source.files) + "</ul>"
    return f"<li>{text}</li>" if tag else text


def evidence_section(entry: Dataset | Model) -> str:
    """Every evidence item: its URL, the fields it backs, the date it was read and the source's own words."""
    if not entry.evidence:
        return "<p>No evidence recorded.</p>"
    items = []
    for i, item in enumerate(entry.evidence):
        accessed = f" (read {esc(item.accessed.isoformat())})" if item.accessed else ""
        fields = ", ".join(f"<code>{esc(f)}</code>" for f in item.fields)
        quote = f"<blockquote class='usreg-quote'>{esc(item.quote)}</blockquote>" if item.quote else ""
        items.append(f"<li id='evidence-{i + 1}'>{link(item.url)}{accessed}<br>for: {fields}{quote}</li>")
    return f"<ol class='usreg-evidence'>{''.join(items)}</ol>"


def _changelog(entry: Dataset | Model) -> str:
    if not entry.changelog:
        return ""
    rows = "".join(f"<li>{esc(c.date)}: {esc(c.change)}</li>" for c in entry.changelog)
    return f"<h3 id='changelog'>Changelog</h3><ul>{rows}</ul>"


def _loader_options(entry: Dataset) -> str:
    """The converter's options as the entry states them (patterns, split lists, class maps), folded."""
    if entry.loader is None or not entry.loader.options:
        return ""
    text = yaml.safe_dump(entry.loader.options, sort_keys=False, allow_unicode=True, width=100)
    summary = f"<summary>Options of the <code>{esc(entry.loader.name)}</code> converter</summary>"
    return f"<details class='usreg-loader'>{summary}<pre><code>{esc(text)}</code></pre></details>"


def fetch_support(entry: Dataset) -> str:
    """How far `usreg fetch` takes the dataset: "download" or "manual" (a person downloads, then --from-file),
    followed by " + convert" when a converter exists; "no source" when none is recorded."""
    from ..fetch.hosts import MANUAL_KINDS

    if not entry.sources:
        return "no source"
    route = "manual" if all(s.kind in MANUAL_KINDS for s in entry.sources) else "download"
    return route + (" + convert" if entry.loader is not None else "")


def fetch_command(entry: Dataset) -> str:
    """The command to copy: ``usreg fetch ID``, or with ``--from-file PATH`` when a person downloads the files."""
    if fetch_support(entry).startswith("manual"):
        return f"usreg fetch {entry.id} --from-file PATH"
    return f"usreg fetch {entry.id}"


def run_section(entry: Model) -> str:
    """Whether `usreg bench` runs the model (the same verdict as `usreg show`), with the command when it does."""
    from ..bench.runnability import runnable
    from ..show import run_hint

    verdict = runnable(entry)
    if not verdict.ok:
        return (
            "<p class='usreg-run-note'><code>usreg bench</code> cannot run this model yet: "
            f"{esc(verdict.detail or 'no adapter')}.</p>"
        )
    detail = f" ({esc(verdict.detail)})" if verdict.detail else ""
    datasets = entry.evaluated_on or entry.trained_on
    fetch_first = (
        f" Fetch the dataset first: <code>usreg fetch {esc(datasets[0])}</code>."
        if datasets
        else " DATASET is a fetched dataset in the common format."
    )
    return (
        f"<p class='usreg-run-note'><code>usreg bench</code> runs this model with the "
        f"<code>{esc(verdict.adapter)}</code> adapter{detail}.{fetch_first}</p>"
        + _copy_block("run-cmd", run_hint(entry), "command")
    )


def fetch_note(entry: Dataset) -> str:
    """The sentence on a dataset page that says what `usreg fetch` does for it (from ``fetch_support``)."""
    support = fetch_support(entry)
    if support == "no source":
        return "<p class='usreg-fetch-note'>No download source is recorded yet.</p>"
    how = (
        f"Download it by hand as described below, then run <code>usreg fetch {esc(entry.id)} --from-file PATH</code>."
        if support.startswith("manual")
        else "<code>usreg fetch</code> downloads and verifies it from the host."
    )
    if entry.loader is not None:
        result = (
            f"The <code>{esc(entry.loader.name)}</code> converter turns it into the common format "
            f'(<code>registry.load("{esc(entry.id)}")</code>).'
        )
    else:
        result = "No converter yet: the files are verified and unpacked, not converted."
    return f"<p class='usreg-fetch-note'>{how} {result}</p>"


def _page_head(entry: Dataset | Model, score: Any) -> list[str]:
    """The top of an entry page: title, the entry's wrapper, tier badge and id, description."""
    return [
        f'<h1 id="{esc(entry.id)}">{esc(entry.name)}</h1>',
        '<div class="usreg-entry" data-entry-id="' + esc(entry.id) + '">\n',
        f"<p class='usreg-badges'>{tier_badge(score)} <code>{esc(entry.id)}</code></p>",
        f"<p>{esc(entry.description or '')}</p>",
    ]


def dataset_page(ctx: SiteContext, entry: Dataset) -> Page:
    score = ctx.scores.get(entry.id)
    prefix = "../"
    related = entry.relations
    used = ctx.reverse_links(entry.id)
    collections, derived_by = used.get("collections", []), used.get("derived", [])
    licence = esc(entry.license) if entry.license else '<span class="usreg-muted">not stated</span>'
    if entry.license_url:
        licence += " " + link(entry.license_url, "(licence text)")
    sources = "".join(_source_item(s) for s in entry.sources)
    body = [
        *_page_head(entry, score),
        "<h2 id='fetch'>Get the data</h2>",
        _copy_block("fetch-cmd", fetch_command(entry), "command") if entry.sources else "",
        fetch_note(entry),
        f"<p>Access: <strong>{esc(entry.access or 'unknown')}</strong>. Licence: {licence}.</p>",
        f"<p>{esc(entry.access_terms)}</p>" if entry.access_terms else "",
        f"<ul class='usreg-sources'>{sources}</ul>" if sources else "",
        _loader_options(entry),
        "<h2 id='facts'>Facts</h2>",
        _facts_table(entry),
        f"<h3>Notes</h3><p>{esc(entry.notes)}</p>" if entry.notes else "",
        _changelog(entry),
        "<h2 id='evidence'>Evidence</h2>",
        evidence_section(entry),
        "<h2 id='quality'>Quality score</h2>",
        _score_section(score),
        "<h2 id='related'>Related entries</h2><ul>",
        f"<li>Family: {_entry_links(ctx, related.family, prefix)}</li>",
        f"<li>Derived from: {_entry_links(ctx, related.derived_from, prefix)}</li>",
        f"<li>Derived datasets: {_entry_links(ctx, derived_by, prefix)}</li>",
        f"<li>Members: {_entry_links(ctx, related.members, prefix)}</li>" if related.members else "",
        f"<li>In collections: {_entry_links(ctx, collections, prefix)}</li>",
        f"<li>Models trained on it: {_entry_links(ctx, used.get('trained', []), prefix)}</li>",
        f"<li>Models evaluated on it: {_entry_links(ctx, used.get('evaluated', []), prefix)}</li>",
        "</ul>",
        "<h2 id='leaderboard'>Leaderboard</h2>",
        leaderboard_section(ctx, entry, prefix),
        "<h2 id='publications'>Publications</h2>",
        _publications(entry),
        _links(entry),
        "<h2 id='cite'>Cite</h2>",
        _copy_block("bibtex", entry_bibtex(entry), "BibTeX"),
        f'<script type="application/ld+json">{script_json(dataset_jsonld(entry, score))}</script>',
        "\n</div>\n",
    ]
    return Page(title=entry.name, description=entry.description, html="".join(body))


def _weights_item(weights: Any) -> str:
    """One weights declaration: format, file (two files of one repository must not read alike), source, commit."""
    file = f" <code>{esc(weights.file)}</code>" if weights.file else ""
    revision = f" at commit <code>{esc(str(weights.revision)[:12])}</code>" if weights.revision else ""
    sha = f" sha256 {esc(weights.sha256)}" if weights.sha256 else ""
    size = f", {weights.size:,} bytes" if weights.size is not None else ""
    source = _source_item(weights.source, tag=False)
    return f"<li>{esc(weights.format)}{file}{size} from {source}{revision}{sha}</li>"


def model_page(ctx: SiteContext, entry: Model) -> Page:
    score = ctx.scores.get(entry.id)
    prefix = "../"
    licences = []
    if entry.code:
        licences.append(f"code: {link(entry.code.url)} ({esc(entry.code.license or 'licence not stated')})")
    licences.append(f"weights: {esc(entry.weights_license or 'licence not stated')}")
    weights = "".join(_weights_item(w) for w in entry.weights) or "<li>No published weights recorded.</li>"
    reproduced = {(r["dataset_id"], r["metric"]): r for r in ctx.bench_for_model(entry.id)}
    metric_rows = []
    for m in entry.metrics:
        rep = reproduced.get((m.dataset or "", m.metric))
        dataset = _entry_links(ctx, [m.dataset], prefix) if m.dataset else ""
        if m.dataset_name:
            dataset += f"{'<br>' if dataset else ''}<span class='usreg-muted'>{esc(m.dataset_name)}</span>"
        reproduced_value = f"{rep['value']:.4f}" if rep else "—"
        source = link(m.source, "source") if m.source else ""
        note = f"<br><small>{esc(m.note)}</small>" if m.note else ""
        unit = f" {esc(m.unit)}" if m.unit else ""
        metric_rows.append(
            f"<tr><td>{dataset}</td><td>{esc(m.split or '')}</td><td>{esc(m.metric)}{note}</td>"
            f"<td>{m.value:g}{unit}</td><td>{reproduced_value}</td><td>{source}</td></tr>"
        )
    metrics = (
        "<table class='usreg-metrics'><thead><tr><th>Dataset</th><th>Split</th><th>Metric</th><th>Reported</th>"
        "<th>Reproduced</th><th>Source</th></tr></thead><tbody>" + "".join(metric_rows) + "</tbody></table>"
        if metric_rows
        else "<p>No reported metrics recorded.</p>"
    )
    body = [
        *_page_head(entry, score),
        "<h2 id='availability'>Code, weights and licences</h2>",
        f"<p>{'<br>'.join(licences)}</p><ul>{weights}</ul>",
        "<h2 id='run'>Run it with usreg bench</h2>",
        run_section(entry),
        "<h2 id='datasets'>Datasets</h2><ul>",
        f"<li>Trained on: {_entry_links(ctx, entry.trained_on, prefix)}</li>",
        f"<li>Evaluated on: {_entry_links(ctx, entry.evaluated_on, prefix)}</li></ul>",
        "<h2 id='metrics'>Reported and reproduced metrics</h2>",
        metrics,
        "<h2 id='facts'>Facts</h2>",
        _facts_table(entry),
        f"<h3>Notes</h3><p>{esc(entry.notes)}</p>" if entry.notes else "",
        _changelog(entry),
        "<h2 id='evidence'>Evidence</h2>",
        evidence_section(entry),
        "<h2 id='quality'>Quality score</h2>",
        _score_section(score),
        "<h2 id='leaderboard'>Benchmark results</h2>",
        leaderboard_section(ctx, entry, prefix),
        "<h2 id='publications'>Publications</h2>",
        _publications(entry),
        _links(entry),
        "<h2 id='cite'>Cite</h2>",
        _copy_block("bibtex", entry_bibtex(entry), "BibTeX"),
        "\n</div>\n",
    ]
    return Page(title=entry.name, description=entry.description, html="".join(body))


__all__ = [
    "dataset_page",
    "fetch_command",
    "leaderboard_section",
    "model_page",
    "run_section",
    "safe_url",
    "tier_badge",
]
