"""The converter interface: what a converter yields, how it reports bad input, and the registry of converters by name.

A converter walks a source tree (the download, archives already extracted) and yields ``Item``s: cheap descriptions
of one sample (which file to decode, which masks, labels, boxes, split, subject). Decoding and PNG encoding happen in
worker processes (see ``registry.loaders.pipeline``), so ``Item`` holds only picklable data and ``Decode`` calls to
module-level functions.

Bad input is never fatal for the rest of the dataset: a converter calls ``ctx.problem(...)`` with the file name and
carries on; the problem list goes to ``metadata.json`` and feeds the data checks.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from ..errors import UsregError
from ..formats.sample import Box
from .splits import SplitLists, Table

if TYPE_CHECKING:
    from ..schema import Dataset


@dataclass(frozen=True)
class Problem:
    """One finding about the source data. ``kind`` is a stable keyword the checks group by."""

    kind: str
    file: str
    message: str
    severity: str = "error"
    sample_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = {"kind": self.kind, "file": self.file, "message": self.message, "severity": self.severity}
        if self.sample_id:
            d["sample_id"] = self.sample_id
        return d


@dataclass
class Decode:
    """A deferred call ``fn(*args, **kwargs)`` run in a worker. ``fn`` must be a module-level function.

    With ``needs_shape`` the worker passes ``image_shape=(height, width)`` of the decoded image (for masks drawn from
    polygons or empty masks).
    """

    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    needs_shape: bool = False
    source: str | None = None
    """The source file, relative to the source tree, named in problems about this decode."""

    def __call__(self, image_shape: tuple[int, int] | None = None) -> Any:
        if self.needs_shape:
            return self.fn(*self.args, image_shape=image_shape, **self.kwargs)
        return self.fn(*self.args, **self.kwargs)


@dataclass
class Item:
    """One sample to convert. ``split`` None means "no official split": the pipeline assigns a seeded one."""

    sample_id: str
    image: Decode
    source_file: str
    masks: dict[str, Decode] = field(default_factory=dict)
    split: str | None = None
    subject_id: str | None = None
    label: str | None = None
    boxes: list[Box] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)
    frame: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    colour: str = "auto"
    annotation_file: str | None = None
    """The file holding this sample's boxes or labels (an XML, CSV or JSON), named in problems about them."""
    declared_size: tuple[int, int] | None = None
    """(width, height) the annotation file states; a different image size is reported."""


@dataclass
class Target:
    """A mask target: its class map (value -> name) and where the classes came from."""

    classes: dict[int, str]
    description: str = ""


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: characters of a sample id at most: its files (``images/<id>.png``) must fit the 255-byte limit of a file name
MAX_ID_CHARS = 200


def safe_id(text: str) -> str:
    """A file-system-safe sample id: runs of other characters become '_', no leading/trailing '_' or '.'. A longer id
    than ``MAX_ID_CHARS`` (a path of long folder names joined) is cut and given a digest of the whole, so it stays
    unique and its files can be written (they failed with 'File name too long')."""
    out = _SAFE.sub("_", text.strip()).strip("_.")
    if len(out) > MAX_ID_CHARS:
        import hashlib

        out = f"{out[: MAX_ID_CHARS - 17]}_{hashlib.sha256(out.encode()).hexdigest()[:16]}"
    return out or "sample"


def text_name(name: str) -> str:
    """A file name as text that can be written to the manifest and metadata: bytes that are not UTF-8 (kept by Python
    as surrogates) are shown as ``\\xNN`` escapes; before, such a name stopped the conversion with a
    UnicodeEncodeError when the manifest was written."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


_O = TypeVar("_O", bound="CommonOptions")


class ConvertContext:
    """What a converter sees: the source tree, the entry, its validated options, and the problem log."""

    def __init__(self, source_dir: Path, entry: Dataset, options: CommonOptions, dataset_id: str) -> None:
        self.source_dir = Path(os.path.abspath(source_dir))
        self.entry = entry
        self.options = options
        self.dataset_id = dataset_id
        self.problems: list[Problem] = []
        self.targets: dict[str, Target] = {}
        self.label_classes: list[str] | None = None
        self.box_categories: list[str] = []
        self.split_note: str = ""
        self.split_info: dict[str, Any] = {}
        self.ignored: dict[str, str] = {}
        """Source files the converter leaves out on purpose (relative path -> why); not counted as dropped."""
        self.tables_read: set[str] = set()
        """Tables and documents the converter read (labels, splits, annotations; relative paths): counted as used."""
        self._files: list[Path] | None = None

    def options_as(self, cls: type[_O]) -> _O:
        """The validated options as the converter's own model (its ``Options``, which the pipeline validated)."""
        if not isinstance(self.options, cls):
            raise TypeError(f"{self.dataset_id}: the options are {type(self.options).__name__}, not {cls.__name__}")
        return self.options

    # --- reporting -------------------------------------------------------------------------------------------
    def problem(
        self, kind: str, file: str | Path, message: str, severity: str = "error", sample_id: str | None = None
    ) -> None:
        self.problems.append(Problem(kind, self.rel(file), message, severity, sample_id))

    def ignore_file(self, file: str | Path, reason: str) -> None:
        """Say that a source file is left out on purpose (e.g. the whole sequences when only ED/ES frames are
        converted), so the conversion does not count it as dropped."""
        self.ignored[self.rel(file)] = reason

    def note_read(self, file: str | Path) -> None:
        """Say that the converter read a table or document of the source tree (the shared readers do), so that the
        conversion counts it as used rather than as a file not read."""
        self.tables_read.add(self.rel(file))

    # --- declarations ------------------------------------------------------------------------------------------
    def declare_target(self, name: str, classes: dict[int, str], description: str = "") -> None:
        self.targets[name] = Target({int(k): v for k, v in classes.items()}, description)

    def declare_labels(self, names: list[str]) -> None:
        self.label_classes = list(names)

    def declare_box_categories(self, names: list[str]) -> None:
        self.box_categories = list(names)

    def check_label(self, label: object, file: str | Path, sample_id: str | None = None) -> str | None:
        """``label`` as a string if it is in the declared label classes; otherwise report it and return None."""
        if label is None or (isinstance(label, str) and not label.strip()):
            return None
        text = str(label).strip()
        if self.label_classes is not None and text not in self.label_classes:
            self.problem(
                "unknown_label",
                file,
                f"label {text!r} is not in the class map {self.label_classes}; the sample is kept without a label",
                sample_id=sample_id,
            )
            return None
        return text

    def check_box_category(self, name: str, file: str | Path, sample_id: str | None = None) -> bool:
        if self.box_categories and name not in self.box_categories:
            self.problem(
                "unknown_label",
                file,
                f"object class {name!r} is not in the class map {self.box_categories}; the box is dropped",
                sample_id=sample_id,
            )
            return False
        return True

    # --- files -------------------------------------------------------------------------------------------------
    def rel(self, path: str | Path) -> str:
        """``path`` relative to the source tree, as text (``text_name``) for reports and the manifest."""
        p = Path(path)
        try:
            return text_name(p.relative_to(self.source_dir).as_posix())
        except ValueError:
            return text_name(p.as_posix())

    def files(self) -> list[Path]:
        """Every regular file under the source tree (cached; sorted; hidden files and macOS junk excluded)."""
        if self._files is None:
            out = []
            for p in self.source_dir.rglob("*"):
                parts = p.relative_to(self.source_dir).parts
                if any(part.startswith(".") or part == "__MACOSX" for part in parts):
                    continue
                if p.is_file():
                    out.append(p)
            self._files = sorted(out)
        return self._files

    def find_dirs(self, predicate: Callable[[Path], bool], max_depth: int = 4) -> list[Path]:
        """Directories (the source root included) satisfying ``predicate``, shallowest first.

        Used to find the real root of an archive whatever wrapper folders it has (``BUSBRA/``,
        ``SegmentationDataset/``, ...).
        """
        found = []
        frontier = [self.source_dir]
        for _ in range(max_depth + 1):
            nxt = []
            for d in frontier:
                if d.name == "__MACOSX":
                    continue
                if predicate(d):
                    found.append(d)
                nxt.extend(sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith(".")))
            frontier = nxt
        return found

    def find_dir(self, predicate: Callable[[Path], bool], what: str) -> Path:
        dirs = self.find_dirs(predicate)
        if not dirs:
            raise UsregError(
                f"{self.dataset_id}: {what} not found under {self.source_dir}",
                hint="check that the download is complete and is this dataset's release; "
                f"`usreg cache clean {self.dataset_id}` then `usreg fetch {self.dataset_id}` downloads it again",
            )
        return dirs[0]


class Converter:
    """Base class. Subclasses set ``name``, ``summary``, optionally ``Options``, and implement ``items``.

    ``Options`` is the converter's options type: a ``CommonOptions`` subclass (extra keys forbidden) that an entry's
    ``loader.options`` must satisfy. ``usreg validate`` checks every entry's options against it (``option_problems``),
    so a wrong option is found before any download; ``items`` reads them with ``ctx.options_as(<its Options>)``.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1.0"
    summary: ClassVar[str] = ""
    Options: ClassVar[type[CommonOptions]]

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        raise NotImplementedError


class CommonOptions(BaseModel):
    """Options every converter accepts. Converters extend this model with their own."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(0, description="Seed of the split assigned when the source has no official split.")
    split_ratios: dict[str, float] | None = Field(
        None, description="Shares of the seeded split, e.g. {train: 0.8, test: 0.2}; default 0.7/0.1/0.2."
    )
    split_lists: SplitLists | None = Field(
        None,
        description="Published split lists (txt, json or csv); they override folder and seeded splits. "
        "A string is short for {files: <pattern>}.",
    )
    subject_table: Table | None = Field(None, description="A CSV giving each sample's subject (patient, scan).")
    subject_pattern: str | None = Field(
        None,
        description="Regex with (?P<subject>...) applied to each sample's source path, e.g. '^(?P<subject>\\d+)_'.",
    )
    group_pattern: str | None = Field(
        None,
        description="Regex with (?P<group>...) applied to each sample's source path: samples of one group (a "
        "recording, a nodule's clip) stay in one seeded split when no subject is published. The group is not a "
        "subject: it is kept in extra.split_group and never compared with the declared subjects.",
    )
    label_table: Table | None = Field(None, description="A CSV giving each sample's image-level label.")
    ignore: list[str] = Field(
        default_factory=list,
        description="Patterns of image files the layout deliberately leaves out (previews, duplicate formats); "
        "other unused image files are reported as dropped.",
    )

    @field_validator("split_lists", mode="before")
    @classmethod
    def _lists_shorthand(cls, value: Any) -> Any:
        return {"files": value} if isinstance(value, str) else value

    @field_validator("subject_pattern", "group_pattern")
    @classmethod
    def _named_group(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        try:
            rx = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        name = "subject" if info.field_name == "subject_pattern" else "group"
        if name not in rx.groupindex:
            raise ValueError(f"needs a named group (?P<{name}>...)")
        return value


Converter.Options = CommonOptions

_REGISTRY: dict[str, type[Converter]] = {}


def register(cls: type[Converter]) -> type[Converter]:
    """Class decorator adding a converter to the registry under ``cls.name``."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise RuntimeError(f"two converters are registered as {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def registry() -> dict[str, type[Converter]]:
    return _REGISTRY


@dataclass(frozen=True)
class OptionProblem:
    """One thing wrong with an entry's ``loader.options``: where (the path under ``options``) and what."""

    path: tuple[str | int, ...]
    message: str
    hint: str


def option_problems(converter: type[Converter], options: dict[str, Any] | None) -> list[OptionProblem]:
    """Check ``options`` against the converter's ``Options`` model without converting: one problem per bad option.

    An unknown option names the nearest known one and every option the converter takes; a wrong type or value says
    what was expected. ``usreg validate`` reports these at the option's line; ``parse_options`` raises them.
    """
    if options is not None and not isinstance(options, dict):
        return [
            OptionProblem((), f"loader '{converter.name}': options must be a mapping", "write options: {name: value}")
        ]
    try:
        converter.Options.model_validate(options or {})
    except ValidationError as exc:
        known = list(converter.Options.model_fields)
        allowed = f"options of '{converter.name}': {', '.join(known) or 'none'}"
        out = []
        for err in exc.errors():
            loc = tuple(x for x in err["loc"] if isinstance(x, str | int))
            name = ".".join(str(x) for x in loc) or "(options)"
            if err["type"] == "extra_forbidden" and len(loc) == 1:
                close = difflib.get_close_matches(str(loc[0]), known, n=1)
                guess = f"; did you mean '{close[0]}'?" if close else ""
                out.append(OptionProblem(loc, f"unknown option '{name}' for loader '{converter.name}'{guess}", allowed))
            else:
                out.append(OptionProblem(loc, f"option '{name}' of loader '{converter.name}': {err['msg']}", allowed))
        return out
    return []


def parse_options(
    converter: type[Converter], options: dict[str, Any] | None, where: str = "loader.options"
) -> CommonOptions:
    """Validate an entry's ``loader.options`` against the converter's model, with a clear error."""
    try:
        return converter.Options.model_validate(options or {})
    except ValidationError:
        problems = option_problems(converter, options)
    lines = [f"{where}.{'.'.join(str(x) for x in p.path) or '(options)'}: {p.message}" for p in problems]
    raise UsregError(
        f"invalid options for loader '{converter.name}':\n  " + "\n  ".join(lines),
        hint=problems[0].hint if problems else "",
    )
