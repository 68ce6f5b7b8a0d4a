"""Split assignment: the official split where the converter found one, else a seeded split.

Kinds (recorded in metadata.json, the manifest's schema metadata and checks.json):

- ``official``: every sample's split comes from the source (folders, lists, fold files).
- ``official-partial``: the source splits some samples; the rest get a seeded split (grouped by subject if known).
- ``seeded-subject``: no official split; subjects are shuffled with the seed and whole subjects go to one split,
  so no subject is in two splits.
- ``seeded-group``: no official split and no subjects, but every sample has a group (``extra.split_group``: a
  recording, a nodule's clip; set by the loader or its ``group_pattern`` option): whole groups go to one split.
- ``seeded-random``: no official split and no subject ids; samples are shuffled with the seed, stratified by label
  when labels exist.

The seeded assignment is deterministic: it depends only on the seed, the sample ids, subjects and labels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .base import CommonOptions, ConvertContext, Item
    from .patterns import Match

DEFAULT_RATIOS = {"train": 0.7, "val": 0.1, "test": 0.2}
DEFAULT_SEED = 0
#: key of ``extra`` naming a sample's group for the seeded split when no subject is known (see ``seeded-group``)
SPLIT_GROUP = "split_group"


@dataclass
class SplitResult:
    kind: str
    seed: int | None
    ratios: dict[str, float] | None
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seed": self.seed, "ratios": self.ratios, "counts": self.counts}


def assign_splits(
    rows: list[dict[str, Any]],
    seed: int = DEFAULT_SEED,
    ratios: dict[str, float] | None = None,
    positive: dict[str, bool] | None = None,
) -> SplitResult:
    """Fill ``row["split"]`` where it is None, in place, and say which kind of split resulted.

    Without subject ids the split is stratified by label and, given ``positive`` (sample id -> whether its masks
    hold any foreground), by positive and negative images, so that e.g. plaque-free images are spread over the
    splits in proportion instead of by chance. With subject ids, whole subjects are assigned.
    """
    ratios = _normalise(ratios or DEFAULT_RATIOS)
    missing = [r for r in rows if not r.get("split")]
    if not missing:
        return SplitResult("official", None, None, _counts(rows))
    partial = len(missing) < len(rows)
    if all(r.get("subject_id") for r in missing):
        _grouped(missing, seed, ratios, lambda r: str(r["subject_id"]))
        kind = "seeded-subject"
    elif all(_split_group(r) for r in missing):
        _grouped(missing, seed, ratios, _split_group)
        kind = "seeded-group"
    else:
        _stratified(missing, seed, ratios, positive)
        kind = "seeded-random"
    return SplitResult("official-partial" if partial else kind, seed, ratios, _counts(rows))


def _normalise(ratios: dict[str, float]) -> dict[str, float]:
    total = sum(v for v in ratios.values() if v > 0)
    if total <= 0:
        raise ValueError("split ratios must have a positive sum")
    return {k: v / total for k, v in ratios.items() if v > 0}


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        out[r["split"]] += 1
    return dict(sorted(out.items()))


def _allocate(groups: list[tuple[str, int]], ratios: dict[str, float]) -> dict[str, str]:
    """Give each (group, size) to the split furthest below its target share, in the given (shuffled) order."""
    total = sum(size for _, size in groups) or 1
    filled = dict.fromkeys(ratios, 0)
    out = {}
    for name, size in groups:
        split = min(ratios, key=lambda s: (filled[s] / total - ratios[s], -ratios[s]))
        out[name] = split
        filled[split] += size
    return out


def _split_group(row: dict[str, Any]) -> str | None:
    """The row's subject, else the group a loader or group_pattern put in extra.split_group (a recording, a clip)."""
    if row.get("subject_id"):
        return str(row["subject_id"])
    group = (row.get("extra") or {}).get(SPLIT_GROUP)
    return f"group:{group}" if group else None


def _grouped(
    rows: list[dict[str, Any]], seed: int, ratios: dict[str, float], key: Callable[[dict[str, Any]], str | None]
) -> None:
    sizes: dict[str, int] = defaultdict(int)
    for r in rows:
        sizes[str(key(r))] += 1
    groups = sorted(sizes)
    order = np.random.default_rng(seed).permutation(len(groups))
    mapping = _allocate([(groups[i], sizes[groups[i]]) for i in order], ratios)
    for r in rows:
        r["split"] = mapping[str(key(r))]


def _stratified(
    rows: list[dict[str, Any]], seed: int, ratios: dict[str, float], positive: dict[str, bool] | None = None
) -> None:
    mixed = positive is not None and len({bool(positive.get(r["sample_id"])) for r in rows}) == 2
    strata: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        key = str(r.get("label"))
        if mixed and positive is not None:
            key += "|positive" if positive.get(r["sample_id"]) else "|negative"
        strata[key].append(r)
    rng = np.random.default_rng(seed)
    for key in sorted(strata):
        members = sorted(strata[key], key=lambda r: r["sample_id"])
        order = rng.permutation(len(members))
        mapping = _allocate([(members[i]["sample_id"], 1) for i in order], ratios)
        for r in members:
            r["split"] = mapping[r["sample_id"]]


# --- published split lists, subject tables and label tables (loader options of every converter) -----------------
#
# These options apply after a converter has described its samples, so the generic converters and the dataset-specific
# ones share them. Each names files in the download (a path pattern, see ``registry.loaders.patterns``) and says how
# their rows name a sample (``key``):
#
# - ``stem``: the file name without its extension (``0001`` for ``.../0001.png``); list values may carry an extension;
# - ``name``: the file name (``0001.png``);
# - ``path``: a relative path; it names the sample whose source path ends with it;
# - ``index``: a 0-based position in the naturally sorted source paths (``2.png`` before ``10.png``), as the authors
#   of tg3k and tn3k use.
#
# ``scope`` (a folder, which may use the placeholders captured from the file's name) limits a file's rows to the
# samples under that folder: ``label4{part}.csv`` with scope ``{part}-image`` reads ``label4test.csv`` for
# ``test-image/`` only, where the same file names also occur in ``trainval-image/``.

import csv  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from pathlib import Path, PurePosixPath  # noqa: E402
from typing import Literal  # noqa: E402

from pydantic import BaseModel, ConfigDict, Field  # noqa: E402

from .split_names import canonical_split  # noqa: E402
from .tables import csv_lists, read_document, read_lines  # noqa: E402

KeyKind = Literal["stem", "name", "path", "index"]
Column = str | int
MAX_TABLE_ROWS = 2_000_000
_NUM = re.compile(r"(\d+)")
_EXTS = re.compile(r"\.(nii\.gz|[A-Za-z][A-Za-z0-9]{0,4})$")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: KeyKind = Field("stem", description="What a row names: stem, name, path or index (see splits.py).")
    scope: str | None = Field(None, description="Folder the rows apply to; may use placeholders of the file name.")
    delimiter: str = Field(",", description="CSV delimiter (';' for some Excel exports).")
    header: bool = Field(True, description="CSV: the first row names the columns (else columns are 0-based ints).")


class SplitLists(_Spec):
    """Published split lists: txt (one key per line), json ({split: [keys]}) or csv (a key and a split column)."""

    files: str | dict[str, str] = Field(
        description="Pattern with {split} ('ImageSets/Segmentation/{split}.txt'), split -> pattern, or one json/csv."
    )
    column: Column = Field(0, description="CSV: the column holding the key.")
    split_column: Column | None = Field(None, description="CSV: the column holding the split.")
    values: dict[str, str] = Field(default_factory=dict, description="Split value -> split name, e.g. {'1': train}.")
    required: bool = Field(True, description="Report when no list file is found.")


class Table(_Spec):
    """A CSV table giving one value (a subject id or a label) per sample."""

    file: str = Field(description="Pattern of the CSV file(s), e.g. 'c-trus.csv' or 'label4{part}.csv'.")
    column: Column = Field(0, description="The column holding the key.")
    value_column: Column = Field(description="The column holding the value (subject id or label).")
    values: dict[str, str] = Field(default_factory=dict, description="Value -> name, e.g. {'0': benign}.")
    classes: list[str] | None = Field(None, description="Label tables: the label classes (default: the values).")


def natural_key(text: str) -> list[Any]:
    return [int(t) if t.isdigit() else t.lower() for t in _NUM.split(text)]


def _stem(name: str) -> str:
    return _EXTS.sub("", PurePosixPath(name).name)


class _Lookup:
    """Rows of one or more files, keyed as the spec says, each restricted to a scope folder."""

    def __init__(self, key: KeyKind) -> None:
        self.key = key
        self.rows: list[tuple[str | None, str, str, str]] = []  # (scope, key, value, file)
        self._cache: dict[str | None, dict[str, list[int]]] = {}

    def add(self, scope: str | None, key: str, value: str, file: str) -> None:
        key = key.strip().replace("\\", "/")
        if not key:
            return
        if self.key == "stem":
            key = _stem(key)
        elif self.key == "name":
            key = PurePosixPath(key).name
        elif self.key == "path":
            key = key.lstrip("./")
        self.rows.append((scope.strip("/") if scope else None, key, value, file))

    def resolve(self, sources: list[str]) -> tuple[dict[int, tuple[str, str]], list[tuple[str, str]]]:
        """Source index -> (value, file), and the (key, file) of rows that name no source."""
        out: dict[int, tuple[str, str]] = {}
        unmatched: list[tuple[str, str]] = []
        everything = list(range(len(sources)))
        scoped: dict[str, list[int]] = {}
        for scope, key, value, file in self.rows:
            if scope is not None and scope not in scoped:
                needle = f"/{scope}/"
                scoped[scope] = [n for n, src in enumerate(sources) if needle in f"/{src}"]
            members = everything if scope is None else scoped[scope]
            index = self._index(members, sources, scope)
            hits = index.get(key, [])
            if not hits:
                unmatched.append((key, file))
            for n in hits:
                out[n] = (value, file)
        return out, unmatched

    def _index(self, members: list[int], sources: list[str], scope: str | None) -> dict[str, list[int]]:
        if scope in self._cache:
            return self._cache[scope]
        index: dict[str, list[int]] = defaultdict(list)
        if self.key == "index":
            for pos, n in enumerate(sorted(members, key=lambda n: natural_key(sources[n]))):
                index[str(pos)].append(n)
        else:
            for n in members:
                src = sources[n]
                if self.key == "stem":
                    index[_stem(src)].append(n)
                elif self.key == "name":
                    index[PurePosixPath(src).name].append(n)
                else:
                    parts = src.split("/")
                    for i in range(len(parts)):
                        index["/".join(parts[i:])].append(n)
        self._cache[scope] = index
        return index


def _column(header: list[str] | None, row: list[str], column: Column) -> str:
    if isinstance(column, int) or (header is None and str(column).isdigit()):
        i = int(column)
    else:
        i = header.index(column) if header and column in header else -1
    return row[i].strip() if 0 <= i < len(row) else ""


def _read_csv(
    ctx: ConvertContext, path: Path, spec: _Spec, columns: list[Column]
) -> tuple[list[str] | None, list[list[str]]]:
    rows = [
        [c.strip() for c in row] for _, row in csv_lists(ctx, path, delimiter=spec.delimiter, max_rows=MAX_TABLE_ROWS)
    ]
    header = rows.pop(0) if spec.header and rows else None
    for c in columns:
        if header is not None and not isinstance(c, int) and c not in header:
            raise ValueError(f"no column {c!r} (columns: {', '.join(header)})")
    return header, [r for r in rows if any(r)]


def _scope(spec: _Spec, groups: dict[str, str]) -> str | None:
    if not spec.scope:
        return None
    try:
        return spec.scope.format(**groups)
    except (KeyError, IndexError, ValueError):
        return spec.scope


def _matches(ctx: ConvertContext, pattern: str) -> list[Match]:
    from .patterns import match_files

    return match_files(pattern, ctx.files(), ctx.source_dir)


def read_split_lists(ctx: ConvertContext, spec: SplitLists) -> _Lookup:
    """Every published split list named by ``spec``, as one lookup of key -> split."""
    lookup = _Lookup(spec.key)
    found: list[tuple[str | None, Any]] = []
    if isinstance(spec.files, dict):
        for split_name, pattern in spec.files.items():
            found += [(split_name, m) for m in _matches(ctx, pattern)]
    else:
        found += [(m.groups.get("split"), m) for m in _matches(ctx, spec.files)]
    if not found:
        if spec.required:
            ctx.problem(
                "missing_annotation", ctx.source_dir, f"no split list matches {spec.files!r}", severity="warning"
            )
        return lookup

    def name(value: str) -> str:
        return canonical_split(spec.values.get(value, value))

    file_splits = {name(s) for s, _ in found if s}
    for split, m in found:
        path, where = m.path, ctx.rel(m.path)
        scope = _scope(spec, m.groups)
        canon = name(split) if split else None
        if canon == "trainval" and file_splits & {"train", "val"}:
            continue  # the union of train and val: the finer lists decide
        if canon == "trainval":
            canon = "train"
        try:
            suffix = path.suffix.lower()
            if suffix == ".json":
                text = read_document(ctx, path, "no split is taken from it")
                if text is None:
                    continue
                doc = json.loads(text)
                if not isinstance(doc, dict):
                    raise ValueError("expected an object {split: [ids]}")
                for key, values in doc.items():
                    if isinstance(values, list):
                        for v in values[:MAX_TABLE_ROWS]:
                            lookup.add(scope, str(v), name(str(key)), where)
            elif suffix in {".csv", ".tsv"}:
                cols = [spec.column] + ([spec.split_column] if spec.split_column is not None else [])
                header, rows = _read_csv(ctx, path, spec, cols)
                for row in rows:
                    value = name(_column(header, row, spec.split_column)) if spec.split_column is not None else canon
                    if value:
                        lookup.add(scope, _column(header, row, spec.column), value, where)
            else:
                if canon is None:
                    raise ValueError("a text list needs its split in the file name ({split}) or a files mapping")
                lines = read_lines(path, MAX_TABLE_ROWS, ctx=ctx)
                for line in lines:
                    if line.split():
                        lookup.add(scope, line.split()[0], canon, where)
        except (OSError, ValueError, csv.Error) as exc:
            ctx.problem("annotation_unreadable", path, f"split list not readable: {exc}")
    return lookup


def read_table(ctx: ConvertContext, spec: Table, what: str) -> _Lookup:
    lookup = _Lookup(spec.key)
    found = _matches(ctx, spec.file)
    if not found:
        ctx.problem("missing_annotation", ctx.source_dir, f"no {what} table matches {spec.file!r}", severity="warning")
    for m in found:
        try:
            header, rows = _read_csv(ctx, m.path, spec, [spec.column, spec.value_column])
        except (OSError, ValueError, csv.Error) as exc:
            ctx.problem("annotation_unreadable", m.path, f"{what} table not readable: {exc}")
            continue
        scope = _scope(spec, m.groups)
        for row in rows:
            raw = _column(header, row, spec.value_column)
            if raw:
                lookup.add(scope, _column(header, row, spec.column), spec.values.get(raw, raw), ctx.rel(m.path))
    return lookup


def apply_tables(items: list[Item], ctx: ConvertContext, options: CommonOptions) -> list[Item]:
    """Set split, subject and label of ``items`` from the published files named in ``options`` (in place).

    A published split overrides the converter's; a table's subject or label fills it. Rows naming no sample and
    samples in no list are reported (warnings: the lists of some datasets name files that were never released).
    """
    sources = [it.source_file for it in items]
    spec = getattr(options, "split_lists", None)
    if spec is not None:
        found, unmatched = read_split_lists(ctx, spec).resolve(sources)
        _report_unmatched(ctx, unmatched, "split list")
        for n, (split, _file) in found.items():
            items[n].split = canonical_split(split)
        missing = [it for n, it in enumerate(items) if n not in found]
        if missing and found:
            ctx.problem(
                "not_in_split_list",
                missing[0].source_file,
                f"{len(missing)} sample(s) are in no published split list (first: {missing[0].source_file}); "
                + ("they keep the split of their folder" if all(it.split for it in missing) else "seeded split"),
                severity="warning",
            )
        if found:
            ctx.split_info = {**ctx.split_info, "published_lists": sorted({f for _, f in found.values()})}
    subj = getattr(options, "subject_table", None)
    if subj is not None:
        found, unmatched = read_table(ctx, subj, "subject").resolve(sources)
        _report_unmatched(ctx, unmatched, "subject table")
        for n, (subject, _file) in found.items():
            items[n].subject_id = subject
    for option, name in (("subject_pattern", "subject"), ("group_pattern", "group")):
        pattern = getattr(options, option, None)
        if not pattern:
            continue
        rx = re.compile(pattern)
        for it in items:
            m = rx.search(it.source_file)
            if m and m.groupdict().get(name):
                if name == "subject":
                    it.subject_id = m.group(name)
                else:
                    it.extra[SPLIT_GROUP] = m.group(name)
    labels = getattr(options, "label_table", None)
    if labels is not None:
        found, unmatched = read_table(ctx, labels, "label").resolve(sources)
        _report_unmatched(ctx, unmatched, "label table")
        if ctx.label_classes is None:
            declared = labels.classes or sorted(set(labels.values.values())) or sorted({v for v, _ in found.values()})
            ctx.declare_labels(declared)
        for n, (label, file) in found.items():
            items[n].label = ctx.check_label(label, file, items[n].sample_id)
    return items


def _report_unmatched(ctx: ConvertContext, unmatched: list[tuple[str, str]], what: str) -> None:
    by_file: dict[str, list[str]] = defaultdict(list)
    for key, file in unmatched:
        by_file[file].append(key)
    for file, keys in sorted(by_file.items()):
        ctx.problem(
            "listed_not_found",
            file,
            f"{len(keys)} id(s) of this {what} name no file in the download (first: {', '.join(keys[:3])})",
            severity="warning",
        )
