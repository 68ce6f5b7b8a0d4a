"""A fast reader for the plain block YAML that entry files are written in, for reading large catalogs quickly.

It takes block mappings and sequences, plain and quoted one-line scalars, plain scalars continued on more indented
lines, one-line flow lists and maps of scalars (``[a, 'b']``, ``{k: v}``), comment lines, and folded or literal block
scalars (``>``, ``>-``, ``|``, ``|-``) without blank lines inside: what ``usreg new``, ``usreg import`` and most of the
catalog's own files use. Anything else (nested flow collections, anchors, tags, quoted scalars over several lines,
comments after values, duplicate keys, keys that are not short plain strings, tabs, odd line breaks, non-printable
characters, deep indentation, more values than the careful reader allows) makes :func:`read_plain` return None, and
the caller parses the text with libyaml (``registry.yamlsafe``), which also says what is wrong with a bad file.

Whenever it returns data, that data equals what the safe loader builds from the same text: plain scalars are typed by
PyYAML's own implicit resolvers and constructors (YAML 1.1: ``yes`` is a boolean, ``2020-01-02`` a date). Tests compare
the two on every catalog entry, on generated entries and on edge cases.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

Marks = dict[tuple[str | int, ...], tuple[int, int]]

MAX_VALUES = 100_000  # the same bound as the careful reader's; beyond it the careful reader reports the file
MAX_INDENT = 60  # deeper text is left to the careful reader (a level needs at most 2 columns more than its parent)

_STR = "tag:yaml.org,2002:str"
# a key: a plain scalar of these characters, short (YAML limits implicit keys to 1024 characters; entries use ~30)
_KEY = r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,127}"
_OUTSIDE = re.compile(  # characters this reader leaves to libyaml: tabs, CR, NEL, LS/PS, BOM, and what YAML forbids
    "[^\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_BLOCK_STYLES = {">": (" ", "\n"), ">-": (" ", ""), "|": ("\n", "\n"), "|-": ("\n", "")}

_resolvers = yaml.SafeLoader.yaml_implicit_resolvers
_constructor = yaml.constructor.SafeConstructor()
_PLAIN: dict[str, Any] = {}  # plain scalar text -> its value, for short texts (a value depends on its text alone)
_PLAIN_CACHE_MAX = 100_000
_PLAIN_CACHED_LEN = 80
_NOT_STR = object()


class _Outside(Exception):
    """The text uses YAML this reader does not take."""


def _plain_value(text: str) -> Any:
    """The value of a plain scalar, typed as the safe loader types it."""
    cached = _PLAIN.get(text, _NOT_STR)
    if cached is not _NOT_STR:
        return cached
    tag = _STR
    for candidate, regexp in _resolvers.get(text[:1], ()):
        if regexp.match(text):
            tag = candidate
            break
    value: Any = text
    if tag != _STR:
        construct = _constructor.yaml_constructors.get(tag)
        if construct is None or tag == "tag:yaml.org,2002:merge":
            raise _Outside
        try:
            value = construct(_constructor, yaml.ScalarNode(tag, text))
        except (ValueError, OverflowError, yaml.YAMLError):  # e.g. a date with month 13: the careful reader says so
            raise _Outside from None
    if len(text) <= _PLAIN_CACHED_LEN:
        if len(_PLAIN) >= _PLAIN_CACHE_MAX:
            _PLAIN.clear()
        _PLAIN[text] = value
    return value


def _scalar(text: str) -> Any:
    """The value of a one-line scalar written after ``key: `` or ``- `` (``text`` has no trailing spaces)."""
    first = text[0]
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            raise _Outside
        return inner.replace("''", "'")
    if first == '"':
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
            raise _Outside
        return inner
    if first == "[":
        return _flow_sequence(text)
    if first == "{":
        return _flow_mapping(text)
    if first in _INDICATORS or ": " in text or " #" in text or text[-1] == ":":
        raise _Outside
    return _plain_value(text)


_FLOW_ITEM = re.compile(r"""\s*(?:"([^"\\]*)"|'((?:[^']|'')*)'|([^,\[\]{}"'#:]*[^,\[\]{}"'#:\s]))\s*(?:,|$)""")
_FLOW_PAIR = re.compile(r"\s*(" + _KEY + r"):\s+" + _FLOW_ITEM.pattern[3:])


def _flow_value(double: str | None, single: str | None, plain: str) -> Any:
    if double is not None:
        return double
    if single is not None:
        return single.replace("''", "'")
    if plain[0] in _INDICATORS:
        raise _Outside
    return _plain_value(plain)


def _flow_items(inner: str, pattern: re.Pattern[str]) -> list[re.Match[str]]:
    """The matches of ``pattern`` that cover ``inner`` one item after another (a flow collection's inside)."""
    matches: list[re.Match[str]] = []
    if not inner.strip(" "):
        if inner:
            raise _Outside
        return matches
    at = 0
    while at < len(inner):
        match = pattern.match(inner, at)
        if match is None or match.end() == at:
            raise _Outside
        matches.append(match)
        at = match.end()
    if inner.rstrip(" ")[-1] == ",":
        raise _Outside
    return matches


def _flow_sequence(text: str) -> list[Any]:
    """A one-line ``[a, 'b', "c"]`` of scalars."""
    if text[-1] != "]":
        raise _Outside
    return [_flow_value(*match.groups()) for match in _flow_items(text[1:-1], _FLOW_ITEM)]


def _flow_mapping(text: str) -> dict[str, Any]:
    """A one-line ``{key: value, key: 'value'}`` of scalars."""
    if text[-1] != "}":
        raise _Outside
    pairs: dict[str, Any] = {}
    for match in _flow_items(text[1:-1], _FLOW_PAIR):
        key = match.group(1)
        if key in pairs or not isinstance(_plain_value(key), str):
            raise _Outside
        pairs[key] = _flow_value(*match.groups()[1:])
    return pairs


_LINE = re.compile(r"^( *)(-(?: +|$))?(?:(" + _KEY + r"):(?: +|$))?(.*)$", re.M)
Token = tuple[str, str, str, str]  # per line: indentation, "- " (a sequence item), key, the rest


class _Reader:
    """Reads the tokens of one text; each method takes the index of its first line and returns (value, next index)."""

    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.lines = text.split("\n")
        self.end = len(tokens) - 1  # the last token is the empty piece after the final line break

    def skip(self, at: int) -> int:
        """The index of the next line that holds something (not blank, not a comment); ``end`` at the end."""
        tokens, end = self.tokens, self.end
        while at < end:
            _, dash, key, rest = tokens[at]
            if dash or key or (rest and rest[0] != "#"):
                return at
            at += 1
        return at

    def line_at(self, at: int, indent: int) -> tuple[int, Token | None]:
        """The next line that holds something and its token when it continues a block at ``indent``; its token is
        None at the end of the text or of the block."""
        at = self.skip(at)
        if at == self.end:
            return at, None
        token = self.tokens[at]
        spaces = len(token[0])
        if spaces != indent:
            if spaces < indent:
                return at, None
            raise _Outside
        return at, token

    def mapping(self, at: int, indent: int, inline: bool) -> tuple[dict[str, Any], int]:
        """A block mapping at ``indent``; ``inline``: its first key follows the ``- `` of the line at ``at``."""
        tokens = self.tokens
        result: dict[str, Any] = {}
        while True:
            if inline:
                inline = False
                key, rest = tokens[at][2], tokens[at][3]
            else:
                at, token = self.line_at(at, indent)
                if token is None:
                    return result, at
                _, dash, key, rest = token
                if dash or not key:
                    raise _Outside
            if key in result or not isinstance(_plain_value(key), str):
                raise _Outside
            result[key], at = self.value(at + 1, rest.rstrip(" "), indent, True)

    def sequence(self, at: int, indent: int) -> tuple[list[Any], int]:
        result: list[Any] = []
        while True:
            at, token = self.line_at(at, indent)
            if token is None:
                return result, at
            _, dash, key, rest = token
            if not dash:
                return result, at  # the mapping around a sequence at its own indentation goes on
            if key:
                item, at = self.mapping(at, indent + len(dash), True)
            else:
                rest = rest.rstrip(" ")
                if not rest:
                    raise _Outside
                item, at = self.value(at + 1, rest, indent + len(dash) - 1, False)
            result.append(item)

    def value(self, at: int, rest: str, indent: int, mapping_value: bool) -> tuple[Any, int]:
        """The value written after a key or dash at ``indent`` (``rest``: what follows on that line)."""
        if rest:
            style = _BLOCK_STYLES.get(rest)
            if style is not None:
                return self.block_scalar(at, indent, *style)
            if at < self.end and len(self.tokens[at][0]) > indent and rest[0] not in "'\"[{":
                return self.plain_lines(at, rest, indent)
            return _scalar(rest), at
        at = self.skip(at)
        if at < self.end:
            spaces, dash, _, _ = self.tokens[at]
            below = len(spaces)
            if below > indent:
                if dash:
                    return self.sequence(at, below)
                return self.mapping(at, below, False)
            if mapping_value and below == indent and dash:
                return self.sequence(at, indent)
        if not mapping_value:
            raise _Outside
        return None, at

    def plain_lines(self, at: int, first: str, indent: int) -> tuple[Any, int]:
        """A plain scalar that goes on over the following, more indented lines (folded into one line)."""
        _scalar(first)  # the first line alone must be a plain scalar
        parts = [first]
        lines, tokens, stop = self.lines, self.tokens, self.end
        while at < stop and len(tokens[at][0]) > indent:
            line = lines[at].strip(" ")
            if not line or line[0] in _INDICATORS or ": " in line or " #" in line or line[-1] == ":":
                raise _Outside
            parts.append(line)
            at += 1
        return _plain_value(" ".join(parts)), at

    def block_scalar(self, at: int, indent: int, joint: str, end: str) -> tuple[str, int]:
        """A ``>``/``|`` scalar whose lines all sit at one indentation, with no blank line inside."""
        lines, stop = self.lines, self.end
        if at == stop or not lines[at].strip(" "):
            raise _Outside
        own = len(self.tokens[at][0])
        if own <= indent:
            raise _Outside
        parts = []
        while at < stop:
            line = lines[at]
            if not line.strip(" "):
                break
            spaces = len(self.tokens[at][0])
            if spaces < own:
                break
            if spaces > own or line[-1] == " ":
                raise _Outside
            parts.append(line[own:])
            at += 1
        after = at
        while after < stop and not lines[after].strip(" "):
            if len(lines[after]) > own:
                raise _Outside
            after += 1
        if after < stop and (len(self.tokens[after][0]) >= own or lines[after].lstrip(" ")[:1] == "#"):
            raise _Outside  # a blank line inside the scalar, or a comment right after it
        return joint.join(parts) + end, at


def read_plain(text: str) -> tuple[dict[str, Any], Marks] | None:
    """The data of an entry written in plain block YAML, with the positions (line, column from 1) of the top-level
    scalar values; None when the text uses anything else (then parse it with ``registry.yamlsafe``)."""
    if not text.endswith("\n") or _OUTSIDE.search(text) or "\n---" in text or text.startswith(("---", "%")):
        return None
    tokens = _LINE.findall(text)
    if len(tokens) != text.count("\n") + 1 or 3 * len(tokens) + text.count(",") > MAX_VALUES:
        return None  # possibly more values than the careful reader allows (at most 3 a line, 1 more a comma)
    if max(len(token[0]) for token in tokens) > MAX_INDENT:
        return None  # deep nesting: the careful reader bounds it and says where
    reader = _Reader(text, tokens)
    try:
        at = reader.skip(0)
        if at == reader.end or tokens[at][0] or tokens[at][1]:
            return None
        data, after = reader.mapping(at, 0, False)
        if reader.skip(after) != reader.end:
            return None
    except (_Outside, RecursionError):
        return None
    return data, _top_marks(tokens, reader.lines, at)


def _top_marks(tokens: list[Token], lines: list[str], root: int) -> Marks:
    marks: Marks = {(): (root + 1, 1)}
    for number, (spaces, dash, key, rest) in enumerate(tokens):
        if key and not spaces and not dash and rest and rest[0] not in ">|":
            marks[(key,)] = (number + 1, len(lines[number]) - len(rest) + 1)
    return marks
