"""Time `usreg score` over 10,000 synthetic valid entries written into a temporary catalog root.

Usage: python perf/score_10k.py [--entries 10000] [--runs 5] [--keep DIR]

Three situations, each timed as the whole command in a child process (median, min, max wall time and CPU time):

- cold: no index yet, so the command parses and validates every YAML file, builds the index and scores everything;
- rescore: the index is fresh but an evidence file changed, so every entry is scored again and stored;
- warm: nothing changed since the last run, so the stored scores are shown.

Then the stages of a rescore, measured in process. Target: under 5 s on the project machine (2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

DATASET_HEADER = "# yaml-language-server: $schema=../../schemas/dataset.schema.json\n"
MODEL_HEADER = "# yaml-language-server: $schema=../../schemas/model.schema.json\n"
ANATOMY = ["breast", "thyroid", "carotid", "fetal-head", "heart", "liver", "kidney", "lung", "prostate", "nerve"]
TASKS = ["segmentation", "classification", "detection", "regression", "landmark"]
LICENSES = ["CC-BY-4.0", "CC-BY-NC-4.0", "MIT", "Apache-2.0", "LicenseRef-custom-terms", None]
COUNTRIES = ["AR", "US", "CN", "DE", "GB", "IN", "BR", "FR", "NL", "ES"]
WORDS = [
    "atlas",
    "bench",
    "cohort",
    "clinic",
    "vision",
    "scan",
    "probe",
    "sono",
    "echo",
    "wave",
    "north",
    "south",
    "river",
    "harbor",
    "summit",
    "delta",
    "orbit",
    "prism",
    "cedar",
    "maple",
    "falcon",
    "heron",
    "lynx",
    "otter",
    "quartz",
]


def _name(rng: random.Random, i: int) -> str:
    return f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {i:05d} {rng.choice(ANATOMY)} collection"


def synthetic_dataset(rng: random.Random, i: int) -> dict:
    entry_id = f"ds-{i:05d}"
    data: dict = {
        "id": entry_id,
        "name": _name(rng, i),
        "anatomy": rng.sample(ANATOMY, rng.randint(1, 2)),
        "tasks": rng.sample(TASKS, rng.randint(1, 2)),
        "species": ["human"],
    }
    if rng.random() < 0.7:
        data["year"] = rng.randint(2012, 2026)
    if rng.random() < 0.5:
        data["version"] = str(rng.randint(1, 3))
    if rng.random() < 0.6:
        data["modality"] = {"modes": ["b-mode"], "dimensionality": ["2d"]}
    if rng.random() < 0.8:
        data["counts"] = {"images": rng.randint(50, 50000), "subjects": rng.randint(10, 3000)}
    if rng.random() < 0.6:
        data["acquisition"] = {"countries": rng.sample(COUNTRIES, 1), "devices": ["Vendor X"]}
    if rng.random() < 0.7:
        data["annotation"] = {
            "label_types": ["mask"],
            "classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "lesion"}],
            "annotators": [{"count": 2, "expertise": "radiologists"}],
        }
    if rng.random() < 0.5:
        data["splits"] = {"official": rng.random() < 0.5, "subject_level": rng.random() < 0.5}
    if rng.random() < 0.3:
        data["ethics"] = {"approval": "IRB 123", "deidentification": "DICOM tags removed"}
    if rng.random() < 0.4:
        data["preprocessing"] = "Cropped to the imaging sector."
    if rng.random() < 0.3:
        data["limitations"] = "Single centre."
    data["formats"] = rng.sample(["png", "jpg", "dicom", "mat"], 1)
    lic = rng.choice(LICENSES)
    if lic:
        data["license"] = lic
        if lic.startswith("LicenseRef-"):
            data["license_url"] = f"https://example.org/{entry_id}/terms"
    data["access"] = rng.choice(["open", "open", "registration", "request", "challenge"])
    if rng.random() < 0.5:
        data["dataset_doi"] = f"10.5281/zenodo.{1000000 + i}"
        data["sources"] = [{"kind": "zenodo", "id": str(1000000 + i)}]
    else:
        data["sources"] = [
            {
                "kind": "http",
                "url": f"https://example.org/{entry_id}/data.zip",
                "files": [{"name": "data.zip", "md5": f"{i:032x}"}] if rng.random() < 0.5 else [],
            }
        ]
    if rng.random() < 0.6:
        data["publications"] = [
            {"title": f"The {data['name']}", "year": 2020, "doi": f"10.1000/paper.{i}", "role": "descriptor"}
        ]
    if rng.random() < 0.5:
        data["contact"] = f"team{i}@example.org"
    if rng.random() < 0.7:
        data["evidence"] = [
            {
                "url": f"https://example.org/{entry_id}",
                "fields": rng.choice([["*"], ["counts"], ["license", "sources"]]),
            }
        ]
    return data


def synthetic_model(rng: random.Random, i: int, dataset_ids: list[str]) -> dict:
    entry_id = f"md-{i:05d}"
    data: dict = {
        "id": entry_id,
        "name": f"{rng.choice(WORDS).title()}Net {i:05d}",
        "tasks": rng.sample(TASKS, 1),
        "anatomy": rng.sample(ANATOMY, 1),
        "architecture": "U-Net",
    }
    if rng.random() < 0.8:
        data["code"] = {"url": f"https://github.com/example/{entry_id}", "license": rng.choice(["MIT", "Apache-2.0"])}
    if rng.random() < 0.5:
        data["weights"] = [
            {
                "format": "onnx",
                "source": {"kind": "github", "id": f"example/{entry_id}", "tag": "v1"},
                "sha256": f"{i:064x}",
            }
        ]
        data["weights_license"] = rng.choice(["MIT", "CC-BY-4.0", "LicenseRef-research-only"])
        if data["weights_license"].startswith("LicenseRef-"):
            data["weights_license_url"] = f"https://example.org/{entry_id}/licence"
    trained = rng.sample(dataset_ids, rng.randint(0, 2))
    if trained:
        data["trained_on"] = trained
        data["metrics"] = [{"dataset": trained[0], "metric": "dice", "value": round(rng.uniform(0.6, 0.95), 3)}]
    if rng.random() < 0.5:
        data["reproducibility"] = {"pinned_dependencies": True, "inference_example": rng.random() < 0.5}
    if rng.random() < 0.4:
        data["intended_use"] = "Research only."
    return data


def write_catalog(root: Path, n: int, seed: int = 0) -> tuple[int, int]:
    rng = random.Random(seed)
    n_models = n // 5
    n_datasets = n - n_models
    (root / "entries" / "datasets").mkdir(parents=True, exist_ok=True)
    (root / "entries" / "models").mkdir(parents=True, exist_ok=True)
    ids = []
    for i in range(n_datasets):
        data = synthetic_dataset(rng, i)
        ids.append(data["id"])
        text = DATASET_HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        (root / "entries" / "datasets" / f"{data['id']}.yaml").write_text(text, encoding="utf-8")
    for i in range(n_models):
        data = synthetic_model(rng, i, ids)
        text = MODEL_HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        (root / "entries" / "models" / f"{data['id']}.yaml").write_text(text, encoding="utf-8")
    return n_datasets, n_models


def _usreg() -> list[str]:
    exe = Path(sys.executable).with_name("usreg")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from registry.cli import main; main()"]


def run_once(root: Path, home: Path, entries: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `usreg score --format csv` in a child process; checks every entry is
    in the output, so a run that scored less (e.g. a catalog changed under it) cannot pass for a fast one."""
    env = dict(os.environ, USREG_HOME=str(home), NO_COLOR="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [*_usreg(), "--root", str(root), "score", "--format", "csv"], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"usreg score failed ({proc.returncode}): {proc.stderr[-2000:]}")
    scored = proc.stdout.count("\n") - 1
    if scored != entries:
        raise SystemExit(f"usreg score printed {scored} scores, expected {entries}: was the catalog changed?")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def scenario(name: str, runs: int, root: Path, home: Path, entries: int, prepare) -> dict[str, float]:
    walls, cpus = [], []
    for i in range(runs):
        prepare(i)
        wall, cpu = run_once(root, home, entries)
        walls.append(wall)
        cpus.append(cpu)
    result = {"median": statistics.median(walls), "min": min(walls), "max": max(walls), "cpu": statistics.median(cpus)}
    print(
        f"  {name:<44} median {result['median']:6.2f} s  (min {result['min']:.2f}, max {result['max']:.2f}; "
        f"CPU {result['cpu']:.2f} s)  {'< 5 s' if result['median'] < 5 else '>= 5 s'}"
    )
    return result


def stage_breakdown(root: Path, home: Path) -> None:
    """The stages of a rescore, in process: entries from the index, scoring on one core and on all of them
    (``scorers.batch.score_rows``: score, compact JSON), storing."""
    os.environ["USREG_HOME"] = str(home)
    from registry.index import RegistryIndex
    from scorers.batch import score_rows
    from scorers.current import catalog_from_index as _catalog_from_index
    from scorers.engine import gc_paused

    index = RegistryIndex(root)
    marks = [("start", time.perf_counter())]
    with gc_paused():
        fresh = index.is_fresh()
        marks.append(("freshness check", time.perf_counter()))
        catalog = _catalog_from_index(index)
        marks.append(("entries from the index", time.perf_counter()))
        score_rows(catalog, home=home, workers=1)
        marks.append(("scoring + JSON on 1 core", time.perf_counter()))
        rows = score_rows(catalog, home=home)
        marks.append((f"scoring + JSON on {os.cpu_count()} cores", time.perf_counter()))
        index.store_scores(rows)
        marks.append(("storing", time.perf_counter()))
    if not fresh or catalog is None or not rows:
        raise SystemExit("the index was not fresh or held no entries: was the catalog changed during the run?")
    parts = ", ".join(f"{name} {t - marks[i][1]:.2f}" for i, (name, t) in enumerate(marks[1:]))
    size = sum(len(r["data"]) for r in rows) / len(rows)
    print(
        f"  in-process stages of a rescore (s): {parts}; "
        f"{1e6 * (marks[3][1] - marks[2][1]) / len(rows):.0f} us/entry on 1 core, {size / 1024:.1f} KiB/score stored"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Write the catalog here and keep it (default: a temp dir).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="usreg-perf-score10k-") as tmp:
        root = args.keep or Path(tmp) / "catalog"
        home = Path(tmp) / "home"
        n_datasets, n_models = write_catalog(root, args.entries)
        print(
            f"synthetic catalog: {n_datasets} datasets + {n_models} models = {args.entries} entries; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        )
        from registry.paths import index_path

        os.environ["USREG_HOME"] = str(home)
        index_file = index_path(root)

        def drop_index(_: int) -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(str(index_file) + suffix).unlink(missing_ok=True)

        def touch_evidence(i: int) -> None:
            folder = home / "datasets" / "ds-00000" / "1"
            folder.mkdir(parents=True, exist_ok=True)
            status = "pass" if i % 2 else "fail"
            (folder / "checks.json").write_text(
                json.dumps(
                    {
                        "schema": "usreg-checks/1",
                        "dataset": "ds-00000",
                        "checks": [{"name": "loader_runs", "status": status}],
                    }
                )
            )

        print(f"`usreg score --format csv` over {args.entries} entries, {args.runs} runs each:")
        n = args.entries
        scenario("cold: no index yet (parse YAML, index, score)", args.runs, root, home, n, drop_index)
        scenario("rescore: evidence changed (score, store)", args.runs, root, home, n, touch_evidence)
        warm = scenario("warm: nothing changed (stored scores)", args.runs, root, home, n, lambda i: None)
        stage_breakdown(root, home)
        print(f"target < 5 s for the repeated command (warm): {'met' if warm['median'] < 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
