"""The architecture figures of issue 16, for one source tree (run it on two trees to compare before and after).

Usage: python perf/architecture.py [--src DIR] [--entries 10000] [--runs 5]

``--src`` is the repository whose code runs (default: this one); a second checkout of an older commit, e.g.
``git worktree add /tmp/before <commit>``, gives the "before" figures with the same interpreter and packages.
Each figure is a whole command in a child process on a synthetic catalog of ``--entries`` entries (the generator of
perf/score_10k.py), median / min / max of ``--runs`` runs:

- fetch start-up: ``usreg fetch <one dataset> --dry-run --format json`` with the index already built (the plan is made
  from the entry, offline), plus the number of modules the command imports;
- explain 5: ``usreg score <5 ids> --explain --format json`` on a warm index;
- cold score: ``usreg score --format csv`` with no index yet (parse, validate, index and score everything).

Each figure also gives the median CPU time (user + system of the command and its worker processes): on a shared
machine the wall time follows the load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from score_10k import write_catalog  # noqa: E402
from trees import run_tree  # noqa: E402

CPU: dict[str, list[float]] = {}  # figure -> CPU seconds (user + system, the command and its workers) of each run


def _run(src: Path, root: Path, home: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    run = run_tree(src, root, home, *args)
    CPU.setdefault(" ".join(a for a in args if not a.startswith("ds-")), []).append(run.cpu)
    return run.wall, run.done


def _stats(values: list[float], cpu_of: str | None = None) -> dict[str, float]:
    out = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    if cpu_of is not None and CPU.get(cpu_of):
        out["cpu_median"] = statistics.median(CPU[cpu_of])
    return out


def _imports(src: Path, root: Path, home: Path, entry_id: str) -> int:
    env = {**os.environ, "USREG_HOME": str(home), "PYTHONPATH": str(src)}
    code = (
        "import sys; from registry.cli import main\n"
        "try:\n    main(['--root', sys.argv[1], 'fetch', sys.argv[2], '--dry-run', '--format', 'json'])\n"
        "except SystemExit:\n    pass\n"
        "print(len(sys.modules), len([m for m in sys.modules if m.startswith('scorers')]), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-P", "-c", code, str(root), entry_id], env=env, capture_output=True, text=True, check=False
    )
    return int(done.stderr.strip().splitlines()[-1].split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=HERE.parent)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="usreg-arch-"))
    try:
        root, home = work / "catalog", work / "home"
        write_catalog(root, args.entries)
        ids = sorted(p.stem for p in (root / "entries" / "datasets").glob("*.yaml"))
        one, five = ids[0], ids[:5]

        cold = []
        for _ in range(args.runs):
            shutil.rmtree(home, ignore_errors=True)
            seconds, done = _run(args.src, root, home, "score", "--format", "csv")
            if done.returncode != 0:
                raise SystemExit(f"cold score failed: {done.stderr[-2000:]}")
            cold.append(seconds)

        explain, fetch = [], []
        for _ in range(args.runs):
            seconds, done = _run(args.src, root, home, "score", *five, "--explain", "--format", "json")
            explain.append(seconds)
            seconds, done = _run(args.src, root, home, "fetch", one, "--dry-run", "--format", "json")
            fetch.append(seconds)
        fetch_ok = done.returncode
        result = {
            "src": str(args.src),
            "entries": args.entries,
            "runs": args.runs,
            "cold_score_s": _stats(cold, "score --format csv"),
            "explain5_s": _stats(explain, "score --explain --format json"),
            "fetch_startup_s": _stats(fetch, "fetch --dry-run --format json"),
            "fetch_exit_code": fetch_ok,
            "fetch_modules_imported": _imports(args.src, root, home, one),
        }
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
