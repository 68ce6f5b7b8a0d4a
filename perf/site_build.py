"""Site build time: the real catalog, and synthetic catalogs of 1,000 and 5,000 datasets.

Each run is the whole `usreg site build` command (page generation + mkdocs-material build), as a subprocess with a
fresh USREG_HOME, so the index and scores are built too. Prints the median of several runs and the growth.

    python perf/site_build.py --sizes 1000 5000 --runs 3
"""

from __future__ import annotations

import argparse
import os
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


def build_once(root: Path, workdir: Path) -> float:
    home = workdir / f"home-{time.monotonic_ns()}"
    env = {**os.environ, "USREG_HOME": str(home), "NO_COLOR": "1"}
    usreg = str(Path(sys.executable).with_name("usreg"))
    start = time.perf_counter()
    result = subprocess.run(
        [usreg, "--root", str(root), "site", "build", "--out", str(workdir / "out")],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"site build failed:\n{result.stderr[-3000:]}")
    shutil.rmtree(home, ignore_errors=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        real = [build_once(REPO, work / "real") for _ in range(args.runs)]
        n_real = len(list((REPO / "entries" / "datasets").glob("*.yaml")))
        rows.append((f"real catalog ({n_real} datasets)", n_real, statistics.median(real)))
        for n in args.sizes:
            root = work / f"synthetic-{n}"
            make_catalog(root, n)
            shutil.copytree(REPO / "site", root / "site")
            times = [build_once(root, work / f"s{n}") for _ in range(args.runs)]
            rows.append((f"synthetic {n:,} datasets", n, statistics.median(times)))
    print(f"usreg site build, median of {args.runs} runs (seconds, whole command)")
    for label, n, seconds in rows:
        print(f"  {label:<32} {seconds:8.1f} s   {seconds / n * 1000:6.1f} ms per dataset")
    if len(rows) >= 3:
        (_, n1, t1), (_, n2, t2) = rows[1], rows[-1]
        print(f"growth from {n1:,} to {n2:,} datasets: x{t2 / t1:.1f} time for x{n2 / n1:.0f} entries")


if __name__ == "__main__":
    main()
