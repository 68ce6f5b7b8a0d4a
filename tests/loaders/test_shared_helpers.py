"""Helpers several converters share: evenly spaced picks, JSON annotation files and ``KEY: value`` info files."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.loaders.common import MAX_INFO_LINES, read_json, read_key_values
from registry.loaders.datasets._volumes import spread


class _Ctx:
    """The two ConvertContext methods the readers call: problem(kind, file, message) and note_read(file)."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str, str]] = []
        self.read: list[str] = []

    def problem(self, kind: str, file: Path, message: str) -> None:
        self.problems.append((kind, file.name, message))

    def note_read(self, file: Path) -> None:
        self.read.append(file.name)


@pytest.mark.parametrize(
    ("indices", "count", "picked"),
    [
        (range(10), 4, [0, 3, 6, 9]),  # first and last included, evenly spaced
        (range(10), 1, [0]),
        ([2, 3, 5, 8, 13], 3, [2, 5, 13]),  # picks among the given indices, not their range
        ([4, 7], 5, [4, 7]),  # all when the count covers them
        ([4, 7, 9], 0, [4, 7, 9]),  # 0: every one
        ([], 3, []),
    ],
)
def test_spread_picks_evenly_among_the_given_indices(indices, count, picked):
    assert spread(indices, count) == picked


def test_read_json_returns_a_document_of_the_wanted_kind(tmp_path):
    ctx = _Ctx()
    path = tmp_path / "a.json"
    path.write_bytes(b'\xef\xbb\xbf{"x": [1, 2]}')  # a byte-order mark is allowed
    assert read_json(ctx, path, dict, "an object", "ignored") == {"x": [1, 2]}
    assert ctx.problems == []


def test_read_json_reports_invalid_json_a_wrong_kind_and_an_unreadable_file(tmp_path):
    ctx = _Ctx()
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "list.json").write_text("[1, 2]")
    assert read_json(ctx, tmp_path / "bad.json", dict, "an object", "ignored") is None
    assert read_json(ctx, tmp_path / "list.json", dict, "an object", "nothing converted") is None
    assert read_json(ctx, tmp_path / "absent.json", list, "a list", "ignored") is None
    assert [(kind, name) for kind, name, _ in ctx.problems] == [
        ("annotation_unreadable", "bad.json"),
        ("annotation_unreadable", "list.json"),
        ("annotation_unreadable", "absent.json"),
    ]
    assert ctx.problems[0][2].startswith("not valid JSON (") and ctx.problems[0][2].endswith("); ignored")
    assert ctx.problems[1][2] == "not an object; nothing converted"


def test_read_key_values_reads_the_key_lines_of_an_info_file(tmp_path):
    info = tmp_path / "Info_4CH.cfg"
    info.write_text("ED: 1\nES : 14\nnot a key line\nImageQuality: Good\nFrameRate: 30:1\n")
    assert read_key_values(info) == {"ED": "1", "ES": "14", "ImageQuality": "Good", "FrameRate": "30:1"}
    assert read_key_values(tmp_path / "absent.cfg") == {}
    assert read_key_values(None) == {}
    info.write_text("".join(f"K{n}: {n}\n" for n in range(MAX_INFO_LINES + 50)))
    assert len(read_key_values(info)) == MAX_INFO_LINES  # a bounded read
