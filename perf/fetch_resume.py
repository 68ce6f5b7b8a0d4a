"""Resume cost: kill `usreg fetch` (SIGKILL) at about 50% of a large file, run it again, count the bytes sent twice.

The server counts the body bytes it actually sent. Bytes sent twice = (bytes sent to the killed run + bytes sent to
the second run) - file size: what was in flight (kernel socket buffers) or queued in the killed process and is lost.
Target: under 1% of the file.

    python perf/fetch_resume.py                 # 1 GiB
    python perf/fetch_resume.py --size 256M --at 0.5
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import time

from fetch_common import REPO, catalog_with_http_file, human, make_blob, parse_size, usreg_exe, workdir

from tests.fixtures.server import HostServer


def once(size: int, at: float, work, blob) -> tuple[int, int, int, int, float, list]:
    """One kill-and-resume; returns (kept, sent to the killed run, sent to the second run, twice, seconds, ranges)."""
    server = HostServer().start()
    url = server.add_http_file("/blob.bin", blob)
    root = catalog_with_http_file(work / "catalog", "perf-blob", url)
    home = work / "resume-home"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, **server.env(), "USREG_HOME": str(home), "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    command = [usreg_exe(), "--root", str(root), "fetch", "perf-blob", "--format", "json"]
    part = home / "downloads/perf-blob/latest/blob.bin.part"
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    threshold = int(size * at)
    while not (part.exists() and part.stat().st_size >= threshold):
        if proc.poll() is not None:
            raise SystemExit(f"the fetch ended before reaching {at:.0%}: {proc.stderr.read().decode()}")
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kept = part.stat().st_size
    first = server.bytes_sent("/blob.bin")
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    total = server.bytes_sent("/blob.bin")
    ranges = [r.headers.get("range") for r in server.requests("/blob.bin")][1:]
    server.stop()
    final = home / "downloads/perf-blob/latest/blob.bin"
    assert final.stat().st_size == size, "the resumed file has the wrong size"
    shutil.rmtree(home)
    return kept, first, total - first, total - size, elapsed, ranges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1G")
    parser.add_argument("--at", type=float, default=0.5, help="kill when the .part file reaches this fraction")
    parser.add_argument("--repeat", type=int, default=3, help="kill-and-resume cycles (the median is reported)")
    parser.add_argument("--workdir")
    args = parser.parse_args()
    size = parse_size(args.size)
    work = workdir(args.workdir)
    blob = make_blob(work / f"blob-{size}.bin", size)
    twice_all = []
    print(f"file: {human(size)}, killed (SIGKILL) at {args.at:.0%}, then `usreg fetch` again")
    for _ in range(args.repeat):
        kept, first, second, twice, elapsed, ranges = once(size, args.at, work, blob)
        twice_all.append(twice)
        print(
            f"  kept {human(kept)} ({kept / size:.1%}); sent to the killed run {human(first)}, to the second "
            f"{human(second)} (Range: {', '.join(map(str, ranges))}, {elapsed:.2f} s); "
            f"sent twice {human(twice)} = {twice / size:.3%}"
        )
    median = statistics.median(twice_all)
    print(f"bytes sent twice, median of {args.repeat}: {human(median)} = {median / size:.3%} of the file (target < 1%)")


if __name__ == "__main__":
    main()
