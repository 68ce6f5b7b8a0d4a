"""Weights on the Hugging Face Hub pinned to a commit: downloaded with huggingface_hub from a real HTTP server on
127.0.0.1 that answers as the Hub does (``tests.fixtures.hub_server``), verified against the entry's sha256 before
any adapter reads them, and loaded by the entry's adapter."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.hub_server import HubServer

torch = pytest.importorskip("torch", reason="the tensor adapters need torch (pip install 'usreg[bench]')")
pytest.importorskip("huggingface_hub", reason="Hub weights need huggingface_hub (usreg[bench])")

REPO = Path(__file__).resolve().parents[2]
HUB_REPO = "fpus-lab/plane-classifier"
FILE = "weights/plane8.safetensors"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    server = HubServer().start()
    monkeypatch.setenv("USREG_HF_URL", server.endpoint)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        yield server
    finally:
        server.stop()


def _safetensors(state: dict) -> bytes:
    from safetensors.torch import save

    return save({k: v.contiguous() for k, v in state.items()})


def _plane_state(seed: int) -> dict:
    from registry.bench.adapters.torch_state_dict import build_module

    torch.manual_seed(seed)
    return build_module("fpus23-resnet8", 4).state_dict()


def _hub_model(revision: str, sha256: str, file: str = FILE, repo: str = HUB_REPO):
    """The fpus23-resnet34 catalog entry with its weights declared on the Hub."""
    import yaml

    from registry.schema.model import Model

    data = yaml.safe_load((REPO / "entries/models/fpus23-resnet34.yaml").read_text())
    data["weights"] = [
        {
            "format": "safetensors",
            "source": {"kind": "huggingface", "id": repo},
            "file": file,
            "revision": revision,
            "sha256": sha256,
        }
    ]
    return Model.model_validate(data)


def test_hub_weights_need_a_pinned_commit_a_file_and_a_checksum():
    from pydantic import ValidationError

    from registry.schema.model import Weights

    base = {"format": "safetensors", "source": {"kind": "huggingface", "id": HUB_REPO}, "file": FILE}
    good = Weights.model_validate({**base, "revision": "a" * 40, "sha256": "b" * 64})
    assert good.revision == "a" * 40
    for revision in ("main", "v1.0", "a" * 39, "A" * 40, "a" * 41):
        with pytest.raises(ValidationError, match="revision"):
            Weights.model_validate({**base, "revision": revision, "sha256": "b" * 64})
    with pytest.raises(ValidationError, match="need sha256"):
        Weights.model_validate({**base, "revision": "a" * 40})
    with pytest.raises(ValidationError, match=r"source\.kind huggingface"):
        github = {**base, "source": {"kind": "github", "id": "o/r"}}
        Weights.model_validate({**github, "revision": "a" * 40, "sha256": "b" * 64})


def test_hub_weights_are_downloaded_at_the_pinned_commit_verified_and_then_read_from_the_cache(hub, usreg_home):
    from registry.bench.adapters import build_for_model

    pinned, moved = _plane_state(1), _plane_state(2)
    first = _safetensors(pinned)
    commit = hub.add_commit(HUB_REPO, {FILE: first, "README.md": b"# plane classifier\n"})
    hub.add_commit(HUB_REPO, {FILE: _safetensors(moved)})  # main moves on: the entry must not follow it
    model = _hub_model(commit, hashlib.sha256(first).hexdigest())

    adapter = build_for_model(model, usreg_home)
    assert all(torch.equal(adapter.module.state_dict()[k], v) for k, v in pinned.items())
    assert adapter.info.weights_sha256 == hashlib.sha256(first).hexdigest()
    path = Path(adapter.info.weights_path)
    assert path.is_relative_to(usreg_home / "hub") and commit in path.parts
    assert hub.resolve_requests() == [f"HEAD /{HUB_REPO}/resolve/{commit}/{FILE}"]
    image = (np.random.default_rng(0).random((40, 50, 3)) * 255).astype(np.uint8)
    [pred] = adapter.predict([image])
    assert pred.probs.shape == (4,)

    hub.stop()  # a second run needs no Hub: the pinned snapshot is read from the cache and verified again
    again = build_for_model(model, usreg_home)
    assert again.info.weights_path == str(path) and again.info.weights_sha256 == adapter.info.weights_sha256


def test_a_hub_file_that_does_not_match_its_sha256_is_removed_and_never_loaded(hub, usreg_home):
    from registry.bench.adapters import build_for_model
    from registry.errors import UsregError

    good = _safetensors(_plane_state(3))
    commit = hub.add_commit(HUB_REPO, {FILE: good})
    hub.replace_blob(good, _safetensors(_plane_state(4)))  # the storage host serves other bytes
    model = _hub_model(commit, hashlib.sha256(good).hexdigest())
    with pytest.raises(UsregError, match="removed from the hub cache and not used"):
        build_for_model(model, usreg_home)
    assert not [p for p in (usreg_home / "hub").rglob("*") if p.is_file() and p.suffix == ".safetensors"]
    hub.replace_blob(good, good)  # fixed on the host: the next run downloads again and loads
    assert build_for_model(model, usreg_home).info.weights_sha256 == hashlib.sha256(good).hexdigest()


def test_unknown_hub_repo_commit_or_file_are_clear_errors(hub, usreg_home):
    from registry.bench.adapters import build_for_model
    from registry.errors import UsregError

    data = _safetensors(_plane_state(5))
    commit = hub.add_commit(HUB_REPO, {FILE: data})
    digest = hashlib.sha256(data).hexdigest()
    cases = [
        (
            _hub_model(commit, digest, repo="fpus-lab/no-such-model"),
            "repository fpus-lab/no-such-model is not available",
        ),
        (_hub_model("c" * 40, digest), f"has no commit {'c' * 40}"),
        (_hub_model(commit, digest, file="weights/other.safetensors"), "does not exist on the Hub"),
    ]
    for model, message in cases:
        with pytest.raises(UsregError, match=message):
            build_for_model(model, usreg_home)
    assert not list((usreg_home / "hub").glob("*/snapshots/*/weights/*"))  # nothing was downloaded


def test_usreg_bench_runs_a_hub_model_and_reports_a_checksum_mismatch(tmp_path, hub, catalog_root, run_cli, usreg_home):
    from registry.bench.adapters.torch_state_dict import build_module
    from registry.index import RegistryIndex
    from registry.loaders.pipeline import convert_entry
    from tests.conftest import minimal_model
    from tests.fixtures.builders import bus_bra
    from tests.loaders.conftest import make_entry

    fx = bus_bra.build(tmp_path / "src")
    convert_entry(make_entry("bus-bra", "bus-bra"), fx.root, usreg_home, "1", workers=1)
    shutil.copy(REPO / "entries/datasets/bus-bra.yaml", catalog_root.root / "entries/datasets/bus-bra.yaml")
    torch.manual_seed(6)
    blob = _safetensors(build_module("smp-fpn-resnet34-1ch", 1).state_dict())
    commit = hub.add_commit("bone-lab/fpn", {"model.safetensors": blob})

    def entry(sha256: str) -> dict:
        return minimal_model(
            "lesion-fpn",
            anatomy=["breast"],
            input={"channels": 1, "size": [64, 64], "normalization": "zero-one"},
            output={"kind": "mask", "activation": "sigmoid", "classes": [
                {"id": 0, "name": "background"}, {"id": 1, "name": "lesion"}]},
            adapter={"name": "torch-state-dict", "options": {"architecture": "smp-fpn-resnet34-1ch", "num_outputs": 1}},
            weights=[{"format": "safetensors", "source": {"kind": "huggingface", "id": "bone-lab/fpn"},
                      "file": "model.safetensors", "revision": commit, "sha256": sha256}],
        )  # fmt: skip

    args = ("bench", "bus-bra", "--model", "lesion-fpn", "--bootstrap", "0", "--format", "json")
    catalog_root.model(entry(hashlib.sha256(blob).hexdigest()))
    result = run_cli(*args, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    [run] = json.loads(result.stdout)["runs"]
    assert run["status"] == "ok", run
    rows = [r for r in RegistryIndex(catalog_root.root).bench_results() if r["model_id"] == "lesion-fpn"]
    assert "dice" in {r["metric"] for r in rows}

    catalog_root.model(entry("0" * 64))  # the entry's checksum no longer matches the Hub file
    broken = run_cli(*args, root=catalog_root.root)
    assert "Traceback" not in broken.output and "not used" in broken.output
    assert broken.exit_code == 1 and json.loads(broken.stdout)["runs"][0]["status"] == "failed"


def test_usreg_show_says_a_hub_model_is_runnable_and_a_model_without_adapter_is_not(catalog_root, run_cli):
    from tests.conftest import minimal_model

    hub_weights = {"format": "safetensors", "source": {"kind": "huggingface", "id": HUB_REPO}, "file": FILE,
                   "revision": "d" * 40, "sha256": "e" * 64}  # fmt: skip
    catalog_root.model(
        minimal_model(
            "plane-net",
            tasks=["classification"],
            output={"kind": "label", "classes": [{"id": i, "name": n} for i, n in enumerate("ABCD")]},
            adapter={"name": "torch-state-dict", "options": {"architecture": "fpus23-resnet8"}},
            weights=[hub_weights],
        )
    )
    catalog_root.model(minimal_model("bare-net", weights=[{**hub_weights, "format": "pytorch-checkpoint"}]))
    text = run_cli("show", "plane-net", root=catalog_root.root)
    assert text.exit_code == 0, text.output
    assert "runnable by usreg bench: yes, adapter torch-state-dict (architecture fpus23-resnet8" in text.output
    assert f"on the Hugging Face Hub at {'d' * 12}" in text.output
    bare = run_cli("show", "bare-net", "--format", "json", root=catalog_root.root)
    verdict = json.loads(bare.stdout)["runnable"]
    assert verdict["runnable"] is False and "no adapter naming their architecture" in verdict["detail"]


def test_usreg_fetch_downloads_hub_weights_at_the_pinned_commit(hub, catalog_root, run_cli, usreg_home, monkeypatch):
    from registry.bench.weights import cached
    from registry.catalog import load_catalog
    from tests.conftest import minimal_model

    monkeypatch.setenv("USREG_RETRIES", "1")
    monkeypatch.setenv("USREG_RETRY_BASE_DELAY", "0")
    pinned = _safetensors(_plane_state(7))
    commit = hub.add_commit(HUB_REPO, {FILE: pinned})
    hub.add_commit(HUB_REPO, {FILE: _safetensors(_plane_state(8))})  # main has moved on
    weights = {"format": "safetensors", "source": {"kind": "huggingface", "id": HUB_REPO}, "file": FILE,
               "revision": commit, "sha256": hashlib.sha256(pinned).hexdigest()}  # fmt: skip
    catalog_root.model(minimal_model("plane-net", tasks=["classification"], weights=[weights]))
    result = run_cli("fetch", "plane-net", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    model = load_catalog(catalog_root.root).models["plane-net"]
    path = cached(model, model.weights[0], usreg_home)
    assert path is not None and path.read_bytes() == pinned
    assert any(r.path == f"/api/models/{HUB_REPO}/tree/{commit}" for r in hub.hub.requests())
