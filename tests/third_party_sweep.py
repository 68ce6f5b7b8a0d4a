"""Every loader's output, loaded by the third-party tools a user will use (docs/format.md).

For each catalog dataset with a loader, take a tiny source tree in its real layout, built by the test suite's own
builders, convert it through the user's path (``usreg fetch ID --from-file TREE`` with ``USREG_HOME`` in a temporary
folder), then load what it wrote:

- ``datasets.load_dataset("imagefolder", data_dir=hf/<split>)`` for every split folder, decoding a few rows;
- ``pycocotools.coco.COCO(annotations/coco_<split>.json)`` and ``annToMask`` on a few annotations;
- ``mlcroissant.Dataset(croissant.json)``, iterating a few records of every record set.

A tool whose output a dataset does not have (no ``annotations/``: nothing with masks or boxes) is "n/a", not a failure.

The trees come from the tests: ``capture`` runs tests/loaders, tests/formats, tests/fetch and tests/cli with a
plugin (this module) that copies the source tree of the first conversion of each real catalog entry (its entry
exactly as in the catalog; not from the modules of hostile trees) into a folder, then the sweep converts and loads
each copy. An entry that lists no sources, or a collection, goes through ``usreg convert ID --source TREE``. The full
sweep::

    python -m tests.third_party_sweep --capture /tmp/sweep-trees

captures (minutes), sweeps and prints a table and totals; ``--trees DIR`` sweeps trees captured before, ``--only ID``
limits it. ``check_dataset`` is what tests/formats/test_third_party_sweep.py runs on one tree per output kind.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CAPTURE_ENV = "USREG_SWEEP_CAPTURE"
TOOLS = ("hf", "coco", "croissant")
ROWS_PER_SPLIT = 3  # rows decoded per hf split, annotations per COCO file, records per Croissant record set
MAX_TREE_BYTES = 64 << 20
# test modules whose trees are hostile or broken on purpose: their conversions are not a layout a user has
SKIPPED_MODULES = ("hostile", "bounds", "robustness")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".wmv", ".mpg", ".mpeg", ".gif")
VOLUME_SUFFIXES = (".nii", ".nii.gz", ".mha", ".mhd", ".nrrd", ".mnc", ".vol", ".raw", ".h5", ".hdf5", ".mat", ".npy")


@dataclass
class Outcome:
    """What the sweep found for one dataset: converted or not, its output kind, and each tool's result."""

    dataset: str
    converted: bool = False
    kind: str = ""
    error: str = ""
    tools: dict[str, str] = field(default_factory=dict)  # tool -> "ok", "n/a" or "failed: <error>"

    def failures(self) -> dict[str, str]:
        return {t: r for t, r in self.tools.items() if r.startswith("failed")}


# --- capture: a pytest plugin that copies each real entry's first converted tree --------------------------------


def pytest_configure(config: Any) -> None:
    """Wrap the converter's context so every conversion of a real catalog entry leaves a copy of its source tree."""
    dest = os.environ.get(CAPTURE_ENV)
    if not dest:
        return
    from registry.loaders import pipeline

    original = pipeline.ConvertContext

    def capturing(source_dir: Path, entry: Any, *args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(Exception):  # a failed copy must never change what the test sees
            _capture(Path(dest), Path(source_dir), entry)
        return original(source_dir, entry, *args, **kwargs)

    pipeline.ConvertContext = capturing  # type: ignore[misc]


def _capture(dest: Path, source: Path, entry: Any) -> None:
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    if any(word in current.split("::")[0] for word in SKIPPED_MODULES):
        return
    real = _real_catalog().datasets.get(entry.id)
    if real is None or real.loader is None or entry.loader != real.loader or not source.is_dir():
        return
    size = sum(p.stat().st_size for p in source.rglob("*") if p.is_file() and not p.is_symlink())
    if size > MAX_TREE_BYTES:
        return
    dest.mkdir(parents=True, exist_ok=True)
    try:
        (dest / entry.id).mkdir()  # the first conversion of an entry wins
    except FileExistsError:
        return
    shutil.copytree(source, dest / entry.id / "tree", symlinks=True)
    (dest / entry.id / "test.txt").write_text(current + "\n", encoding="utf-8")


def _real_catalog() -> Any:
    from tests.loaders.conftest import real_catalog

    return real_catalog()


def capture(dest: Path, test_paths: list[str]) -> None:
    """Run the loader tests with this module as a plugin, copying trees into ``dest/<id>/tree``."""
    env = {**os.environ, CAPTURE_ENV: str(dest)}
    cmd = [sys.executable, "-m", "pytest", *test_paths, "-q", "-p", "tests.third_party_sweep", "-p", "no:cacheprovider"]
    cmd += ["--basetemp", str(dest.parent / f"{dest.name}-pytest"), "--no-header"]
    subprocess.run(cmd, cwd=REPO_ROOT, env=env, check=False, stdout=subprocess.DEVNULL)


# --- convert through the CLI, then load with each tool ----------------------------------------------------------


@contextlib.contextmanager
def _home(path: Path) -> Iterator[None]:
    old = os.environ.get("USREG_HOME")
    os.environ["USREG_HOME"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("USREG_HOME", None)
        else:
            os.environ["USREG_HOME"] = old


def fetch_from_tree(dataset: str, tree: Path, home: Path) -> tuple[Path | None, str]:
    """``usreg fetch DATASET --from-file TREE --keep-going`` with ``USREG_HOME=home``: the converted folder (None if
    none was written) and the command's output. An entry that lists no sources, or a collection (whose fetch takes
    its members' downloads), is converted with ``usreg convert DATASET --source TREE`` instead."""
    from click.testing import CliRunner

    from registry.cli import main

    entry = _real_catalog().datasets[dataset]
    if getattr(entry, "kind", None) == "collection" or not entry.sources:  # fetch refuses or merges members
        args = ["convert", dataset, "--source", str(tree), "--workers", "1"]
    else:
        args = ["fetch", dataset, "--from-file", str(tree)]
    with _home(home):
        args = ["--root", str(REPO_ROOT), *args, "--keep-going"]
        result = CliRunner().invoke(main, args, catch_exceptions=True)
    output = result.output + ("".join(traceback.format_exception(result.exception)) if result.exception else "")
    found = sorted((home / "datasets" / dataset).glob("*/metadata.json"))
    if result.exit_code != 0 or not found:
        return None, output
    return found[-1].parent, output


def output_kind(root: Path) -> str:
    """The dataset's output kind, from its manifest: text, volume, video, keypoints, 2D masks, boxes, classes only."""
    import pyarrow.parquet as pq

    rows = pq.read_table(root / "manifest.parquet").to_pylist()
    sources = [str(r["source_file"] or "").lower() for r in rows]
    extras = [json.loads(r["extra"]) if isinstance(r["extra"], str) else (r["extra"] or {}) for r in rows]
    if any(isinstance(e, dict) and {"report", "text", "caption"} & set(e) for e in extras):
        return "text"
    if any(s.endswith(VOLUME_SUFFIXES) for s in sources) and any(r["frame"] is not None for r in rows):
        return "volume"
    if any(r["frame"] is not None for r in rows) or any(s.endswith(VIDEO_SUFFIXES) for s in sources):
        return "video"
    if any(r["points"] for r in rows):
        return "keypoints"
    if any(r["masks"] for r in rows):
        return "2D masks"
    if any(r["boxes"] for r in rows):
        return "boxes"
    if any(r["label"] is not None for r in rows):
        return "classes only"
    return "images only"


def load_hf(root: Path, cache: Path) -> str:
    """The dataset folder loads as README.md says (one split per hf/<split>/ folder, each with its metadata rows),
    every hf/<split>/ folder loads on its own as docs/format.md says, and a few rows decode."""
    folders = sorted(p for p in (root / "hf").glob("*") if (p / "metadata.parquet").is_file())
    if not folders:
        return "n/a"
    import datasets
    import pyarrow.parquet as pq

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    expected = {folder.name: pq.read_metadata(folder / "metadata.parquet").num_rows for folder in folders}
    loaded = datasets.load_dataset("imagefolder", data_dir=str(root), cache_dir=str(cache / "all"))
    got = {name: len(split) for name, split in loaded.items()}
    if got != expected:
        raise AssertionError(f"data_dir=<dataset>: hf/ holds {expected} rows, loads as {got}")
    for name, split in loaded.items():
        if split.features != loaded[folders[0].name].features:
            raise AssertionError(f"split {name}: features differ from split {folders[0].name}")
        if "sample_id" not in split.features:
            raise AssertionError(f"split {name}: no sample metadata")
        for i in range(min(ROWS_PER_SPLIT, len(split))):
            if split[i]["image"].size[0] <= 0:
                raise AssertionError(f"split {name} row {i}: an empty image")
    for folder in folders:  # a data_dir is one split, which the builder calls train
        one = datasets.load_dataset("imagefolder", data_dir=str(folder), cache_dir=str(cache / folder.name))
        got = {name: len(split) for name, split in one.items()}
        if got != {"train": expected[folder.name]} or "sample_id" not in one["train"].features:
            raise AssertionError(f"data_dir=hf/{folder.name}: {expected[folder.name]} rows load as {got}")
    return "ok"


def load_coco(root: Path) -> str:
    """Every annotations/coco_<split>.json loads in pycocotools; a few annotations paint a mask of the image's size."""
    files = sorted((root / "annotations").glob("coco_*.json"))
    if not files:
        return "n/a"
    from pycocotools.coco import COCO

    for path in files:
        with contextlib.redirect_stdout(io.StringIO()):  # COCO prints its progress
            coco = COCO(str(path))
        for ann in coco.loadAnns(coco.getAnnIds())[:ROWS_PER_SPLIT]:
            img = coco.loadImgs([ann["image_id"]])[0]
            if not (root / img["file_name"]).is_file():
                raise AssertionError(f"{path.name}: image {img['file_name']!r} is not in the dataset")
            if ann.get("segmentation"):
                mask = coco.annToMask(ann)
                if mask.shape != (img["height"], img["width"]):
                    raise AssertionError(f"{path.name}: annotation {ann['id']} paints {mask.shape}")
    return "ok"


def load_croissant(root: Path) -> str:
    """croissant.json loads in mlcroissant without errors and a few records of every record set iterate."""
    path = root / "croissant.json"
    if not path.is_file():
        return "n/a"
    import mlcroissant as mlc

    logging.getLogger("absl").setLevel(logging.ERROR)
    ds = mlc.Dataset(jsonld=str(path))
    if ds.metadata.ctx.issues.errors:
        raise AssertionError(f"croissant issues: {sorted(ds.metadata.ctx.issues.errors)[:3]}")
    for record_set in ds.metadata.record_sets:
        for i, _ in enumerate(ds.records(record_set=record_set.uuid)):
            if i + 1 >= ROWS_PER_SPLIT:
                break
    return "ok"


def _run_tool(fn: Any, *args: Any) -> str:
    try:
        return fn(*args)
    except Exception as exc:  # each tool's failure is recorded, not raised
        text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        return f"failed: {text[:300]}"


def check_dataset(dataset: str, tree: Path, work: Path) -> Outcome:
    """Convert ``tree`` with ``usreg fetch DATASET --from-file`` into ``work`` and load the output with each tool."""
    outcome = Outcome(dataset)
    root, output = fetch_from_tree(dataset, tree, work / "home")
    if root is None:
        errors = [line for line in output.splitlines() if line.startswith("error:")]
        outcome.error = (errors or output.strip().splitlines() or ["no output"])[-1][:300]
        outcome.tools = dict.fromkeys(TOOLS, "-")
        return outcome
    outcome.converted = True
    outcome.kind = output_kind(root)
    outcome.tools["hf"] = _run_tool(load_hf, root, work / "hf-cache")
    outcome.tools["coco"] = _run_tool(load_coco, root)
    outcome.tools["croissant"] = _run_tool(load_croissant, root)
    return outcome


def sweep(trees: Path, only: list[str] | None = None) -> list[Outcome]:
    outcomes = []
    for folder in sorted(p for p in trees.iterdir() if (p / "tree").is_dir()):
        if only and folder.name not in only:
            continue
        with tempfile.TemporaryDirectory(prefix=f"sweep-{folder.name}-") as work:
            outcomes.append(check_dataset(folder.name, folder / "tree", Path(work)))
        print(_line(outcomes[-1]), flush=True)
    return outcomes


def _line(o: Outcome) -> str:
    tools = "  ".join(f"{t}={o.tools.get(t, '-').split(':')[0]}" for t in TOOLS)
    return f"{o.dataset:40s} {'yes' if o.converted else 'no ':3s} {o.kind:13s} {tools}"


def report(outcomes: list[Outcome], missing: list[str]) -> str:
    lines = [f"{'dataset':40s} cnv {'kind':13s} tools"]
    lines += [_line(o) for o in outcomes]
    lines.append("")
    for o in outcomes:
        if not o.converted:
            lines.append(f"not converted: {o.dataset}: {o.error}")
        for tool, result in o.failures().items():
            lines.append(f"{tool} failed: {o.dataset}: {result[len('failed: ') :]}")
    converted = [o for o in outcomes if o.converted]
    lines.append("")
    lines.append(f"datasets with a loader and no captured tree: {len(missing)}: {' '.join(missing)}")
    lines.append(f"swept {len(outcomes)}, converted {len(converted)}")
    for tool in TOOLS:
        counts = {k: sum(1 for o in converted if o.tools[tool].split(":")[0] == k) for k in ("ok", "failed", "n/a")}
        lines.append(f"{tool:10s} ok {counts['ok']}  failed {counts['failed']}  n/a {counts['n/a']}")
    kinds: dict[str, set[str]] = {}
    for o in converted:
        for tool in TOOLS:
            if o.tools[tool] == "n/a":
                kinds.setdefault(tool, set()).add(o.kind)
    for tool, names in sorted(kinds.items()):
        lines.append(f"{tool} n/a for kinds: {', '.join(sorted(names))}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--capture", type=Path, help="run tests/loaders to capture trees into DIR, then sweep them")
    group.add_argument("--trees", type=Path, help="sweep trees captured before into DIR")
    parser.add_argument("--only", nargs="*", help="sweep these dataset ids only")
    parser.add_argument("--json", type=Path, help="also write the outcomes as JSON")
    args = parser.parse_args(argv)
    trees = args.capture or args.trees
    if args.capture:
        capture(trees, ["tests/loaders", "tests/formats", "tests/fetch", "tests/cli"])
    outcomes = sweep(trees, args.only)
    with_loader = sorted(i for i, d in _real_catalog().datasets.items() if d.loader is not None)
    missing = [i for i in with_loader if not (trees / i / "tree").is_dir()]
    print(report(outcomes, [] if args.only else missing))
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=1), encoding="utf-8")
    return 1 if any(o.failures() or not o.converted for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
