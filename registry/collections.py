"""Collections (``kind: collection``, e.g. US-43d): fetch and convert every member, then merge their COCO files.

``fetch_collection`` runs one task per member: find the member's files in a folder given with ``--from-file``
(a sub-folder named by the member's id or alias, or files named as the member's sources declare) or, without a
folder, download the member from its hosts; then convert it. A member that fails does not stop the others; each
ends in one state:

- ``converted``: fetched and converted, every data check passed;
- ``partial``: converted, but a data check failed or source files were not used (the reasons are kept);
- ``manual``: a source must be downloaded by hand (the step says where and what);
- ``not-given``: ``--from-file`` was given, but the folder holds nothing for this member;
- ``no-loader``: the catalog has no converter for the member's layout yet;
- ``unknown``: the member id is not in the catalog;
- ``failed``: the fetch or the conversion raised an error (its message is kept).

Members run in parallel on the local process pool (spawned processes) or, with ``executor="ray"``, as Ray tasks
(``address`` for an existing cluster), as the benchmark runner's executors do.

The merge writes ``$USREG_HOME/collections/<id>/coco_<split>.json`` (categories kept per member, named
``<member>/<class>``) and ``coco_agnostic_<split>.json`` (one category, ``object``), as UltraSam's merge tools do. Each
image keeps ``dataset`` (the member id), ``sample_id`` and ``subject_id``; ``file_name`` is relative to
``$USREG_HOME/datasets``. A ``summary.json`` records each member's state.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError, UsregError
from .home import collection_dir, datasets_root
from .ray_session import ray_session

if TYPE_CHECKING:
    from .catalog import Catalog
    from .schema import Dataset

EXECUTORS = ("local", "ray")
STATES = ("converted", "partial", "manual", "not-given", "no-loader", "unknown", "failed")


@dataclass
class MemberOutcome:
    member: str
    state: str
    message: str = ""
    path: str | None = None
    version: str | None = None
    samples: int = 0
    step: str = ""
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def note(self) -> str:
        """One line for a summary table."""
        text = "; ".join(self.reasons) or self.step or self.message
        return text.splitlines()[0] if text else ""


@dataclass
class CollectionResult:
    collection: str
    members: list[MemberOutcome]
    merged: dict[str, str] = field(default_factory=dict)
    summary_path: str | None = None

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for m in self.members:
            out[m.state] += 1
        return {k: v for k, v in out.items() if v}

    def as_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "counts": self.counts(),
            "members": [m.as_dict() for m in self.members],
            "merged": self.merged,
            "summary": self.summary_path,
        }


@dataclass
class MemberTask:
    """One member's work; picklable, so it can run in a spawned process or a Ray worker."""

    entry: Dataset
    home: str
    from_paths: list[str] | None
    folder_given: bool


def member_paths(folder: Path, entry: Dataset) -> list[Path]:
    """What ``folder`` holds for ``entry``: a sub-folder named by its id or an alias, else files named as its
    sources declare (or named by its id)."""
    names = {entry.id.lower(), *(a.lower() for a in getattr(entry, "aliases", []) or [])}
    subdirs = [p for p in sorted(folder.iterdir()) if p.is_dir() and p.name.lower() in names]
    if subdirs:
        return subdirs[:1]
    declared = {f.name.lower() for s in entry.sources for f in s.files}
    out = []
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name.startswith("."):
            continue
        stem = p.name.lower().split(".")[0]
        if p.name.lower() in declared or stem in names:
            out.append(p)
    return out


def run_member(task: MemberTask) -> MemberOutcome:
    """Fetch (or ingest) and convert one member; every failure becomes the member's state, never an exception."""
    from .fetch import ManualDownloadRequired
    from .loaders.pipeline import conversion_outcome
    from .pipeline import fetch_and_convert

    entry = task.entry
    if task.folder_given and not task.from_paths:
        return MemberOutcome(
            entry.id,
            "not-given",
            "the folder holds no sub-folder or file for this member",
            step=f"put its download in a sub-folder named {entry.id}, or run `usreg fetch {entry.id}`",
        )
    if entry.loader is None:
        return MemberOutcome(entry.id, "no-loader", "no converter for this dataset's layout yet")
    try:
        result = fetch_and_convert(
            entry, home=Path(task.home), from_files=[Path(p) for p in task.from_paths or []] or None
        )
    except ManualDownloadRequired as exc:
        return MemberOutcome(entry.id, "manual", "a source must be downloaded by hand", step=exc.message)
    except UsregError as exc:
        return MemberOutcome(entry.id, "failed", exc.message + (f" ({exc.hint})" if exc.hint else ""))
    except Exception as exc:  # a bug in one member's converter must not stop the collection
        return MemberOutcome(entry.id, "failed", f"{type(exc).__name__}: {exc}")
    if result.converted_dir is None:
        return MemberOutcome(entry.id, "failed", result.message, version=result.version)
    status = conversion_outcome(result.converted_dir)
    metadata = json.loads((Path(result.converted_dir) / "metadata.json").read_text(encoding="utf-8"))
    return MemberOutcome(
        entry.id,
        "converted" if status["state"] == "complete" else "partial",
        result.message if status["state"] == "complete" else f"{entry.id} converted, but is not complete",
        path=str(result.converted_dir),
        version=result.version,
        samples=int(metadata["counts"]["samples"]),
        reasons=list(status.get("reasons") or []),
    )


def run_tasks(
    tasks: Sequence[MemberTask],
    executor: str = "local",
    workers: int = 1,
    address: str | None = None,
    on_done: Callable[[MemberOutcome], None] | None = None,
) -> list[MemberOutcome]:
    """Outcomes in the order of ``tasks``."""
    if executor not in EXECUTORS:
        raise UsageError(f"unknown executor {executor!r}", hint="use local or ray")
    workers = max(1, int(workers))
    if executor == "ray":
        return _run_ray(tasks, workers, address, on_done)
    if workers == 1 or len(tasks) <= 1:
        out = []
        for t in tasks:
            out.append(run_member(t))
            if on_done:
                on_done(out[-1])
        return out
    results: dict[int, MemberOutcome] = {}
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=mp.get_context("spawn")) as pool:
        futures = {pool.submit(run_member, t): i for i, t in enumerate(tasks)}
        for future in as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
            except Exception as exc:  # the worker process itself died
                results[i] = MemberOutcome(tasks[i].entry.id, "failed", f"worker failed: {type(exc).__name__}: {exc}")
            if on_done:
                on_done(results[i])
    return [results[i] for i in range(len(tasks))]


def _run_ray(tasks, workers: int, address: str | None, on_done) -> list[MemberOutcome]:
    with ray_session(workers, address) as ray:
        remote = ray.remote(num_cpus=1)(run_member)
        refs = [remote.remote(t) for t in tasks]
        out = []
        for t, ref in zip(tasks, refs, strict=True):
            try:
                result = ray.get(ref)
            except Exception as exc:  # a task that raised in the worker
                result = MemberOutcome(t.entry.id, "failed", f"ray task failed: {type(exc).__name__}: {exc}")
            if on_done:
                on_done(result)
            out.append(result)
        return out


def fetch_collection(
    collection: Dataset,
    catalog: Catalog,
    home: Path,
    folder: Path | None = None,
    executor: str = "local",
    workers: int | None = None,
    address: str | None = None,
    on_done: Callable[[MemberOutcome], None] | None = None,
) -> CollectionResult:
    """Fetch and convert every member of ``collection``, then write the merged COCO files and a summary."""
    members = list(collection.relations.members)
    if not members:
        raise UsageError(f"{collection.id} lists no members", hint="a collection needs relations.members")
    if folder is not None and not Path(folder).is_dir():
        raise UsageError(
            f"--from-file {folder}: for a collection, give a folder holding the members' downloads",
            hint=f"one sub-folder per member, named by its id (e.g. {folder}/{members[0]}/...)",
        )
    tasks: list[MemberTask] = []
    outcomes: dict[str, MemberOutcome] = {}
    for member in members:
        entry = catalog.datasets.get(member)
        if entry is None:
            outcomes[member] = MemberOutcome(member, "unknown", "not in the catalog")
            continue
        paths = [str(p) for p in member_paths(Path(folder), entry)] if folder is not None else None
        tasks.append(MemberTask(entry, str(home), paths, folder is not None))
    workers = workers or min(len(tasks) or 1, os.cpu_count() or 1)
    for outcome in run_tasks(tasks, executor, workers, address, on_done):
        outcomes[outcome.member] = outcome
    result = CollectionResult(collection.id, [outcomes[m] for m in members])
    out_dir = collection_dir(Path(home), collection.id)
    result.merged = merge_coco(out_dir, datasets_root(Path(home)), [m for m in result.members if m.path])
    summary = out_dir / "summary.json"
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = summary.with_name(f".summary.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(json.dumps(result.as_dict(), indent=2), encoding="utf-8")
    tmp.replace(summary)
    result.summary_path = str(summary)
    return result


def _subjects(dataset_dir: Path) -> dict[str, str | None]:
    import pyarrow.parquet as pq

    table = pq.read_table(dataset_dir / "manifest.parquet", columns=["sample_id", "subject_id"])
    return dict(zip(table.column("sample_id").to_pylist(), table.column("subject_id").to_pylist(), strict=True))


class _SplitWriter:
    """Streams one merged COCO file: images and annotations go to side files, joined with the categories at the end."""

    def __init__(self, path: Path, info: dict[str, Any]) -> None:
        self.path = path
        self.info = info
        self.tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        self.tmp.mkdir(parents=True)
        self.images = open(self.tmp / "images", "w", encoding="utf-8")  # noqa: SIM115
        self.anns = open(self.tmp / "annotations", "w", encoding="utf-8")  # noqa: SIM115
        self.n_images = 0
        self.n_anns = 0

    def image(self, doc: dict[str, Any]) -> int:
        self.n_images += 1
        doc["id"] = self.n_images
        self.images.write(("," if self.n_images > 1 else "") + json.dumps(doc, separators=(",", ":")))
        return self.n_images

    def annotation(self, doc: dict[str, Any]) -> None:
        self.n_anns += 1
        doc["id"] = self.n_anns
        self.anns.write(("," if self.n_anns > 1 else "") + json.dumps(doc, separators=(",", ":")))

    def close(self, categories: list[dict[str, Any]]) -> None:
        self.images.close()
        self.anns.close()
        part = self.path.with_name(f".{self.path.name}.part")
        with open(part, "w", encoding="utf-8") as out:
            out.write('{"info":' + json.dumps(self.info) + ',"licenses":[],"images":[')
            with open(self.tmp / "images", encoding="utf-8") as fh:
                shutil.copyfileobj(fh, out)
            out.write('],"annotations":[')
            with open(self.tmp / "annotations", encoding="utf-8") as fh:
                shutil.copyfileobj(fh, out)
            out.write('],"categories":' + json.dumps(categories) + "}")
        part.replace(self.path)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def abort(self) -> None:
        self.images.close()
        self.anns.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def merge_coco(out_dir: Path, datasets_root: Path, members: list[MemberOutcome]) -> dict[str, str]:
    """Merge the members' ``annotations/coco_<split>.json`` per split: per-dataset categories and class-agnostic.

    Members are read one COCO file at a time, so memory holds one member's split, not the whole collection.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("coco_*.json"):
        old.unlink()
    writers: dict[tuple[str, str], _SplitWriter] = {}
    categories: list[dict[str, Any]] = []
    agnostic = [{"id": 1, "name": "object", "supercategory": "object"}]
    try:
        for member in members:
            if member.path is None:  # a member that was not converted has nothing to merge
                continue
            dataset_dir = Path(member.path)
            coco_files = sorted((dataset_dir / "annotations").glob("coco_*.json"))
            if not coco_files:
                continue
            subjects = _subjects(dataset_dir)
            rel = dataset_dir.relative_to(datasets_root).as_posix() if dataset_dir.is_relative_to(datasets_root) else ""
            cat_map: dict[int, int] = {}
            for coco_path in coco_files:
                split = coco_path.stem[len("coco_") :]
                doc = json.loads(coco_path.read_text(encoding="utf-8"))
                for cat in doc.get("categories", []):
                    key = int(cat["id"])
                    if key not in cat_map:
                        categories.append(
                            {
                                "id": len(categories) + 1,
                                "name": f"{member.member}/{cat['name']}",
                                "supercategory": member.member,
                            }
                        )
                        cat_map[key] = len(categories)
                for kind in ("per_dataset", "agnostic"):
                    if (split, kind) not in writers:
                        name = f"coco_{split}.json" if kind == "per_dataset" else f"coco_agnostic_{split}.json"
                        what = kind.replace("_", "-")
                        info = {
                            "description": f"merged {what} COCO ({split}) of the collection's members; "
                            "file_name is relative to $USREG_HOME/datasets",
                            "contributor": "usreg",
                        }
                        writers[(split, kind)] = _SplitWriter(out_dir / name, info)
                ids: dict[Any, tuple[int, int]] = {}
                for image in doc.get("images", []):
                    merged = {
                        "file_name": f"{rel}/{image['file_name']}" if rel else image["file_name"],
                        "width": image["width"],
                        "height": image["height"],
                        "dataset": member.member,
                        "sample_id": image.get("sample_id"),
                        "subject_id": subjects.get(image.get("sample_id")),
                    }
                    ids[image["id"]] = (
                        writers[(split, "per_dataset")].image(dict(merged)),
                        writers[(split, "agnostic")].image(dict(merged)),
                    )
                for ann in doc.get("annotations", []):
                    if ann.get("image_id") not in ids or ann.get("category_id") not in cat_map:
                        continue
                    per, agn = ids[ann["image_id"]]
                    base = {k: v for k, v in ann.items() if k not in {"id", "image_id", "category_id"}}
                    writers[(split, "per_dataset")].annotation(
                        {**base, "image_id": per, "category_id": cat_map[ann["category_id"]]}
                    )
                    writers[(split, "agnostic")].annotation({**base, "image_id": agn, "category_id": 1})
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    out: dict[str, str] = {}
    for (split, kind), w in sorted(writers.items()):
        w.close(categories if kind == "per_dataset" else agnostic)
        out[f"{kind}:{split}"] = str(w.path)
    return out
