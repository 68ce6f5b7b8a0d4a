"""Site build time: the real catalog, and synthetic catalogs of 1,000 and 5,000 datasets.

Each run is the whole `usreg site build` command (page generation + mkdocs-material build), as a subprocess with a
fresh USREG_HOME, so the scores are computed too. Prints the median wall time of several runs, the median CPU time of
the command (user + system: what a busy shared machine does not inflate), and the growth.

    python perf/site_build.py --sizes 1000 5000 --runs 3
    python perf/site_build.py --sizes 1000 --runs 3 --no-real --code /tmp/old-checkout   # a baseline, same machine

``--code DIR`` runs the usreg of another checkout (e.g. ``git archive <commit> | tar -x -C DIR``) on the same
synthetic catalogs, so before and after are measured under the same load.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_scale import make_catalog

REPO = Path(__file__).resolve().parents[1]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_once(root: Path, workdir: Path, code: Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `usreg site build`."""
    home = workdir / f"home-{time.monotonic_ns()}"
    env = {**os.environ, "USREG_HOME": str(home), "NO_COLOR": "1"}
    if code is None:
        command = [str(Path(sys.executable).with_name("usreg"))]
    else:  # the other checkout's packages come first on sys.path (cwd, then PYTHONPATH)
        env["PYTHONPATH"] = str(code)
        command = [sys.executable, "-c", "import sys; from registry.cli import main; sys.argv[0] = 'usreg'; main()"]
    cpu = _cpu_seconds()
    start = time.perf_counter()
    result = subprocess.run(
        [*command, "--root", str(root), "site", "build", "--out", str(workdir / "out")],
        env=env,
        cwd=str(code) if code else None,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu
    if result.returncode != 0:
        sys.exit(f"site build failed:\n{result.stderr[-3000:]}")
    shutil.rmtree(home, ignore_errors=True)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-real", action="store_true", help="Skip the real catalog (e.g. with --code).")
    parser.add_argument("--code", type=Path, default=None, help="Run the usreg of this other checkout.")
    args = parser.parse_args()
    code = args.code.resolve() if args.code else None
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.no_real:
            real = [build_once(REPO, work / "real", code) for _ in range(args.runs)]
            n_real = len(list((REPO / "entries" / "datasets").glob("*.yaml")))
            rows.append((f"real catalog ({n_real} datasets)", n_real, real))
        for n in args.sizes:
            root = work / f"synthetic-{n}"
            make_catalog(root, n)
            shutil.copytree((code or REPO) / "site", root / "site")
            times = [build_once(root, work / f"s{n}", code) for _ in range(args.runs)]
            rows.append((f"synthetic {n:,} datasets", n, times))
    which = f"the checkout in {code}" if code else "this checkout"
    print(f"usreg site build ({which}), median of {args.runs} runs (seconds, whole command)")
    print(f"  {'catalog':<32} {'wall':>8}   {'CPU':>8}   {'wall per dataset':>16}")
    for label, n, times in rows:
        wall = statistics.median(t for t, _ in times)
        cpu = statistics.median(c for _, c in times)
        print(f"  {label:<32} {wall:8.1f}   {cpu:8.1f}   {wall / n * 1000:13.1f} ms")
    synthetic = [r for r in rows if r[0].startswith("synthetic")]
    if len(synthetic) >= 2:
        (_, n1, t1), (_, n2, t2) = synthetic[0], synthetic[-1]
        m1, m2 = statistics.median(t for t, _ in t1), statistics.median(t for t, _ in t2)
        print(f"growth from {n1:,} to {n2:,} datasets: x{m2 / m1:.1f} time for x{n2 / n1:.0f} entries")


if __name__ == "__main__":
    main()
