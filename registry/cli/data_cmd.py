"""`usreg convert` and `usreg check`: re-run a conversion from the cached download, and re-run the data checks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..checks.status import CheckStatus
from ..errors import UsageError, UsregError
from ..home import DOWNLOADS, SOURCES, downloads_dir, sources_dir
from ..paths import usreg_home
from .context import MAX_WORKERS, AppContext, pass_app
from .output import console, emit_json, emit_rows, format_option


def _entry(app: AppContext, dataset_id: str):
    catalog = app.catalog()
    entry = catalog.datasets.get(dataset_id)
    if entry is None:
        from rapidfuzz import process

        close = [m[0] for m in process.extract(dataset_id, list(catalog.datasets), limit=3, score_cutoff=60)]
        raise UsregError(
            f"no dataset entry '{dataset_id}' in {app.root / 'entries' / 'datasets'}",
            hint=(f"did you mean {', '.join(close)}? " if close else "") + "`usreg list` shows every dataset",
        )
    return entry


def _versions(home: Path, area: str, dataset_id: str) -> list[str]:
    base = home / area / dataset_id
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))


def resolve_version(home: Path, entry, version: str | None) -> str:
    """The version to convert: --version, else the only one downloaded, else the one `usreg fetch` would use."""
    if version:
        return version
    for area in (SOURCES, DOWNLOADS):
        found = _versions(home, area, entry.id)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise UsregError(
                f"several versions of '{entry.id}' are downloaded: {', '.join(found)}",
                hint=f"pick one with `usreg convert {entry.id} --version VERSION`",
            )
    from ..fetch import pick_version

    return pick_version(entry, None)


def resolve_source(home: Path, dataset_id: str, version: str) -> Path:
    """The source tree the fetch layer prepared (archives extracted), else the raw download folder."""
    for candidate in (sources_dir(home, dataset_id, version), downloads_dir(home, dataset_id, version)):
        if candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    raise UsregError(
        f"'{dataset_id}' version '{version}' is not downloaded (nothing in {sources_dir(home, dataset_id, version)})",
        hint=f"run `usreg fetch {dataset_id}` first, or give a folder: `usreg convert {dataset_id} --source DIR`",
    )


def _checked_source(source: Path, home: Path) -> Path:
    """``--source`` unless it is a folder no dataset release can be: the filesystem root, a folder that holds the
    usreg cache, or the cache or one of its top folders (downloads/, sources/, ...: every dataset at once). Walking
    those reads the whole disk or the cache the conversion writes into, and fails late on a folder it cannot read."""
    tree, cache = source.resolve(), home.resolve()
    if tree == Path(tree.anchor):
        what = "the filesystem root"
    elif tree in cache.parents:
        what = f"a folder that holds the usreg cache {home}"
    elif tree == cache or tree.parent == cache:
        what = f"the usreg cache {home} or one of its top folders"
    else:
        return source
    raise UsageError(
        f"--source {source} is {what}, not the files of one dataset",
        hint=f"give the folder of this dataset's release (the one that `usreg fetch` unpacks into "
        f"{sources_dir(home, '<id>', '<version>')})",
    )


@click.command()
@click.argument("dataset_id")
@click.option("--version", "version", default=None, help="Version label (default: the one downloaded).")
@click.option(
    "--source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Convert this folder instead of the cached download (archives already extracted).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, MAX_WORKERS),
    default=None,
    help=f"Worker processes (default: one per core; at most {MAX_WORKERS}).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format of the summary.",
)
@click.option(
    "--keep-going",
    is_flag=True,
    help="Accept a partial dataset (failed checks, unused source files): exit 0; metadata.json records it as partial.",
)
@pass_app
def convert(
    app: AppContext,
    dataset_id: str,
    version: str | None,
    source: Path | None,
    workers: int | None,
    fmt: str,
    keep_going: bool,
) -> None:
    """Convert a downloaded dataset to the common format (re-runs the conversion `usreg fetch` does).

    Exits 1 when a data check fails or source image files were not used, naming which; --keep-going accepts it.
    """
    from ..loaders import convert_entry

    entry = _entry(app, dataset_id)
    home = usreg_home()
    version = resolve_version(home, entry, version)
    source_dir = _checked_source(source, home) if source else resolve_source(home, dataset_id, version)
    err = console(stderr=True)
    if sys.stderr.isatty():
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("converting {task.description}"),
            BarColumn(),
            TextColumn("{task.completed} samples"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task(dataset_id, total=None)
            path = convert_entry(
                entry,
                source_dir,
                home,
                version,
                workers=workers,
                progress=lambda done, total: bar.update(task, completed=done),
            )
    else:
        path = convert_entry(entry, source_dir, home, version, workers=workers)
    _summary(path, fmt)
    from ..formats.writer import ConversionState
    from ..loaders.pipeline import conversion_outcome, partial_error

    status = conversion_outcome(path)
    if status["state"] == ConversionState.COMPLETE:
        if fmt != "json":
            console().print(f"{dataset_id} is ready in {path}", markup=False, highlight=False)
        return
    if not keep_going:
        raise partial_error(dataset_id, status)
    if fmt != "json":
        console().print(
            f"{dataset_id} is partial (accepted with --keep-going): " + "; ".join(status["reasons"]),
            markup=False,
            highlight=False,
        )


def _summary(path: Path, fmt: str) -> None:
    metadata = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    checks = json.loads((path / "checks.json").read_text(encoding="utf-8"))
    if fmt == "json":
        emit_json(
            {
                "path": str(path),
                "counts": metadata["counts"],
                "splits": metadata["splits"],
                "problem_counts": metadata["problem_counts"],
                "checks": {c["name"]: c["status"] for c in checks["checks"]},
                "status": metadata.get("status"),
                "source_files": metadata.get("source_files"),
            }
        )
        return
    out = console()
    out.print(f"converted {metadata['id']} {metadata['version']} -> {path}")
    splits = metadata["splits"]
    out.print(f"  {metadata['counts']['samples']} samples; {splits['kind']} split {splits['counts']}")
    if metadata["problem_counts"]:
        out.print("  problems in the source: " + ", ".join(f"{k} {v}" for k, v in metadata["problem_counts"].items()))
    files = metadata.get("source_files")
    if files:
        out.print(
            f"  source files: {files['used']} used, {files['dropped']} image file(s) not used"
            + (f" ({', '.join(f'{k} {v}' for k, v in files['dropped_by_reason'].items())})" if files["dropped"] else "")
            + f", {files['other_not_used']} other file(s) not read"
        )
        for d in files["dropped_files"][:5]:
            out.print(f"    not used: {d['file']}: {d['reason']}", markup=False, highlight=False)
    failing = [c for c in checks["checks"] if c["status"] in {CheckStatus.FAIL, CheckStatus.WARN}]
    for c in failing:
        out.print(f"  check {c['name']}: {c['status']}: {c.get('summary', '')}")
    out.print("  `usreg check " + metadata["id"] + "` shows every check")


@click.command()
@click.argument("dataset_id")
@click.option("--version", "version", default=None, help="Version label (default: the newest converted).")
@click.option(
    "--source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Source tree to scan for DICOM PHI (default: the one the conversion used, if still there).",
)
@format_option()
@pass_app
def check(app: AppContext, dataset_id: str, version: str | None, source: Path | None, fmt: str) -> None:
    """Run the data checks on a converted dataset, update its checks.json and print the findings (exit 1 on a fail)."""
    from ..checks import check_dataset_dir
    from ..formats.layout import CHECKS_NAME, read_checksums, resolve_dataset_dir, sha256_file, write_checksums

    path = resolve_dataset_dir(usreg_home(), dataset_id, version)
    doc = check_dataset_dir(path, source_dir=source)
    tmp = path / f".{CHECKS_NAME}.tmp"
    tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    tmp.replace(path / CHECKS_NAME)
    known = read_checksums(path)
    known[CHECKS_NAME] = sha256_file(path / CHECKS_NAME)
    write_checksums(path, known)
    if fmt == "json":
        emit_json(doc)
    else:
        rows = [{"check": c["name"], "status": c["status"], "summary": c.get("summary", "")} for c in doc["checks"]]
        emit_rows(rows, ["check", "status", "summary"], fmt, title=f"{dataset_id} {path.name}: data checks")
    failed = [c["name"] for c in doc["checks"] if c["status"] == CheckStatus.FAIL]
    if failed:
        raise UsregError(f"{len(failed)} check(s) failed: {', '.join(failed)}", hint=f"details in {path / CHECKS_NAME}")


COMMANDS = [convert, check]
