"""End to end: fetch a fixture dataset from the local server (Mendeley API shape), convert it with the real
carotid-plaque loader, bench an ONNX model (built here with the onnx package, its weights fetched from the same
server) and a baseline, then check the index, `usreg leaderboard` and the verification records."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from PIL import Image

from registry.index import RegistryIndex
from tests.bench import onnx_models
from tests.bench.helpers import sha256
from tests.bench.synthetic import carotid_like
from tests.conftest import REPO_ROOT, minimal_model


def _png(array) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def served_catalog(tmp_path, host_server, catalog_root):
    """The real carotid-plaque entry, its record served by the local Mendeley API, and an ONNX model entry."""
    files = {}
    for i, s in enumerate(carotid_like(30, size=64, seed=21), start=1):
        files[f"{i}.png"] = _png(s.image)
        files[f"{i}_labeled.png"] = _png(s.masks["plaque"] * 255)
    host_server.add_mendeley_dataset("8srkpz52dy", 1, files)
    shutil.copy(
        REPO_ROOT / "entries" / "datasets" / "carotid-plaque.yaml",
        catalog_root.root / "entries" / "datasets" / "carotid-plaque.yaml",
    )
    onnx_path = onnx_models.threshold_segmenter(tmp_path / "thresh.onnx", threshold=0.55, size=(48, 48))
    url = host_server.add_http_file("/models/thresh-net/thresh.onnx", onnx_path.read_bytes())
    catalog_root.model(
        minimal_model(
            "thresh-net",
            anatomy=["carotid"],
            evaluated_on=["carotid-plaque"],
            weights=[
                {
                    "format": "onnx",
                    "file": "thresh.onnx",
                    "sha256": sha256(onnx_path),
                    "source": {"kind": "http", "url": url},
                }
            ],
            input={"channels": 1, "size": [48, 48], "normalization": "zero-one"},
            output={
                "kind": "mask",
                "activation": "softmax",
                "classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "plaque"}],
            },
            metrics=[{"dataset": "carotid-plaque", "split": "test", "metric": "Dice", "value": 0.99}],
        )
    )
    return catalog_root, onnx_path


def test_fetch_convert_bench_and_leaderboard(served_catalog, run_cli, usreg_home, host_server):
    catalog, onnx_path = served_catalog
    root = catalog.root
    # 30 synthetic images against the real entry's counts: the counts check fails, so the partial data is accepted
    fetched = run_cli("fetch", "carotid-plaque", "--keep-going", root=root)
    assert fetched.exit_code == 0, fetched.output

    result = run_cli(
        "bench",
        "carotid-plaque",
        "--model",
        "thresh-net",
        "--baseline",
        "all-background",
        "--bootstrap",
        "50",
        "--workers",
        "1",
        "--format",
        "json",
        root=root,
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [r["status"] for r in report["runs"]] == ["ok", "ok"]
    assert {r["model"] for r in report["runs"]} == {"thresh-net", "builtin:all-background"}
    assert all(r["images"] == 6 for r in report["runs"])  # the seeded 20 % test split of 30 images
    assert len(host_server.requests("/models/thresh-net/thresh.onnx")) == 1  # weights came through fetch

    rows = RegistryIndex(root).bench_results(dataset_id="carotid-plaque")
    net = {r["metric"]: r for r in rows if r["model_id"] == "thresh-net"}
    assert net["check.weights_load"]["value"] == 1.0 and net["check.output_shape"]["value"] == 1.0
    dice = net["dice"]
    assert dice["weights_sha256"] == sha256(onnx_path)
    assert (dice["dataset_version"], dice["converter"], dice["split"]) == ("1", "carotid-plaque", "test")
    assert dice["converter_version"] and dice["convention"] == "usreg" and dice["ci_low"] <= dice["value"]
    assert json.loads(dice["packages"])["onnxruntime"]

    board = run_cli("leaderboard", "carotid-plaque", "--format", "json", root=root)
    assert board.exit_code == 0, board.output
    data = json.loads(board.stdout)
    assert data["metric"] == "dice"
    assert [r["model"] for r in data["rows"]] == ["thresh-net", "builtin:all-background"]
    assert data["rows"][0]["value"] > data["rows"][1]["value"] == 0.0
    table = run_cli("leaderboard", "carotid-plaque", root=root)
    assert "thresh-net" in table.output and "builtin:all-background" in table.output

    records = json.loads((usreg_home / "bench" / "reproductions.json").read_text())
    kinds = {(r["model_id"], r["check"]) for r in records["records"]}
    assert kinds == {("thresh-net", "reproduction"), ("thresh-net", "forward-pass")}
    repro = next(r for r in records["records"] if r["check"] == "reproduction")
    assert repro["reported"] == 0.99 and repro["within_tolerance"] is False

    # the model scorer reads them: the forward pass verified, the reported Dice contradicted (not reproduced)
    scored = run_cli("score", "thresh-net", "--explain", "--format", "json", root=root)
    [score] = json.loads(scored.stdout)
    criteria = {c["id"]: c for c in score["criteria"]}
    forward = criteria["forward-pass"]
    assert forward["evidence_kind"] == "verified" and forward["points"] == forward["max_points"] > 0
    assert criteria["metric-reproduced"]["evidence_kind"] == "contradicted"
    assert "reported 0.99" in criteria["metric-reproduced"]["flag"]


def test_bench_cli_errors(served_catalog, run_cli):
    catalog, _ = served_catalog
    root = catalog.root
    both = run_cli("bench", root=root)
    assert both.exit_code == 2 and "DATASET" in both.output
    unknown = run_cli("bench", "carotid-plaq", root=root)
    assert unknown.exit_code == 1 and "did you mean: carotid-plaque" in unknown.output  # no such entry: a finding
    not_fetched = run_cli("bench", "carotid-plaque", "--baseline", "all-background", root=root)
    assert not_fetched.exit_code == 1 and "usreg fetch carotid-plaque" in not_fetched.output
    plan = run_cli("bench", "carotid-plaque", "--dry-run", "--format", "json", root=root)
    assert plan.exit_code == 0
    assert {r["model"] for r in json.loads(plan.stdout)} == {
        "thresh-net",
        "builtin:all-background",
        "builtin:intensity-threshold",
    }
    bad_option = run_cli("bench", "carotid-plaque", "--option", "nonsense", root=root)
    assert bad_option.exit_code == 2 and "KEY=VALUE" in bad_option.output
    empty = run_cli("leaderboard", "carotid-plaque", root=root)
    assert empty.exit_code == 0 and "no benchmark results" in empty.output


def test_bench_all_runs_every_compatible_pair_of_fetched_datasets(served_catalog, run_cli, usreg_home):
    catalog, _ = served_catalog
    root = catalog.root
    assert run_cli("fetch", "carotid-plaque", "--keep-going", root=root).exit_code == 0

    plan = run_cli("bench", "--all", "--dry-run", "--format", "json", root=root)
    assert plan.exit_code == 0, plan.output
    pairs = {(p["dataset"], p["model"]) for p in json.loads(plan.stdout)}
    assert ("carotid-plaque", "thresh-net") in pairs
    assert {d for d, _ in pairs} == {"carotid-plaque"}  # only fetched datasets take part

    result = run_cli("bench", "--all", "--bootstrap", "20", "--workers", "1", "--format", "json", root=root)
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)["runs"]
    assert {(r["dataset"], r["model"]) for r in runs} == pairs
    assert all(r["status"] == "ok" for r in runs)
    stored = {(r["dataset_id"], r["model_id"]) for r in RegistryIndex(root).bench_results()}
    assert pairs <= stored
