"""The README's Python example runs as written against a converted carotid-plaque fixture."""

from __future__ import annotations

import re
import shlex
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


DOCS = [README, README.parent / "CONTRIBUTING.md", README.parent / "docs" / "format.md"]


def _doc_commands() -> list[tuple[str, str]]:
    """Every `usreg ...` command the docs show: lines of shell blocks (up to a comment) and inline code."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        shell = "\n".join(re.findall(r"```bash\n(.*?)```", text, flags=re.S))
        lines = re.findall(r"^(usreg [^#\n]*)", shell, flags=re.M) + re.findall(r"`(usreg [^`]*)`", text)
        found += [(doc.name, re.split(r"&&|\||>", line)[0].strip()) for line in lines]
    return found


def test_every_command_and_option_the_docs_show_exists() -> None:
    """A renamed or removed command or option fails here instead of drifting silently in the docs."""
    import click

    from registry.cli import main

    commands = _doc_commands()
    assert len(commands) > 40, "the docs show the usreg commands in code"
    wrong = []
    for doc, line in commands:
        command: click.Command = main
        words = [w for w in shlex.split(line)[1:] if w not in ("-v", "-vv")]
        while isinstance(command, click.Group) and words and not words[0].startswith("-"):
            sub = command.get_command(click.Context(main), words[0])
            if sub is None:
                wrong.append(f"{doc}: `{line}`: no command {words[0]!r}")
                break
            command, words = sub, words[1:]
        accepted = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        accepted |= {"-h", "--help"}
        wrong += [
            f"{doc}: `{line}`: {w} is not an option of usreg {command.name}"
            for w in words
            if w.startswith("-") and w.split("=")[0] not in accepted
        ]
    assert not wrong, "\n".join(wrong)
