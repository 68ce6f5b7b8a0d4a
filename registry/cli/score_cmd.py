"""`usreg score` and `usreg stats`: quality tiers with their explanations, and catalog statistics and gaps."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..catalog import Catalog, load_catalog
from ..errors import Finding, UsregError
from ..wrapping import wrap_words
from .context import AppContext, pass_app, scoring
from .output import console, emit_fitted_table, emit_json, emit_rows, format_option, render_finding, wrap_width

if TYPE_CHECKING:
    from ..index import RegistryIndex


def _load(app: AppContext, ids: list[str] | None = None, cold: bool = True) -> tuple[Catalog, RegistryIndex, bool]:
    """(catalog, index, whether the index was fresh). A fresh index holds the validated entries already; with ``ids``
    (all of them indexed), only what scoring them reads is loaded from it. ``cold``: a stale index of a large catalog
    is first rebuilt and scored in one set of workers (``scorers.cold``), for callers that store the scores anyway."""
    from scorers.current import catalog_from_index

    from ..index import RegistryIndex

    root = app.root
    index = RegistryIndex(root, scoring=scoring())
    fresh = index.is_fresh()
    if not fresh and index.read_only:  # a shared, read-only index: say so before any scoring work
        index.refuse_rebuild()
    if cold and not fresh and index.scoring is not None and index.scoring.cold_build(index):
        fresh = True  # a large catalog without findings, indexed and scored in one set of workers: read it back
    partial = bool(ids) and fresh and set(ids or ()) <= index.entry_ids()
    catalog = catalog_from_index(index, ids if partial else None) if fresh else None
    if catalog is None:
        from ..index import index_rows

        catalog = load_catalog(root, duplicates=False, prepare=index_rows)  # the index rows made where parsed
        fresh = False
    return catalog, index, fresh


def _findings_by_entry(catalog: Catalog) -> dict[str, list[Finding]]:
    """Validation errors grouped by the entry id they belong to (the file stem when the id is unreadable)."""
    grouped: dict[str, list[Finding]] = {}
    for finding in catalog.errors:
        grouped.setdefault(finding.entry or Path(finding.file).stem, []).append(finding)
    return grouped


def _report_invalid(invalid: dict[str, list[Finding]]) -> None:
    width = wrap_width(stderr=True)
    for entry_id, findings in sorted(invalid.items()):
        click.echo(f"{entry_id}: not scored, the entry fails validation:", err=True)
        for finding in findings:
            click.echo(render_finding(finding, width, indent="  "), err=True)


def _stored_summaries(index: RegistryIndex, wanted: list[str] | None) -> list[dict]:
    """Summary rows straight from the index's score table (no JSON parsing)."""
    from scorers import load_rubric

    totals = {kind: load_rubric(kind).total for kind in ("dataset", "model")}
    rows = [{**r, "max_points": totals[r["kind"]]} for r in index.score_summaries()]
    if wanted is None:
        return rows
    by_id = {r["id"]: r for r in rows}
    return [by_id[i] for i in wanted if i in by_id]


def _refresh_scores(
    app: AppContext, catalog: Catalog, index: RegistryIndex, fresh: bool, wanted: list[str] | None = None
) -> None:
    """Bring the stored scores up to date (scoring on every core for a large catalog); read them from the index.

    The same refresh runs whenever any command opens the index (``RegistryIndex.ensure``), so `show`, `list`,
    `stats` and the index the site reads never show an older score than this command."""
    from scorers.current import mark_current, refresh_stored_scores

    if not fresh:
        index.rebuild(catalog)  # the entries changed: the rebuild scores every entry and stores the scores
        mark_current(index)
        return
    refresh_stored_scores(index, catalog, wanted)


def _ordered(catalog: Catalog, wanted: list[str] | None) -> list[str]:
    return wanted if wanted is not None else [*sorted(catalog.datasets), *sorted(catalog.models)]


def _parse_rubric_option(value: str | None) -> dict[str, str]:
    """``dataset-v1`` -> {"dataset": "v1"}; ``v1`` -> both kinds; None -> {} (the default rubrics)."""
    import re

    from scorers.rubric import available_versions

    from ..errors import UsageError

    if not value:
        return {}
    match = re.fullmatch(r"(?:(dataset|model)-)?(v[1-9][0-9]*)", value.strip())
    if not match:
        raise click.BadParameter(
            f"{value!r}: give a rubric id such as dataset-v1, model-v1 or v1", param_hint="--rubric"
        )
    kinds = [match.group(1)] if match.group(1) else ["dataset", "model"]
    chosen = {kind: match.group(2) for kind in kinds}
    for kind, version in chosen.items():
        if version not in available_versions(kind):
            raise UsageError(
                f"no {kind} rubric version {version!r}", hint="available: " + ", ".join(available_versions(kind))
            )
    return chosen


def _with_rubrics(catalog: Catalog, wanted: list[str] | None, versions: dict[str, str]) -> list[dict]:
    """Full scores under the chosen rubric versions (not stored: the index holds the default rubric's scores)."""
    from scorers import Scorer, load_rubric

    rubrics = {kind: load_rubric(kind, version) for kind, version in versions.items()}
    scorer = Scorer(catalog, rubrics=rubrics)
    out = []
    for entry_id in _ordered(catalog, wanted):
        entry = catalog.datasets.get(entry_id) or catalog.models.get(entry_id)
        kind = "dataset" if entry_id in catalog.datasets else "model"
        if entry is not None and kind in rubrics:
            out.append(scorer.score(entry).to_dict())
    return out


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--explain", is_flag=True, help="Show every criterion, the gates and caps, and next_tier.")
@click.option(
    "--rubric",
    "rubric_id",
    default=None,
    help="Score with this rubric version instead of the newest (e.g. dataset-v1, model-v1, or v1 for both kinds). "
    "Such scores are shown, not stored.",
)
@click.option(
    "--local",
    is_flag=True,
    help="Also count data checks on local data that no checksum verified (--from-file, --skip-verify): what the "
    "local data would add, labelled as such, never stored or published.",
)
@format_option("markdown")
@pass_app
def score(app: AppContext, ids: tuple[str, ...], explain: bool, rubric_id: str | None, local: bool, fmt: str) -> None:
    """Score entries (all, or IDS): tier, points, verification level and the gate or cap that limits the tier.

    Scores are stored in the index, with a fingerprint of what they depend on (entries, rubrics, evidence files):
    when nothing changed, the stored scores are shown without recomputing them. An entry that fails validation is
    not scored; it is reported with its errors and the command exits 1. Scoring the whole catalog ends with the tier
    distribution of datasets and models, of the datasets mapped from the reference paper's 72
    (coverage/paper-72-map.csv), and the number of entries whose tier a gate limits.
    """
    versions = _parse_rubric_option(rubric_id)
    if local:
        _score_local(app, list(dict.fromkeys(ids)), explain, fmt)
        return
    tried_cold = False
    if not versions and not explain:
        from ..index import RegistryIndex

        index = RegistryIndex(app.root, scoring=scoring())
        fresh = index.is_fresh()  # one look at the entry files' stats serves both shortcuts
        if not fresh and index.read_only:  # a shared, read-only index: say so before any scoring work
            index.refuse_rebuild()
        if _show_current(app, index, fresh, list(dict.fromkeys(ids)), fmt):
            return
        tried_cold = not fresh
        if tried_cold and _score_cold(app, index, list(dict.fromkeys(ids)), fmt):
            return
    from scorers import score_catalog
    from scorers.engine import gc_paused
    from scorers.report import summary_row

    with gc_paused():
        catalog, index, fresh = _load(app, list(dict.fromkeys(ids)), cold=not versions and not tried_cold)
        errors = _findings_by_entry(catalog)
        known = set(catalog.datasets) | set(catalog.models)
        requested = list(dict.fromkeys(ids))
        _check_requested(app, requested, known | set(errors))
        invalid = {i: errors[i] for i in requested if i in errors} if requested else errors
        wanted = [i for i in requested if i in known and i not in errors] if requested else None
        if wanted is None and errors:
            wanted = [i for i in _ordered(catalog, None) if i not in errors]
        order = _ordered(catalog, wanted)
        full: list[dict] | None = None
        summaries: list[dict] | None = None
        if versions:
            full = _with_rubrics(catalog, wanted, versions)
        elif catalog.errors:
            scores = score_catalog(catalog, ids=wanted)
            full = [scores[i].to_dict() for i in order]
            console(stderr=True).print(
                f"scores not stored in the index: the catalog has {len(catalog.errors)} validation error(s)"
            )
        else:
            _refresh_scores(app, catalog, index, fresh, wanted)
            if explain:
                # every wanted entry was just stored; one removed meanwhile (another usreg) is left out
                full = [score for i in order if (score := index.score(i, catalog)) is not None]
            else:
                summaries = _stored_summaries(index, wanted)
        if summaries is None:
            summaries = [summary_row(d) for d in full or []]
        _emit_scores(summaries, full, explain, fmt)
        if not requested and not explain and fmt in ("markdown", "table"):
            _emit_distribution(app, summaries, versions, fmt)
    if invalid:
        _report_invalid(invalid)
        raise SystemExit(1)


def _check_requested(app: AppContext, requested: list[str], known: set[str]) -> None:
    for entry_id in requested:
        if entry_id not in known:
            close = difflib.get_close_matches(entry_id, sorted(known), n=3)
            raise UsregError(
                f"no entry {entry_id!r} in {app.root / 'entries'}",
                hint=f"did you mean {', '.join(close)}?" if close else "see `usreg list`",
            )


def _score_cold(app: AppContext, index: RegistryIndex, requested: list[str], fmt: str) -> bool:
    """A large catalog whose index is not fresh, parsed, indexed and scored in one set of workers
    (``scorers.cold``); False when the catalog must be loaded the usual way."""
    if not index.scoring or not index.scoring.cold_build(index):
        return False
    _check_requested(app, requested, index.entry_ids())
    summaries = _stored_summaries(index, requested or None)
    _emit_scores(summaries, None, False, fmt)
    if not requested and fmt in ("markdown", "table"):
        _emit_distribution(app, summaries, {}, fmt)
    return True


def _show_current(app: AppContext, index: RegistryIndex, fresh: bool, requested: list[str], fmt: str) -> bool:
    """The summaries straight from a fresh index whose stored scores match their inputs, without reading the
    entries back (the common case: nothing changed since the last score). False when anything must be redone."""
    from scorers.current import scoring_fingerprint, stored_fingerprint

    if not fresh or index.skipped_files():
        return False  # changed entries, or invalid ones that must be reported: the full path handles both
    if stored_fingerprint(index) != scoring_fingerprint(index):
        return False
    known, scored = index.entry_ids(), index.scored_ids()
    if known != scored or any(i not in known for i in requested):
        return False  # an unknown id gets its did-you-mean from the full path
    summaries = _stored_summaries(index, requested or None)
    _emit_scores(summaries, None, False, fmt)
    if not requested and fmt in ("markdown", "table"):
        _emit_distribution(app, summaries, {}, fmt)
    return True


def _emit_distribution(app: AppContext, summaries: list[dict], versions: dict[str, str], fmt: str) -> None:
    """The tier distribution of the scored entries, on the paper-72 mapping, and how many a gate limits."""
    from scorers import load_rubric
    from scorers.report import distribution, distribution_lines, read_paper_map

    gate_ids = {g.id for kind in ("dataset", "model") for g in load_rubric(kind, versions.get(kind)).gates}
    lines = distribution_lines(distribution(summaries, gate_ids, read_paper_map(app.root)))
    if fmt == "markdown":
        click.echo("\n" + "\n".join(f"- {line}" for line in lines))
        return
    width = wrap_width()
    for line in lines:
        click.echo(line if width is None else "\n".join(wrap_words(line, width, subsequent_indent="  ")))


def _emit_scores(summaries: list[dict], full: list[dict] | None, explain: bool, fmt: str) -> None:
    from scorers.report import (
        CRITERIA_COLUMNS,
        SUMMARY_COLUMNS,
        criteria_rows,
        explain_markdown,
        explain_rich,
        summary_markdown,
    )

    if explain:
        assert full is not None
        if fmt == "json":
            emit_json(full)
        elif fmt == "csv":
            emit_rows([r for d in full for r in criteria_rows(d)], CRITERIA_COLUMNS, "csv")
        elif fmt == "markdown":
            click.echo("\n".join(explain_markdown(d) for d in full), nl=False)
        else:
            out = console()
            for d in full:
                out.print(explain_rich(d))
    elif fmt == "json":
        emit_json(summaries)
    elif fmt == "markdown":
        click.echo(summary_markdown(summaries), nl=False)
    elif fmt == "csv":
        emit_rows(summaries, SUMMARY_COLUMNS, fmt)
    else:
        _emit_summary_table(summaries)


#: the table's short header for each summary column (JSON and CSV keep the long names)
_TABLE_HEADERS = {"verification": "level", "limited_by": "limited by"}


def _emit_summary_table(summaries: list[dict]) -> None:
    """One line per entry at the terminal's width: ids whole, the rubric named once in the title when every row
    shares it, the limiting gate clipped last."""
    from scorers.report import SUMMARY_COLUMNS

    rubrics = sorted({str(row.get("rubric")) for row in summaries if row.get("rubric")})
    columns = [c for c in SUMMARY_COLUMNS if not (c == "rubric" and len(rubrics) <= 2 and _one_per_kind(summaries))]
    title = f"{len(summaries)} scored" + (f" (rubrics {' and '.join(rubrics)})" if "rubric" not in columns else "")
    rows = [{_TABLE_HEADERS.get(c, c): row.get(c) for c in columns} for row in summaries]
    emit_fitted_table(
        rows,
        [_TABLE_HEADERS.get(c, c) for c in columns],
        {"id": -1, "kind": -1, "tier": -1, "points": -1, "level": -1, "limited by": 12, "rubric": 9},
        droppable=("rubric",),
        title=title,
        decimals={"points": 1},
    )


def _one_per_kind(summaries: list[dict]) -> bool:
    """Every dataset was scored with one rubric, and every model with one."""
    by_kind: dict[str, set[str]] = {}
    for row in summaries:
        by_kind.setdefault(str(row.get("kind")), set()).add(str(row.get("rubric")))
    return all(len(rubrics) == 1 for rubrics in by_kind.values())


@click.command()
@format_option("markdown")
@click.option(
    "--gaps",
    is_flag=True,
    help="Coverage by anatomy, task, species, country, licence and access, "
    "and the anatomy x task pairs with few public datasets.",
)
@click.option(
    "--few",
    type=click.IntRange(1, 1000),
    default=3,
    show_default=True,
    help="With --gaps: fewer public datasets than this is a gap.",
)
@pass_app
def stats(app: AppContext, fmt: str, gaps: bool, few: int) -> None:
    """Counts of datasets and models by tier, anatomy, task, species, country, year, licence and access."""
    from scorers.engine import gc_paused
    from scorers.report import gaps_markdown, stats_markdown
    from scorers.stats import catalog_stats, coverage_gaps, flatten_gaps, flatten_stats

    catalog, index, fresh = _load(app, cold=not gaps)
    if catalog.errors:
        from .context import report_skipped

        report_skipped(catalog)
        catalog = catalog.usable()
    if gaps:
        data = coverage_gaps(catalog, few=few)
        if fmt == "json":
            emit_json(data)
        elif fmt == "csv":
            emit_rows(list(flatten_gaps(data)), ["section", "facet", "value", "datasets", "open"], "csv")
        elif fmt == "markdown":
            click.echo(gaps_markdown(data), nl=False)
        else:
            _gaps_table(data)
        return
    with gc_paused():
        _refresh_scores(app, catalog, index, fresh)
    tiers = {row["id"]: row["tier"] for row in index.query() if row.get("tier")}
    data = catalog_stats(catalog, tiers)
    if fmt == "json":
        emit_json(data)
    elif fmt == "csv":
        emit_rows(list(flatten_stats(data)), ["facet", "value", "datasets", "models"], "csv")
    elif fmt == "markdown":
        click.echo(stats_markdown(data), nl=False)
    else:
        console().print(f"{data['datasets']} datasets ({data['collections']} collections), {data['models']} models")
        for facet, rows in data["facets"].items():
            emit_rows(rows, ["value", "datasets", "models"], "table", title=f"by {facet}")


def _gaps_table(data: dict) -> None:
    out = console()
    out.print(f"Coverage of {data['datasets']} public datasets (collections not counted)")
    for facet, rows in data["coverage"].items():
        emit_rows(rows, ["value", "datasets", "open"], "table", title=f"by {facet}")
    from scorers.report import thin_task_rows

    rows = thin_task_rows(data)
    emit_rows(
        rows,
        ["anatomy", "datasets", "open", "thin tasks"],
        "table",
        title=f"Gaps: anatomies and core tasks with fewer than {data['few']} public datasets",
    )
    if data["no_public_dataset"]:
        out.print("No public dataset: " + ", ".join(data["no_public_dataset"]), markup=False)
    for note in data["notes"]:
        out.print(note, markup=False)


COMMANDS = [score, stats]


def _score_local(app: AppContext, requested: list[str], explain: bool, fmt: str) -> None:
    """Scores that also count data checks on unverified local bytes; shown beside the published ones, never stored."""
    from scorers import score_catalog
    from scorers.providers import default_providers

    from ..paths import usreg_home

    catalog = app.valid_catalog()
    unknown = [i for i in requested if catalog.entry(i) is None]
    if unknown:
        raise UsregError(f"no entry {unknown[0]!r} in {app.root / 'entries'}", hint="see `usreg list`")
    providers = default_providers(catalog, usreg_home(), include_unverified=True)
    local = score_catalog(catalog, ids=requested or None, providers=providers)
    published = score_catalog(catalog, ids=requested or None)
    rows = [
        {
            "id": entry_id,
            "published_tier": published[entry_id].tier,
            "published_points": published[entry_id].points,
            "local_tier": score.tier,
            "local_points": score.points,
            "local_only": round(score.points - published[entry_id].points, 2),
        }
        for entry_id, score in local.items()
    ]
    if fmt == "json":
        emit_json({"local": True, "note": LOCAL_NOTE, "scores": rows})
        return
    console(stderr=True).print(LOCAL_NOTE, markup=False)
    emit_rows(rows, list(rows[0]) if rows else ["id"], "csv" if fmt == "csv" else "table", title="local scores")
    if explain:
        for entry_id, score in local.items():
            emit_json({"id": entry_id, "local": True, **score.to_dict()})


LOCAL_NOTE = (
    "local scores: data checks on unverified local bytes count here; they are never stored, published or used by "
    "the site (`usreg score` without --local shows the published score)"
)
