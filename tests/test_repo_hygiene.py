"""The repository stands on its own: no tracked file points at a path outside it."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import REPO_ROOT

SELF_TESTING = {"tests/test_repo_hygiene.py"}  # its pattern names the paths it looks for
OUTSIDE = re.compile(r"\.\./shared|shared/research|shared/seeds|research/source-formats\.md|\bDESIGN\.md\b")


def _tracked_text_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    return [p for p in out.splitlines() if p.endswith((".py", ".md", ".yaml", ".yml", ".toml", ".csv", ".sh", ".txt"))]


def test_no_tracked_file_refers_to_a_path_outside_the_repository():
    offenders = []
    for rel in _tracked_text_files():
        if rel in SELF_TESTING:
            continue
        text = (REPO_ROOT / rel).read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{rel}:{number}: {line.strip()[:120]}")
    assert not offenders, "\n".join(offenders)


def test_package_ships_py_typed():
    assert (REPO_ROOT / "registry" / "py.typed").is_file()
    assert (REPO_ROOT / "scorers" / "py.typed").is_file()
