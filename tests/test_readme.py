"""The README's Python example runs as written against a converted carotid-plaque fixture."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from registry.loaders import convert_entry
from tests.fixtures.builders import carotid_plaque
from tests.loaders.conftest import make_entry

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_load_example_shows_one_batch(tmp_path: Path, usreg_home: Path, capsys) -> None:
    pytest.importorskip("torch", reason="the example uses the optional bench extra (torch)")
    blocks = [b for b in _python_blocks() if "registry.load(" in b]
    assert len(blocks) == 1, "the README has one registry.load example"
    fixture = carotid_plaque.build(tmp_path / "src", size=64)
    entry = make_entry("carotid-plaque", "carotid-plaque", counts={"images": 3})
    convert_entry(entry, fixture.root, usreg_home, "1", workers=1)

    exec(compile(blocks[0], str(README), "exec"), {})

    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split(" ", 1)[1].startswith("{'plaque'")
    assert printed[-1].startswith("torch.Size([") and printed[-1].endswith(", 1, 256, 256])")
