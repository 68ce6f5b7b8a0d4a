"""Strict YAML reading for entries: data only, with the line and column of every value.

Entries are data, never code. Beyond the safe loader this rejects duplicate keys, anchors and aliases
(which is also what defuses "billion laughs" bombs), non-standard tags and oversized files, and it keeps
a map from each field path to its position so that validation errors can name file:line:column. Text holding a
control character (a terminal escape sequence written as ``"\\e[2J"``, a C1 code) or a Unicode bidirectional override or
isolate (U+202A-U+202E, U+2066-U+2069, which reorder what a terminal or a page shows) is refused: entries are
printed by ``usreg show`` and ``usreg list`` and published on the site.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .yamlplain import read_plain

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml is present in the PyYAML wheels
    # mypy: the pure-Python loader is another class than the C one; either serves as the base below
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


_RESOLVED: dict[str, str] = {}  # plain scalar -> its implicit tag (a value's tag depends on nothing else)
_RESOLVED_MAX = 100_000  # values cached at most (emptied when full)
_RESOLVED_LEN = 80  # longer values are not cached (free text: rarely repeated)


class _Loader(_BaseLoader):
    """The safe loader with a faster implicit-tag resolver (the C parser calls it once per scalar): the tag of a
    plain scalar is looked up in a cache before the resolvers' patterns are tried."""

    _str_tag = "tag:yaml.org,2002:str"

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            if implicit[0]:
                tag = _RESOLVED.get(value)
                if tag is None:
                    tag = self._str_tag
                    for candidate, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                        if regexp.match(value):
                            tag = candidate
                            break
                    if len(value) <= _RESOLVED_LEN:
                        if len(_RESOLVED) >= _RESOLVED_MAX:
                            _RESOLVED.clear()
                        _RESOLVED[value] = tag
                return tag
            return self._str_tag
        if kind is yaml.SequenceNode:
            return "tag:yaml.org,2002:seq"
        return "tag:yaml.org,2002:map"


MAX_ENTRY_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 64  # values nested deeper than this are refused (entries nest a handful of levels)
Path_ = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class YamlError(ValueError):
    """A YAML problem at a position in a file."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint


@dataclass
class Document:
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    first_line: str = ""
    sha256: bytes = b""  # of the file's bytes (load_file)
    text: str | None = field(default=None, repr=False)  # set while ``marks`` holds only the top-level keys

    def position(self, path: Path_) -> tuple[int, int]:
        """The (line, column) of a path, falling back to its closest parent that has a mark."""
        probe = tuple(path)
        if self.text is not None and probe not in self.marks:
            self._all_marks()
        while probe:
            if probe in self.marks:
                return self.marks[probe]
            probe = probe[:-1]
        return self.marks.get((), (1, 1))

    def _all_marks(self) -> None:
        """Every value's position (the fast load keeps the top level only): parse the text again, keeping them."""
        assert self.text is not None
        node = _compose(self.text)
        assert node is not None  # the text was parsed once already
        builder = _Builder()
        builder.build(node, ())
        self.marks, self.text = builder.marks, None


_constructor = yaml.constructor.SafeConstructor()


class _Builder:
    def __init__(self) -> None:
        self.marks: dict[Path_, tuple[int, int]] = {}
        self.seen: set[int] = set()
        self.count = 0

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlError(f"the document has more than {MAX_NODES} values", *_pos(node))
        if len(path) > MAX_DEPTH:
            raise YamlError(
                f"values nest more than {MAX_DEPTH} levels deep",
                *_pos(node),
                hint="entries hold shallow metadata: write the deep value flatter, or move it out of the entry",
            )
        if id(node) in self.seen:
            raise YamlError(
                "anchors and aliases (&name / *name) are not allowed in entries",
                *_pos(node),
                hint="write the value out in full",
            )
        self.seen.add(id(node))
        self.marks[path] = _pos(node)
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise _tag_error(node)
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    raise YamlError("mapping keys must be plain strings (no merge keys)", *_pos(key_node))
                key = key_node.value if key_node.tag == _STR else str(_constructor.construct_object(key_node))
                if key in result:
                    first = self.marks.get(path + (key,), ("?", "?"))  # position of the first value
                    raise YamlError(
                        f"duplicate key {key!r} (first defined at line {first[0]})",
                        *_pos(key_node),
                        hint="remove one of the two",
                    )
                result[key] = self.build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise _tag_error(node)
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if node.tag not in _SCALAR_TAGS:
            raise _tag_error(node)
        if node.tag == _STR:
            return node.value
        try:
            return _constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:
            raise YamlError(
                f"{node.value!r} reads as a {node.tag.rsplit(':', 1)[-1]} but is not a valid one ({exc})",
                *_pos(node),
                hint="correct it, or quote it to keep it as text",
            ) from None


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _tag_error(node: yaml.Node) -> YamlError:
    return YamlError(
        f"the tag {node.tag!r} is not allowed; entries hold plain data only",
        *_pos(node),
        hint="remove the '!!' tag",
    )


def _compose(text: str) -> yaml.Node | None:
    try:
        loader = _Loader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise YamlError(
            f"malformed YAML: {exc.problem or exc}", line, column, hint="check indentation and quoting"
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"malformed YAML: {exc}") from None


class _Unusual(Exception):
    """Raised by the fast build at anything it does not take (the careful build then says what is wrong)."""


_SCALAR = yaml.ScalarNode
_MAPPING = yaml.MappingNode
_SEQUENCE = yaml.SequenceNode
_CONSTRUCT = {tag: _constructor.yaml_constructors[tag] for tag in _SCALAR_TAGS if tag != _STR}


def _fast_build(root: yaml.Node, aliases_possible: bool) -> tuple[Any, dict[Path_, tuple[int, int]]]:
    """The data of a document of plain data, with the positions of the top level only; raises :class:`_Unusual` at
    anything else (an alias, a tag, a duplicate or non-string key, too many values). Without an ``&`` in the text
    there can be no anchor, hence no alias, and nodes need no identity check."""
    seen: set[int] = set()
    count = 0

    def build(node: yaml.Node, depth: int = 0) -> Any:
        nonlocal count
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            raise _Unusual
        if aliases_possible:
            if id(node) in seen:
                raise _Unusual
            seen.add(id(node))
        kind = node.__class__
        tag = node.tag
        if kind is _SCALAR:
            if tag == _STR:
                return node.value
            construct = _CONSTRUCT.get(tag)
            if construct is None:
                raise _Unusual
            try:
                return construct(_constructor, node)
            except (ValueError, OverflowError):
                raise _Unusual from None  # the careful build says where and why
        if kind is _MAPPING:
            if tag != _MAP:
                raise _Unusual
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.__class__ is not _SCALAR or key_node.tag != _STR:
                    raise _Unusual
                key = key_node.value
                if key in result:
                    raise _Unusual
                result[key] = build(value_node, depth + 1)
            return result
        if kind is _SEQUENCE and tag == _SEQ:
            return [build(item, depth + 1) for item in node.value]
        raise _Unusual

    data = build(root)
    marks: dict[Path_, tuple[int, int]] = {(): _pos(root)}
    if root.__class__ is _MAPPING:
        for key_node, value_node in root.value:
            marks[(key_node.value,)] = _pos(value_node)
    return data, marks


#: a YAML escape (``\e``, ``\x1b``, ``\u202e``) or a raw C1/bidi control: only then are the values searched
_SUSPECT = re.compile(r"[\\\x80-\x9f\u202a-\u202e\u2066-\u2069]")
#: characters no entry text may hold: C0 controls but tab, newline and carriage return; DEL and C1; bidi overrides
_HIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _strings(value: Any, path: Path_ = ()) -> Any:
    """(path, text) of every key and string value below ``value``."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path, key
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*path, i))


def _refuse_hidden(doc: Document, text: str) -> Document:
    if not _SUSPECT.search(text):
        return doc
    for path, value in _strings(doc.data):
        found = _HIDDEN.search(value)
        if found:
            where = ".".join(str(p) for p in path) or "the top level"
            raise YamlError(
                f"{where} holds the invisible control character U+{ord(found.group()):04X} in {value[:60]!r}: "
                "it can rewrite or reorder what a terminal or a web page shows",
                *doc.position(path),
                hint="remove it (a right-to-left name needs no override character)",
            )
    return doc


def load_text(text: str) -> Document:
    """Parse one YAML document strictly."""
    return _refuse_hidden(_load_text(text), text)


def _load_text(text: str) -> Document:
    plain = read_plain(text)
    if plain is not None:
        data, marks = plain
        return Document(data=data, marks=marks, first_line=text.split("\n", 1)[0].strip(), text=text)
    node = _compose(text)
    if node is None:
        raise YamlError("the file is empty", 1, 1, hint="start from `usreg new dataset ID`")
    try:
        data, marks = _fast_build(node, "&" in text)
        partial: str | None = text
    except _Unusual:
        builder = _Builder()
        data = builder.build(node, ())  # raises the precise error, or builds what the fast build would not
        marks, partial = builder.marks, None
    if not isinstance(data, dict):
        raise YamlError("an entry must be a mapping of field: value", 1, 1)
    return Document(data=data, marks=marks, first_line=text.split("\n", 1)[0].strip(), text=partial)


def load_file(path: Path) -> Document:
    size = path.stat().st_size
    if size > MAX_ENTRY_BYTES:
        raise YamlError(
            f"the file is {size:,} bytes; entries are limited to {MAX_ENTRY_BYTES:,}",
            1,
            1,
            hint="entries hold metadata; move large content out",
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(f"the file is not UTF-8 text (byte {exc.start})", 1, 1) from None
    doc = load_text(text)
    doc.sha256 = hashlib.sha256(raw).digest()
    return doc
