"""Everything the page renderers need, gathered once: catalog, scores, benchmark results, rubric, history."""

from __future__ import annotations

import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import Catalog


@dataclass
class SiteContext:
    catalog: Catalog
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    bench: list[dict[str, Any]] = field(default_factory=list)
    rubrics: list[dict[str, Any]] = field(default_factory=list)
    additions: list[tuple[str, str, str]] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)  # values derived once per build (e.g. leaderboard groups)

    def bench_for_dataset(self, dataset_id: str) -> list[dict[str, Any]]:
        return [r for r in self.bench if r["dataset_id"] == dataset_id]

    def bench_for_model(self, model_id: str) -> list[dict[str, Any]]:
        return [r for r in self.bench if r["model_id"] == model_id]

    def trained_or_evaluated(self, dataset_id: str) -> dict[str, list[str]]:
        linked: dict[str, list[str]] = defaultdict(list)
        for model in self.catalog.models.values():
            if dataset_id in model.trained_on:
                linked["trained"].append(model.id)
            if dataset_id in model.evaluated_on:
                linked["evaluated"].append(model.id)
        return linked


def git_additions(root: Path) -> list[tuple[str, str, str]]:
    """(date, entry kind/id, commit subject) for each entry file's first commit, newest first."""
    try:
        out = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "log",
                "--diff-filter=A",
                "--name-only",
                "--date=short",
                "--format=%x01%ad%x02%s",
                "--",
                "entries/",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    additions = []
    for block in out.split("\x01")[1:]:
        header, _, names = block.partition("\n")
        date, _, subject = header.partition("\x02")
        for name in names.split():
            if name.startswith("entries/") and name.endswith(".yaml"):
                kind = "dataset" if "/datasets/" in name else "model"
                additions.append((date, f"{kind}:{Path(name).stem}", subject))
    return additions


def load_rubrics() -> list[dict[str, Any]]:
    """The rubric files as plain data (the site renders the rubric from them, so it can never drift)."""
    import yaml

    folder = Path(__file__).resolve().parents[2] / "scorers" / "rubrics"
    if not folder.is_dir():
        return []
    rubrics = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data["_file"] = path.name
            rubrics.append(data)
    return rubrics


@dataclass
class Page:
    """A generated page: finished HTML plus the front matter mkdocs reads (title, description, hidden sidebars)."""

    title: str
    html: str
    description: str | None = None

    def front_matter(self) -> str:
        import html
        import json

        # mkdocs-material inserts these values into the page unescaped, so they are escaped here
        lines = ["---", f"title: {json.dumps(html.escape(self.title))}"]
        if self.description:
            lines.append(f"description: {json.dumps(html.escape(' '.join(self.description.split())[:300]))}")
        # the tabs under the header navigate; the left sidebar would only repeat them, and the pages have no TOC
        lines.append("hide: [navigation, toc]")
        lines.append("usreg_html: true")
        lines.append("---")
        return "\n".join(lines) + "\n"
