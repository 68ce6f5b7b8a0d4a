"""Peak memory of `usreg fetch` for growing file sizes: it must stay flat (target: under 150 MB for 1 GiB).

Each fetch runs as its own process under a small wrapper that reads the peak resident set size of its one child
(``getrusage(RUSAGE_CHILDREN).ru_maxrss``). ``usreg --help`` gives the interpreter's own baseline.

    python perf/fetch_memory.py                       # 64M, 256M and 1G
    python perf/fetch_memory.py --sizes 16M 64M
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys

from fetch_common import REPO, catalog_with_http_file, human, make_blob, parse_size, usreg_exe, workdir

from tests.fixtures.server import HostServer

WRAPPER = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(json.dumps({"rc": done.returncode, "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def peak(command: list[str], env: dict[str, str]) -> int:
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *command], env=env, capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["rc"] != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {report['rc']}")
    return report["maxrss_kib"] * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["64M", "256M", "1G"])
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--workdir")
    args = parser.parse_args()
    work = workdir(args.workdir)
    server = HostServer().start()
    env = {**os.environ, **server.env(), "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    baseline = peak([usreg_exe(), "--help"], env)
    print(f"baseline (usreg --help): {human(baseline)}")
    rows = []
    for text in args.sizes:
        size = parse_size(text)
        blob = make_blob(work / f"blob-{size}.bin", size)
        url = server.add_http_file(f"/blob-{size}.bin", blob)
        root = catalog_with_http_file(work / f"catalog-{size}", "perf-blob", url)
        home = work / "memory-home"
        shutil.rmtree(home, ignore_errors=True)
        for fmt in ("json", "table"):
            rss = peak(
                [usreg_exe(), "--root", str(root), "fetch", "perf-blob", "--format", fmt, "--jobs", str(args.jobs)],
                {**env, "USREG_HOME": str(home)},
            )
            shutil.rmtree(home, ignore_errors=True)
            rows.append((size, fmt, rss))
            print(f"  {human(size):>10s}  --format {fmt:5s}  peak RSS {human(rss)}")
    server.stop()
    largest = max(r[0] for r in rows)
    worst = max(r[2] for r in rows if r[0] == largest)
    smallest = min(r[0] for r in rows)
    growth = worst - max(r[2] for r in rows if r[0] == smallest)
    print(
        f"peak for {human(largest)}: {human(worst)} (target < 150 MB = {human(150e6)}); "
        f"growth from {human(smallest)} to {human(largest)}: {human(max(growth, 0))}"
    )


if __name__ == "__main__":
    main()
