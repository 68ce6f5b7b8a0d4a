"""`usreg validate` and `usreg schema`."""

from __future__ import annotations

from pathlib import Path

import click

from ..schema_export import stale_schemas, write_schemas
from .context import AppContext, pass_app
from .output import console, emit_json, render_finding, wrap_width


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="github: workflow annotations for a pull-request check.",
)
@click.option("--strict", is_flag=True, help="Treat warnings (possible duplicates, unbacked facts) as errors.")
@click.option(
    "--evidence", "check_evidence", is_flag=True, help="Also warn about stated facts that no evidence item backs."
)
@pass_app
def validate(app: AppContext, paths: tuple[Path, ...], fmt: str, strict: bool, check_evidence: bool) -> None:
    """Validate all entries, or only PATHS (files or directories)."""
    only = _expand(paths) if paths else None
    catalog = app.catalog(only, plugins=True)
    if check_evidence:
        from ..evidence_check import evidence_findings

        catalog.warnings.extend(evidence_findings(catalog, {p.resolve() for p in only} if only else None))
    findings = catalog.errors + catalog.warnings
    if fmt == "json":
        emit_json(
            {
                "ok": catalog.ok,
                "errors": [f.as_dict() for f in catalog.errors],
                "warnings": [f.as_dict() for f in catalog.warnings],
            }
        )
    elif fmt == "github":
        for f in findings:
            click.echo(f.github())
    else:
        widths = {True: wrap_width(stderr=True), False: wrap_width()}
        for f in findings:
            to_stderr = f.severity == "error"
            click.echo(render_finding(f, widths[to_stderr]), err=to_stderr)
        checked = len(only) if only is not None else len(catalog.files) + len({f.file for f in catalog.errors})
        if catalog.ok:
            console(stderr=True).print(
                f"[green]ok[/green]: {checked} entr{'y' if checked == 1 else 'ies'} valid "
                f"({len(catalog.datasets)} datasets, {len(catalog.models)} models in the catalog), "
                f"{len(catalog.warnings)} warning(s)"
            )
        else:
            console(stderr=True).print(f"[red]{len(catalog.errors)} error(s)[/red], {len(catalog.warnings)} warning(s)")
    if catalog.errors or (strict and catalog.warnings):
        raise SystemExit(1)


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if not p.exists():  # else it was reported as "not an entry file", which reads as a wrong kind of file
            from ..errors import UsageError
            from ..wrapping import visible

            raise UsageError(
                f"{visible(p)} does not exist",
                hint="give entry files or folders (e.g. entries/datasets/<id>.yaml), or no PATHS to validate every "
                "entry",
            )
        if p.is_dir():
            files.extend(sorted(p.rglob("*.yaml")))
        else:
            files.append(p)
    return files


@click.command()
@click.option("--write", is_flag=True, help="Regenerate schemas/*.schema.json from the pydantic models.")
@click.option("--check", is_flag=True, help="Exit 1 if the schema files are out of date.")
@pass_app
def schema(app: AppContext, write: bool, check: bool) -> None:
    """Generate or check the published JSON Schemas."""
    root = app.root
    if write:
        written = write_schemas(root)
        click.echo("\n".join(f"wrote {p.relative_to(root)}" for p in written) or "schemas are up to date")
        return
    stale = stale_schemas(root)
    if stale:
        click.echo(f"out of date: {', '.join(stale)}; run `usreg schema --write`", err=True)
        raise SystemExit(1)
    click.echo("schemas are up to date")


COMMANDS = [validate, schema]
