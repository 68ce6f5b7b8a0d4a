"""Compare two rubric versions on a catalog: the tier distribution under each and the largest moves, each explained.

    python -m scorers.compare [--root .] [--old v1] [--new v2] [--top 20]

prints the Markdown table that ``scorers/README.md`` quotes ("Rubric v1 and v2"). Scores use the catalog's own
evidence only (offline checks and committed link-check reports, no local fetches), as published scores do. A move
is explained by what decided it: the gate that now limits the tier (or no longer does), and the criteria whose
points changed most between the two versions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .tiers import TIER_RANK, TIERS

if TYPE_CHECKING:
    from registry.catalog import Catalog

    from .engine import Score


def score_with(catalog: Catalog, version: str, home: Path) -> dict[str, Score]:
    from .engine import Scorer, gc_paused
    from .rubric import load_rubric

    rubrics = {kind: load_rubric(kind, version) for kind in ("dataset", "model")}
    with gc_paused():
        scorer = Scorer(catalog, home=home, rubrics=rubrics, plan=False)
        return {i: scorer.score(e) for items in (catalog.datasets, catalog.models) for i, e in items.items()}


def _counts(scores: dict[str, Any], ids: list[str]) -> dict[str, int]:
    found = {t: 0 for t in reversed(TIERS)}
    for i in ids:
        if i in scores:
            found[scores[i].tier] += 1
    return found


def explain_move(old: Score, new: Score) -> str:
    """Why an entry moved: the deciding gate, then the criteria whose share of points changed most."""
    reasons = []
    if new.limited_by and new.limited_by != old.limited_by:
        reasons.append(f"v2 gate {new.limited_by} limits it")
    elif old.limited_by and not new.limited_by:
        reasons.append(f"no longer limited by {old.limited_by}")
    old_pts = {c.id: c.units / old.rubric.scale for c in old.criteria}
    new_kinds = {c.id: c.evidence_kind for c in new.criteria}
    deltas = []
    for c in new.criteria:
        if c.id in old_pts:
            delta = c.units / new.rubric.scale - old_pts[c.id]
            if abs(delta) >= 0.5:
                deltas.append((delta, c.id))
    deltas.sort(key=lambda d: (-abs(d[0]), d[1]))
    for delta, cid in deltas[:3]:
        why = f" ({new_kinds[cid]})" if new_kinds[cid] == "well-formed" else ""
        reasons.append(f"{cid} {delta:+.1f}{why}")
    if new.tier != old.tier and not new.limited_by:
        minimum = new.rubric.to_points(new.rubric.threshold(new.tier))
        gates = [g.id for g in new.gates if g.tier == new.tier]
        passed = f" and its {new.tier} gates pass ({', '.join(gates)})" if gates else ""
        reasons.append(f"{new.points:g} points clear the {new.tier} threshold ({minimum:g}){passed}")
    return "; ".join(reasons) or "thresholds moved"


def compare(root: Path, old_version: str = "v1", new_version: str = "v2", top: int = 20) -> str:
    from registry.catalog import load_catalog

    from .report import md_table, read_paper_map

    catalog = load_catalog(root, duplicates=False).usable()
    with tempfile.TemporaryDirectory() as home:
        old = score_with(catalog, old_version, Path(home))
        new = score_with(catalog, new_version, Path(home))
    groups = {
        "datasets": list(catalog.datasets),
        "models": list(catalog.models),
        "paper-72 mapping": [i for i in dict.fromkeys(read_paper_map(root)) if i in catalog.datasets],
    }
    rows = []
    for label, ids in groups.items():
        for version, scores in ((old_version, old), (new_version, new)):
            counts = _counts(scores, ids)
            total = sum(counts.values()) or 1
            row = {"entries": f"{label} ({len(ids)})", "rubric": version}
            row.update({t: f"{n} ({100 * n / total:.0f}%)" for t, n in counts.items()})
            rows.append(row)
    gate_ids = {g.id for s in new.values() for g in s.rubric.gates}
    limited = sum(1 for s in new.values() if s.limited_by in gate_ids)
    old_gate_ids = {g.id for s in old.values() for g in s.rubric.gates}
    old_limited = sum(1 for s in old.values() if s.limited_by in old_gate_ids)
    moves = sorted(
        new,
        key=lambda i: (
            -abs(TIER_RANK[new[i].tier] - TIER_RANK[old[i].tier]),
            -abs(new[i].points - old[i].points),
            i,
        ),
    )[:top]
    move_rows = [
        {
            "entry": i,
            "kind": new[i].kind,
            old_version: f"{old[i].tier} ({old[i].points:g})",
            new_version: f"{new[i].tier} ({new[i].points:g})",
            "why": explain_move(old[i], new[i]),
        }
        for i in moves
    ]
    out = [
        md_table(rows, ["entries", "rubric", *reversed(TIERS)]),
        "",
        f"Tiers limited by a gate: {old_limited} under {old_version}, {limited} under {new_version}.",
        "",
        f"The {top} largest moves (tier change first, then points):",
        "",
        md_table(move_rows, ["entry", "kind", old_version, new_version, "why"]),
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--old", default="v1")
    parser.add_argument("--new", default="v2")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    sys.stdout.write(compare(args.root, args.old, args.new, max(1, min(args.top, 500))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
