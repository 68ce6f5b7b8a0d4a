"""The SQLite index of the catalog (sqlmodel): entries, facets for filtering, scores and benchmark results.

Entries, facets and scores are derived data, rebuilt automatically whenever the entry files change (keyed by a
content hash of every file) and on ``usreg index --rebuild``. Benchmark results are not derived from the entries, so a
rebuild keeps them.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Index, delete, insert, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from .catalog import Catalog, content_hash, entry_files
from .columns import SORTABLE
from .paths import index_path

log = logging.getLogger(__name__)
INDEX_SCHEMA_VERSION = "1"


class Meta(SQLModel, table=True):
    key: str = Field(primary_key=True)
    value: str


class EntryRow(SQLModel, table=True):
    __tablename__ = "entry"
    id: str = Field(primary_key=True)
    kind: str = Field(index=True)
    entry_type: str
    name: str
    year: int | None = None
    access: str | None = Field(default=None, index=True)
    license: str | None = Field(default=None, index=True)
    status: str | None = None
    images: int | None = None
    subjects: int | None = None
    file: str
    search_text: str
    data: str


class FacetRow(SQLModel, table=True):
    __tablename__ = "facet"
    __table_args__ = (Index("ix_facet_lookup", "facet", "value"),)
    entry_id: str = Field(primary_key=True)
    facet: str = Field(primary_key=True)
    value: str = Field(primary_key=True)


class ScoreRow(SQLModel, table=True):
    __tablename__ = "score"
    entry_id: str = Field(primary_key=True)
    rubric_version: str
    tier: str = Field(index=True)
    tier_rank: int
    points: float
    verification: str
    limited_by: str | None = None
    data: str


class BenchResultRow(SQLModel, table=True):
    __tablename__ = "bench_result"
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: str = Field(index=True)
    model_id: str = Field(index=True)
    split: str
    metric: str
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    weights_sha256: str | None = None
    dataset_version: str | None = None
    converter: str | None = None
    converter_version: str | None = None
    seed: int | None = None
    device: str | None = None
    packages: str | None = None
    created: str
    run_id: str = Field(index=True)
    convention: str | None = None  # the metric convention (registry.bench.metrics.conventions), e.g. "fm-uia"
    detail: str | None = None  # JSON: adapter, target, timings; for check.* rows, what was checked and why it failed


def _engine(path: Path) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("PRAGMA journal_mode=WAL"))
    SQLModel.metadata.create_all(engine)
    _add_missing_columns(engine)
    return engine


def _add_missing_columns(engine: Engine) -> None:
    """Bring an index made by an older usreg up to date by adding new (nullable) columns; nothing is dropped."""
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            existing = {row[1] for row in conn.execute(text(f"PRAGMA table_info('{table.name}')"))}
            for column in table.columns:
                if column.name not in existing:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))
                    log.info("index: added column %s.%s", table.name, column.name)


class Scoring(Protocol):
    """What the index needs from a scorer: the ``scorers`` package provides it (``scorers.service.ScorersService``)
    and the command line hands it in, so this module never imports the scorers."""

    def score_rows(self, catalog: Catalog) -> list[dict[str, Any]]: ...

    def expand(self, stored: dict[str, Any]) -> dict[str, Any]: ...

    def fill_plans(self, catalog: Catalog, scores: dict[str, dict[str, Any]]) -> None: ...

    def refresh(self, index: RegistryIndex, catalog: Catalog | None) -> bool: ...

    def mark_current(self, index: RegistryIndex) -> None: ...


class RegistryIndex:
    """Open (and, when stale, rebuild) the index of one catalog root."""

    def __init__(self, root: Path, path: Path | None = None, scoring: Scoring | None = None) -> None:
        self.root = root
        self.scoring = scoring
        self.path = path or index_path(root)
        self.engine = _engine(self.path)
        self._seen_hash: str | None = None

    # -- freshness -------------------------------------------------------------------------------------------
    def stored_hash(self) -> str | None:
        with Session(self.engine) as session:
            row = session.get(Meta, "content_hash")
            return row.value if row else None

    def current_hash(self) -> str:
        extra = os.environ.get("USREG_HOME", "") + INDEX_SCHEMA_VERSION
        return content_hash(entry_files(self.root)) + extra

    def is_fresh(self) -> bool:
        # kept for rebuild(): a hash taken before the catalog is loaded can only make the index look stale, never
        # fresh, if an entry changes in between
        self._seen_hash = self.current_hash()
        return self.stored_hash() == self._seen_hash

    def ensure(self, catalog: Catalog | None = None, force: bool = False) -> bool:
        """Rebuild when the entries changed (or ``force``). Returns whether a rebuild happened.

        Entries that do not validate are left out (see :meth:`Catalog.usable`); the rest is indexed.
        """
        if not force and self.is_fresh():
            # the entries are unchanged, but evidence may not be (a bench run, a fetch): keep one current score
            if self.scoring is not None:
                self.scoring.refresh(self, catalog.usable() if catalog is not None else None)
            return False
        if catalog is None:
            from .catalog import load_catalog

            catalog = load_catalog(self.root, duplicates=False)
        self.rebuild(catalog.usable(), skipped=catalog.invalid_files)
        if self.scoring is not None:
            self.scoring.mark_current(self)
        return True

    def get_meta(self, key: str) -> str | None:
        with Session(self.engine) as session:
            row = session.get(Meta, key)
            return row.value if row else None

    def set_meta(self, key: str, value: str) -> None:
        with Session(self.engine) as session:
            session.merge(Meta(key=key, value=value))
            session.commit()

    def bench_summary(self) -> tuple[int, int | None]:
        """(number of stored benchmark rows, highest row id): changes whenever results are added."""
        with self.engine.connect() as conn:
            count, last = conn.execute(text("SELECT count(*), max(id) FROM bench_result")).one()
        return int(count), last

    def stored_catalog(self) -> Catalog | None:
        """The validated entries stored in the index (None when one no longer validates): no YAML is parsed."""
        from pydantic import ValidationError

        from .catalog import Catalog
        from .schema import Dataset, Model

        catalog = Catalog(root=self.root)
        try:
            with Session(self.engine) as session:
                for row in session.exec(select(EntryRow).order_by(EntryRow.kind, EntryRow.id)):
                    if row.kind == "dataset":
                        catalog.datasets[row.id] = Dataset.model_validate_json(row.data)
                    else:
                        catalog.models[row.id] = Model.model_validate_json(row.data)
                    catalog.files[row.id] = self.root / row.file
        except ValidationError:
            return None
        return catalog

    def entry_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(text("SELECT id FROM entry"))}

    def scored_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(text("SELECT entry_id FROM score"))}

    def score_summaries(self) -> list[dict[str, Any]]:
        """One summary row per stored score (no JSON parsing), ordered by kind and id."""
        sql = (
            "SELECT s.entry_id, e.kind, s.tier, s.tier_rank, s.points, s.verification, s.limited_by, "
            "s.rubric_version FROM score s JOIN entry e ON e.id = s.entry_id ORDER BY e.kind, e.id"
        )
        keys = ("id", "kind", "tier", "tier_rank", "points", "verification", "limited_by", "rubric")
        with self.engine.connect() as conn:
            return [dict(zip(keys, r, strict=True)) for r in conn.execute(text(sql))]

    def ensure_bench_columns(self, columns: Sequence[str]) -> None:
        """Add result columns that an index created by an older usreg lacks (SQLite ALTER TABLE ADD COLUMN)."""
        with self.engine.begin() as conn:
            have = {row[1] for row in conn.execute(text("PRAGMA table_info(bench_result)"))}
            for column in columns:
                if have and column not in have:
                    conn.execute(text(f'ALTER TABLE bench_result ADD COLUMN "{column}"'))

    def skipped_files(self) -> list[str]:
        """Entry files left out of the index at its last rebuild because they did not validate."""
        with Session(self.engine) as session:
            row = session.get(Meta, "skipped_files")
            return json.loads(row.value) if row else []

    # -- writing ---------------------------------------------------------------------------------------------
    def rebuild(self, catalog: Catalog, skipped: Sequence[str] = ()) -> None:
        seen, self._seen_hash = self._seen_hash, None
        entries: list[dict[str, Any]] = []
        facets: list[dict[str, Any]] = []
        for kind, items in (("dataset", catalog.datasets), ("model", catalog.models)):
            for entry in items.values():
                entries.append(_entry_row(kind, entry, catalog))
                facets.extend({"entry_id": entry.id, "facet": f, "value": v} for f, v in _facets(kind, entry))
        scores = self.scoring.score_rows(catalog) if self.scoring is not None else []
        with self.engine.begin() as conn:
            conn.execute(delete(FacetRow))
            conn.execute(delete(ScoreRow))
            conn.execute(delete(EntryRow))
            _bulk_insert(conn, EntryRow, entries)
            _bulk_insert(conn, FacetRow, facets)
            _bulk_insert(conn, ScoreRow, scores)
            conn.execute(delete(Meta).where(col(Meta.key).in_(["content_hash", "skipped_files"])))
            conn.execute(
                insert(Meta),
                [
                    {"key": "content_hash", "value": seen or self.current_hash()},
                    {"key": "skipped_files", "value": json.dumps(list(skipped))},
                ],
            )
        log.info("indexed %d entries, %d facets, %d scores", len(entries), len(facets), len(scores))

    def store_scores(self, rows: Sequence[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(ScoreRow).where(col(ScoreRow.entry_id).in_([r["entry_id"] for r in rows])))
            _bulk_insert(conn, ScoreRow, list(rows))

    def add_bench_results(self, rows: Iterable[dict[str, Any]]) -> int:
        rows = [dict(r, created=r.get("created") or datetime.now(UTC).isoformat()) for r in rows]
        with self.engine.begin() as conn:
            if rows:
                conn.execute(insert(BenchResultRow), rows)
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
            from .errors import UsageError

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
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]

    def distinct_values(self, column: str) -> list[str]:
        """The distinct non-empty values of one entry column (``license``, ``access``, ...)."""
        if column not in {"license", "access", "kind", "entry_type"}:
            raise ValueError(f"not a listable column: {column}")
        with self.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT DISTINCT {column} FROM entry WHERE {column} IS NOT NULL"))
            return sorted(str(r[0]) for r in rows if r[0])

    def score(self, entry_id: str, catalog: Catalog | None = None) -> dict[str, Any] | None:
        """The stored score of one entry; with ``catalog``, its next-tier plan is made if it was deferred."""
        with Session(self.engine) as session:
            row = session.get(ScoreRow, entry_id)
            found = self._expanded(row.data) if row else None
        if found is not None and catalog is not None and self.scoring is not None:
            self.scoring.fill_plans(catalog, {entry_id: found})
        return found

    def scores(self, catalog: Catalog | None = None) -> dict[str, dict[str, Any]]:
        """Every stored score; with ``catalog``, deferred next-tier plans are made."""
        with Session(self.engine) as session:
            found = {r.entry_id: self._expanded(r.data) for r in session.exec(select(ScoreRow))}
        if catalog is not None and self.scoring is not None:
            self.scoring.fill_plans(catalog, found)
        return found

    def _expanded(self, data: str) -> dict[str, Any]:
        """A stored score, with the rubric text put back by the scorer when one is attached."""
        stored = json.loads(data)
        return self.scoring.expand(stored) if self.scoring is not None else stored

    def bench_results(self, dataset_id: str | None = None, model_id: str | None = None) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            stmt = select(BenchResultRow)
            if dataset_id:
                stmt = stmt.where(BenchResultRow.dataset_id == dataset_id)
            if model_id:
                stmt = stmt.where(BenchResultRow.model_id == model_id)
            return [r.model_dump() for r in session.exec(stmt.order_by(col(BenchResultRow.id)))]


def _entry_row(kind: str, entry, catalog: Catalog) -> dict[str, Any]:
    data = entry.model_dump(mode="json", exclude_none=True)
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
        "file": str(catalog.files[entry.id].relative_to(catalog.root)),
        "search_text": " ".join(words).lower(),
        "data": json.dumps(data, default=str),
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


def _bulk_insert(conn: Any, table: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows that share their keys through the driver's executemany (several times faster than the ORM's
    statement building for tens of thousands of rows). Column names come from the table, never from the data."""
    if not rows:
        return
    known = set(sa_inspect(table).columns.keys())
    columns = [c for c in rows[0] if c in known]
    sql = f"INSERT INTO {table.__tablename__} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    conn.exec_driver_sql(sql, [tuple(row.get(c) for c in columns) for row in rows])


def read_bench_results(root: Path, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Benchmark results stored in the index of ``root``, read only: no index is created or rebuilt, and a missing
    or unreadable index gives no results (the site and the scorers read them this way)."""
    import contextlib
    import sqlite3

    path = index_path(root)
    if not path.is_file():
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "bench_result" not in tables:
                return []
            have = {r[1] for r in conn.execute("PRAGMA table_info(bench_result)")}
            wanted = [c for c in (columns or sorted(have)) if c in have]
            names = ", ".join(f'"{c}"' for c in wanted)
            return [dict(r) for r in conn.execute(f"SELECT {names} FROM bench_result ORDER BY id")]
    except sqlite3.Error as exc:
        log.warning("benchmark results not read from %s: %s", path, exc)
        return []


def open_index(
    root: Path, catalog: Catalog | None = None, force: bool = False, scoring: Scoring | None = None
) -> RegistryIndex:
    """The index of ``root``, rebuilt when stale; with ``scoring``, every entry's score is stored and kept current."""
    index = RegistryIndex(root, scoring=scoring)
    index.ensure(catalog, force=force)
    return index
