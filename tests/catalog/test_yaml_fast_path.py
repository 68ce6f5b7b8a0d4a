"""The fast YAML load (no per-value positions until asked, cached scalar tags) gives what the careful one gives."""

from __future__ import annotations

import pytest
import yaml

from registry import yamlsafe
from registry.catalog import entry_files
from registry.yamlsafe import YamlError, load_text
from tests.conftest import REPO_ROOT


def _careful(text: str) -> tuple[object, dict]:
    builder = yamlsafe._Builder()
    data = builder.build(yamlsafe._compose(text), ())
    return data, builder.marks


def test_real_entries_load_as_the_careful_builder_reads_them() -> None:
    files = [path for _, path in entry_files(REPO_ROOT)]
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8")
        doc = load_text(text)
        data, marks = _careful(text)
        assert doc.data == data, path
        top = [where for where in marks if len(where) == 1]
        assert [doc.position(where) for where in top] == [marks[where] for where in top], path
        assert all(doc.position(where) == position for where, position in marks.items()), path


def test_positions_are_computed_on_demand_only() -> None:
    text = "id: a\nname: A\nnested:\n  deep:\n    - one\n    - two: 2\n"
    doc = load_text(text)
    assert doc.text is not None and doc.position(("id",)) == (1, 5)  # top level: no second parse
    assert doc.text is not None
    assert doc.position(("nested", "deep", 1, "two")) == (6, 12)
    assert doc.text is None  # all positions are known now


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x 1\nb: *x\n", "anchors and aliases"),
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ("a: !!python/name:os.system x\n", "is not allowed"),
        ("a: !!binary aGk=\n", "is not allowed"),
        ("<<: {a: 1}\n", "no merge keys"),
        ("id: a\nreleased: 2020-13-01\n", "'2020-13-01' reads as a timestamp but is not a valid one"),
        ("id: a\nreleased: [2020-02-30]\n", "not a valid one .day is out of range"),
        ("a: " + "[" * 900 + "]" * 900 + "\n", "values nest more than 64 levels deep"),  # was a RecursionError
        ("id: a\nb: [" + "x, " * 150_000 + "x]\n", "more than 100000 values"),  # one flow list on one line
        ("".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n", "nest more than 64 levels"),
    ],
)
def test_unusual_documents_get_the_careful_errors(text: str, message: str) -> None:
    with pytest.raises(YamlError, match=message):
        load_text(text)


def test_ampersands_in_text_are_not_anchors() -> None:
    doc = load_text("name: R&D set\nurl: https://example.org/?a=1&b=2\n")
    assert doc.data == {"name": "R&D set", "url": "https://example.org/?a=1&b=2"}


def test_cached_scalar_tags_resolve_like_the_first_time() -> None:
    text = "a: yes\nb: '1'\nc: 1\nd: 2020-01-02\ne: null\nf: 1.5\ng: on\nh: word\n"
    first = load_text(text).data
    assert first == load_text(text).data == yaml.safe_load(text)
    assert isinstance(first["c"], int) and first["b"] == "1" and first["a"] is True
