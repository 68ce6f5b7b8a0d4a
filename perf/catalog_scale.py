"""Catalog performance: validate, index rebuild and a filtered list over synthetic catalogs.

Generates N synthetic valid dataset entries (default 1,000 and 10,000), times three commands as subprocesses
(`usreg validate`, `usreg index --rebuild`, `usreg list --anatomy breast`) and, as the peer, the `jsonschema`
package validating the same files (parsed with PyYAML's C loader) against the generated schema. Prints medians of
several runs, the growth from the smallest to the largest size, and the usreg/jsonschema ratio.

    python perf/catalog_scale.py --sizes 1000 10000 --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
HEADER = "# yaml-language-server: $schema=../../schemas/dataset.schema.json\n"
ANATOMY = ["breast", "thyroid", "liver", "heart", "fetal-head", "kidney", "lung", "carotid", "prostate", "ovary"]
TASKS = ["segmentation", "classification", "detection", "regression"]
LICENSES = ["CC-BY-4.0", "CC-BY-NC-4.0", "MIT", "CC0-1.0", None]


def synthetic_entry(i: int, rng: random.Random) -> dict:
    entry = {
        "id": f"synthetic-{i:05d}",
        "name": f"Synthetic dataset {i} {rng.choice(['alpha', 'beta', 'gamma', 'delta'])} {rng.randrange(10**6)}",
        "description": "A generated entry for performance measurements. " * 3,
        "year": rng.randrange(2005, 2027),
        "anatomy": [rng.choice(ANATOMY)],
        "tasks": rng.sample(TASKS, 2),
        "species": ["human"],
        "modality": {"modes": ["b-mode"], "dimensionality": ["2d"]},
        "counts": {"images": rng.randrange(10, 100000), "subjects": rng.randrange(1, 5000)},
        "acquisition": {"countries": [rng.choice(["US", "CN", "AR", "ES", "DE"])]},
        "annotation": {
            "label_types": ["mask"],
            "classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "lesion"}],
        },
        "access": rng.choice(["open", "registration", "request"]),
        "sources": [{"kind": "zenodo", "id": str(1000000 + i)}],
        "publications": [{"title": f"Paper {i}", "doi": f"10.5555/synthetic.{i}", "year": 2020}],
        "evidence": [{"url": f"https://zenodo.org/records/{1000000 + i}", "fields": ["*"]}],
    }
    licence = rng.choice(LICENSES)
    if licence:
        entry["license"] = licence
    return entry


def make_catalog(root: Path, n: int) -> None:
    rng = random.Random(n)
    folder = root / "entries" / "datasets"
    folder.mkdir(parents=True)
    (root / "entries" / "models").mkdir()
    for i in range(n):
        data = synthetic_entry(i, rng)
        (folder / f"{data['id']}.yaml").write_text(HEADER + yaml.safe_dump(data, sort_keys=False))


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return elapsed


def jsonschema_validate(root: Path) -> float:
    """The peer: parse each file with PyYAML's C loader and validate with jsonschema against the published schema."""
    from jsonschema import Draft202012Validator

    start = time.perf_counter()
    schema = json.loads((REPO / "schemas" / "dataset.schema.json").read_text())
    validator = Draft202012Validator(schema)
    bad = 0
    for path in sorted((root / "entries" / "datasets").glob("*.yaml")):
        data = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        bad += any(True for _ in validator.iter_errors(data))
    elapsed = time.perf_counter() - start
    assert bad == 0, f"{bad} entries invalid under jsonschema"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    usreg = str(Path(sys.executable).with_name("usreg"))
    results: dict[int, dict[str, float]] = {}
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "catalog"
            make_catalog(root, n)
            env = {**os.environ, "USREG_HOME": str(Path(tmp) / "home"), "NO_COLOR": "1"}
            commands = {
                "validate": [usreg, "--root", str(root), "validate"],
                "index --rebuild": [usreg, "--root", str(root), "index", "--rebuild"],
                "list --anatomy breast": [
                    usreg,
                    "--root",
                    str(root),
                    "list",
                    "--anatomy",
                    "breast",
                    "--format",
                    "json",
                ],
            }
            timed(commands["index --rebuild"], env)  # warm the index so `list` measures a fresh-index query
            results[n] = {
                name: statistics.median(timed(cmd, env) for _ in range(args.runs)) for name, cmd in commands.items()
            }
            results[n]["jsonschema (peer)"] = statistics.median(jsonschema_validate(root) for _ in range(args.runs))
    print(f"medians of {args.runs} runs, seconds (wall clock, whole command incl. interpreter start-up)")
    names = list(next(iter(results.values())))
    print(f"{'command':<26}" + "".join(f"{n:>12,}" for n in args.sizes) + "   growth")
    for name in names:
        row = [results[n][name] for n in args.sizes]
        growth = row[-1] / row[0] if row[0] else float("nan")
        print(
            f"{name:<26}"
            + "".join(f"{v:12.2f}" for v in row)
            + f"   x{growth:.1f} for x{args.sizes[-1] / args.sizes[0]:.0f} entries"
        )
    for n in args.sizes:
        ratio = results[n]["validate"] / results[n]["jsonschema (peer)"]
        print(f"validate / jsonschema at {n:,} entries: {ratio:.2f} (below 1 = usreg faster)")


if __name__ == "__main__":
    main()
