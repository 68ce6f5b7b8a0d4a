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

    def reverse_links(self, dataset_id: str) -> dict[str, list[str]]:
        """Entries that point at a dataset: "trained" and "evaluated" (models), "derived" (datasets derived from
        it) and "collections" (collections listing it). Built once for the whole catalog."""
        links = self.memo.get("reverse_links")
        if links is None:
            links = self.memo["reverse_links"] = defaultdict(lambda: defaultdict(list))
            for model in self.catalog.models.values():
                for target in model.trained_on:
                    links[target]["trained"].append(model.id)
                for target in model.evaluated_on:
                    links[target]["evaluated"].append(model.id)
            for dataset in self.catalog.datasets.values():
                for target in dataset.relations.derived_from:
                    links[target]["derived"].append(dataset.id)
                for target in dataset.relations.members:
                    links[target]["collections"].append(dataset.id)
        return links.get(dataset_id) or {}


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
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is there: same data, faster
    rubrics = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
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
