"""Strict YAML reading for entries: data only, with the line and column of every value.

Entries are data, never code. Beyond the safe loader this rejects duplicate keys, anchors and aliases
(which is also what defuses "billion laughs" bombs), non-standard tags and oversized files, and it keeps
a map from each field path to its position so that validation errors can name file:line:column.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml is present in the PyYAML wheels
    # mypy: the pure-Python loader is another class than the C one; either serves as the base below
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _Loader(_BaseLoader):
    """The safe loader with a faster implicit-tag resolver (the C parser calls it once per scalar)."""

    _str_tag = "tag:yaml.org,2002:str"

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return self._str_tag
        if kind is yaml.SequenceNode:
            return "tag:yaml.org,2002:seq"
        return "tag:yaml.org,2002:map"


MAX_ENTRY_BYTES = 1_000_000
MAX_NODES = 100_000
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

    def position(self, path: Path_) -> tuple[int, int]:
        """The (line, column) of a path, falling back to its closest parent that has a mark."""
        probe = tuple(path)
        while probe:
            if probe in self.marks:
                return self.marks[probe]
            probe = probe[:-1]
        return self.marks.get((), (1, 1))


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
        return _constructor.construct_object(node, deep=True)


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _tag_error(node: yaml.Node) -> YamlError:
    return YamlError(
        f"the tag {node.tag!r} is not allowed; entries hold plain data only",
        *_pos(node),
        hint="remove the '!!' tag",
    )


def load_text(text: str) -> Document:
    """Parse one YAML document strictly."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
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
    if node is None:
        raise YamlError("the file is empty", 1, 1, hint="start from `usreg new dataset ID`")
    builder = _Builder()
    data = builder.build(node, ())
    if not isinstance(data, dict):
        raise YamlError("an entry must be a mapping of field: value", 1, 1)
    return Document(data=data, marks=builder.marks, first_line=text.split("\n", 1)[0].strip())


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
