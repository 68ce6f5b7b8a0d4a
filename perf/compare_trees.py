"""The scoring and fetch start-up figures of issues 14 and 16 for several source trees, interleaved run by run so that
the load of a shared machine falls on every tree alike.

Usage: python perf/compare_trees.py NAME=DIR [NAME=DIR ...] [--entries 10000] [--rounds 3]

Each DIR is a checkout whose code runs (``git worktree add /tmp/before <commit>``). On one synthetic catalog (the
generator of perf/score_10k.py), every round runs, for each tree in turn and with its own ``USREG_HOME``:
cold ``usreg score --format csv`` (no index), warm ``usreg score --format csv``, ``usreg score <5 ids> --explain
--format json`` and ``usreg fetch <one id> --dry-run --format json``. Prints the median wall and CPU time (user +
system of the command and its workers) of each figure per tree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from score_10k import write_catalog  # noqa: E402
from trees import run_tree_ok  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", help="NAME=DIR")
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    trees = {}
    for item in args.trees:
        name, _, folder = item.partition("=")
        if not folder or not (Path(folder) / "registry").is_dir():
            raise SystemExit(f"{item!r}: give NAME=DIR, DIR a checkout with registry/")
        trees[name] = Path(folder)
    found: dict[str, dict[str, list[tuple[float, float]]]] = {}
    with tempfile.TemporaryDirectory(prefix="usreg-compare-") as tmp:
        root = Path(tmp) / "catalog"
        write_catalog(root, args.entries)
        ids = sorted(p.stem for p in (root / "entries" / "datasets").glob("*.yaml"))
        homes = {name: Path(tmp) / f"home-{i}" for i, name in enumerate(trees)}
        figures = {
            "cold score": ("score", "--format", "csv"),
            "warm score": ("score", "--format", "csv"),
            "explain 5": ("score", *ids[:5], "--explain", "--format", "json"),
            "fetch start-up": ("fetch", ids[0], "--dry-run", "--format", "json"),
        }
        for i in range(args.rounds):
            for figure, command in figures.items():
                for name, src in trees.items():
                    if figure == "cold score":
                        shutil.rmtree(homes[name], ignore_errors=True)
                    run = run_tree_ok(src, root, homes[name], *command)
                    found.setdefault(figure, {}).setdefault(name, []).append((run.wall, run.cpu))
            print(f"round {i + 1} of {args.rounds} done, load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"{args.entries} entries, {args.rounds} rounds, medians:")
    for figure, by_tree in found.items():
        parts = []
        for name, runs in by_tree.items():
            wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
            parts.append(f"{name} {wall:.2f} s wall / {cpu:.2f} s CPU")
        print(f"  {figure}: " + "; ".join(parts))


if __name__ == "__main__":
    main()
