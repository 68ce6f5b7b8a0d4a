"""Check that two source trees give the same scores: `usreg score --format json` (cold, then warm) and
`usreg score --explain --format json` of a catalog, and `--explain` of a few ids, compared as JSON data.

Usage: python perf/score_same.py --before DIR [--after DIR] [--root CATALOG] [--ids ID ...]

``--before`` / ``--after`` are checkouts whose code runs (e.g. ``git worktree add /tmp/before <commit>``; default
after: this repository); ``--root`` is the catalog scored by both (default: this repository's real catalog). Each tree
gets its own empty ``USREG_HOME``. Exits 1 when any output differs, naming the first differing entry.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from trees import run_tree_ok  # noqa: E402


def _usreg(src: Path, root: Path, home: Path, *args: str) -> object:
    return json.loads(run_tree_ok(src, root, home, *args).done.stdout)


def _outputs(src: Path, root: Path, home: Path, ids: list[str]) -> dict[str, object]:
    return {
        "score (cold)": _usreg(src, root, home, "score", "--format", "json"),
        "score (warm)": _usreg(src, root, home, "score", "--format", "json"),
        "score --explain": _usreg(src, root, home, "score", "--explain", "--format", "json"),
        f"score {' '.join(ids)} --explain": _usreg(src, root, home, "score", *ids, "--explain", "--format", "json"),
    }


def _first_difference(a: object, b: object) -> str:
    if isinstance(a, list) and isinstance(b, list):
        for x, y in zip(a, b, strict=False):
            if x != y:
                return str(x.get("entry_id") or x.get("id")) if isinstance(x, dict) else repr(x)[:80]
        return f"lengths {len(a)} and {len(b)}"
    return "the documents"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=HERE.parent)
    parser.add_argument("--root", type=Path, default=HERE.parent)
    parser.add_argument("--ids", nargs="*", help="ids for the --explain of a few (default: the first 5 datasets)")
    args = parser.parse_args()
    ids = args.ids or sorted(p.stem for p in (args.root / "entries" / "datasets").glob("*.yaml"))[:5]
    with tempfile.TemporaryDirectory(prefix="usreg-score-same-") as tmp:
        before = _outputs(args.before, args.root, Path(tmp) / "before", ids)
        after = _outputs(args.after, args.root, Path(tmp) / "after", ids)
    differ = False
    for name, old in before.items():
        new = after[name]
        count = len(old) if isinstance(old, list) else 1
        if old == new:
            print(f"{name}: identical ({count} entries)")
        else:
            differ = True
            print(f"{name}: DIFFERENT, first at {_first_difference(old, new)}")
    raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
