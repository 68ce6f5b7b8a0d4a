"""Conversion performance: a generated porcine-spinal-cord-like dataset of 690x275 PNGs, 1,000 and 10,000 images.

For each size N it generates ``train_images/`` (RGB PNGs of grey B-mode-like content) and ``train_masks/`` (RGB
palette masks, the real layout of the segmentation release), then measures, each in a fresh subprocess so that peak
memory is its own:

- usreg's conversion with both cores (``workers=2``) and with one (``workers=1``): images/s and peak RSS (parent and
  workers), for the full job: decode, palette mapping, grey detection, PNG encoding, sha256, pHash, COCO instances,
  manifest, COCO/Croissant export, the data checks and checksums;
- the peer: a plain single-process PIL loop doing the per-image core of that work (decode image and mask, grey
  conversion, palette lookup, PNG encoding of both, sha256, ``imagehash.phash``), writing nothing else. It saves PNGs
  the way a plain loop does, with Pillow's defaults (``compress_level`` 6), and is run a second time at Pillow's
  fastest zlib level (1), so that the speed-up is also shown against a peer that chose speed;
- the duplicate check on the N converted images: the pair search of ``registry.checks.duplicates`` over the
  stored pHashes, against a numpy brute force comparing all pairs (the obvious peer), and the cost of computing the
  pHashes themselves from the PNGs (single process).

It prints the figures, the speed-up against the PIL loop, and the growth of each cost from the smallest to the
largest N. ``--runs K`` repeats the 2-worker conversion and the PIL loops K times and reports medians (the machine
may be shared). Run: ``python perf/convert_10k.py`` (``--sizes 1000 10000``, ``--runs 3``, ``--keep DIR``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
W, H = 690, 275
PALETTE = [
    (0, 0, 0),
    (128, 0, 128),
    (128, 0, 0),
    (0, 128, 0),
    (128, 128, 0),
    (0, 0, 128),
    (0, 128, 128),
    (64, 0, 0),
    (128, 128, 128),
    (192, 0, 0),
]


def _textures(count: int = 16) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    out = []
    for k in range(count):
        base = 60 + 35 * np.sin(yy / (6 + k) + k) * np.cos(xx / (11 + k % 5))
        out.append(np.clip(base * (0.6 + 0.5 * rng.rayleigh(0.5, (H, W))), 0, 220).astype(np.float32))
    return out


def _make(args: tuple[Path, int, int]) -> None:
    from PIL import Image

    root, start, stop = args
    textures = _textures()
    rng = np.random.default_rng(start)
    for i in range(start, stop):
        tex = np.roll(textures[i % len(textures)], shift=(i * 7) % W, axis=1)
        cy, cx = rng.integers(40, H - 40), rng.integers(60, W - 60)
        img = tex.copy()
        img[cy - 25 : cy + 25, cx - 50 : cx + 50] += rng.uniform(10, 35)
        img = np.clip(img + rng.normal(0, 4, img.shape), 0, 230).astype(np.uint8)
        Image.fromarray(np.stack([img] * 3, axis=-1)).save(root / "train_images" / f"im{i:05d}.png", compress_level=1)
        mask = np.zeros((H, W, 3), np.uint8)
        bands = np.array_split(np.arange(40, 240), 8)
        for k, rows in enumerate(bands):
            mask[rows, 100 + (i % 50) : 600] = PALETTE[1 + (k + i) % 9]
        Image.fromarray(mask).save(root / "train_masks" / f"im{i:05d}.png")


def generate(root: Path, n: int) -> None:
    (root / "train_images").mkdir(parents=True, exist_ok=True)
    (root / "train_masks").mkdir(parents=True, exist_ok=True)
    chunks = [(root, s, min(n, s + 250)) for s in range(0, n, 250)]
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        list(pool.map(_make, chunks))


CONVERT = """
import json, os, resource, sys, threading, time
from pathlib import Path
from registry.loaders import convert_entry
from registry.schema import Dataset

peak_worker = [0]
stop = threading.Event()

def descendants():
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    parent[int(d)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    me, out = os.getpid(), []
    for pid in parent:
        p = parent.get(pid)
        while p and p != me and p > 1:
            p = parent.get(p)
        if p == me:
            out.append(pid)
    return out

worker_cpu = {}
TICK = os.sysconf("SC_CLK_TCK")

def sample():  # peak resident memory (VmHWM) and CPU time (utime + stime) of the worker processes
    while not stop.is_set():
        for pid in descendants():
            try:
                with open(f"/proc/{pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmHWM:"):
                            peak_worker[0] = max(peak_worker[0], int(line.split()[1]))
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                worker_cpu[pid] = (int(fields[11]) + int(fields[12])) / TICK
            except OSError:
                pass
        stop.wait(0.1)

threading.Thread(target=sample, daemon=True).start()
entry = Dataset.model_validate({"id": "perf-spinal", "name": "perf", "anatomy": ["spinal-cord"],
                                "loader": {"name": "porcine-spinal-cord"}})
t = time.perf_counter()
out = convert_entry(entry, Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], workers=int(sys.argv[4]))
elapsed = time.perf_counter() - t
stop.set()
me = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": elapsed, "path": str(out),
                  "rss_self_mb": me.ru_maxrss / 1024, "rss_worker_mb": peak_worker[0] / 1024,
                  "cpu_s": me.ru_utime + me.ru_stime + sum(worker_cpu.values())}))
"""

PIL_LOOP = """
import hashlib, io, json, resource, sys, time
from pathlib import Path
import imagehash, numpy as np
from PIL import Image
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
dst.mkdir(parents=True, exist_ok=True)
palette = {PALETTE}
lut = np.full(1 << 24, 255, np.uint8)
for k, (r, g, b) in enumerate(palette):
    lut[(r << 16) | (g << 8) | b] = k
t = time.perf_counter()
for path in sorted((src / "train_images").iterdir()):
    image = Image.open(path).convert("L")
    mask = np.asarray(Image.open(src / "train_masks" / path.name).convert("RGB")).astype(np.uint32)
    labels = lut[(mask[..., 0] << 16) | (mask[..., 1] << 8) | mask[..., 2]]
    labels[labels == 255] = 0
    for name, im in (("i", image), ("m", Image.fromarray(labels))):
        buf = io.BytesIO()
        im.save(buf, format="PNG", compress_level={LEVEL})
        data = buf.getvalue()
        (dst / f"{{path.stem}}_{{name}}.png").write_bytes(data)
        hashlib.sha256(data).hexdigest()
    str(imagehash.phash(image))
elapsed = time.perf_counter() - t
me = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"seconds": elapsed, "rss_self_mb": me.ru_maxrss / 1024, "cpu_s": me.ru_utime + me.ru_stime}}))
"""

DUPES = """
import json, sys, time
from pathlib import Path
import numpy as np
import pyarrow.parquet as pq
from PIL import Image
from registry.formats.hashing import phash_hex
from registry.checks.duplicates import duplicate_check
root = Path(sys.argv[1])
rows = pq.read_table(root / "manifest.parquet").to_pylist()
t = time.perf_counter()
check = duplicate_check(rows)
search = time.perf_counter() - t
h = np.array([int(r["phash"], 16) for r in rows], dtype=np.uint64)
t = time.perf_counter()
pairs = 0
for s in range(0, len(h), 1024):
    d = np.bitwise_count(h[s : s + 1024, None] ^ h[None, :])
    pairs += int(np.count_nonzero(np.triu(d <= 4, k=s + 1)))
brute = time.perf_counter() - t
t = time.perf_counter()
for r in rows:
    with Image.open(root / r["image"]) as im:
        phash_hex(im)
hashing = time.perf_counter() - t
print(json.dumps({"search_s": search, "brute_s": brute, "hashing_s": hashing, "near_pairs_brute": pairs,
                  "details": {k: v for k, v in check["details"].items() if k != "pairs"}}))
"""


def run(code: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env, cwd=REPO, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _median_run(samples: list[dict]) -> dict:
    """The run with the median wall time (its other figures come with it), plus every wall time."""
    ordered = sorted(samples, key=lambda r: r["seconds"])
    return {**ordered[len(ordered) // 2], "all_seconds": [round(r["seconds"], 2) for r in samples]}


def measure(n: int, work: Path, runs: int, single: bool) -> dict:
    src = work / f"src-{n}"
    t = time.perf_counter()
    generate(src, n)
    gen = time.perf_counter() - t
    home = work / f"home-{n}"
    twos, pils, fasts = [], [], []
    for k in range(runs):  # interleaved, so that a change in the machine's load touches all three alike
        twos.append(run(CONVERT, src, home, f"two{k}", 2))
        pils.append(run(PIL_LOOP.format(PALETTE=PALETTE, LEVEL=6), src, work / f"pil-{n}"))
        fasts.append(run(PIL_LOOP.format(PALETTE=PALETTE, LEVEL=1), src, work / f"pil-{n}"))
        shutil.rmtree(work / f"pil-{n}", ignore_errors=True)
        print(
            f"  run {k + 1}/{runs}: usreg 2 workers {twos[-1]['seconds']:.2f} s, PIL loop {pils[-1]['seconds']:.2f} s "
            f"(compress 1: {fasts[-1]['seconds']:.2f} s), ratio {pils[-1]['seconds'] / twos[-1]['seconds']:.2f}x; "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
    two = _median_run(twos)
    one = run(CONVERT, src, home, "one", 1) if single else None
    dupes = run(DUPES, two["path"])
    for k in range(runs):  # the converted copies are kept until the duplicate check has read the median one
        shutil.rmtree(home / "datasets" / "perf-spinal" / f"two{k}", ignore_errors=True)
    ratios = sorted(p["seconds"] / t["seconds"] for p, t in zip(pils, twos, strict=True))
    fast_ratios = sorted(p["seconds"] / t["seconds"] for p, t in zip(fasts, twos, strict=True))
    return {
        "n": n,
        "generate_s": gen,
        "two": two,
        "one": one,
        "pil": _median_run(pils),
        "pil_fast": _median_run(fasts),
        "ratio_median": ratios[len(ratios) // 2],
        "ratio_fast_median": fast_ratios[len(fast_ratios) // 2],
        "ratios": [round(r, 2) for r in ratios],
        "dupes": dupes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3, help="Repeats of the 2-worker conversion and the PIL loops.")
    parser.add_argument("--no-single", action="store_true", help="Skip the 1-process conversion.")
    parser.add_argument("--keep", type=Path, default=None, help="Work directory to keep (default: a temp dir).")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="usreg-perf-"))
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; work dir {work}")
    results = []
    try:
        for n in args.sizes:
            r = measure(n, work, max(1, args.runs), not args.no_single)
            results.append(r)
            two, one, pil, fast, d = r["two"], r["one"], r["pil"], r["pil_fast"], r["dupes"]
            print(f"\nN = {n} images of {W}x{H} (+ {n} RGB palette masks), generated in {r['generate_s']:.1f} s")
            print(
                f"  usreg convert, 2 workers : {two['seconds']:7.2f} s  {n / two['seconds']:7.1f} img/s  "
                f"CPU {two['cpu_s']:6.1f} s  peak RSS parent {two['rss_self_mb']:.0f} MiB, "
                f"largest worker {two['rss_worker_mb']:.0f} MiB  (median of {two['all_seconds']})"
            )
            if one:
                print(
                    f"  usreg convert, 1 process : {one['seconds']:7.2f} s  {n / one['seconds']:7.1f} img/s  "
                    f"CPU {one['cpu_s']:6.1f} s  peak RSS {one['rss_self_mb']:.0f} MiB"
                )
            for label, p in (("PIL loop, defaults (peer)", pil), ("PIL loop, compress 1", fast)):
                print(
                    f"  {label:25s}: {p['seconds']:7.2f} s  {n / p['seconds']:7.1f} img/s  "
                    f"CPU {p['cpu_s']:6.1f} s  peak RSS {p['rss_self_mb']:.0f} MiB  (median of {p['all_seconds']})"
                )
            print(
                f"  CPU per image: usreg {1000 * two['cpu_s'] / n:.1f} ms (2 workers)"
                + (f", {1000 * one['cpu_s'] / n:.1f} ms (1 process)" if one else "")
                + f"; PIL loop {1000 * pil['cpu_s'] / n:.1f} ms (defaults), {1000 * fast['cpu_s'] / n:.1f} ms "
                f"(compress 1); load average now {os.getloadavg()[0]:.2f}"
            )
            print(
                f"  speed-up of usreg (2 workers) over the PIL loop: median {r['ratio_median']:.2f}x "
                f"(runs {r['ratios']}); over the PIL loop at compress 1: median {r['ratio_fast_median']:.2f}x"
                + (f"; 2 workers over 1: {one['seconds'] / two['seconds']:.2f}x" if one else "")
            )
            print(
                f"  duplicate check: pair search {d['search_s'] * 1000:.1f} ms, numpy brute force "
                f"{d['brute_s'] * 1000:.1f} ms, pHash of {n} PNGs {d['hashing_s']:.2f} s "
                f"(near pairs: {d['details']['near_within_split'] + d['details']['near_cross_split']}, "
                f"brute force found {d['near_pairs_brute']})"
            )
        if len(results) > 1:
            a, b = results[0], results[-1]
            scale = b["n"] / a["n"]
            print(f"\ngrowth from {a['n']} to {b['n']} images ({scale:.0f}x the data):")
            for label, key in (
                ("convert, 2 workers", ("two", "seconds")),
                ("convert, 1 process", ("one", "seconds")),
                ("convert CPU, 2 workers", ("two", "cpu_s")),
                ("PIL loop CPU", ("pil", "cpu_s")),
                ("PIL loop", ("pil", "seconds")),
                ("pair search", ("dupes", "search_s")),
                ("numpy brute force", ("dupes", "brute_s")),
                ("pHash of PNGs", ("dupes", "hashing_s")),
                ("peak RSS parent, 2 workers", ("two", "rss_self_mb")),
                ("peak RSS worker", ("two", "rss_worker_mb")),
            ):
                if not a[key[0]] or not b[key[0]]:
                    continue
                va, vb = a[key[0]][key[1]], b[key[0]][key[1]]
                ratio = f"{vb / va:.1f}x" if va else "n/a"
                print(f"  {label:28s} {va:10.3f} -> {vb:10.3f}  ({ratio})")
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (other processes share the cores)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
