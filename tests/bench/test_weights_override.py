"""What a user-given weights file (`usreg bench --weights MODEL=PATH`) means.

A user's own file (fine-tuned, converted) runs whatever its checksum, and is recorded as ``unverified``: shown by the
CLI, stored with every result row, and left out of registry verification, so it never changes a published score.
The entry's released weights are still verified against their declared sha256 whenever usreg downloads them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from registry.bench.adapters import WeightsLoadError, build_for_model
from registry.bench.results import runs
from registry.bench.weights import UNCHECKED, UNVERIFIED, VERIFIED
from registry.catalog import load_catalog
from registry.errors import UsregError
from registry.index import RegistryIndex
from registry.sitegen.context import SiteContext
from registry.sitegen.leaderboard import provenance_table
from tests.bench import onnx_models
from tests.bench.helpers import onnx_model_entry, sha256
from tests.bench.test_e2e import served_catalog  # noqa: F401  (the fixture: fetched carotid-plaque, thresh-net)


def _image() -> np.ndarray:
    return np.tile(np.linspace(0, 255, 40, dtype=np.uint8), (48, 1))


def test_a_given_file_that_is_not_the_release_runs_and_is_marked_unverified(tmp_path):
    released = onnx_models.threshold_segmenter(tmp_path / "released.onnx", threshold=0.5, size=(32, 32))
    own = onnx_models.threshold_segmenter(tmp_path / "finetuned.onnx", threshold=0.8, size=(32, 32))
    assert sha256(own) != sha256(released)
    model = onnx_model_entry("seg", released)  # declares the released file's sha256

    adapter = build_for_model(model, tmp_path, weights_override=own)  # not refused for its checksum
    [pred] = adapter.predict([_image()])
    assert pred.mask.shape == (48, 40) and pred.mask.sum() < (_image() > 127).sum()  # the given file ran
    info = adapter.info
    assert (info.weights_path, info.weights_sha256, info.weights_status) == (str(own), sha256(own), UNVERIFIED)
    assert info.weights_note.startswith(f"--weights file {own} (unverified")
    assert f"not the entry's {sha256(released)[:12]}" in info.weights_note

    # the released bytes given with --weights are the release: verified
    same = build_for_model(model, tmp_path, weights_override=released).info
    assert same.weights_status == VERIFIED and "sha256 matches the entry" in same.weights_note
    # an entry without a sha256: a given file cannot be shown to be the release
    unsigned = onnx_model_entry("seg-unsigned", released, with_sha=False)
    assert build_for_model(unsigned, tmp_path, weights_override=released).info.weights_status == UNVERIFIED


def test_a_downloaded_file_with_a_wrong_checksum_is_refused(tmp_path, host_server):
    released = onnx_models.threshold_segmenter(tmp_path / "released.onnx")
    other = onnx_models.threshold_segmenter(tmp_path / "other.onnx", threshold=0.9)
    url = host_server.add_http_file("/weights/seg/model.onnx", other.read_bytes())  # the host serves other bytes
    home = tmp_path / "home"
    model = onnx_model_entry("seg", released, file_name="model.onnx", url=url)
    with pytest.raises(UsregError, match="sha256") as refused:
        build_for_model(model, home)
    assert not isinstance(refused.value, WeightsLoadError)  # refused before any runtime read it
    assert len(host_server.requests("/weights/seg/model.onnx")) >= 1

    # the same host serving the released bytes: downloaded, verified and run
    good = host_server.add_http_file("/weights/seg2/model.onnx", released.read_bytes())
    ok = build_for_model(onnx_model_entry("seg2", released, file_name="model.onnx", url=good), home).info
    assert ok.weights_status == VERIFIED and ok.weights_note.startswith("released weights ")
    # released weights whose entry declares no sha256 run as fetched, marked unchecked
    plain = host_server.add_http_file("/weights/seg3/model.onnx", other.read_bytes())
    entry = onnx_model_entry("seg3", other, file_name="model.onnx", url=plain, with_sha=False)
    assert build_for_model(entry, home).info.weights_status == UNCHECKED


def test_a_git_lfs_pointer_in_the_cache_is_refused_and_the_real_file_given_with_weights_is_verified(tmp_path):
    released = onnx_models.threshold_segmenter(tmp_path / "model.onnx")
    model = onnx_model_entry("lfs-net", released)
    home = tmp_path / "home"
    pointer = home / "sources" / "lfs-net" / "latest" / "repo-main" / "weights" / "model.onnx"  # an unpacked archive
    pointer.parent.mkdir(parents=True)
    size = released.stat().st_size
    pointer.write_text(f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256(released)}\nsize {size}\n")
    with pytest.raises(UsregError, match="is a Git LFS pointer, not the weights") as refused:
        build_for_model(model, home)
    assert "--weights lfs-net=PATH" in refused.value.hint
    assert build_for_model(model, home, weights_override=released).info.weights_status == VERIFIED


def _bench(run_cli, root, *extra):
    args = ("bench", "carotid-plaque", "--model", "thresh-net", "--bootstrap", "0", "--workers", "1", *extra)
    return run_cli(*args, "--format", "json", root=root)


def test_bench_cli_says_which_file_ran_and_unverified_runs_stay_out_of_verification(
    served_catalog,  # noqa: F811
    run_cli,
    usreg_home,
    tmp_path,
):
    catalog, released = served_catalog
    root = catalog.root
    assert run_cli("fetch", "carotid-plaque", "--keep-going", root=root).exit_code == 0
    own = onnx_models.threshold_segmenter(tmp_path / "own.onnx", threshold=0.3, size=(48, 48))

    given = _bench(run_cli, root, "--weights", f"thresh-net={own}")
    assert given.exit_code == 0, given.output
    [run] = json.loads(given.stdout)["runs"]
    assert run["status"] == "ok" and run["weights"] == UNVERIFIED
    assert f"weights: --weights file {own} (unverified" in given.stderr
    rows = RegistryIndex(root).bench_results(dataset_id="carotid-plaque")
    assert {r["weights_status"] for r in rows} == {UNVERIFIED}
    assert {r["weights_sha256"] for r in rows} == {sha256(own)}
    records = json.loads((usreg_home / "bench" / "reproductions.json").read_text())["records"]
    assert records == []  # neither a reproduction nor a forward-pass check from the user's own file

    official = _bench(run_cli, root)
    assert official.exit_code == 0, official.output
    [run] = json.loads(official.stdout)["runs"]
    assert run["weights"] == VERIFIED and "weights: released weights " in official.stderr
    latest = [r for r in RegistryIndex(root).bench_results(dataset_id="carotid-plaque") if r["run_id"] == run["run_id"]]
    assert {(r["weights_status"], r["weights_sha256"]) for r in latest} == {(VERIFIED, sha256(released))}
    records = json.loads((usreg_home / "bench" / "reproductions.json").read_text())["records"]
    assert {(r["model_id"], r["check"]) for r in records} == {
        ("thresh-net", "reproduction"),
        ("thresh-net", "forward-pass"),
    }
    board = json.loads(run_cli("leaderboard", "carotid-plaque", "--format", "json", root=root).stdout)
    assert board["rows"][0]["weights_status"] == VERIFIED  # the latest run: the released weights
    every = json.loads(run_cli("leaderboard", "carotid-plaque", "--all-runs", "--format", "json", root=root).stdout)
    assert sorted(r["weights_status"] for r in every["rows"]) == [UNVERIFIED, VERIFIED]
    # the site's provenance table says which runs used the release
    all_runs = runs(RegistryIndex(root).bench_results(dataset_id="carotid-plaque"))
    html = provenance_table(SiteContext(catalog=load_catalog(root)), all_runs, "../")
    assert html.count("weights: unverified") == 1 and html.count("weights: verified") == 1
