"""Resume cost: kill `usreg fetch` (SIGKILL) part-way through a large file, run it again, count the bytes sent twice.

The server counts the body bytes it actually sent. Bytes sent twice = (bytes sent to every killed run + bytes sent to
the last run) - file size: what was in flight (kernel socket buffers) or queued in a killed process and is lost.
Target: under 1% of the file.

Two modes: one kill at a fixed fraction (``--at``), or ``--kills K`` kills at random points (seeded, ``--seed``) of
one download, each followed by a restart, so the file is fetched in K+1 pieces.

    python perf/fetch_resume.py                      # 1 GiB, killed at 50 %, 3 repeats
    python perf/fetch_resume.py --kills 5 --repeat 3 # 1 GiB, 5 kills at random points, 3 repeats
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import time

from fetch_common import REPO, catalog_with_http_file, human, make_blob, parse_size, usreg_exe, workdir

from tests.fixtures.server import HostServer


def once(size: int, fractions: list[float], work, blob, peer: bool = False) -> tuple[list[int], int, int, float, list]:
    """Kill the fetch when its .part file reaches each of ``fractions`` (ascending), restarting it after each kill,
    then let it finish. Returns (kept after each kill, bytes sent in all, sent twice, seconds of the last run,
    the Range headers of the restarts)."""
    server = HostServer().start()
    url = server.add_http_file("/blob.bin", blob)
    root = catalog_with_http_file(work / "catalog", "perf-blob", url)
    home = work / "resume-home"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, **server.env(), "USREG_HOME": str(home), "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    command = [usreg_exe(), "--root", str(root), "fetch", "perf-blob", "--format", "json"]
    part = home / "downloads/perf-blob/latest/blob.bin.part"
    final = home / "downloads/perf-blob/latest/blob.bin"
    if peer:  # the same kills and restarts with `curl -C -`: what any client loses (the kernel's socket buffers)
        home.mkdir(parents=True)
        part = final = home / "blob.bin"
        command = ["curl", "-sS", "-C", "-", "-o", str(part), url]
    kept = []
    for at in fractions:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        threshold = int(size * at)
        while not (part.exists() and part.stat().st_size >= threshold):
            if proc.poll() is not None:
                raise SystemExit(f"the fetch ended before reaching {at:.0%}: {proc.stderr.read().decode()}")
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kept.append(part.stat().st_size)
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    total = server.bytes_sent("/blob.bin")
    ranges = [r.headers.get("range") for r in server.requests("/blob.bin")][1:]
    server.stop()
    assert final.stat().st_size == size, "the resumed file has the wrong size"
    shutil.rmtree(home)
    return kept, total, total - size, elapsed, ranges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1G")
    parser.add_argument("--at", type=float, default=0.5, help="kill when the .part file reaches this fraction")
    parser.add_argument("--kills", type=int, default=0, help="kill at this many random points instead of --at")
    parser.add_argument("--seed", type=int, default=13, help="seed of the random kill points")
    parser.add_argument("--peer", action="store_true", help="also run `curl -C -` with the same kill points")
    parser.add_argument("--repeat", type=int, default=3, help="kill-and-resume cycles (the median is reported)")
    parser.add_argument("--workdir")
    args = parser.parse_args()
    size = parse_size(args.size)
    work = workdir(args.workdir)
    blob = make_blob(work / f"blob-{size}.bin", size)
    twice_all: list[int] = []
    peer_all: list[int] = []
    rng = random.Random(args.seed)
    how = f"{args.kills} kills (SIGKILL) at random points" if args.kills else f"killed (SIGKILL) at {args.at:.0%}"
    print(f"file: {human(size)}, {how}, each followed by `usreg fetch` again")
    for _ in range(args.repeat):
        fractions = sorted(rng.uniform(0.02, 0.98) for _ in range(args.kills)) if args.kills else [args.at]
        for peer in (False, True) if args.peer else (False,):
            kept, total, twice, elapsed, ranges = once(size, fractions, work, blob, peer)
            (peer_all if peer else twice_all).append(twice)
            points = ", ".join(f"{k / size:.1%}" for k in kept)
            print(
                f"  {'curl -C -' if peer else 'usreg'}: killed at {points}; sent in all {human(total)} (restarts: "
                f"{', '.join(map(str, ranges))}; last run {elapsed:.2f} s); sent twice {human(twice)} = "
                f"{twice / size:.3%} ({twice / size / len(kept):.3%} per kill)"
            )
    kills = args.kills or 1
    for name, values in (("usreg", twice_all), ("curl -C -", peer_all)):
        if values:
            median = statistics.median(values)
            print(
                f"{name}: bytes sent twice, median of {args.repeat}: {human(median)} = {median / size:.3%} of the file "
                f"after {kills} kill(s), {median / size / kills:.3%} per kill (target < 1%)"
            )


if __name__ == "__main__":
    main()
