"""Contributor commands: `new`, `import`, `check-links` and `diff`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import UsregError
from .context import AppContext, pass_app
from .output import console, emit_json, emit_rows

ANATOMY_HELP = "e.g. breast, thyroid, fetal-head, heart (see schemas/dataset.schema.json)"


def _write_new(app: AppContext, kind: str, entry_id: str, text: str, force: bool = False) -> Path:
    from ..atomicfile import replace_with
    from ..catalog import load_catalog
    from ..home import check_id

    folder = app.root / "entries" / f"{kind}s"
    check_id(entry_id)  # --id names the file: a path or a stray newline in it must not leave entries/
    path = folder / f"{entry_id}.yaml"
    if path.exists() and not force:
        raise UsregError(f"{path.relative_to(app.root)} already exists", hint="choose another id, or edit that file")
    folder.mkdir(parents=True, exist_ok=True)
    replace_with(path, text.encode("utf-8"))
    catalog = load_catalog(app.root, [path])
    out = console(stderr=True)
    out.print(f"wrote {path.relative_to(app.root)}")
    if catalog.errors:
        out.print(f"{len(catalog.errors)} field(s) still to fill before it validates:")
        for finding in catalog.errors:
            out.print(f"  {finding.render()}", markup=False)
    else:
        out.print("it validates; add evidence URLs for every fact, then open a pull request")
    return path


@click.command("new")
@click.argument("kind", type=click.Choice(["dataset", "model"]))
@click.argument("entry_id")
@click.option("--name", help="The dataset's or model's name.")
@click.option("--anatomy", multiple=True, help=ANATOMY_HELP)
@click.option("--task", "tasks", multiple=True, help="e.g. segmentation, classification, detection")
@click.option("--license", "licence", help="SPDX id, e.g. CC-BY-4.0")
@click.option("--access", type=click.Choice(["open", "registration", "request", "challenge"]))
@click.option("--homepage", help="Landing page URL.")
@click.option("--interactive/--no-interactive", default=None, help="Ask questions (default: when run in a terminal).")
@pass_app
def new(app: AppContext, kind, entry_id, name, anatomy, tasks, licence, access, homepage, interactive) -> None:
    """Write a skeleton entry with every field, hints, and an empty evidence list."""
    import re

    from ..contrib.skeleton import skeleton
    from ..schema.types import ENTRY_ID_PATTERN

    if not re.fullmatch(ENTRY_ID_PATTERN, entry_id) or len(entry_id) > 64:  # match's '$' lets a final newline in
        raise UsregError(
            f"{entry_id!r} is not a valid id",
            hint="use kebab-case, at most 64 characters: lowercase letters, digits, hyphens",
        )
    if interactive is None:
        interactive = sys.stdin.isatty()
    if interactive:
        name = name or click.prompt("Name", default=entry_id)
        if not anatomy:
            anatomy = tuple(a.strip() for a in click.prompt(f"Anatomy ({ANATOMY_HELP})", default="").split(",") if a)
        if not tasks:
            tasks = tuple(t.strip() for t in click.prompt("Tasks (comma-separated)", default="").split(",") if t)
        licence = licence or click.prompt("Licence (SPDX id, empty if unknown)", default="", show_default=False) or None
        if kind == "dataset" and not access:
            access = (
                click.prompt(
                    "Access",
                    type=click.Choice(["open", "registration", "request", "challenge", ""]),
                    default="",
                    show_default=False,
                )
                or None
            )
        homepage = homepage or click.prompt("Homepage URL (empty if none)", default="", show_default=False) or None
    values: dict = {}
    if name:
        values["name"] = name
    if anatomy:
        values["anatomy"] = list(anatomy)
    if tasks:
        values["tasks"] = list(tasks)
    if licence:
        values["license" if kind == "dataset" else "weights_license"] = licence
    if access and kind == "dataset":
        values["access"] = access
    if homepage:
        values["links"] = {"homepage": homepage}
    _write_new(app, kind, entry_id, skeleton(kind, entry_id, values))


@click.command("import")
@click.argument("ref")
@click.option("--kind", type=click.Choice(["dataset", "model"]), default="dataset", show_default=True)
@click.option("--id", "entry_id", help="Entry id (default: from the title).")
@click.option("--dry-run", is_flag=True, help="Print the draft instead of writing it.")
@pass_app
def import_entry(app: AppContext, ref: str, kind: str, entry_id: str | None, dry_run: bool) -> None:
    """Draft an entry from a DOI or a Zenodo, figshare, Mendeley Data or GitHub URL."""
    from ..contrib.importer import Importer, slugify
    from ..contrib.skeleton import skeleton

    draft = Importer().draft(ref, kind)
    values = draft.as_values()
    entry_id = entry_id or slugify(values.get("name") or ref)
    text = skeleton(kind, entry_id, values)
    if dry_run:
        click.echo(text, nl=False)
        return
    _write_new(app, kind, entry_id, text)


@click.command("check-links")
@click.argument("ids", nargs=-1)
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per request.")
@click.option("--per-host", type=int, default=2, show_default=True, help="Concurrent requests per host.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@pass_app
def check_links(app: AppContext, ids: tuple[str, ...], timeout: float, per_host: int, fmt: str) -> None:
    """Check every URL of the entries (or of IDS) and write verification/<id>.json."""
    from ..contrib.links import check_entries

    catalog = app.valid_catalog()
    entries = [catalog.entry(i) for i in ids] if ids else [*catalog.datasets.values(), *catalog.models.values()]
    missing = [i for i, e in zip(ids, entries, strict=False) if e is None]
    if missing:
        raise UsregError(f"no entry {', '.join(map(repr, missing))}", hint="see `usreg list`")
    results = check_entries(entries, app.root, timeout=timeout, per_host=per_host)
    rows = [{"id": entry_id, **vars(r)} for entry_id, items in results.items() for r in items]
    emit_rows(rows, ["id", "status", "http_status", "url", "location", "detail"], fmt)
    broken = [r for r in rows if r["status"] in {"dead", "error"}]
    if fmt == "table":
        console(stderr=True).print(
            f"{len(rows)} links checked, {len(broken)} dead or failing; evidence written to verification/"
        )
    if broken:
        raise SystemExit(1)


@click.command("diff")
@click.argument("base_ref")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True)
@pass_app
def diff(app: AppContext, base_ref: str, fmt: str) -> None:
    """Entries changed since BASE_REF: validation, tier before and after, new warnings, possible duplicates."""
    from ..contrib.diff import diff_report, render_markdown

    report = diff_report(app.root, base_ref, score=_score_all)
    if fmt == "markdown":
        click.echo(render_markdown(report, base_ref), nl=False)
    elif fmt == "json":
        emit_json([item.as_dict() for item in report])
    else:
        rows = [{**item.as_dict(), "valid": not item.errors, "warnings": len(item.warnings)} for item in report]
        emit_rows(
            rows,
            ["id", "kind", "change", "valid", "tier_change", "warnings"],
            "table",
            title=f"{len(report)} changed entries since {base_ref}",
        )
        for item in report:
            for line in item.errors:
                click.echo(line, err=True)
    if any(item.errors for item in report):
        raise SystemExit(1)


COMMANDS = [new, import_entry, check_links, diff]


def _score_all(catalog) -> dict:
    """Every entry's score by id (the scorers judge; `usreg diff` compares before and after)."""
    from scorers import score_catalog

    return {k: v.to_dict() for k, v in score_catalog(catalog).items()}
