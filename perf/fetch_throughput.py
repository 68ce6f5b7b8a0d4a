"""Fetch throughput: usreg against `curl -o` (and pooch.retrieve) for one large file on 127.0.0.1.

The local host server (tests/fixtures/server.py) serves the file with sendfile, so the client is the bottleneck.
Every tool downloads the same URL to the same disk, in its own process; runs are interleaved, the page cache is
flushed (``sync``) before each run, and the median of ``--runs`` is reported.

- ``usreg fetch_dataset``: the library call, timed inside its process (plan, download, sha256 while streaming,
  atomic rename, lock file, hard-linked source tree). This is the fetch rate compared with curl.
- ``usreg fetch (CLI)``: the whole command as a user runs it, including interpreter and CLI start-up.
- ``pooch.retrieve``: timed inside its process, like the library call.
- ``curl -o + sha256sum``: curl followed by the hash that usreg computes while streaming (the verified peer).

On a busy machine wall times swing by several times from run to run, so the script also reports, per run, the
ratio of curl's time to usreg's time measured back to back (the median of these paired ratios is the least noisy
figure), and the CPU time each tool spent (user + system, all threads), which load does not inflate.

    python perf/fetch_throughput.py                 # 1 GiB, 5 runs
    python perf/fetch_throughput.py --size 128M --runs 3
    python perf/fetch_throughput.py --runs 9 --tools curl,library   # only the pair the target is about
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

from fetch_common import REPO, catalog_with_http_file, human, make_blob, parse_size, usreg_exe, workdir

from tests.fixtures.server import HostServer

LIBRARY = """
import sys, time
from pathlib import Path
from registry.catalog import load_catalog
from registry.fetch import fetch_dataset
entry = load_catalog(Path(sys.argv[1])).datasets["perf-blob"]
start, cpu = time.perf_counter(), time.process_time()
fetch_dataset(entry, home=Path(sys.argv[2]))
print(time.perf_counter() - start, time.process_time() - cpu)
"""

POOCH = """
import sys, time, pooch
pooch.get_logger().setLevel("WARNING")
start = time.perf_counter()
pooch.retrieve(sys.argv[1], known_hash=None, path=sys.argv[2], fname="blob.bin", progressbar=False)
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1G", help="file size (e.g. 1G, 256M)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", help="where the file and downloads go (default: $TMPDIR/usreg-perf-fetch)")
    parser.add_argument(
        "--tools", default="curl,curl-sha,library,cli,pooch", help="which to run (curl and library are always run)"
    )
    args = parser.parse_args()
    size = parse_size(args.size)
    work = workdir(args.workdir)
    blob = make_blob(work / f"blob-{size}.bin", size)
    server = HostServer().start()
    url = server.add_http_file("/blob.bin", blob)
    root = catalog_with_http_file(work / "catalog", "perf-blob", url)
    env = {**os.environ, **server.env(), "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    home = work / "usreg-home"
    try:
        import pooch  # noqa: F401

        have_pooch = True
    except ImportError:
        have_pooch = False

    def fresh(path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    cpu: dict[str, list[float]] = {"curl -o": [], "usreg fetch_dataset": []}

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def run_curl() -> float:
        out = work / "curl.out"
        start, used = time.perf_counter(), children_cpu()
        subprocess.run(["curl", "-sS", "-o", str(out), url], check=True)
        elapsed = time.perf_counter() - start
        cpu["curl -o"].append(children_cpu() - used)
        out.unlink()
        return elapsed

    def run_curl_verified() -> float:
        """curl, then sha256sum: what a user must do by hand to get the verification usreg does while streaming."""
        out = work / "curl.out"
        start = time.perf_counter()
        subprocess.run(["curl", "-sS", "-o", str(out), url], check=True)
        subprocess.run(["sha256sum", str(out)], check=True, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        out.unlink()
        return elapsed

    def run_library() -> float:
        fresh(home)
        done = subprocess.run(
            [sys.executable, "-c", LIBRARY, str(root), str(home)], check=True, env=env, capture_output=True, text=True
        )
        fresh(home)
        elapsed, used = (float(v) for v in done.stdout.split()[-2:])
        cpu["usreg fetch_dataset"].append(used)
        return elapsed

    def run_cli() -> float:
        fresh(home)
        start = time.perf_counter()
        subprocess.run(
            [usreg_exe(), "--root", str(root), "fetch", "perf-blob", "--format", "json"],
            check=True,
            env={**env, "USREG_HOME": str(home)},
            stdout=subprocess.DEVNULL,
        )
        elapsed = time.perf_counter() - start
        fresh(home)
        return elapsed

    def run_pooch() -> float:
        target = work / "pooch"
        fresh(target)
        done = subprocess.run(
            [sys.executable, "-c", POOCH, url, str(target)], check=True, capture_output=True, text=True
        )
        fresh(target)
        return float(done.stdout.split()[-1])

    wanted = set(args.tools.split(",")) | {"curl", "library"}
    tools = {"curl -o": run_curl}
    if "curl-sha" in wanted:
        tools["curl -o + sha256sum"] = run_curl_verified
    tools["usreg fetch_dataset"] = run_library
    if "cli" in wanted:
        tools["usreg fetch (CLI)"] = run_cli
    have_pooch = have_pooch and "pooch" in wanted
    if have_pooch:
        tools["pooch.retrieve"] = run_pooch
    times: dict[str, list[float]] = {name: [] for name in tools}
    run_library()  # warm-up: imports and the file in the page cache
    cpu["usreg fetch_dataset"].clear()
    paired: list[float] = []  # curl / usreg, measured back to back in each run
    for i in range(args.runs):
        order = list(tools) if i % 2 == 0 else list(reversed(tools))
        pair = ["curl -o", "usreg fetch_dataset"] if i % 2 == 0 else ["usreg fetch_dataset", "curl -o"]
        order = pair + [name for name in order if name not in pair]  # the pair always runs back to back
        for name in order:
            os.sync()
            times[name].append(tools[name]())
        paired.append(times["curl -o"][-1] / times["usreg fetch_dataset"][-1])
    server.stop()

    print(f"file: {human(size)} on 127.0.0.1, {args.runs} runs each (median)")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        rate = size / medians[name] / 1e6
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:20s} {medians[name]:7.2f} s  {rate:8.1f} MB/s   runs: {runs}")
    curl = medians["curl -o"]
    print(
        f"usreg/curl rate ratio (library fetch, medians): {curl / medians['usreg fetch_dataset']:.2f} (target >= 0.9)"
    )
    print(
        f"usreg/curl rate ratio (library fetch, median of {len(paired)} back-to-back pairs): "
        f"{statistics.median(paired):.2f}   pairs: {', '.join(f'{r:.2f}' for r in paired)}"
    )
    for name, used in cpu.items():
        print(
            f"  CPU (user + system) {name:20s} median {statistics.median(used):.2f} s   runs: "
            + ", ".join(f"{u:.2f}" for u in used)
        )
    if "usreg fetch (CLI)" in medians:
        print(f"usreg/curl rate ratio (CLI, with start-up): {curl / medians['usreg fetch (CLI)']:.2f}")
    if "curl -o + sha256sum" in medians:
        print(
            f"usreg/(curl + sha256sum) rate ratio (library fetch): "
            f"{medians['curl -o + sha256sum'] / medians['usreg fetch_dataset']:.2f}"
        )
    if have_pooch:
        print(
            f"usreg/pooch rate ratio (library fetch): {medians['pooch.retrieve'] / medians['usreg fetch_dataset']:.2f}"
        )
    else:
        print("pooch not run (not installed, or left out with --tools)")


if __name__ == "__main__":
    main()
