"""The plain-YAML reader (``registry.yamlplain``) gives exactly what libyaml and the strict builder give, or declines.

It may decline anything; it must never accept a text the careful reader rejects, and never return other data (values,
types or positions) than the careful reader for a text it accepts.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from registry import yamlsafe
from registry.catalog import entry_files
from registry.yamlplain import read_plain
from tests.conftest import REPO_ROOT


def _careful(text: str) -> tuple[Any, dict] | None:
    """What the strict libyaml reader makes of the text; None when it rejects it."""
    try:
        node = yamlsafe._compose(text)
        if node is None:
            return None
        builder = yamlsafe._Builder()
        data = builder.build(node, ())
    except (yamlsafe.YamlError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    return data, builder.marks


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (1, 1.0 and True are equal in Python, not here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _agrees(text: str) -> str | None:
    """None when the fast reader declines or agrees with the careful one; else what differs."""
    fast = read_plain(text)
    if fast is None:
        return None
    careful = _careful(text)
    if careful is None:
        return "accepted a text the careful reader rejects"
    if not _same(fast[0], careful[0]):
        return f"data differ: {fast[0]!r} != {careful[0]!r}"
    for where, position in fast[1].items():
        if careful[1].get(where) != position:
            return f"position of {where} differs: {position} != {careful[1].get(where)}"
    return None


def _catalog_texts() -> list[str]:
    return [path.read_text(encoding="utf-8") for _, path in entry_files(REPO_ROOT)]


def test_every_catalog_entry_reads_the_same_and_most_take_the_fast_path() -> None:
    texts = _catalog_texts()
    assert len(texts) > 300
    problems = [(i, _agrees(text)) for i, text in enumerate(texts)]
    assert [p for p in problems if p[1]] == []
    accepted = sum(read_plain(text) is not None for text in texts)
    assert accepted >= len(texts) // 2, f"only {accepted} of {len(texts)} catalog entries take the fast path"


def test_entries_as_usreg_writes_them_take_the_fast_path() -> None:
    text = (
        "# yaml-language-server: $schema=../../schemas/dataset.schema.json\n"
        "id: ds-00001\n"
        "name: 'BUSI: breast images'\n"
        "aliases: [BUSI, Dataset_BUSI]\n"
        "description: >-\n"
        "  780 images from 600 women, with masks;\n"
        "  collected in 2018.\n"
        "year: 2020\n"
        "anatomy:\n"
        "- breast\n"
        "counts:\n"
        "  images: 780\n"
        "  note: 437 benign, 210 malignant\n"
        "annotation:\n"
        "  classes:\n"
        "  - id: 0\n"
        "    name: background\n"
        "  - id: 1\n"
        "    name: lesion\n"
        "sources:\n"
        "- kind: http\n"
        "  url: https://example.org/a.zip\n"
        "  files: []\n"
        "splits:\n"
        "  official: false\n"
        "  subject_ids: no\n"
        "doi:\n"
        "released: 2020-01-02\n"
    )
    fast = read_plain(text)
    assert fast is not None
    assert _agrees(text) is None
    data, marks = fast
    assert data["description"] == "780 images from 600 women, with masks; collected in 2018."
    assert data["splits"] == {"official": False, "subject_ids": False} and data["doi"] is None
    assert marks[("id",)] == (2, 5) and marks[("name",)] == (3, 7)


EDGE_CASES = [
    "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: ~\ng: null\nh: Null\n",
    "a: 0x1F\nb: 1_000\nc: 017\nd: 0o17\ne: -1\nf: +1\ng: 1e3\nh: 1.5e3\ni: .inf\nj: -.Inf\nk: .nan\n",
    "a: 2020-01-02\nb: 2020-01-02 10:00:00\nc: 2020-01-02T10:00:00Z\nd: 2020-1-2\n",
    "a: 1:30\nb: 190:20:30\nc: 12:30:45.5\n",
    "a: '1'\nb: \"2\"\nc: 'it''s'\nd: \"a 'b' c\"\ne: ''\nf: \"\"\n",
    "a: 'a # b'\nb: \"x: y\"\nc: 'x: y'\n",
    "a: x # comment\n",
    "a: x #comment\nb: C#\n",
    "a: [1, 2, yes, 'x', \"y\", 2020-01-02]\nb: []\nc: {}\nd: { }\ne: [ ]\n",
    "a: {k: v, n: 1}\nb: {k: 'v'}\nc: {1: x}\nd: {\"1\": x}\ne: {k: {n: 1}}\nf: [a, [b]]\n",
    "a: [a, ]\nb: [a,]\nc: [a b, c d]\nd: [-1, -a]\ne: [a: 1]\nf: [http://x]\n",
    "a: >\n  one\n  two\nb: >-\n  one\n  two\nc: |\n  one\n  two\nd: |-\n  one\n  two\n",
    "a: >\n  one\n\n  two\nb: |+\n  keep\n\nc: >2\n   x\n",
    "a: >-\n  one\n    more\n  two\n",
    "a: >-\n  trailing \n  space\n",
    "a: |\n  # not a comment\n  text\n",
    "a: >-\n  text\n# comment\nb: 1\n",
    "a: >-\n  text\n\n\nb: 1\n",
    "a: >-\n  text\n\n  more\n",
    "a: |-\nb: 1\n",
    "a: plain\n  continued\n  again\nb: 1\n",
    "a: plain\n  continued: no\n",
    "a: plain\n\n  after blank\n",
    "a: plain\n # comment\n  more\n",
    "- a\n- b\n",
    "a:\n- x\n- y\nb:\n  - z\nc:\n  d:\n  - w\n  e: 1\n",
    "a:\n  - x\n  b: 1\n",
    "a:\n- x\n  - y\n",
    "a:\n  b: 1\n c: 2\n",
    "a:\n    b: 1\n  c: 2\n",
    "a:\n  - k: v\n    n: 1\n  -   k: w\n      n: 2\n",
    "a:\n- k: v\n  l:\n  - 1\n  m: 2\n- k: w\n",
    "a:\n- - x\n",
    "a:\n-\n  k: v\n",
    "a:\n- k: v\n   n: 1\n",
    "a:\n- 'q': v\n",
    "a:\n- >-\n   folded\n   text\n",
    "a: 1\na: 2\n",
    "a: 1\nb:\n  x: 1\n  x: 2\n",
    "yes: 1\n",
    "1: one\n",
    "'quoted key': 1\n",
    "key with space: 1\n",
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "a: !custom x\n",
    "<<: {a: 1}\n",
    "=: 1\n",
    "a: =\n",
    "a:\tb\n",
    "a: b\r\nc: d\r\n",
    "\ufeffa: 1\n",
    "a: b\u2028c\n",
    "a: b\x85c\n",
    "a: \x07\n",
    "a: 1",
    "",
    "# only a comment\n",
    "---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\n...\n",
    "%YAML 1.1\n---\na: 1\n",
    "  a: 1\n  b: 2\n",
    "a: 1\n  b: 2\n",
    "a: - x\n",
    "a: b: c\n",
    "a: b:\n",
    "a: 'unclosed\n",
    "a: 'two\n  lines'\n",
    'a: "esc\\tape"\n',
    'a: "a\\"b"\n',
    "a: [1, 2\n",
    "a: {k: v\n",
    "a: x]\n",
    "a: @x\n",
    "a: `x\n",
    "a: %x\n",
    "a: ?x\n",
    "a: -\n",
    "a: |x\n",
    "a:x\n",
    "a: http://example.org/a?b=c&d=e#frag\n",
    "a: ünïcödé — ✓\n",
    "a: 💡 emoji\n",
    "a/b.c-d_e: 1\n",
    "a:\n",
    "a:\nb:\n",
    "a:\n  # comment\n  b: 1\n",
    "a:\n\n  b: 1\n",
    "k" * 1025 + ": 1\n",  # YAML limits implicit keys to 1024 characters
    "a: {" + "q" * 1025 + ": 1}\n",
    "- " + "k" * 1025 + ": 1\n",
    "k" * 100 + ": 1\n",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_read_as_libyaml_reads_them(text: str) -> None:
    assert _agrees(text) is None


def test_the_fast_reader_does_accept_most_of_the_plain_edge_cases() -> None:
    """Guards against a reader that passes the agreement tests by declining everything."""
    accepted = sum(read_plain(text) is not None for text in EDGE_CASES)
    assert accepted >= 20


_MUTATIONS = [" ", "  ", "-", "- ", ":", ": ", "#", " #", "'", '"', "[", "]", "{", "}", ",", "&", "*", "!", "|", ">"]
_MUTATIONS += ["\t", "\n", "\n\n", "yes", "1", "0x1", "~", "\\", "%", "@", "`", "?", "---", "...", "é", "\r"]


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        if not lines:
            lines = [""]
        i = rng.randrange(len(lines))
        line = lines[i]
        action = rng.random()
        if action < 0.45:
            at = rng.randint(0, len(line))
            lines[i] = line[:at] + rng.choice(_MUTATIONS) + line[at:]
        elif action < 0.6 and line:
            at = rng.randrange(len(line))
            lines[i] = line[:at] + line[at + 1 :]
        elif action < 0.75:
            lines[i] = " " * rng.randint(1, 4) + line
        elif action < 0.85 and line.startswith(" "):
            lines[i] = line[1:]
        elif action < 0.95:
            lines.insert(i, lines[rng.randrange(len(lines))])
        else:
            del lines[i]
    return "\n".join(lines)


def test_mutated_entries_are_read_as_libyaml_reads_them_or_declined() -> None:
    rng = random.Random(20261206)
    texts = _catalog_texts()
    disagreements = []
    for _ in range(4000):
        mutated = _mutate(rng.choice(texts), rng)
        problem = _agrees(mutated)
        if problem:
            disagreements.append((mutated, problem))
    assert disagreements[:3] == []
