"""``usreg fetch`` and ``usreg cache``: thin wrappers around ``registry.fetch``."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from ..errors import EXIT_ENVIRONMENT, EXIT_FINDINGS, NoSuchEntry, UsageError, UsregError
from ..home import ID_RE
from ..paths import usreg_home
from ..schema.vocab import EntryKind
from .context import AppContext, pass_app
from .output import console, emit_json, emit_rows, print_text

_ID = ID_RE


def _human(n: int | None) -> str:
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def _lookup(app: AppContext, entry_id: str):
    """The entry to fetch: its own file, read and validated alone when it is the only file of that name (fetching
    one dataset need not parse the catalog); otherwise the whole catalog, which reports what is wrong."""
    from ..catalog import entry_file, parse_entry

    found = entry_file(app.root, entry_id)
    if found is not None:
        parsed = parse_entry(*found, app.root)
        if parsed.entry is not None and parsed.entry.id == entry_id:
            return parsed.entry
    catalog = app.catalog(duplicates=False)  # fetch shows no warnings: no possible-duplicate search
    entry = catalog.entry(entry_id)
    if entry is not None:
        return entry
    if entry_id in catalog.files or any(f.entry == entry_id for f in catalog.errors):
        raise UsregError(
            f"the entry {entry_id!r} has validation errors, so it cannot be fetched",
            hint=f"run `usreg validate` and fix {entry_id}",
        )
    known = sorted([*catalog.datasets, *catalog.models])
    close = difflib.get_close_matches(entry_id, known, n=3)
    raise NoSuchEntry(
        f"no entry named {entry_id!r} in {catalog.root}",
        hint=f"did you mean {', '.join(close)}?" if close else "run `usreg list` to see the ids",
    )


@click.command("fetch")
@click.argument("ids", nargs=-1, required=True, metavar="ID [ID...]")
@click.option("--version", "version", help="Dataset version to fetch (default: the entry's).")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    help="Build the source tree in DIR/<id> instead of the cache (downloads stay cached).",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(1, 64), default=4, show_default=True, help="Files downloaded in parallel."
)
@click.option(
    "--mirror",
    envvar="USREG_MIRROR",
    metavar="URL",
    help="Try URL/<id>/<file-name> before each host (also USREG_MIRROR).",
)
@click.option(
    "--from-file",
    "from_files",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="PATH",
    help="Ingest files (or a folder) downloaded by hand; repeat for several.",
)
@click.option("--skip-verify", is_flag=True, help="Do not check checksums; record the files as unverified.")
@click.option("--dry-run", is_flag=True, help="Show what would be downloaded, from where, and how large.")
@click.option(
    "--keep-going",
    is_flag=True,
    help="Accept a partial conversion (a failed data check, unused source files): exit 0, recorded as partial.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Collections: convert members on the local process pool or as Ray tasks.",
)
@click.option("--ray-address", metavar="ADDR", help="Collections with --executor ray: an existing cluster's address.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: progress bars and a summary; json: JSON lines of progress and a final result.",
)
@pass_app
def fetch(
    app: AppContext,
    ids: tuple[str, ...],
    version: str | None,
    dest: Path | None,
    jobs: int,
    mirror: str | None,
    from_files: tuple[Path, ...],
    skip_verify: bool,
    dry_run: bool,
    fmt: str,
    keep_going: bool = False,
    executor: str = "local",
    ray_address: str | None = None,
) -> None:
    """Download datasets from their hosts, verify, unpack safely and convert them.

    Files land in $USREG_HOME/downloads/<id>/<version>/, the unpacked tree in sources/<id>/<version>/. An
    interrupted fetch resumes when run again. Sources that need a person (registration, challenges, TCIA) print
    where to go; then pass what you downloaded with --from-file.
    """
    from ..fetch import JsonReporter, RichReporter
    from ..pipeline import fetch_and_convert

    entry_ids = list(dict.fromkeys(ids))  # an id given twice (or 10,000 times) is fetched and planned once
    files = list(from_files)
    if files:  # `--from-file a.zip b.zip`: the shell hands b.zip over as an ID
        extra = [i for i in entry_ids[1:] if not _ID.match(i) and Path(i).exists()]
        entry_ids = [i for i in entry_ids if i not in extra]
        files += [Path(i) for i in extra]
        if len(entry_ids) != 1:
            raise UsageError("--from-file goes with exactly one dataset id", hint="usreg fetch ID --from-file PATH")
    dest_for = {i: (dest / i if dest else None) for i in entry_ids}
    entries = [_lookup(app, i) for i in entry_ids]
    failures: list[tuple[str, UsregError]] = []
    results = []
    for entry in entries:
        if getattr(entry, "kind", None) == EntryKind.collection and not dry_run:
            error = _fetch_collection(app, entry, files, executor, ray_address, fmt, keep_going)
            if error is not None:
                failures.append((entry.id, error))
            continue
        reporter = JsonReporter() if fmt == "json" else (None if dry_run else RichReporter(console(stderr=True)))
        try:
            result = fetch_and_convert(
                entry,
                version=version,
                dest=dest_for[entry.id],
                jobs=jobs,
                mirror=mirror,
                from_files=files or None,
                skip_verify=skip_verify,
                dry_run=dry_run,
                reporter=reporter,
            )
        except UsregError as exc:
            if reporter:
                reporter.close()
            if exc.exit_code not in (EXIT_FINDINGS, EXIT_ENVIRONMENT):  # Ctrl-C (130): stop here, resume later
                raise
            if isinstance(reporter, JsonReporter):  # the reporter of --format json
                reporter.result({"dataset": entry.id, "ok": False, "error": exc.message, "hint": exc.hint})
            if len(entries) == 1:
                raise
            print_text(f"error: {entry.id}: {exc.message}", stderr=True)
            failures.append((entry.id, exc))
            continue
        if reporter:
            reporter.close()
        partial = _honest(result, keep_going)
        if partial is not None:
            failures.append((entry.id, partial))
        results.append(result)
        if isinstance(reporter, JsonReporter):  # the reporter of --format json
            reporter.result({"ok": partial is None, **result.as_dict()})
        else:
            _print_result(result)
    if len(failures) == 1 and len(entries) == 1:
        raise failures[0][1]
    if failures:
        from ..fetch.errors import common_exit_code  # deferred: the fetch package imports the HTTP stack

        error = UsregError(
            f"{len(failures)} of {len(entries)} fetches failed: {', '.join(i for i, _ in failures)}",
            hint="see the errors above",
        )
        error.exit_code = common_exit_code([e for _, e in failures]) or EXIT_FINDINGS
        raise error


def _fetch_collection(app, entry, files, executor, address, fmt: str, keep_going: bool) -> UsregError | None:
    """Every member of a collection: fetched (or found in the --from-file folder) and converted, then merged."""
    from ..collections import fetch_collection

    if len(files) > 1:
        raise UsageError(
            f"{entry.id} is a collection: give one folder holding the members' downloads",
            hint=f"usreg fetch {entry.id} --from-file DIR (DIR/<member-id>/... per member)",
        )
    err = console(stderr=True)
    result = fetch_collection(
        entry,
        app.catalog(),
        usreg_home(),
        folder=files[0] if files else None,
        executor=executor,
        address=address,
        on_done=(lambda m: err.print(f"{m.member}: {m.state}", markup=False, highlight=False))
        if fmt != "json"
        else None,
    )
    bad = [m for m in result.members if m.state == "failed" or (m.state == "partial" and not keep_going)]
    if fmt == "json":
        emit_json({"ok": not bad, **result.as_dict()})
    else:
        rows = [
            {
                "member": m.member,
                "state": m.state,
                "samples": m.samples or "",
                "note": m.note(),
            }
            for m in result.members
        ]
        emit_rows(rows, ["member", "state", "samples", "note"], "table", title=f"{entry.id}: members")
        out = console()
        for m in result.members:
            if m.state == "manual":
                print_text(f"{m.member}:\n{m.step}")
        counts = ", ".join(f"{v} {k}" for k, v in result.counts().items())
        out.print(f"{entry.id}: {counts}", markup=False, highlight=False)
        for name, path in result.merged.items():
            out.print(f"merged COCO {name}: {path}", markup=False, highlight=False)
        out.print(f"summary: {result.summary_path}", markup=False, highlight=False)
    if bad:
        return UsregError(
            f"{entry.id}: {len(bad)} member(s) failed or are partial: {', '.join(m.member for m in bad)}",
            hint="the table above says why; --keep-going accepts partial members",
        )
    return None


def _honest(result, keep_going: bool) -> UsregError | None:
    """Say "ready" only when every data check passed and no source file was dropped; else the reasons (exit 1)."""
    if result.dry_run or not getattr(result, "converted_dir", None):
        return None
    from ..loaders.pipeline import conversion_outcome, partial_error

    status = conversion_outcome(result.converted_dir)
    if status["state"] == "complete":
        return None
    reasons = "; ".join(status["reasons"])
    if keep_going:
        result.message = (
            f"{result.dataset_id} is partial (accepted with --keep-going) in {result.converted_dir}: {reasons}"
        )
        return None
    result.message = f"{result.dataset_id} converted to {result.converted_dir}, but is not complete: {reasons}"
    return partial_error(result.dataset_id, status)


#: more file rows than this are shown a folder to a row (an unpacked copy given with --from-file holds thousands)
FILE_ROWS = 30


def _file_groups(files: list) -> list[tuple[str, list]]:
    """(what a table row names, its files): one row per file when there are few; else one per folder, from the
    deepest level that keeps the table at most ``FILE_ROWS`` rows (the top-level folders when none does)."""
    if len(files) <= FILE_ROWS:
        return [(f.name, [f]) for f in files]
    depth = max(f.name.count("/") for f in files)
    for level in range(depth, 0, -1):
        groups: dict[str, list] = {}
        for f in files:
            parts = f.name.split("/")
            key = "/".join(parts[:level]) + "/" if len(parts) > level else f.name
            groups.setdefault(key, []).append(f)
        if len(groups) <= FILE_ROWS or level == 1:
            return [(k if len(v) == 1 and k == v[0].name else f"{k} ({len(v):,} files)", v) for k, v in groups.items()]
    return [(f.name, [f]) for f in files]


def _joined(values) -> str:
    return ", ".join(dict.fromkeys(str(v) for v in values if v not in (None, "")))


def _total(values) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if len(known) == len(list(values)) else None


def _print_result(result) -> None:
    groups = _file_groups(list(result.files))
    if result.dry_run:
        rows = [
            {
                "file": name,
                "host": _joined(f.host for f in fs),
                "size": _human(_total([f.size for f in fs])),
                "status": _joined(f.status for f in fs),
                "from": fs[0].url or "" if len(fs) == 1 else "",
            }
            for name, fs in groups
        ]
        if rows:
            emit_rows(
                rows,
                ["file", "host", "size", "status", "from"],
                "table",
                title=f"{result.dataset_id} {result.version}",
                spill="from",
            )
    else:
        rows = [
            {
                "file": name,
                "size": _human(_total([f.size for f in fs])),
                "status": _joined(f.status for f in fs),
                "trust": _joined(f.trust for f in fs),
                "transferred": _human(_total([f.bytes_transferred for f in fs])),
            }
            for name, fs in groups
        ]
        if rows:
            emit_rows(
                rows,
                ["file", "size", "status", "trust", "transferred"],
                "table",
                title=f"{result.dataset_id} {result.version}",
            )
    if result.dry_run and result.manual:
        from ..fetch.hosts.manual import render

        print_text(render(result.dataset_id, result.manual))
    unverified = [f.name for f in result.files if f.trust == "unverified"]
    if unverified:
        print_text(f"warning: {len(unverified):,} file(s) recorded as unverified")
    first_use = [f.name for f in result.files if f.trust == "tofu"]
    if first_use:
        print_text(
            f"note: {len(first_use):,} file(s) have no checksum from their host or the entry (recorded on first use); "
            "data checks on them are shown but never raise the published score"
        )
    print_text(result.message)
    converted = conversion_summary(getattr(result, "converted_dir", None))
    if converted:
        print_text(converted)


def conversion_summary(converted_dir: Path | None) -> str | None:
    """What a conversion made, from its metadata.json: "converted: 780 samples of 600 subjects in 3 splits
    (train 546, val 78, test 156; seeded split)"; None when there is no readable record."""
    import json

    if converted_dir is None:
        return None
    try:
        metadata = json.loads((Path(converted_dir) / "metadata.json").read_text(encoding="utf-8"))
        counts = metadata.get("counts") or {}
        splits = metadata.get("splits") or {}
        samples = int(counts["samples"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    text = f"converted: {samples} sample{'s' if samples != 1 else ''}"
    subjects = counts.get("subjects")
    if isinstance(subjects, int) and subjects:
        text += f" of {subjects} subject{'s' if subjects != 1 else ''}"
    by_split = {str(k): v for k, v in (splits.get("counts") or {}).items() if isinstance(v, int)}
    if by_split:
        parts = ", ".join(f"{name} {n}" for name, n in by_split.items())
        kind = f"; {splits['kind']} split" if splits.get("kind") else ""
        text += f" in {len(by_split)} split{'s' if len(by_split) != 1 else ''} ({parts}{kind})"
    skipped = counts.get("skipped")
    if isinstance(skipped, int) and skipped:
        text += f"; {skipped} skipped"
    return text


@click.group("cache")
def cache() -> None:
    """Inspect and clean the download cache ($USREG_HOME)."""


@cache.command("list")
@click.argument("entry_id", required=False, metavar="[ID]")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def cache_list(entry_id: str | None, fmt: str) -> None:
    """List cached datasets with the size of their downloads, source trees and converted data."""
    from ..fetch.cache import list_cached
    from ..home import check_id

    if entry_id:
        check_id(entry_id)
    rows = list_cached(usreg_home(), entry_id)
    if fmt == "table":
        rows = [{**r, **{k: _human(r[k]) for k in ("downloads", "sources", "datasets", "total")}} for r in rows]
        if not rows:
            print_text(_nothing_cached(entry_id))
            return
    emit_rows(
        rows,
        ["id", "version", "downloads", "sources", "datasets", "total", "partial", "fetched", "converted"],
        fmt,
        title=f"cache: {usreg_home()}",
    )


@cache.command("size")
@click.argument("entry_id", required=False, metavar="[ID]")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def cache_size(entry_id: str | None, fmt: str) -> None:
    """Disk used by the cache, per area and in total (hard links counted once)."""
    from ..fetch.cache import cache_size as size_of
    from ..home import check_id

    if entry_id:
        check_id(entry_id)
    sizes = size_of(usreg_home(), entry_id)
    if fmt == "json":
        emit_json({"home": str(usreg_home()), **sizes})
        return
    rows = [
        {"area": k, "size": _human(sizes[k]), "bytes": sizes[k]} for k in ("downloads", "sources", "datasets", "total")
    ]
    emit_rows(rows, ["area", "size", "bytes"], "table", title=f"cache: {usreg_home()}")


@cache.command("clean")
@click.argument("entry_id", required=False, metavar="[ID]")
@click.option("--version", help="Only this version.")
@click.option(
    "--what",
    type=click.Choice(["all", "downloads", "sources", "datasets", "partial"]),
    default="all",
    show_default=True,
    help="partial: .part files, rejected downloads and stale temporary trees.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def cache_clean(entry_id: str | None, version: str | None, what: str, yes: bool, fmt: str) -> None:
    """Remove cached data of one dataset (or of all)."""
    from ..fetch.cache import clean, list_cached
    from ..home import check_id

    if entry_id:
        check_id(entry_id)
    scope = f"{entry_id}" + (f" {version}" if version else "") if entry_id else "every dataset"
    cached = [r for r in list_cached(usreg_home(), entry_id) if not version or r["version"] == version]
    if not cached and fmt != "json":  # nothing to remove: say so, rather than ask to remove it
        print_text(_nothing_cached(entry_id, version) + "; nothing was removed")
        return
    if not yes and cached:
        click.confirm(f"remove {what} cached data of {scope} from {usreg_home()}?", abort=True, err=True)
    report = clean(usreg_home(), entry_id, version, what)
    if fmt == "json":
        emit_json(report)
        return
    console().print(
        f"removed {len(report['removed'])} path(s), freed {_human(report['freed'])}", markup=False, highlight=False
    )
    if report["kept"]:
        from ..wrapping import visible

        shown = ", ".join(visible(path) for path in report["kept"][:3]) + (" ..." if len(report["kept"]) > 3 else "")
        console(stderr=True).print(
            f"left {len(report['kept'])} path(s) reached through a symbolic link in the cache: {shown}\n"
            "  hint: usreg never deletes through a link (its target may lie outside USREG_HOME); "
            "remove the link, or the files it points to, yourself",
            markup=False,
            highlight=False,
        )


def _nothing_cached(entry_id: str | None, version: str | None = None) -> str:
    """What the cache holds when it holds nothing of ``entry_id`` (``version``): it is empty, or it holds others."""
    from ..fetch.cache import list_cached

    home = usreg_home()
    held = sorted({r["id"] + (f" {r['version']}" if version else "") for r in list_cached(home, None)})
    if not entry_id or not held:
        return f"the cache at {home} is empty"
    shown = ", ".join(held[:8]) + (f" and {len(held) - 8} more" if len(held) > 8 else "")
    what = entry_id + (f" version {version}" if version else "")
    return f"nothing of {what} is cached at {home} (it holds {shown})"


COMMANDS = [fetch, cache]
