"""Run a converter over a source tree and write the common format atomically.

The converter yields ``Item``s in the main process; decoding, validation and PNG encoding run in a process pool
(one worker per core) on small batches, with a bounded number of batches in flight so memory stays flat whatever the
dataset size. Small datasets (fewer items than ``POOL_THRESHOLD``) are converted in-process, which is faster than
starting workers.
"""

from __future__ import annotations

import csv
import itertools
import multiprocessing as mp
import os
import re
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from .. import checks as data_checks
from ..errors import UsregError
from ..formats.writer import DatasetWriter
from ..home import check_version, downloads_dir
from .base import (
    CommonOptions,
    ConvertContext,
    Converter,
    Item,
    Problem,
    parse_options,
    registry,
    safe_id,
    text_name,
)
from .decode import BadData
from .patterns import IMAGE_EXTS, compile_pattern
from .splits import apply_tables, assign_splits
from .worker import ItemResult, process_batch

if TYPE_CHECKING:
    from ..schema import Dataset

TARGET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
POOL_THRESHOLD = 48
BATCH_SIZE = 8
INFLIGHT_PER_WORKER = 3

Progress = Callable[[int, int | None], None]


def get_converter(name: str) -> type[Converter]:
    converters = registry()
    if name not in converters:
        from rapidfuzz import process

        close = [m[0] for m in process.extract(name, list(converters), limit=3, score_cutoff=60)]
        raise UsregError(
            f"no converter is registered as '{name}'",
            hint=(f"did you mean {', '.join(close)}? " if close else "")
            + f"registered converters: {', '.join(sorted(converters))}",
        )
    return converters[name]


def convert_entry(
    entry: Dataset,
    source_dir: Path,
    home: Path,
    version: str,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Path:
    """Convert the downloaded source tree of ``entry`` into ``$USREG_HOME/datasets/<id>/<version>/``."""
    if entry.loader is None:
        raise UsregError(
            f"entry '{entry.id}' has no loader, so it cannot be converted",
            hint="add `loader: {name: <converter>, options: {...}}` to the entry; "
            "`python -c 'import registry.loaders as l; print(l.names())'` lists the converters",
        )
    check_version(version)
    converter_cls = get_converter(entry.loader.name)
    options = parse_options(converter_cls, entry.loader.options, where=f"{entry.id}: loader.options")
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise UsregError(
            f"{entry.id}: the source directory {source_dir} does not exist", hint=f"run `usreg fetch {entry.id}` first"
        )
    ctx = ConvertContext(source_dir, entry, options, entry.id)
    _report_empty(ctx, empty_archives(downloads_dir(Path(home), entry.id, version)))
    converter = converter_cls()
    writer = DatasetWriter(Path(home), entry.id, version)
    with writer:
        collected = Collected(writer.instance_store())
        items: Iterable[Item] = _planned(converter.items(ctx), entry.id, converter.name)
        if _uses_tables(options):
            items = apply_tables(list(items), ctx, options)
        usage = SourceUsage(ctx, getattr(options, "ignore", []))
        for result in _run(usage.track(_unique_ids(_inside(items, ctx), ctx)), writer.staging, workers, progress):
            collected.add(result)
        collected.store.close()
        problems = list(ctx.problems) + collected.problems
        source_files = usage.report(problems, {r["sample_id"] for r in collected.rows})
        if not collected.rows:
            raise UsregError(
                f"{entry.id}: no sample could be converted from {source_dir}"
                + (
                    f" ({len(problems)} problem(s); first: {problems[0].file}: {problems[0].message})"
                    if problems
                    else " (no files matched the layout this converter expects)"
                ),
                hint=f"check the download is {entry.id}'s release and not empty; "
                f"converter '{converter_cls.name}': {converter_cls.summary}"
                + (f" (this entry's layout: {layout})" if (layout := getattr(options, "images", None)) else "")
                + f". Files given with --from-file stay in the cache: if they were the wrong folder or file, "
                f"`usreg cache clean {entry.id}` removes them before another try",
            )
        positive = {
            sid: any(v > 0 for values in targets.values() for v in values)
            for sid, targets in collected.mask_values.items()
            if targets
        }
        split = assign_splits(collected.rows, seed=options.seed, ratios=options.split_ratios, positive=positive or None)
        staged = writer.stage(
            entry=entry,
            converter={
                "name": converter_cls.name,
                "version": converter_cls.version,
                "options": options.model_dump(mode="json", exclude_defaults=True),
            },
            ctx=ctx,
            rows=collected.rows,
            split=split,
            problems=problems,
            files=collected.files,
            source_dir=source_dir,
            source_files=source_files,
        )
        checks = data_checks.run_checks(
            staged.path,
            metadata=staged.metadata,
            rows=collected.rows,
            mask_values=collected.mask_values,
            source_dir=source_dir,
        )
        return writer.publish(staged, checks)


def _uses_tables(options: CommonOptions) -> bool:
    return any(
        getattr(options, k, None)
        for k in ("split_lists", "subject_table", "subject_pattern", "group_pattern", "label_table")
    )


_ANNOTATION_LINE = re.compile(r":\d+$")
_IMAGE_SUFFIXES = tuple(f".{e}" for e in IMAGE_EXTS)
MAX_LISTED = 50


class SourceUsage:
    """Which files of the download the samples use, and which image files were left out, and why.

    A file is used when a sample names it as its image, a mask source or its annotation file. An image file that
    no sample uses was *dropped*: either a problem names it (no mask, unreadable, no annotation: the problem's kind
    is the reason) or the layout matched no pattern for it. Files matched by the ``ignore`` option are left out on
    purpose and not counted as dropped. Tables and documents the converter read through the shared readers
    (``ctx.note_read``) are used; other files (documents, previews) are counted as not read, without judgement.
    """

    def __init__(self, ctx: ConvertContext, ignore: list[str]) -> None:
        self.ctx = ctx
        self.used: set[str] = set()
        self.source_of: dict[str, str] = {}
        self.ignore = [compile_pattern(p) for p in ignore]

    def track(self, items: Iterable[Item]) -> Iterator[Item]:
        for item in items:
            self.used.add(item.source_file)
            self.source_of[item.sample_id] = item.source_file
            for decode in item.masks.values():
                for part in (getattr(decode, "source", None) or "").split(", "):
                    if part:
                        self.used.add(part)
            if item.annotation_file:
                self.used.add(_ANNOTATION_LINE.sub("", item.annotation_file))
            yield item

    def report(self, problems: list[Problem], converted: set[str]) -> dict[str, Any]:
        reason_of: dict[str, str] = {}
        for p in problems:
            if p.severity == "error":
                reason_of.setdefault(p.file, f"{p.kind}: {p.message}")
                if p.sample_id and p.sample_id in self.source_of:
                    reason_of.setdefault(self.source_of[p.sample_id], f"{p.kind}: {p.message}")
        sample_failed = {src for sid, src in self.source_of.items() if sid not in converted}
        total = used = ignored = other = 0
        dropped: list[dict[str, str]] = []
        by_reason: dict[str, int] = {}
        for f in self.ctx.files():
            rel = self.ctx.rel(f)
            total += 1
            if rel in self.used and rel not in sample_failed:
                used += 1
                continue
            if rel in self.used:  # named by a sample that failed (unreadable image, bad mask, ...)
                reason = reason_of.get(rel, "the sample failed")
            elif not rel.lower().endswith(_IMAGE_SUFFIXES):
                if rel in self.ctx.tables_read:  # a label, split or annotation table the converter read
                    used += 1
                else:
                    other += 1
                continue
            elif rel in self.ctx.ignored or any(rx.match(rel) for rx in self.ignore):
                ignored += 1
                continue
            else:
                reason = reason_of.get(rel, "layout: no pattern of the loader matches this file")
            kind = reason.split(":", 1)[0]
            by_reason[kind] = by_reason.get(kind, 0) + 1
            dropped.append({"file": rel, "reason": reason})
        return {
            "total": total,
            "used": used,
            "dropped": len(dropped),
            "dropped_by_reason": dict(sorted(by_reason.items())),
            "dropped_files": dropped[:MAX_LISTED],
            "ignored": ignored,
            "other_not_used": other,
        }


class Collected:
    """What the main process keeps of each result: the row, problems, mask values, file digests. COCO instances
    (the bulky part) go to the writer's on-disk store, so memory does not grow with their size."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.rows: list[dict[str, Any]] = []
        self.problems: list[Problem] = []
        self.mask_values: dict[str, dict[str, list[int]]] = {}
        self.files: dict[str, str] = {}

    def add(self, result: ItemResult) -> None:
        self.problems.extend(result.problems)
        if result.row is None:
            return
        self.rows.append(result.row)
        self.mask_values[result.sample_id] = result.mask_values
        self.files.update(result.files)
        self.store.put(result.sample_id, result.instances)


def empty_archives(downloads: Path) -> list[str]:
    """Names of zip/tar archives in the download folder that hold no regular file."""
    import tarfile
    import zipfile

    out: list[str] = []
    if not downloads.is_dir():
        return out
    for p in sorted(downloads.iterdir()):
        name = p.name.lower()
        try:
            if name.endswith(".zip") and zipfile.is_zipfile(p):
                with zipfile.ZipFile(p) as zf:
                    if not any(not i.is_dir() for i in zf.infolist()):
                        out.append(p.name)
            elif name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")) and tarfile.is_tarfile(p):
                with tarfile.open(p) as tf:
                    if not any(m.isfile() for m in tf):
                        out.append(p.name)
        except (OSError, zipfile.BadZipFile, tarfile.TarError):
            continue
    return out


def _report_empty(ctx: ConvertContext, empty: list[str]) -> None:
    """An empty download, an empty archive, or an empty folder left by one, is reported by name."""
    for name in empty:
        ctx.problem("empty_source", name, "the archive holds no files", severity="warning")
    if not ctx.files():
        what = f"the archive(s) {', '.join(empty)} are empty" if empty else "an empty archive?"
        raise UsregError(
            f"{ctx.dataset_id}: the download at {ctx.source_dir} holds no files ({what})",
            hint=f"download it again (`usreg cache clean {ctx.dataset_id}`, then `usreg fetch {ctx.dataset_id}`); "
            "if the host serves an empty archive, report it to the dataset's maintainers",
        )
    for d in sorted(p for p in ctx.source_dir.rglob("*") if p.is_dir()):
        if not any(d.iterdir()):
            ctx.problem(
                "empty_source",
                d,
                "an empty folder in the download (an empty archive or folder upstream)",
                severity="warning",
            )


#: what a converter raises on data of a shape it did not expect (a string where a COCO file has numbers, a list where
#: it has a dict, a header value that is not a number): a clear error, not a traceback
UNEXPECTED_DATA = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    ArithmeticError,
    RuntimeError,
    BadData,
    Image.DecompressionBombError,  # an image header declaring gigapixels, opened by a converter for its size
)


def _planned(items: Iterable[Item], entry_id: str, converter: str) -> Iterator[Item]:
    """The converter's items; a CSV table it cannot parse (``csv.Error``: a value over the csv module's 128 KiB field
    limit, a NUL byte), or any data of a shape the converter did not expect (``UNEXPECTED_DATA``), stops the
    conversion with a clear error naming the converter and where it stopped, instead of a traceback."""
    hint = (
        "a table in the download is damaged or not what the converter expects; delete the download and "
        f"fetch it again (`usreg cache clean {entry_id}`), and report it if it persists"
    )
    try:
        yield from items
    except csv.Error as exc:
        raise UsregError(
            f"{entry_id}: converter '{converter}' stopped at a CSV table it cannot read ({exc})", hint
        ) from None
    except UNEXPECTED_DATA as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        text = exc.message if isinstance(exc, BadData) else str(exc)
        raise UsregError(
            f"{entry_id}: converter '{converter}' stopped at data it did not expect ({type(exc).__name__}: "
            f"{text[:300]}, at {Path(where.filename).name}:{where.lineno})",
            hint.replace("a table in the download is", "a file in the download (an annotation or a header) is"),
        ) from None


def _inside(items: Iterable[Item], ctx: ConvertContext) -> Iterator[Item]:
    """Items whose files all lie in the source tree. A sample whose image or mask is a file outside it (a COCO
    ``file_name`` of ``/home/me/photo.png`` or ``../../x.png``, a table naming ``../x.png``) is reported against the
    file that named it and skipped: before, the COCO converter converted any such file into the dataset."""
    root = os.path.normpath(ctx.source_dir)

    def outside(path: str) -> bool:  # by name: a folder the user linked into a --source tree stays usable
        full = os.path.normpath(os.path.abspath(path))
        return full != root and not full.startswith(os.path.join(root, ""))

    for item in items:
        far = next((p for d in (item.image, *item.masks.values()) for p in _decode_paths(d) if outside(p)), None)
        if far is None:
            yield item
            continue
        ctx.problem(
            "annotation_unreadable",
            item.annotation_file or item.source_file,
            f"sample {item.sample_id!r} names the file {text_name(os.path.normpath(far))!r}, outside the download; "
            "the sample is skipped (an annotation must name files of the dataset itself)",
            sample_id=item.sample_id,
        )


def _decode_paths(decode: Any) -> Iterator[str]:
    """The file paths among a ``Decode``'s arguments: path objects and absolute path strings, also in a list of them."""
    for arg in (*getattr(decode, "args", ()), *getattr(decode, "kwargs", {}).values()):
        values = arg if isinstance(arg, list | tuple) and arg and isinstance(arg[0], str | os.PathLike) else [arg]
        for value in values:
            if isinstance(value, os.PathLike) or (isinstance(value, str) and os.path.isabs(value)):
                yield os.fspath(value)


def _unique_ids(items: Iterable[Item], ctx: ConvertContext) -> Iterator[Item]:
    """Sanitise sample ids and make them unique, also when letter case is ignored (``A.png`` and ``a.png`` would be
    one file on a macOS or Windows disk, or in a zip unpacked there); a collision is reported and the later sample
    renamed. The file names an item records are made writable text (``text_name``)."""
    seen: set[str] = set()
    for item in items:
        for target in item.masks:
            if not TARGET_NAME.match(target):
                raise UsregError(
                    f"{ctx.dataset_id}: mask target name {target!r} is not usable as a folder name",
                    hint="use letters, digits, '.', '_' or '-' (e.g. lesion, tumor_binary)",
                )
        sid = safe_id(item.sample_id)
        item.source_file = text_name(item.source_file)
        item.annotation_file = text_name(item.annotation_file) if item.annotation_file else item.annotation_file
        item.subject_id = text_name(item.subject_id) if item.subject_id else item.subject_id
        if sid.lower() in seen:
            base, n = sid, 2
            while f"{base}__{n}".lower() in seen:
                n += 1
            sid = f"{base}__{n}"
            ctx.problem(
                "duplicate_id",
                item.source_file,
                f"sample id {base!r} is used twice (letter case aside); this sample is stored as {sid!r}",
                severity="warning",
            )
        seen.add(sid.lower())
        item.sample_id = sid
        yield item


def _run(items: Iterator[Item], staging: Path, workers: int | None, progress: Progress | None) -> Iterator[ItemResult]:
    """Results as they complete: in-process for small jobs, else from a pool with a bounded number of batches."""
    head = list(itertools.islice(items, POOL_THRESHOLD))
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    if len(head) < POOL_THRESHOLD or workers == 1:
        done = 0
        for batch in _batches(itertools.chain(head, items), BATCH_SIZE):
            results = process_batch(batch, str(staging))
            done += len(results)
            yield from results
            if progress:
                progress(done, None)
        return
    yield from _run_pool(itertools.chain(head, items), staging, workers, progress)


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


def _run_pool(items: Iterator[Item], staging: Path, workers: int, progress: Progress | None) -> Iterator[ItemResult]:
    context = mp.get_context("forkserver") if "forkserver" in mp.get_all_start_methods() else None
    if context is not None:
        context.set_forkserver_preload(["registry.loaders.worker"])
    pending: set[Future] = set()
    batches = _batches(items, BATCH_SIZE)
    limit = workers * INFLIGHT_PER_WORKER
    done_count = 0
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        exhausted = False
        while pending or not exhausted:
            while not exhausted and len(pending) < limit:
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                    break
                pending.add(pool.submit(process_batch, batch, str(staging)))
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                results = fut.result()
                done_count += len(results)
                yield from results
            if progress:
                progress(done_count, None)


def conversion_outcome(path: Path) -> dict[str, Any]:
    """The recorded status of a converted dataset (``metadata.json`` ``status``): state and reasons.

    Conversions written before the status was recorded are judged from their checks (no dropped-file count).
    """
    import json

    metadata = json.loads((Path(path) / "metadata.json").read_text(encoding="utf-8"))
    status = metadata.get("status")
    if status is None:
        from ..formats.writer import conversion_status

        checks = json.loads((Path(path) / "checks.json").read_text(encoding="utf-8"))
        status = conversion_status(checks, metadata)
    return status


def partial_error(dataset_id: str, status: dict[str, Any]) -> UsregError:
    """The exit-1 error for a partial conversion: which check failed or which files were dropped."""
    unused = (
        f"; source files that are not used may be left from an earlier --from-file of another folder: "
        f"`usreg cache clean {dataset_id}` clears them, then fetch again"
        if status.get("dropped_files")
        else ""
    )
    return UsregError(
        f"{dataset_id} converted, but is not complete:\n  " + "\n  ".join(status.get("reasons") or ["(no reason)"]),
        hint="the details are in metadata.json (source_files, problems) and checks.json of the converted dataset; "
        "to use the partial dataset knowingly, run again with --keep-going (metadata.json records it as partial)"
        + unused,
    )
