"""Read and validate ``entries/`` into one Catalog, collecting every error in a single pass."""

from __future__ import annotations

import difflib
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .errors import Finding, relative
from .home import ID_RE
from .paths import ENTRY_DIRS
from .schema import Dataset, Entry, Model
from .yamlsafe import Document, YamlError, load_file

SCHEMA_COMMENT = "# yaml-language-server: $schema=../../schemas/{kind}.schema.json"
KIND_MODELS: dict[str, type[Dataset] | type[Model]] = {"dataset": Dataset, "model": Model}

_PATTERN_HINTS = {
    "^https?://": "write a full http(s) URL, e.g. https://example.org/page",
    "^10\\.": "write the bare DOI, e.g. 10.1038/s41597-026-06952-7 (no https://doi.org/ prefix)",
    "^[a-z0-9]+(?:-": "use lowercase letters, digits and single hyphens (kebab-case), e.g. bus-bra",
    "^\\d{4}\\.": "write the arXiv id, e.g. 2411.16222",
    "^[0-9a-f]{32}": "write the md5 as 32 lowercase hex digits",
    "^[0-9a-f]{64}": "write the sha256 as 64 lowercase hex digits",
}


@dataclass
class Catalog:
    root: Path
    datasets: dict[str, Dataset] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    listing: list[tuple[str, Path]] | None = field(default=None, repr=False)  # every entry file, when all were read
    digests: dict[Path, bytes] = field(default_factory=dict, repr=False)  # sha256 of the bytes parsed, per file
    prepared: dict[str, Any] = field(default_factory=dict, repr=False)  # what load_catalog's ``prepare`` made, by id

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def invalid_files(self) -> list[str]:
        """The entry files (relative to the root) that have at least one validation error."""
        return sorted({finding.file for finding in self.errors})

    def usable(self) -> Catalog:
        """The entries that validate, for commands that read the catalog rather than judge it.

        A draft entry being written must not stop `list`, `show`, `stats`, `export` or `site build` for every other
        entry: those commands report the invalid files once and skip them; `validate` and CI still fail on them.
        """
        if not self.errors:
            return self
        bad = {(self.root / rel).resolve() for rel in self.invalid_files}
        keep = {i for i, path in self.files.items() if path.resolve() not in bad}
        return Catalog(
            root=self.root,
            datasets={i: d for i, d in self.datasets.items() if i in keep},
            models={i: m for i, m in self.models.items() if i in keep},
            files={i: p for i, p in self.files.items() if i in keep},
            errors=[],
            warnings=self.warnings,
            listing=self.listing,
            digests=self.digests,
            prepared=self.prepared,
        )

    def parsed_hash(self) -> str | None:
        """:func:`content_hash` of the entry files as they were parsed (None unless every file was read whole)."""
        if self.listing is None or any(path not in self.digests for _, path in self.listing):
            return None
        digest = hashlib.sha256()
        for kind, path in self.listing:
            digest.update(f"{kind}:{path.name}\0".encode())
            digest.update(self.digests[path])
        return digest.hexdigest()

    def entry(self, entry_id: str) -> Dataset | Model | None:
        return self.datasets.get(entry_id) or self.models.get(entry_id)

    def kind_of(self, entry_id: str) -> str | None:
        if entry_id in self.datasets:
            return "dataset"
        if entry_id in self.models:
            return "model"
        return None

    def models_using(self, dataset_id: str) -> list[Model]:
        return [m for m in self.models.values() if dataset_id in m.trained_on or dataset_id in m.evaluated_on]

    def document(self, entry_id: str) -> Document:
        """The parsed YAML with positions, re-read on demand (only error reports need positions)."""
        return load_file(self.files[entry_id])

    def collections_of(self, dataset_id: str) -> list[Dataset]:
        return [d for d in self.datasets.values() if dataset_id in d.relations.members]


def entry_files(root: Path) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for kind, sub in ENTRY_DIRS.items():
        folder = root / sub
        if folder.is_dir():
            found.extend((kind, p) for p in sorted(folder.glob("*.yaml"), key=lambda p: p.name))  # same order, faster
    return found


def entry_file(root: Path, entry_id: str) -> tuple[str, Path] | None:
    """``(kind, path)`` of the one entry file named after ``entry_id`` (``entries/<kind>s/<id>.yaml``); None when the
    id is not an entry id, or no file or more than one (a dataset and a model) bears that name."""
    from .home import ID_RE

    if not ID_RE.match(entry_id) or len(entry_id) > 64:
        return None
    found = [(kind, root / sub / f"{entry_id}.yaml") for kind, sub in ENTRY_DIRS.items()]
    existing = [item for item in found if item[1].is_file()]
    return existing[0] if len(existing) == 1 else None


def content_hash(files: Iterable[tuple[str, Path]]) -> str:
    """A hash of every entry file's name and bytes, used to decide when the index is stale."""
    digest = hashlib.sha256()
    for kind, path in files:
        digest.update(f"{kind}:{path.name}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


RACY_NS = 2_000_000_000  # a file changed this recently may change again within the same timestamp: hash it


def stat_fingerprint(root: Path) -> tuple[str, bool]:
    """(a hash of every entry file's name, size, mtime, ctime and inode; whether a file changed in the last
    ``RACY_NS``). Equal fingerprints mean unchanged files without reading them, unless one was racy when taken."""
    digest = hashlib.sha256()
    newest = 0
    for kind, sub in ENTRY_DIRS.items():
        try:
            with os.scandir(root / sub) as found:
                files = sorted((e for e in found if e.name.endswith(".yaml")), key=_name)  # as entry_files' glob
        except (FileNotFoundError, NotADirectoryError):
            continue
        for item in files:
            st = item.stat()
            digest.update(
                f"{kind}:{item.name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\n".encode()
            )
            newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
    return digest.hexdigest(), newest >= time.time_ns() - RACY_NS


def _name(item: os.DirEntry) -> str:
    return item.name


def kind_for_path(path: Path) -> str | None:
    parent = path.parent.name
    return {"datasets": "dataset", "models": "model"}.get(parent)


PARALLEL_THRESHOLD = 400


@dataclass
class ParsedEntry:
    """The outcome of reading one file: the validated entry, or the errors that stopped it."""

    kind: str
    path: Path
    entry: Dataset | Model | None
    errors: list[Finding]
    id_position: tuple[int, int] = (1, 1)
    sha256: bytes = b""  # of the bytes parsed (empty when the file could not be read or parsed)
    prepared: Any = None  # what ``prepare`` made of the valid entry
    data: Any = None  # the parsed YAML data (plain dicts and lists), with ``keep_data``


def parse_entry(kind: str, path: Path, root: Path, keep_data: bool = False) -> ParsedEntry:
    """Read, parse and validate one entry file on its own (no cross-references); ``keep_data`` keeps the parsed YAML
    data, which validates again into the same entry."""
    rel = relative(path, root)
    errors: list[Finding] = []
    try:
        doc = load_file(path)
    except YamlError as exc:
        errors.append(Finding(file=rel, message=exc.message, line=exc.line or 1, column=exc.column or 1, hint=exc.hint))
        return ParsedEntry(kind, path, None, errors)
    except OSError as exc:
        errors.append(Finding(file=rel, message=f"cannot read the file: {exc.strerror}"))
        return ParsedEntry(kind, path, None, errors)
    entry = _validate(kind, doc, rel, errors)
    _check_file_conventions(kind, path, rel, doc, errors)
    parsed = ParsedEntry(kind, path, None if errors else entry, errors, doc.position(("id",)), doc.sha256)
    if keep_data:
        parsed.data = doc.data
    return parsed


Prepare = Callable[[str, Entry, str], Any]
"""``(kind, entry, file relative to the root) -> anything``: work on each valid entry done where it was parsed (in the
worker processes for a large catalog), e.g. the index's rows."""


def _parse_chunk(items: list[tuple[str, Path]], root: Path, prepare: Prepare | None = None) -> list[ParsedEntry]:
    parsed = [parse_entry(kind, path, root) for kind, path in items]
    if prepare is not None:
        for one in parsed:
            if one.entry is not None:
                one.prepared = prepare(one.kind, one.entry, relative(one.path, root))
    return parsed


def parse_entries(items: Sequence[tuple[str, Path]], root: Path, prepare: Prepare | None = None) -> list[ParsedEntry]:
    """Parse many files, on every core when there are enough of them to pay for the worker processes."""
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_THRESHOLD or workers < 2:
        return _parse_chunk(list(items), root, prepare)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(items) // (workers * 4))
    chunks = [list(items[i : i + size]) for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork") if os.name == "posix" else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        found = pool.map(_parse_chunk, chunks, [root] * len(chunks), [prepare] * len(chunks))
        return [parsed for chunk in found for parsed in chunk]


def load_catalog(
    root: Path,
    only: Sequence[Path] | None = None,
    plugins: bool = False,
    duplicates: bool = True,
    prepare: Prepare | None = None,
) -> Catalog:
    """Read all entries under ``root`` (or just ``only``), validate them, and check cross-references.

    Cross-references are always resolved against the whole catalog, even when ``only`` is given. With ``plugins``,
    each dataset's ``loader`` must also name a registered converter with valid options (this imports the loaders,
    so only `usreg validate` and `usreg diff` ask for it). ``duplicates=False`` skips the possible-duplicate warnings
    (for indexing and scoring, which do not show warnings).
    """
    catalog = Catalog(root=root)
    all_files = entry_files(root)
    targets = {p.resolve() for p in only} if only else None
    items = list(all_files)
    if targets:
        known = {p.resolve() for _, p in all_files}
        for path in only or ():
            if path.resolve() in known:
                continue
            kind = kind_for_path(path)
            if kind is None:
                catalog.errors.append(
                    Finding(
                        file=relative(path, root),
                        message="not an entry file: entries live in entries/datasets/ or entries/models/",
                    )
                )
            else:
                items.append((kind, path))
    if not only:
        catalog.listing = all_files
    for parsed in parse_entries(items, root, prepare):
        _add(catalog, parsed, report=targets is None or parsed.path.resolve() in targets)
        if parsed.sha256:
            catalog.digests[parsed.path] = parsed.sha256
    _check_cross_references(catalog, targets)
    if plugins:
        _check_loaders(catalog, targets)
        _check_adapters(catalog, targets)
    if duplicates:
        from .duplicates import find_duplicates

        catalog.warnings.extend(find_duplicates(catalog, targets))
    return catalog


def _add(catalog: Catalog, parsed: ParsedEntry, report: bool) -> None:
    errors = list(parsed.errors)
    entry = parsed.entry
    if entry is not None:
        if entry.id in catalog.files:
            other = relative(catalog.files[entry.id], catalog.root)
            errors.append(
                Finding(
                    file=relative(parsed.path, catalog.root),
                    line=parsed.id_position[0],
                    column=parsed.id_position[1],
                    field="id",
                    message=f"duplicate id {entry.id!r}: also used by {other}",
                    hint="ids are unique across datasets and models; rename one",
                    entry=entry.id,
                )
            )
        else:
            if isinstance(entry, Dataset):
                catalog.datasets[entry.id] = entry
            else:
                catalog.models[entry.id] = entry
            catalog.files[entry.id] = parsed.path
            if parsed.prepared is not None:
                catalog.prepared[entry.id] = parsed.prepared
    if report:
        catalog.errors.extend(errors)


def _check_file_conventions(kind: str, path: Path, rel: str, doc: Document, errors: list[Finding]) -> None:
    first = doc.first_line
    expected = SCHEMA_COMMENT.format(kind=kind)
    if first != expected:
        errors.append(
            Finding(file=rel, line=1, message="the first line must name the schema", hint=f"make line 1: {expected}")
        )
    entry_id = doc.data.get("id")
    if isinstance(entry_id, str) and entry_id != path.stem:
        line, column = doc.position(("id",))
        errors.append(
            Finding(
                file=rel,
                line=line,
                column=column,
                field="id",
                message=f"id {entry_id!r} differs from the file name {path.name!r}",
                # an id that is no id ('../../etc/passwd') is not offered as a file name
                hint=(f"rename the file to {entry_id}.yaml or " if ID_RE.match(entry_id) else "")
                + f"set id: {path.stem}",
                entry=entry_id,
            )
        )


def _validate(kind: str, doc: Document, rel: str, errors: list[Finding]) -> Dataset | Model | None:
    model_cls = KIND_MODELS[kind]
    try:
        return model_cls.model_validate(doc.data)
    except ValidationError as exc:
        entry_id = doc.data.get("id") if isinstance(doc.data.get("id"), str) else ""
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            line, column = doc.position(loc)
            errors.append(
                Finding(
                    file=rel,
                    line=line,
                    column=column,
                    field=".".join(str(p) for p in loc),
                    message=_message(err),
                    hint=_hint(err, model_cls, loc),
                    entry=entry_id,
                )
            )
        return None


def _message(err: ErrorDetails) -> str:
    if err["type"] == "extra_forbidden":
        return f"unknown key {err['loc'][-1]!r}"
    if err["type"] == "missing":
        return "a required field is missing"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if "input" in err and not isinstance(err["input"], dict | list):
        shown = repr(err["input"])
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return f"{msg} (got {shown})"
    return msg


def _hint(err: ErrorDetails, model_cls: type[BaseModel], loc: tuple) -> str:
    if err["type"] == "extra_forbidden":
        allowed = _fields_at(model_cls, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            return f"did you mean {close[0]!r}?"
        return "allowed keys here: " + ", ".join(sorted(allowed)) if allowed else ""
    if err["type"] == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        for prefix, hint in _PATTERN_HINTS.items():
            if pattern.startswith(prefix):
                return hint
    if err["type"] == "enum":
        return "see the vocabulary in schemas/*.schema.json"
    if err["type"] == "missing":
        return f"add '{loc[-1]}:'"
    return ""


def _fields_at(model_cls: type[BaseModel], loc: tuple) -> list[str]:
    """The field names of the sub-model at ``loc`` (best effort; list indexes are skipped)."""
    import typing

    current: object = model_cls
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        annotation = fields[part].annotation
        current = _first_model(annotation, typing)
        if current is None:
            return []
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def _first_model(annotation: object, typing_mod) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing_mod.get_args(annotation):
        found = _first_model(arg, typing_mod)
        if found is not None:
            return found
    return None


def _check_loaders(catalog: Catalog, targets: set[Path] | None) -> None:
    """A dataset's ``loader`` names a registered converter, and its options are the ones that converter takes."""
    items = _in_targets(catalog, [(d.id, d.loader) for d in catalog.datasets.values() if d.loader], targets)
    if items:  # the converters are imported only when an entry names one
        from .loaders import loader_problems

        hint = "see `registry/loaders/` for the converters and their options"
        _report_plugin_problems(catalog, items, "loader", loader_problems, hint)


def _check_adapters(catalog: Catalog, targets: set[Path] | None) -> None:
    """A model's ``adapter`` names a known adapter, and its options are the ones that adapter (or recipe) takes."""
    items = _in_targets(catalog, [(m.id, m.adapter) for m in catalog.models.values() if m.adapter], targets)
    if items:
        from .bench.adapter_options import adapter_problems

        hint = "see registry/bench/adapter_options.py for the adapters and their options"
        _report_plugin_problems(catalog, items, "adapter", adapter_problems, hint)


def _in_targets(catalog: Catalog, items: list[tuple[str, Any]], targets: set[Path] | None) -> list[tuple[str, Any]]:
    """The ``(entry id, ...)`` items whose entry file is among ``targets`` (all of them when targets is None)."""
    if targets is None:
        return items
    return [item for item in items if catalog.files[item[0]].resolve() in targets]


def _report_plugin_problems(
    catalog: Catalog,
    items: list[tuple[str, Any]],
    field_name: str,
    problems: Callable[[str, Any], Iterable[Any]],
    default_hint: str,
) -> None:
    """One finding per problem that ``problems(name, options)`` sees in each entry's plugin block (``loader`` or
    ``adapter``), at the line of the option it is about."""
    for entry_id, plugin in items:
        for problem in problems(plugin.name, plugin.options):
            where = (field_name, *problem.path)
            line, column = catalog.document(entry_id).position(where)
            catalog.errors.append(
                Finding(
                    file=relative(catalog.files[entry_id], catalog.root),
                    line=line,
                    column=column,
                    field=".".join(str(x) for x in where),
                    message=problem.message,
                    hint=problem.hint or default_hint,
                    entry=entry_id,
                )
            )


def _check_cross_references(catalog: Catalog, targets: set[Path] | None) -> None:
    def report(entry_id: str) -> bool:
        return targets is None or catalog.files[entry_id].resolve() in targets

    def dangling(entry_id: str, path: tuple, ref: str, what: str) -> None:
        line, column = catalog.document(entry_id).position(path)
        if ref == entry_id:
            message, hint = f"{what} refers to the entry itself", "remove the self-reference"
        else:
            close = difflib.get_close_matches(ref, list(catalog.datasets), n=1)
            message = f"{what} {ref!r} is not a dataset in the registry"
            hint = f"did you mean {close[0]!r}?" if close else "add the dataset entry first, or remove the reference"
        catalog.errors.append(
            Finding(
                file=relative(catalog.files[entry_id], catalog.root),
                line=line,
                column=column,
                field=".".join(str(p) for p in path),
                message=message,
                hint=hint,
                entry=entry_id,
            )
        )

    for model in catalog.models.values():
        if not report(model.id):
            continue
        for field_name in ("trained_on", "evaluated_on"):
            for i, ref in enumerate(getattr(model, field_name)):
                if ref not in catalog.datasets:
                    dangling(model.id, (field_name, i), ref, field_name)
        for i, metric in enumerate(model.metrics):
            if metric.dataset and metric.dataset not in catalog.datasets:
                dangling(model.id, ("metrics", i, "dataset"), metric.dataset, "metrics dataset")
    for dataset in catalog.datasets.values():
        if not report(dataset.id):
            continue
        for rel_name in ("family", "derived_from", "members"):
            for i, ref in enumerate(getattr(dataset.relations, rel_name)):
                if ref not in catalog.datasets or ref == dataset.id:
                    dangling(dataset.id, ("relations", rel_name, i), ref, f"relations.{rel_name}")
