"""`usreg diff BASE_REF`: what a pull request changes in the catalog, before and after."""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import Catalog, load_catalog
from ..errors import UsageError


@dataclass
class EntryChange:
    entry_id: str
    kind: str
    change: str  # added | modified | deleted
    file: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @property
    def tier_change(self) -> str:
        old = (self.before or {}).get("tier") or "—"
        new = (self.after or {}).get("tier") or ("invalid" if self.errors else "—")
        return f"{old} → {new}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.entry_id,
            "kind": self.kind,
            "change": self.change,
            "file": self.file,
            "errors": self.errors,
            "new_warnings": self.warnings,
            "before": self.before,
            "after": self.after,
            "tier_change": self.tier_change,
        }


def _git(root: Path, *args: str, binary: bool = False) -> Any:
    try:
        result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=True, timeout=120)
    except FileNotFoundError as exc:
        raise UsageError("git is not installed", hint="install git to compare against a ref") from exc
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode(errors="replace").strip()
        raise UsageError(f"git {' '.join(args)} failed: {message}", hint="check that BASE_REF exists") from exc
    return result.stdout if binary else result.stdout.decode()


def changed_files(root: Path, base_ref: str) -> dict[str, str]:
    """entries/ paths changed since ``base_ref`` (committed, staged, unstaged or untracked) -> change kind."""
    changes: dict[str, str] = {}
    for line in _git(root, "diff", "--name-status", "--no-renames", base_ref, "--", "entries/").splitlines():
        status, _, path = line.partition("\t")
        changes[path] = {"A": "added", "D": "deleted"}.get(status[:1], "modified")
    for path in _git(root, "ls-files", "--others", "--exclude-standard", "--", "entries/").splitlines():
        changes[path] = "added"
    return {p: c for p, c in changes.items() if p.endswith(".yaml")}


def catalog_at(root: Path, base_ref: str, workdir: Path) -> Catalog:
    """The catalog as it was at ``base_ref``, unpacked from ``git archive`` into ``workdir``."""
    data = _git(root, "archive", "--format=tar", base_ref, "--", "entries", binary=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(workdir, filter="data")
    return load_catalog(workdir)


ScoreFunction = Callable[[Catalog], dict[str, dict[str, Any]]]


def _scores(catalog: Catalog, score: ScoreFunction | None) -> dict[str, dict[str, Any]]:
    if score is None:
        return {}
    valid = Catalog(root=catalog.root, datasets=catalog.datasets, models=catalog.models, files=catalog.files)
    return score(valid)


def _summary(score: dict[str, Any] | None) -> dict[str, Any] | None:
    if not score:
        return None
    return {k: score.get(k) for k in ("tier", "points", "verification_level", "limited_by")}


def diff_report(root: Path, base_ref: str, score: ScoreFunction | None = None) -> list[EntryChange]:
    """What changed since ``base_ref``, entry by entry; ``score`` (the CLI passes the scorers') gives each entry's
    tier before and after."""
    changes = changed_files(root, base_ref)
    if not changes:
        return []
    head = load_catalog(root, plugins=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = catalog_at(root, base_ref, Path(tmp))
        base_scores = _scores(base, score)
        base_warnings = {(w.entry, w.message) for w in base.warnings}
    head_scores = _scores(head, score)
    report = []
    for path, change in sorted(changes.items()):
        entry_id = Path(path).stem
        kind = "dataset" if "/datasets/" in path else "model"
        item = EntryChange(entry_id, kind, change, path)
        item.errors = [f.render() for f in head.errors if f.file == path]
        item.warnings = [
            w.message for w in head.warnings if w.file == path and (w.entry, w.message) not in base_warnings
        ]
        item.before = _summary(base_scores.get(entry_id))
        item.after = None if item.errors or change == "deleted" else _summary(head_scores.get(entry_id))
        report.append(item)
    return report


def code(text: str, cell: bool = False) -> str:
    """``text`` as one Markdown code span, whatever it holds: a pull request's file names, entry values and the
    messages quoting them reach the comment as text, never as HTML, images, links or @mentions. The fence is longer
    than any run of backticks inside; line breaks become spaces, and in a table ``cell`` a pipe is escaped."""
    flat = " ".join(text.split())
    if cell:
        flat = flat.replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def render_markdown(report: list[EntryChange], base_ref: str) -> str:
    if not report:
        return f"### usreg catalog diff against {code(base_ref)}\n\nNo entries changed.\n"
    lines = [
        f"### usreg catalog diff against {code(base_ref)}",
        "",
        "| entry | change | valid | tier | points | verification |",
        "|---|---|---|---|---|---|",
    ]
    for item in report:
        before, after = item.before or {}, item.after or {}
        points = f"{_num(before.get('points'))} → {_num(after.get('points'))}"
        level = f"{before.get('verification_level') or '—'} → {after.get('verification_level') or '—'}"
        valid = "❌" if item.errors else "✅"
        lines.append(
            f"| {code(item.entry_id, cell=True)} ({item.kind}) | {item.change} | {valid} | {item.tier_change} "
            f"| {points} | {level} |"
        )
    for item in report:
        if item.errors or item.warnings:
            lines += ["", f"#### {code(item.entry_id)}"]
            lines += [f"- error: {code(e.splitlines()[0])}" for e in item.errors]
            lines += [f"- warning: {code(w)}" for w in item.warnings]
    return "\n".join(lines) + "\n"


def _num(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else "—"
