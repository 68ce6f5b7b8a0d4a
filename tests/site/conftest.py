"""A small catalog with a hostile entry, built once per module and served on 127.0.0.1."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import CatalogBuilder, minimal_dataset, minimal_model

REPO = Path(__file__).resolve().parents[2]
HOSTILE_TEXT = (
    "<script>window.__pwned = 1; alert('x')</script><img src=x onerror=\"window.__pwned=2\">"
    ' [click](javascript:window.__pwned=3) <a href="javascript:window.__pwned=4">a</a>'
)


def build_site_catalog(root: Path) -> CatalogBuilder:
    builder = CatalogBuilder(root)
    shutil.copytree(REPO / "site", root / "site")
    builder.dataset(
        minimal_dataset(
            "breast-seg",
            name="Breast Lesion Segmentation",
            aliases=["BLS-2020"],
            anatomy=["breast"],
            tasks=["segmentation"],
            species=["human"],
            access="open",
            license="CC-BY-4.0",
            year=2020,
            counts={"images": 780},
            annotation={"label_types": ["mask"]},
            sources=[{"kind": "zenodo", "id": "123456", "url": "https://zenodo.org/records/123456"}],
            description="Breast images with lesion masks.",
            evidence=[{"url": "https://zenodo.org/records/123456", "fields": ["counts.images", "license"]}],
        )
    )
    builder.dataset(
        minimal_dataset(
            "breast-cls",
            name="Breast Classification",
            anatomy=["breast"],
            tasks=["classification"],
            species=["human"],
            access="request",
            year=2021,
            annotation={"label_types": ["class"]},
        )
    )
    builder.dataset(
        minimal_dataset(
            "thyroid-seg",
            name="Thyroid Nodules",
            anatomy=["thyroid"],
            tasks=["segmentation"],
            species=["human"],
            access="open",
            license="CC-BY-NC-4.0",
            counts={"images": 300},
            year=2019,
            annotation={"label_types": ["mask"]},
        )
    )
    builder.dataset(
        minimal_dataset(
            "hostile",
            name="Evil <script>window.__pwned=5</script> set",
            anatomy=["liver"],
            tasks=["segmentation"],
            description=HOSTILE_TEXT,
            notes=HOSTILE_TEXT,
            aliases=["<b onmouseover=x>alias</b>"],
            applications=["<iframe src=javascript:alert(1)>"],
        )
    )
    builder.model(
        minimal_model(
            "seg-model",
            name="Segmentation Model",
            trained_on=["breast-seg"],
            evaluated_on=["thyroid-seg"],
            anatomy=["breast"],
            code={"url": "https://github.com/example/seg", "license": "MIT"},
        )
    )
    return builder


def _bench_row(model: str, metric: str, value: float, run: str, created: str) -> dict:
    return {
        "dataset_id": "breast-seg",
        "model_id": model,
        "split": "test",
        "metric": metric,
        "value": value,
        "ci_low": value * 0.9,
        "ci_high": value * 1.1,
        "n": 40,
        "device": "cpu",
        "seed": 0,
        "converter": "generic-folders",
        "converter_version": "1",
        "created": created,
        "run_id": run,
        "detail": '{"task": "segmentation", "target": "lesion", "adapter": "onnx"}',
    }


# Two models and a built-in baseline on breast-seg. The better model has the higher Dice and the lower HD95.
# "dice" repeats "dice[lesion]" (one target), so it must not get a table of its own.
BENCH = [
    ("seg-model", {"dice": 0.81, "dice[lesion]": 0.81, "hd95[lesion]": 4.5}),
    ("builtin:all-background", {"dice": 0.0, "dice[lesion]": 0.0, "hd95[lesion]": 80.0}),
    ("other-model", {"dice": 0.62, "dice[lesion]": 0.62, "hd95[lesion]": 12.0}),
]


def add_bench_results(root: Path) -> None:
    from registry.catalog import load_catalog
    from registry.index import open_index

    rows = [
        _bench_row(model, metric, value, f"run-{i}", f"2026-03-0{i + 1}T00:00:00")
        for i, (model, metrics) in enumerate(BENCH)
        for metric, value in metrics.items()
    ]
    open_index(root, load_catalog(root)).add_bench_results(rows)


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import os

    from registry.sitegen.build import build_site

    base = tmp_path_factory.mktemp("site")
    home = base / "home"
    old = os.environ.get("USREG_HOME")
    os.environ["USREG_HOME"] = str(home)
    try:
        root = base / "catalog"
        build_site_catalog(root)
        add_bench_results(root)
        from registry.catalog import load_catalog
        from scorers.committed import committed_scores

        return build_site(root, base / "out", scores=committed_scores(load_catalog(root)))
    finally:
        if old is None:
            os.environ.pop("USREG_HOME", None)
        else:
            os.environ["USREG_HOME"] = old


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(built_site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass
