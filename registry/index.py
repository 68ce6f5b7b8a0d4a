"""The SQLite index of the catalog: entries, facets for filtering, scores and benchmark results.

Entries, facets and scores are derived data, rebuilt automatically whenever the entry files change (keyed by a
content hash of every file) and on ``usreg index --rebuild``. Benchmark results are not derived from the entries, so a
rebuild keeps them.

Freshness is decided without reading the entries when nothing changed: the index also records a fingerprint of every
entry file's name, size, modification time and inode, taken when its content hash was; the files are hashed again only
when that fingerprint differs (and files modified in the last seconds before it was taken are never trusted to it).

The tables are plain SQLite through the standard library's ``sqlite3`` (this is the only module that speaks SQL): the
command line opens the index on every run, and an ORM's import and statement building cost more than the queries.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import shlex
import sqlite3
import typing
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from .columns import SORTABLE
from .errors import UsageError
from .paths import index_path
from .settings import settings

if TYPE_CHECKING:
    from .catalog import Catalog
    from .schema import Entry

log = logging.getLogger(__name__)
INDEX_SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # VARCHAR, INTEGER or FLOAT
    required: bool = False


@dataclass(frozen=True)
class Table:
    """One table: its columns, primary key and indexes (the names an older, ORM-built index used, so it is read)."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def create(self) -> list[str]:
        cols = [f"{_quoted(c.name)} {c.type}" + (" NOT NULL" if c.required else "") for c in self.columns]
        key = ", ".join(_quoted(k) for k in self.key)
        body = ", ".join([*cols, f"PRIMARY KEY ({key})"])
        statements = [f'CREATE TABLE IF NOT EXISTS "{self.name}" ({body})']
        for index_name, on in self.indexes:
            columns = ", ".join(_quoted(c) for c in on)
            statements.append(f'CREATE INDEX IF NOT EXISTS "{index_name}" ON "{self.name}" ({columns})')
        return statements


def _quoted(name: str) -> str:
    """An SQL identifier in double quotes (names come from the table definitions, never from data)."""
    return '"' + name.replace('"', '""') + '"'


class BenchResultRow(BaseModel):
    """One benchmark result row (the columns of ``bench_result``; ``id`` is assigned by the index)."""

    id: int | None = None
    dataset_id: str
    model_id: str
    split: str
    metric: str
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    weights_sha256: str | None = None
    weights_status: str | None = None  # verified | unchecked | unverified (registry.bench.weights); None: no weights
    dataset_version: str | None = None
    converter: str | None = None
    converter_version: str | None = None
    seed: int | None = None
    device: str | None = None
    packages: str | None = None
    created: str
    run_id: str
    convention: str | None = None  # the metric convention (registry.bench.metrics.conventions), e.g. "fm-uia"
    detail: str | None = None  # JSON: adapter, target, timings; for check.* rows, what was checked and why it failed


_SQL_TYPES = {str: "VARCHAR", int: "INTEGER", float: "FLOAT"}


def _columns_of(model: type[BaseModel]) -> tuple[Column, ...]:
    """The columns of a row model: ``str``, ``int`` and ``float`` fields, NOT NULL unless optional."""
    out = []
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        args = typing.get_args(annotation)
        base = next(a for a in args if a is not type(None)) if args else annotation
        out.append(Column(name, _SQL_TYPES[base], required=type(None) not in args))
    return tuple(out)


def _cols(spec: str) -> tuple[Column, ...]:
    """``"id VARCHAR!, year INTEGER"`` -> columns (``!``: NOT NULL)."""
    out = []
    for part in spec.split(","):
        name, kind = part.split()
        out.append(Column(name, kind.rstrip("!"), required=kind.endswith("!")))
    return tuple(out)


META = Table("meta", _cols("key VARCHAR!, value VARCHAR!"), ("key",))
ENTRY = Table(
    "entry",
    _cols(
        "id VARCHAR!, kind VARCHAR!, entry_type VARCHAR!, name VARCHAR!, year INTEGER, access VARCHAR, license VARCHAR,"
        " status VARCHAR, images INTEGER, subjects INTEGER, file VARCHAR!, search_text VARCHAR!, data VARCHAR!"
    ),
    ("id",),
    (("ix_entry_kind", ("kind",)), ("ix_entry_license", ("license",)), ("ix_entry_access", ("access",))),
)
FACET = Table(
    "facet",
    _cols("entry_id VARCHAR!, facet VARCHAR!, value VARCHAR!"),
    ("entry_id", "facet", "value"),
    (("ix_facet_lookup", ("facet", "value")),),
)
SCORE = Table(
    "score",
    _cols(
        "entry_id VARCHAR!, rubric_version VARCHAR!, tier VARCHAR!, tier_rank INTEGER!, points FLOAT!,"
        " verification VARCHAR!, limited_by VARCHAR, data VARCHAR!"
    ),
    ("entry_id",),
    (("ix_score_tier", ("tier",)),),
)
BENCH = Table(
    "bench_result",
    _columns_of(BenchResultRow),
    ("id",),
    (
        ("ix_bench_result_dataset_id", ("dataset_id",)),
        ("ix_bench_result_model_id", ("model_id",)),
        ("ix_bench_result_run_id", ("run_id",)),
    ),
)
TABLES = (META, ENTRY, FACET, SCORE, BENCH)
_TABLE_NAMES = {t.name: t for t in TABLES}

SCHEMA_KEY = "index_schema"  # meta key: INDEX_SCHEMA_VERSION of the usreg that created the index
STATS_KEY = "entry_stats"  # meta key: the stat fingerprint of the entry files, taken with the content hash


def _connect(path: Path) -> tuple[sqlite3.Connection, str | None]:
    """(a connection in autocommit mode (writes use explicit transactions), with every table present; why the index
    cannot be written, None when it can). An index that exists but cannot be written (a read-only disk, a lab's
    shared install) is opened read-only; an index file that SQLite cannot open or read is a usage error that names it
    and says what to do, not a traceback."""
    unwritable = _unwritable(path)
    try:
        if unwritable is not None and path.is_file():
            return _open_read_only(path), unwritable
        return _open(path), unwritable
    except OSError as exc:  # the index folder cannot be made: a home that cannot be written
        raise UsageError(
            f"there is no index yet and its folder {path.parent} cannot be made: {exc.strerror or exc}",
            hint=_home_hint(path, shared=False),
        ) from None
    except sqlite3.OperationalError as exc:  # cannot open, read or write it: permissions, a full disk, a folder
        if unwritable is not None:
            raise UsageError(f"cannot open the index {path}: {exc} ({unwritable})", hint=_home_hint(path)) from None
        raise UsageError(
            f"cannot open the index {path}: {exc}",
            hint=f"check free space and permissions under {path.parent}, or set USREG_HOME elsewhere",
        ) from None
    except sqlite3.DatabaseError as exc:  # not a database, or a malformed one (truncated, overwritten)
        aside = f"mv {shlex.quote(str(path))} {shlex.quote(str(path) + '.damaged')}"
        raise UsageError(
            f"the index {path} is damaged: {exc}",
            hint=f"move it aside ({aside}) and run the command again: usreg builds a new index from the entries; "
            "benchmark results stored in the old one are not rebuilt, so keep that file",
        ) from None


def _unwritable(path: Path) -> str | None:
    """Why the index at ``path`` cannot be written (a read-only disk, a file or folder without write permission), or
    None when it can (or its folder does not exist yet: making it says whether it can be)."""
    import os

    folder = path.parent
    if not folder.is_dir():
        return None
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return f"{folder} is on a read-only file system"
    except (OSError, AttributeError):  # no statvfs (Windows), or it failed: the permission checks below still apply
        pass
    if path.exists() and not os.access(path, os.W_OK):
        return f"you may not write {path}"
    if not os.access(folder, os.W_OK | os.X_OK):  # SQLite writes its -wal and -shm files beside the index
        return f"you may not write in {folder}"
    return None


def _home_hint(path: Path, shared: bool = True) -> str:
    """What to do when the index cannot be written: set USREG_HOME to a folder of one's own (the index is rebuilt
    there from the entries), or (``shared``: an index is there) have the folder's owner update it."""
    hint = "set USREG_HOME to a folder you can write (e.g. USREG_HOME=~/usreg-data): usreg builds its own index there "
    hint += "from the entries"
    return hint + (f"; or ask whoever owns {path.parent} to run `usreg index`" if shared else "")


def _open_read_only(path: Path) -> sqlite3.Connection:
    """The index at ``path`` opened read-only. An index in WAL mode can be read-only opened only when SQLite can
    make its -shm file beside it; in a folder that cannot be written it is read as immutable (no locks, no -shm), as
    a read-only disk is."""
    conn = _read_only_connection(path)
    try:
        found = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        if found != "ok":
            raise sqlite3.DatabaseError(found)
        have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if META.name in have:
            _check_schema(conn, path)
        missing = [t.name for t in TABLES if t.name not in have] or [
            f"{t.name}.{c.name}" for t in TABLES for c in t.columns if c.name not in _column_names(conn, t.name)
        ]
        if missing:  # an index an older usreg laid out: it would be brought up to date, which takes a write
            raise sqlite3.OperationalError(f"it lacks {', '.join(missing[:3])} and cannot be brought up to date")
    except BaseException:
        conn.close()
        raise
    return conn


def _read_only_connection(path: Path) -> sqlite3.Connection:
    """A read-only connection to the SQLite file at ``path`` (``file:...?mode=ro``); an index in WAL mode whose folder
    cannot be written (SQLite cannot make its -shm file) is read as immutable, as on a read-only disk."""
    from urllib.parse import quote

    uri = "file:" + quote(str(Path(path).resolve()))
    conn = sqlite3.connect(uri + "?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        conn.close()
        conn = sqlite3.connect(uri + "?mode=ro&immutable=1", uri=True, isolation_level=None)
    return conn


def _column_names(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info('{table}')")}


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # a truncated or overwritten file is found here, not by whichever query reads a missing page (~3 ms for the
        # whole catalog's index)
        found = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        if found != "ok":
            raise sqlite3.DatabaseError(found)
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: no corruption on a crash, fewer syncs per write
        have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if META.name in have:
            _check_schema(conn, path)  # before anything is added to an index that a newer usreg laid out
        if not all(t.name in have for t in TABLES):
            with _transaction(conn):
                for table in TABLES:
                    for statement in table.create():
                        conn.execute(statement)
                conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (SCHEMA_KEY, INDEX_SCHEMA_VERSION)
                )
        _add_missing_columns(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse an index whose layout is newer than this usreg's (recorded when it was created; none: an older one)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (SCHEMA_KEY,)).fetchone()
    if row is None or (str(row[0]).isdigit() and int(row[0]) <= int(INDEX_SCHEMA_VERSION)):
        return
    raise UsageError(
        f"the index {path} was made by a newer usreg (index layout {row[0]}; this usreg reads {INDEX_SCHEMA_VERSION})",
        hint="upgrade usreg (pip install -U usreg), or set USREG_HOME to another folder for this version; "
        "the index is left as it is",
    )


class IndexReadOnly(UsageError):
    """A write to an index opened read-only (a read-only disk, a shared install): a usage error (exit 2)."""


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction; a write the disk refuses (full, a file-size limit, an I/O error) is rolled back and
    is a usage error that names the index, not a traceback (SQLite may have rolled back already)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        path = Path(conn.execute("PRAGMA database_list").fetchone()[2])
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY:
            raise IndexReadOnly(
                f"cannot write the index {path}: it is open read-only ({_unwritable(path) or exc})",
                hint=_home_hint(path),
            ) from None
        raise UsageError(
            f"cannot write the index {path}: {exc}",
            hint=f"check free space and permissions under {path.parent}, or set USREG_HOME elsewhere; "
            "the index is unchanged",
        ) from None


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Bring an index made by an older usreg up to date by adding new (nullable) columns; nothing is dropped."""
    for table in TABLES:
        existing = _column_names(conn, table.name)
        for column in table.columns:
            if column.name not in existing:
                conn.execute(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {column.type}')
                log.info("index: added column %s.%s", table.name, column.name)


class Scoring(Protocol):
    """What the index needs from a scorer: the ``scorers`` package provides it (``scorers.service.ScorersService``)
    and the command line hands it in, so this module never imports the scorers."""

    def score_rows(self, catalog: Catalog) -> list[dict[str, Any]]: ...

    def expand(self, stored: dict[str, Any]) -> dict[str, Any]: ...

    def fill_plans(self, catalog: Catalog, scores: dict[str, dict[str, Any]]) -> None: ...

    def refresh(self, index: RegistryIndex, catalog: Catalog | None) -> bool: ...

    def mark_current(self, index: RegistryIndex) -> None: ...

    def cold_build(self, index: RegistryIndex) -> bool: ...


class RegistryIndex:
    """Open (and, when stale, rebuild) the index of one catalog root."""

    def __init__(self, root: Path, path: Path | None = None, scoring: Scoring | None = None) -> None:
        self.root = root
        self.scoring = scoring
        self.path = path or index_path(root)
        #: why the index cannot be written (it is then open read-only), None when it can
        self.read_only: str | None
        self.conn, self.read_only = _connect(self.path)
        self._seen: tuple[str | None, str] | None = None  # (content hash, stat fingerprint) seen by is_fresh()

    def close(self) -> None:
        self.conn.close()

    # -- freshness -------------------------------------------------------------------------------------------
    def stored_hash(self) -> str | None:
        return self.get_meta("content_hash")

    def _extra(self) -> str:
        home = settings().home
        return (str(home) if home is not None else "") + INDEX_SCHEMA_VERSION

    def current_hash(self) -> str:
        from .catalog import content_hash, entry_files

        return content_hash(entry_files(self.root)) + self._extra()

    def current_stats(self) -> tuple[str, bool]:
        """(stat fingerprint of the entry files, whether it can be trusted: no file was modified just now)."""
        from .catalog import stat_fingerprint

        fingerprint, racy = stat_fingerprint(self.root)
        return fingerprint + self._extra(), not racy

    def is_fresh(self) -> bool:
        """Whether the index holds the current entry files: by their stats when those are unchanged since the content
        hash was taken, else by hashing them again (and then the new stats are recorded)."""
        stats, trusted = self.current_stats()
        stored = self.get_meta("content_hash")
        if stored is None:
            self._seen = (None, stats if trusted else "")
            return False
        if trusted and stats == self.get_meta(STATS_KEY):
            self._seen = (stored, stats)
            return True
        # kept for rebuild(): a hash taken before the catalog is loaded can only make the index look stale, never
        # fresh, if an entry changes in between
        current = self.current_hash()
        self._seen = (current, stats if trusted else "")
        if current != stored:
            return False
        if trusted and self.read_only is None:
            self.set_meta(STATS_KEY, stats)
        return True

    def ensure(self, catalog: Catalog | None = None, force: bool = False) -> bool:
        """Rebuild when the entries changed (or ``force``). Returns whether a rebuild happened.

        Entries that do not validate are left out (see :meth:`Catalog.usable`); the rest is indexed.
        """
        if self.read_only is not None:
            return self._ensure_read_only(catalog, force)
        if not force and self.is_fresh():
            # the entries are unchanged, but evidence may not be (a bench run, a fetch): keep one current score
            if self.scoring is not None:
                self.scoring.refresh(self, catalog.usable() if catalog is not None else None)
            return False
        if catalog is None:
            if self.scoring is not None and self.scoring.cold_build(self):
                return True  # a large catalog without findings: parsed, indexed and scored in one set of workers
            from .catalog import load_catalog

            catalog = load_catalog(self.root, duplicates=False, prepare=index_rows)
        self.rebuild(catalog.usable(), skipped=catalog.invalid_files, loaded=catalog)
        if self.scoring is not None:
            self.scoring.mark_current(self)
        return True

    def _ensure_read_only(self, catalog: Catalog | None, force: bool) -> bool:
        """:meth:`ensure` for an index that cannot be written: read as it is when it holds the current entries (its
        scores as stored, with a warning when newer evidence would change them), else a usage error saying so."""
        if force or not self.is_fresh():
            self.refuse_rebuild(force)
        if self.scoring is not None:
            try:
                self.scoring.refresh(self, catalog.usable() if catalog is not None else None)
            except IndexReadOnly:
                log.warning(
                    "the index %s cannot be written (%s): its scores are shown as stored, without the newest "
                    "evidence (benchmark results, link checks)",
                    self.path,
                    self.read_only,
                )
        return False

    def refuse_rebuild(self, force: bool = False) -> None:
        """Raise the usage error of an index that is stale (or asked to be rebuilt) and cannot be written."""
        state = "cannot be rebuilt" if force else "is out of date with the entries and cannot be rebuilt"
        raise UsageError(f"the index {self.path} {state}: {self.read_only}", hint=_home_hint(self.path))

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with _transaction(self.conn) as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def bench_summary(self) -> tuple[int, int | None]:
        """(number of stored benchmark rows, highest row id): changes whenever results are added."""
        count, last = self.conn.execute("SELECT count(*), max(id) FROM bench_result").fetchone()
        return int(count), last

    def stored_catalog(self, ids: Collection[str] | None = None) -> Catalog | None:
        """The validated entries stored in the index (None when one no longer validates): no YAML is parsed.

        With ``ids``, only what scoring those entries reads: them, every model (a dataset's reverse links: the models
        that use it or report metrics on it) and every dataset that a loaded entry refers to (relations, training
        and evaluation data). Scores and plans of ``ids`` are the same as with the whole catalog."""
        from pydantic import ValidationError

        from .catalog import Catalog
        from .schema import Dataset, Model

        rows = {r[1]: r for r in self.conn.execute("SELECT kind, id, file, data FROM entry ORDER BY kind, id")}
        chosen = list(rows) if ids is None else [i for i, r in rows.items() if r[0] == "model" or i in ids]
        catalog = Catalog(root=self.root)
        try:
            for entry_id in chosen:
                kind, _, file, data = rows[entry_id]
                if kind == "dataset":
                    catalog.datasets[entry_id] = Dataset.model_validate_json(data)
                else:
                    catalog.models[entry_id] = Model.model_validate_json(data)
                catalog.files[entry_id] = self.root / file
            if ids is not None:
                refs = {r for m in catalog.models.values() for r in (*m.trained_on, *m.evaluated_on)}
                refs.update(x.dataset for m in catalog.models.values() for x in m.metrics if x.dataset)
                for d in catalog.datasets.values():
                    refs.update((*d.relations.family, *d.relations.derived_from, *d.relations.members))
                for entry_id in sorted(refs - catalog.datasets.keys()):
                    row = rows.get(entry_id)
                    if row is not None and row[0] == "dataset":
                        catalog.datasets[entry_id] = Dataset.model_validate_json(row[3])
                        catalog.files[entry_id] = self.root / row[2]
                catalog.datasets = dict(sorted(catalog.datasets.items()))
        except ValidationError:
            return None
        return catalog

    def entry_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT id FROM entry")}

    def scored_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT entry_id FROM score")}

    def score_summaries(self) -> list[dict[str, Any]]:
        """One summary row per stored score (no JSON parsing), ordered by kind and id."""
        sql = (
            "SELECT s.entry_id, e.kind, s.tier, s.tier_rank, s.points, s.verification, s.limited_by, "
            "s.rubric_version FROM score s JOIN entry e ON e.id = s.entry_id ORDER BY e.kind, e.id"
        )
        keys = ("id", "kind", "tier", "tier_rank", "points", "verification", "limited_by", "rubric")
        return [dict(zip(keys, r, strict=True)) for r in self.conn.execute(sql)]

    def ensure_bench_columns(self, columns: Sequence[str]) -> None:
        """Add result columns that an index created by an older usreg lacks (SQLite ALTER TABLE ADD COLUMN)."""
        have = {row[1] for row in self.conn.execute("PRAGMA table_info(bench_result)")}
        missing = [c for c in columns if have and c not in have]
        if missing:
            with _transaction(self.conn) as conn:
                for column in missing:
                    conn.execute(f'ALTER TABLE bench_result ADD COLUMN "{column}"')

    def skipped_files(self) -> list[str]:
        """Entry files left out of the index at its last rebuild because they did not validate."""
        value = self.get_meta("skipped_files")
        return json.loads(value) if value else []

    # -- writing ---------------------------------------------------------------------------------------------
    def rebuild(self, catalog: Catalog, skipped: Sequence[str] = (), loaded: Catalog | None = None) -> None:
        """Index ``catalog`` (and score it, with a scoring service). ``loaded``: the catalog as read, invalid entries
        included, whose file hashes give the content hash of exactly what was parsed."""
        parsed = (loaded or catalog).parsed_hash()
        entries: list[dict[str, Any]] = []
        facets: list[tuple[str, str, str]] = []
        for kind, items in (("dataset", catalog.datasets), ("model", catalog.models)):
            for entry in items.values():
                made = catalog.prepared.get(entry.id)  # made where the entry was parsed (load_catalog's prepare)
                if made is None:
                    made = index_rows(kind, entry, str(catalog.files[entry.id].relative_to(catalog.root)))
                entries.append(made[0])
                facets.extend(made[1])
        scores = self.scoring.score_rows(catalog) if self.scoring is not None else []
        self.store_rebuild(entries, facets, scores, skipped, parsed)

    def store_rebuild(
        self,
        entries: Sequence[dict[str, Any]],
        facets: Sequence[tuple[str, str, str]],
        scores: Sequence[dict[str, Any]] | Callable[[], Iterable[Sequence[dict[str, Any]]]],
        skipped: Sequence[str],
        parsed: str | None,
    ) -> None:
        """Replace the index's entries, facets and scores with these rows (``index_rows`` and the scorers' stored
        rows), recording the content hash: ``parsed``, the hash of exactly the files the rows come from
        (``Catalog.parsed_hash``), when no earlier freshness check took one. ``scores`` may be a function that gives
        them in chunks, called once the entries and facets are written: each chunk is stored as it comes (while
        workers still score, for a cold run)."""
        seen, self._seen = self._seen, None
        content = seen[0] if seen else None
        if content is None:
            content = parsed + self._extra() if parsed else self.current_hash()
        stats = seen[1] if seen else ""
        with _transaction(self.conn) as conn:
            conn.execute("DELETE FROM facet")
            conn.execute("DELETE FROM score")
            conn.execute("DELETE FROM entry")
            _bulk_insert(conn, ENTRY, entries)
            conn.executemany("INSERT INTO facet (entry_id, facet, value) VALUES (?, ?, ?)", facets)
            stored = 0
            for chunk in scores() if callable(scores) else [scores]:
                _bulk_insert(conn, SCORE, chunk)
                stored += len(chunk)
            conn.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [("content_hash", content), ("skipped_files", json.dumps(list(skipped))), (STATS_KEY, stats)],
            )
        log.info("indexed %d entries, %d facets, %d scores", len(entries), len(facets), stored)

    def store_scores(self, rows: Sequence[dict[str, Any]]) -> None:
        with _transaction(self.conn) as conn:
            _bulk_insert(conn, SCORE, list(rows), replace=True)

    def add_bench_results(self, rows: Iterable[dict[str, Any]]) -> int:
        rows = [dict(r, created=r.get("created") or datetime.now(UTC).isoformat()) for r in rows]
        known = set(BENCH.names)
        unknown = sorted({k for r in rows for k in r} - known)
        if unknown:
            raise ValueError(f"not a column of bench_result: {', '.join(unknown)}")
        with _transaction(self.conn) as conn:
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in rows:
                groups.setdefault(tuple(row), []).append(row)
            for group in groups.values():
                _bulk_insert(conn, BENCH, group)
        return len(rows)

    # -- reading ---------------------------------------------------------------------------------------------
    def query(
        self,
        kind: str | None = None,
        filters: dict[str, Sequence[str]] | None = None,
        text_query: str | None = None,
        access: Sequence[str] = (),
        license: Sequence[str] = (),
        min_tier_rank: int | None = None,
        sort: str = "id",
        descending: bool = False,
    ) -> list[dict[str, Any]]:
        """Entries matching every filter (values within one facet are OR-ed), as flat dicts."""
        if sort not in SORTABLE:
            raise UsageError(f"cannot sort by {sort!r}", hint="choose one of: " + ", ".join(SORTABLE))
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if kind:
            clauses.append("e.kind = :kind")
            params["kind"] = kind
        for i, (facet, values) in enumerate((filters or {}).items()):
            if not values:
                continue
            names = []
            for j, value in enumerate(values):
                params[f"f{i}_{j}"] = value
                names.append(f":f{i}_{j}")
            params[f"fn{i}"] = facet
            clauses.append(
                f"e.id IN (SELECT entry_id FROM facet WHERE facet = :fn{i} AND value IN ({', '.join(names)}))"
            )
        for column, values in (("access", access), ("license", license)):
            if values:
                names = []
                for j, value in enumerate(values):
                    params[f"{column}{j}"] = value
                    names.append(f":{column}{j}")
                clauses.append(f"e.{column} IN ({', '.join(names)})")
        if text_query:
            for j, word in enumerate(text_query.lower().split()):
                params[f"q{j}"] = f"%{word}%"
                clauses.append(f"e.search_text LIKE :q{j}")
        if min_tier_rank is not None:
            clauses.append("s.tier_rank >= :min_rank")
            params["min_rank"] = min_tier_rank
        where = " AND ".join(clauses) or "1=1"
        order_col = {"tier": "s.tier_rank", "points": "s.points"}.get(sort, f"e.{sort}")
        direction = "DESC" if descending else "ASC"
        sql = (
            "SELECT e.id, e.kind, e.entry_type, e.name, e.year, e.access, e.license, e.images, e.subjects, "
            "s.tier, s.points, s.verification, s.limited_by, "
            "(SELECT group_concat(value, ', ') FROM facet f "
            "WHERE f.entry_id = e.id AND f.facet = 'anatomy') AS anatomy, "
            "(SELECT group_concat(value, ', ') FROM facet f WHERE f.entry_id = e.id AND f.facet = 'task') AS tasks "
            f"FROM entry e LEFT JOIN score s ON s.entry_id = e.id WHERE {where} "
            f"ORDER BY {order_col} IS NULL, {order_col} {direction}, e.id"
        )
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor]

    def distinct_values(self, column: str) -> list[str]:
        """The distinct non-empty values of one entry column (``license``, ``access``, ...)."""
        if column not in {"license", "access", "kind", "entry_type"}:
            raise ValueError(f"not a listable column: {column}")
        rows = self.conn.execute(f"SELECT DISTINCT {column} FROM entry WHERE {column} IS NOT NULL")
        return sorted(str(r[0]) for r in rows if r[0])

    def score(self, entry_id: str, catalog: Catalog | None = None) -> dict[str, Any] | None:
        """The stored score of one entry; with ``catalog``, its next-tier plan is made if it was deferred."""
        row = self.conn.execute("SELECT data FROM score WHERE entry_id = ?", (entry_id,)).fetchone()
        found = self._expanded(row[0]) if row else None
        if found is not None and catalog is not None and self.scoring is not None:
            self.scoring.fill_plans(catalog, {entry_id: found})
        return found

    def scores(self, catalog: Catalog | None = None) -> dict[str, dict[str, Any]]:
        """Every stored score; with ``catalog``, deferred next-tier plans are made."""
        found = {i: self._expanded(d) for i, d in self.conn.execute("SELECT entry_id, data FROM score")}
        if catalog is not None and self.scoring is not None:
            self.scoring.fill_plans(catalog, found)
        return found

    def _expanded(self, data: str) -> dict[str, Any]:
        """A stored score, with the rubric text put back by the scorer when one is attached."""
        stored = json.loads(data)
        return self.scoring.expand(stored) if self.scoring is not None else stored

    def bench_results(self, dataset_id: str | None = None, model_id: str | None = None) -> list[dict[str, Any]]:
        clauses, params = [], []
        for column, value in (("dataset_id", dataset_id), ("model_id", model_id)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        names = BENCH.names
        sql = f"SELECT {', '.join(_quoted(c) for c in names)} FROM bench_result{where} ORDER BY id"
        return _valid_bench_rows([dict(zip(names, r, strict=True)) for r in self.conn.execute(sql, params)], self.path)


def index_rows(kind: str, entry: Entry, file: str) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """The entry's row and its (entry id, facet, value) rows; ``file`` is the entry file relative to the root. Given to
    ``load_catalog(prepare=...)``, the rows are made in the processes that parse the entries."""
    return _entry_row(kind, entry, file), [(entry.id, f, v) for f, v in _facets(kind, entry)]


def _entry_row(kind: str, entry, file: str) -> dict[str, Any]:
    counts = getattr(entry, "counts", None)
    words = [entry.id, entry.name, *entry.aliases, entry.description or "", getattr(entry, "architecture", None) or ""]
    return {
        "id": entry.id,
        "kind": kind,
        "entry_type": getattr(entry, "kind", "model") if kind == "dataset" else "model",
        "name": entry.name,
        "year": entry.year,
        "access": getattr(entry, "access", None),
        "license": getattr(entry, "license", None)
        or getattr(entry, "weights_license", None)
        or (entry.code.license if getattr(entry, "code", None) else None),
        "status": getattr(entry, "status", None),
        "images": counts.images if counts else None,
        "subjects": counts.subjects if counts else None,
        "file": file,
        "search_text": " ".join(words).lower(),
        "data": entry.model_dump_json(exclude_none=True),  # what model_dump(mode="json") holds, serialised in Rust
    }


def _facets(kind: str, entry) -> Iterable[tuple[str, str]]:
    for value in entry.anatomy:
        yield "anatomy", value
    for value in entry.tasks:
        yield "task", value
    if kind != "dataset":
        return
    for value in entry.annotation.label_types:
        yield "label_type", value
    for value in entry.species:
        yield "species", value
    for value in entry.acquisition.countries:
        yield "country", value
    for value in entry.modality.modes:
        yield "mode", value
    for value in entry.modality.dimensionality:
        yield "dimensionality", value
    for value in entry.formats:
        yield "format", value
    for value in sorted({s.kind for s in entry.sources}):
        yield "host", value


def _bulk_insert(conn: sqlite3.Connection, table: Table, rows: Sequence[dict[str, Any]], replace: bool = False) -> None:
    """Insert rows that share their keys through one executemany. Column names come from the table, never from the
    data."""
    if not rows:
        return
    known = set(table.names)
    columns = [c for c in rows[0] if c in known]
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    names = ", ".join(_quoted(c) for c in columns)
    sql = f'{verb} INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(columns))})'
    conn.executemany(sql, [tuple(row.get(c) for c in columns) for row in rows])


def read_bench_results(root: Path, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Benchmark results stored in the index of ``root``, read only: no index is created or rebuilt, and a missing
    or unreadable index gives no results (the site and the scorers read them this way)."""
    path = index_path(root)
    if not path.is_file():
        return []
    try:
        with closing(_read_only_connection(path)) as conn:
            conn.row_factory = sqlite3.Row
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "bench_result" not in tables:
                return []
            have = {r[1] for r in conn.execute("PRAGMA table_info(bench_result)")}
            wanted = [c for c in (columns or sorted(have)) if c in have]
            names = ", ".join(f'"{c}"' for c in wanted)
            return _valid_bench_rows(
                [dict(r) for r in conn.execute(f"SELECT {names} FROM bench_result ORDER BY id")], path
            )
    except sqlite3.Error as exc:
        log.warning("benchmark results not read from %s: %s", path, exc)
        return []


@functools.cache
def _bench_field_types() -> dict[str, tuple[tuple[type, ...], Any]]:
    """Per column: the Python types SQLite gives back for a sound value, and a validator for anything else."""
    from pydantic import TypeAdapter

    plain = {str: (str,), int: (int,), float: (float, int)}
    out = {}
    for name, field in BenchResultRow.model_fields.items():
        args = typing.get_args(field.annotation) or (field.annotation,)
        accepted = tuple(t for a in args if a is not type(None) for t in plain.get(a, ()))
        if type(None) in args:
            accepted += (type(None),)
        out[name] = (accepted, TypeAdapter(field.annotation or Any))
    return out


def _valid_bench_rows(rows: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """The stored benchmark rows whose every column holds its type (SQLite keeps whatever was written: a text value,
    a blob id, an infinite interval); the others are left out with one warning, so a damaged or hand-edited index
    cannot stop `usreg leaderboard`, `usreg show` or the site with a traceback."""
    from pydantic import ValidationError

    types = _bench_field_types()
    good, bad = [], 0
    for row in rows:
        checked = dict(row)
        try:
            for key, value in row.items():
                if key in types and type(value) not in types[key][0]:
                    checked[key] = types[key][1].validate_python(value)
        except ValidationError:
            bad += 1
            continue
        if any(isinstance(checked.get(k), float) and not math.isfinite(checked[k]) for k in FINITE_BENCH_COLUMNS):
            bad += 1
            continue
        good.append(checked)
    if bad:
        log.warning(
            "left out %d benchmark result row(s) of %s that do not hold valid values (a damaged or edited index); "
            "run `usreg bench` again to replace them",
            bad,
            path,
        )
    return good


FINITE_BENCH_COLUMNS = ("value", "ci_low", "ci_high")


def open_index(
    root: Path, catalog: Catalog | None = None, force: bool = False, scoring: Scoring | None = None
) -> RegistryIndex:
    """The index of ``root``, rebuilt when stale; with ``scoring``, every entry's score is stored and kept current."""
    index = RegistryIndex(root, scoring=scoring)
    index.ensure(catalog, force=force)
    return index
