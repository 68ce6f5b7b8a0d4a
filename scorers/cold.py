"""Index and score a whole catalog that has no fresh index (a cold ``usreg score``) in one set of worker processes.

Each worker reads its share of the entry files, validates them, makes their index rows, and keeps the entries. The
parent then gathers what scoring needs from the whole catalog, which is small: every model (as its parsed YAML data,
validated again in each worker: it is cheaper than pickling pydantic objects) and, per dataset, the few facts other
entries' scores read (:class:`DatasetRef`). Each worker scores the entries it parsed with that context and returns
only the index rows and the stored score rows; the parent stores them. The scores are the ones
``scorers.batch.score_rows`` makes from the loaded catalog.

Any finding (an invalid file, a duplicate id, a reference to an unknown dataset) stops this path: the caller then
loads the catalog the usual way, which reports each finding with its position.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from .engine import Scorer, gc_paused

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from registry.index import RegistryIndex
    from registry.schema import Dataset

PARALLEL_THRESHOLD = 1500  # below this the catalog is loaded and scored the usual way (forking costs more)
CHUNK = 500  # scores a worker sends at a time, so that the parent stores them while the workers go on


class Splits(NamedTuple):
    subject_level: bool | None


class EvidenceFields(NamedTuple):
    fields: tuple[str, ...]


class DatasetRef(NamedTuple):
    """What scoring another entry reads of a dataset (the id, the version whose data checks count, the subject-level
    split and which fields its evidence backs), standing in for the dataset in ``CatalogView.datasets()``."""

    id: str
    version: str | None
    splits: Splits
    evidence: tuple[EvidenceFields, ...]

    @classmethod
    def of(cls, dataset: Dataset) -> DatasetRef:
        fields = tuple(f for item in dataset.evidence for f in item.fields)
        return cls(dataset.id, dataset.version, Splits(dataset.splits.subject_level), (EvidenceFields(fields),))


class Outcome(NamedTuple):
    """A cold run's result: the ids indexed and scored, datasets first."""

    datasets: list[str]
    models: list[str]


# what a worker sends back for one file: (position, kind, id, sha256, index rows, dataset facts or model data,
# the datasets it refers to); the id is None when the file has findings
_Item = tuple[int, str, str | None, bytes, Any, Any, tuple[str, ...]]


def _refs(parsed: Any) -> tuple[str, ...]:
    entry = parsed.entry
    if parsed.kind == "model":
        return (*entry.trained_on, *entry.evaluated_on, *(m.dataset for m in entry.metrics if m.dataset))
    rel = entry.relations
    return (*rel.family, *rel.derived_from, *rel.members)


def _worker(conn: Connection, items: list[tuple[int, str, Path]], root: Path, home: Path | None) -> None:
    """Parse, then (when the parent sends the context) score; one message each way per round."""
    from registry.catalog import Catalog, parse_entry
    from registry.errors import relative
    from registry.index import index_rows
    from registry.schema import Model

    try:
        with gc_paused():
            mine: dict[str, Any] = {}
            out: list[_Item] = []
            for pos, kind, path in items:
                parsed = parse_entry(kind, path, root, keep_data=kind == "model")
                entry = parsed.entry
                if entry is None:
                    out.append((pos, kind, None, parsed.sha256, None, None, ()))
                    continue
                rows = index_rows(kind, entry, relative(path, root))
                facts = parsed.data if kind == "model" else DatasetRef.of(cast("Dataset", entry))
                out.append((pos, kind, entry.id, parsed.sha256, rows, facts, _refs(parsed)))
                mine[entry.id] = entry
            conn.send(out)
            context = conn.recv()
            if context is None:
                return
            models_data, datasets = context
            models = {i: mine.get(i) or Model.model_validate(data) for i, data in models_data}
            catalog = Catalog(root=root, datasets=cast("dict[str, Dataset]", datasets), models=cast(Any, models))
            scorer = Scorer(catalog, home=home, plan=False)
            from .batch import stored_row

            chunk: list[tuple[int, dict[str, Any]]] = []
            for pos, _, i, *_ in out:
                if i:
                    chunk.append((pos, stored_row(scorer.score(mine[i]), planned=False)))
                    if len(chunk) == CHUNK:
                        conn.send(chunk)
                        chunk = []
            conn.send(chunk)  # the last one, shorter than CHUNK (maybe empty): the parent knows the worker is done
    except BaseException as exc:  # the parent falls back to the usual path and reports nothing of this
        with contextlib.suppress(Exception):
            conn.send(exc)
    finally:
        conn.close()


def _receive(conn: Connection) -> Any:
    try:
        found = conn.recv()
    except (EOFError, OSError):
        return None
    return None if isinstance(found, BaseException) else found


def _consistent(parsed: list[_Item]) -> bool:
    """No finding: every file valid, ids unique, every reference names a dataset (not itself, for relations)."""
    ids = [item[2] for item in parsed]
    if any(i is None for i in ids) or len(set(ids)) != len(ids):
        return False
    datasets = {item[2] for item in parsed if item[1] == "dataset"}
    return all(ref in datasets and ref != item[2] for item in parsed for ref in item[6])


def cold_score(index: RegistryIndex, home: Path | None = None, workers: int | None = None) -> Outcome | None:
    """Index and score every entry under ``index.root`` into ``index`` and mark the scores current; None (having
    stored nothing) when the catalog is small, has findings, or a worker failed: then load it the usual way."""
    import multiprocessing

    from registry.catalog import Catalog, entry_files

    from .current import mark_current

    root = index.root
    listing = entry_files(root)
    workers = workers or min(os.cpu_count() or 1, 8)
    if len(listing) < PARALLEL_THRESHOLD or workers < 2 or os.name != "posix":
        return None
    numbered = [(pos, kind, path) for pos, (kind, path) in enumerate(listing)]
    context = multiprocessing.get_context("fork")
    pipes, procs = [], []
    try:
        for w in range(workers):
            mine, theirs = context.Pipe()
            proc = context.Process(target=_worker, args=(theirs, numbered[w::workers], root, home), daemon=True)
            proc.start()
            theirs.close()
            pipes.append(mine)
            procs.append(proc)
        parts = [_receive(conn) for conn in pipes]
        if any(part is None for part in parts):
            return None
        parsed: list[_Item] = sorted((item for part in parts for item in part), key=_position)
        if not _consistent(parsed):
            return None
        models = [(str(item[2]), item[5]) for item in parsed if item[1] == "model"]
        datasets = {str(item[2]): item[5] for item in parsed if item[1] == "dataset"}
        context_bytes = pickle.dumps((models, datasets), protocol=pickle.HIGHEST_PROTOCOL)  # once for all workers
        for conn in pipes:
            conn.send_bytes(context_bytes)

        def scores() -> Iterator[list[dict[str, Any]]]:
            """The score rows in catalog order, a chunk from each worker at a time: each worker holds every
            ``workers``-th file, so the k-th chunks of all workers together are the next run of positions."""
            running = list(pipes)
            while running:
                chunks = [_receive(conn) for conn in running]
                if any(chunk is None for chunk in chunks):
                    raise _WorkerFailed
                running = [conn for conn, chunk in zip(running, chunks, strict=True) if len(chunk) == CHUNK]
                yield [row for _, row in sorted((row for chunk in chunks for row in chunk), key=_first)]

        entries = [item[4][0] for item in parsed]
        facets = [facet for item in parsed for facet in item[4][1]]
        loaded = Catalog(root=root, listing=listing, digests={listing[item[0]][1]: item[3] for item in parsed})
        try:  # the entries and facets are written while the workers score; a failure rolls everything back
            index.store_rebuild(entries, facets, scores, (), loaded.parsed_hash())
        except _WorkerFailed:
            return None
        mark_current(index)
        return Outcome(list(datasets), [i for i, _ in models])
    finally:
        for conn in pipes:
            with contextlib.suppress(OSError):
                conn.send(None)  # a worker still waiting for the context ends
            conn.close()
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join()


class _WorkerFailed(Exception):
    """A worker sent no scores (it failed): nothing is stored, the caller takes the usual path."""


def _position(item: _Item) -> int:
    return item[0]


def _first(pair: tuple[int, dict[str, Any]]) -> int:
    return pair[0]
