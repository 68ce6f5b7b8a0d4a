"""Benchmark results in the index appear on the site: a leaderboard on the dataset page, reported against
reproduced metrics on the model page."""

from __future__ import annotations

import shutil
from pathlib import Path

from registry.catalog import load_catalog
from registry.index import open_index
from registry.sitegen.build import build_site
from tests.conftest import CatalogBuilder, minimal_dataset, minimal_model

REPO = Path(__file__).resolve().parents[2]


def _result(model: str, value: float, created: str, **extra) -> dict:
    return {
        "dataset_id": "breast-seg",
        "model_id": model,
        "split": "test",
        "metric": "dice",
        "value": value,
        "ci_low": value - 0.02,
        "ci_high": value + 0.02,
        "n": 40,
        "device": "cpu",
        "created": created,
        "run_id": f"run-{model}-{created}",
        **extra,
    }


def test_site_shows_leaderboards_from_bench_results(tmp_path: Path, usreg_home: Path) -> None:
    builder = CatalogBuilder(tmp_path / "catalog")
    shutil.copytree(REPO / "site", builder.root / "site")
    builder.dataset(minimal_dataset("breast-seg", annotation={"label_types": ["mask"]}))
    builder.model(
        minimal_model(
            "seg-model",
            trained_on=["breast-seg"],
            evaluated_on=["breast-seg"],
            metrics=[
                {
                    "dataset": "breast-seg",
                    "split": "test",
                    "metric": "dice",
                    "value": 0.81,
                    "source": "https://example.org/paper",
                }
            ],
        )
    )
    builder.model(minimal_model("other-model", evaluated_on=["breast-seg"]))
    catalog = load_catalog(builder.root)
    index = open_index(builder.root, catalog)
    index.add_bench_results(
        [
            _result("seg-model", 0.5, "2026-01-01T00:00:00"),  # an older run of the same model: superseded
            _result("seg-model", 0.8012, "2026-02-01T00:00:00"),
            _result("other-model", 0.6543, "2026-02-02T00:00:00"),
        ]
    )

    from scorers.committed import committed_scores

    out = build_site(builder.root, tmp_path / "site", scores=committed_scores(catalog))

    dataset_page = (out / "datasets" / "breast-seg.html").read_text(encoding="utf-8")
    board = dataset_page[dataset_page.index("id='leaderboard'") :]
    assert "No benchmark results yet" not in board
    assert board.index("seg-model") < board.index("other-model")  # best first
    assert "0.8012" in board and "0.6543" in board and "0.5000" not in board
    assert "0.7812–0.8212" in board  # the bootstrap interval
    assert 'href="../models/seg-model.html"' in board

    model_page = (out / "models" / "seg-model.html").read_text(encoding="utf-8")
    metrics = model_page[model_page.index("id='metrics'") : model_page.index("id='facts'")]
    assert "<td>0.81</td>" in metrics and "<td>0.8012</td>" in metrics
    assert "breast-seg" in model_page[model_page.index("id='leaderboard'") :]


def _run(metrics: dict[str, float]) -> dict:
    return {"metrics": {name: {"value": value} for name, value in metrics.items()}}


def test_one_table_per_metric_and_target():
    from registry.sitegen.leaderboard import _tables_of_run, direction, split_metric

    # one target: the unlabelled mean repeats it and gets no table of its own
    single = _tables_of_run(_run({"dice": 0.8, "dice[plaque]": 0.8, "hd95[plaque]": 3.0}))
    assert set(single) == {("dice", "plaque"), ("hd95", "plaque")}
    # two targets: the mean is a different number and is kept
    double = _tables_of_run(_run({"dice": 0.7, "dice[plaque]": 0.8, "dice[vessel]": 0.6}))
    assert set(double) == {("dice", None), ("dice", "plaque"), ("dice", "vessel")}
    assert split_metric("fp_area") == ("fp_area", None)
    assert direction("hd95")[0] and direction("assd")[0] and direction("fp_area")[0]
    assert not direction("dice")[0] and not direction("auc")[0]
