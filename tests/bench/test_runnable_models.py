"""Catalog models the runner can execute: each adapter/architecture on a tiny randomly initialised model of the same
architecture (no download), the key layouts of the authors' checkpoints, and clear errors for wrong weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from registry.bench.adapters.base import AdapterInfo
from registry.bench.prompts import PromptSettings, make_prompt

torch = pytest.importorskip("torch", reason="the tensor adapters need torch (pip install 'usreg[bench]')")

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]


def _lines(name: str) -> list[str]:
    return [k for k in (DATA / name).read_text().splitlines() if k and k[0] != "#"]


def _disc(h: int, w: int, cy: int, cx: int, r: int) -> np.ndarray:
    yy, xx = np.ogrid[:h, :w]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


# --- UltraSam: MMDetection keys -> SamModel ---------------------------------------------------------------------------

_DECODER_ATTN = (
    "layers.0.self_attn", "layers.0.cross_attn_token_to_image", "layers.0.cross_attn_image_to_token",
    "layers.1.self_attn", "layers.1.cross_attn_token_to_image", "layers.1.cross_attn_image_to_token",
    "final_attn_token_to_image",
)  # fmt: skip


def _authors_converter(sam: dict) -> dict:
    """UltraSam's weights/convert_sam_bb_to_mmdet.py followed by weights/convert_sam_to_mmdet.py (the renames and
    concatenations they apply to a segment-anything state dict), written out here to produce the checkpoint layout."""
    bb = {k.replace("image_encoder.", ""): v for k, v in sam.items() if "image_encoder" in k}
    for a, b in (
        ("blocks.", "layers."), ("patch_embed.proj", "patch_embed.projection"), ("norm", "ln"),
        ("neck", "channel_reduction"), ("mlp.lin1", "ffn.layers.0.0"), ("mlp.lin2", "ffn.layers.1"),
    ):  # fmt: skip
        bb = {k.replace(a, b): v for k, v in bb.items()}
    out = {"backbone." + k: v for k, v in bb.items()}
    md = {k: v for k, v in sam.items() if "mask_decoder." in k}
    dec = {k.replace("mask_decoder.transformer.", "decoder."): v for k, v in md.items() if "transformer" in k}
    head = {k.replace("mask_decoder.", "bbox_head."): v for k, v in md.items() if "transformer" not in k}
    for a, b in (("mlp.lin1", "mlp.layers.0.0"), ("mlp.lin2", "mlp.layers.1"), ("norm_final_attn", "post_norm")):
        dec = {k.replace(a, b): v for k, v in dec.items()}
    dec = {
        k.replace("cross_attn_image_to_token", "cross_attn_image_to_token.attn")
        .replace("cross_attn_token_to_image", "cross_attn_token_to_image.attn")
        .replace("final_attn_token_to_image", "final_attn_token_to_image.attn")
        .replace("self_attn", "self_attn.attn")
        .replace("proj.", "proj_")
        .replace("out_proj_", "out_proj."): v
        for k, v in dec.items()
    }
    for layer in _DECODER_ATTN:
        dec[f"decoder.{layer}.attn.in_proj_bias"] = torch.cat(
            [dec.pop(f"decoder.{layer}.attn.{x}_proj_bias") for x in "qkv"]
        )
    out.update(dec)
    pe = {k: v for k, v in sam.items() if "prompt_encoder." in k}
    pe["prompt_encoder.label_encoder.label_embedding.weight"] = torch.cat(
        [pe.pop("prompt_encoder.no_mask_embed.weight")]
        + [pe.pop(f"prompt_encoder.point_embeddings.{i}.weight") for i in range(4)]
        + [pe.pop("prompt_encoder.not_a_point_embed.weight")]
        + [head.pop("bbox_head.mask_tokens.weight"), head.pop("bbox_head.iou_token.weight")]
    )
    out.update(pe)
    out.update(head)
    return out


def _tiny_sam_state(seed: int) -> dict:
    pytest.importorskip("transformers", reason="the SAM adapter needs transformers (usreg[bench])")
    from registry.bench.adapters.sam_adapter import build_model

    torch.manual_seed(seed)
    state = {k: v.contiguous() for k, v in build_model("sam-tiny-test").state_dict().items()}
    state.pop("prompt_encoder.shared_embedding.positional_embedding")
    return state


def _segment_anything_state(hf_state: dict) -> dict:
    from registry.bench.adapters.sam_adapter import map_segment_anything_keys

    names = map_segment_anything_keys({k: k for k in _lines("segment_anything_tiny_keys.txt")})
    return {sa: hf_state[hf] for hf, sa in names.items()}


def test_ultrasam_mmdet_keys_all_map_onto_samodel_and_give_identical_outputs(tmp_path):
    from safetensors.torch import save_file

    from registry.bench.adapters.sam_adapter import SamAdapter
    from registry.bench.adapters.sam_keys import map_mmdet_keys

    hf_state = _tiny_sam_state(seed=3)
    mmdet = _authors_converter(_segment_anything_state(hf_state))
    assert set(mmdet) == set(_lines("ultrasam_mmdet_tiny_keys.txt"))  # the listed UltraSam names, nothing else
    mapped = map_mmdet_keys(mmdet)
    assert set(mapped) == set(hf_state)  # every UltraSam key lands on a SamModel key and every SamModel key is filled
    assert all(torch.equal(mapped[k], hf_state[k]) for k in hf_state)  # split rows and biases in the right order

    hf_path = tmp_path / "tiny.safetensors"
    save_file(hf_state, str(hf_path))
    mm_path = tmp_path / "UltraSam_tiny.pth"  # an MMEngine checkpoint: meta + state_dict
    torch.save({"meta": {"mmdet_version": "3.3.0", "epoch": 1}, "state_dict": mmdet}, mm_path)
    image = (np.random.default_rng(4).random((70, 90)) * 255).astype(np.uint8)
    rng = np.random.default_rng(0)
    inst = _disc(70, 90, 35, 40, 12)
    for kind in ("point", "box"):
        prompt = make_prompt(inst, PromptSettings(kind=kind), rng)
        a = SamAdapter.from_weights(AdapterInfo("sam", "a"), "sam-tiny-test", hf_path).predict_prompted(image, [prompt])
        b = SamAdapter.from_weights(AdapterInfo("sam", "b"), "sam-tiny-test", mm_path).predict_prompted(image, [prompt])
        assert np.array_equal(a[0].mask, b[0].mask) and a[0].score == pytest.approx(b[0].score, abs=1e-6)


def test_ultrasam_checkpoint_without_mask_refinement_layers_still_loads(tmp_path):
    """UltraSam built without use_mask_refinement has no mask_downscaling; one decoding pass does not need it."""
    from registry.bench.adapters.sam_adapter import SamAdapter

    mmdet = _authors_converter(_segment_anything_state(_tiny_sam_state(seed=1)))
    mmdet = {k: v for k, v in mmdet.items() if "mask_downscaling" not in k}
    path = tmp_path / "no_refine.pth"
    torch.save({"state_dict": mmdet}, path)
    adapter = SamAdapter.from_weights(AdapterInfo("sam", "u"), "sam-tiny-test", path)
    prompt = make_prompt(_disc(64, 64, 30, 30, 9), PromptSettings(kind="box"), np.random.default_rng(0))
    [answer] = adapter.predict_prompted(np.full((64, 64), 90, np.uint8), [prompt])
    assert answer.mask.shape == (64, 64)
    from registry.errors import UsregError

    with pytest.raises(UsregError, match=r"which options\.refine needs"):
        SamAdapter.from_weights(AdapterInfo("sam", "u"), "sam-tiny-test", path, refine=True)


def test_ultrasam_keys_that_are_not_sam_or_truncated_files_are_clear_errors(tmp_path):
    from registry.bench.adapters.sam_adapter import SamAdapter
    from registry.bench.adapters.sam_keys import map_mmdet_keys
    from registry.errors import UsregError

    mmdet = _authors_converter(_segment_anything_state(_tiny_sam_state(seed=2)))
    with pytest.raises(UsregError, match="no SAM counterpart"):
        map_mmdet_keys({**mmdet, "neck.fpn.0.weight": torch.zeros(1)})
    short = dict(mmdet)
    short["prompt_encoder.label_encoder.label_embedding.weight"] = torch.zeros(5, 32)
    with pytest.raises(UsregError, match="11 rows"):
        map_mmdet_keys(short)
    path = tmp_path / "UltraSam.pth"
    torch.save({"state_dict": mmdet}, path)
    truncated = tmp_path / "UltraSam_cut.pth"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UsregError, match=r"does not load with torch\.load"):
        SamAdapter.from_weights(AdapterInfo("sam", "u"), "sam-tiny-test", truncated)


# --- torch-state-dict: catalog entries on random weights in the authors' key layout -----------------------------------


def _keys_and_shapes(name: str) -> list[tuple[str, tuple[int, ...]]]:
    rows = []
    for line in _lines(name):
        key, _, shape = line.partition(" ")
        rows.append((key, tuple(int(s) for s in shape.split(",") if s.strip())))
    return rows


def _random_state(rows, seed: int = 0) -> dict:
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in rows:
        if key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(0)
        elif key.endswith("running_var"):
            state[key] = torch.rand(shape, generator=gen) + 0.5
        else:
            state[key] = torch.randn(shape, generator=gen) * 0.1
    return state


def _entry(model_id: str):
    import yaml

    from registry.schema.model import Model

    return Model.model_validate(yaml.safe_load((REPO / "entries" / "models" / f"{model_id}.yaml").read_text()))


def _dataset(dataset_id: str):
    import yaml

    from registry.schema.dataset import Dataset

    return Dataset.model_validate(yaml.safe_load((REPO / "entries" / "datasets" / f"{dataset_id}.yaml").read_text()))


def test_sononet_entry_runs_the_released_key_layout_with_test_py_preprocessing(tmp_path):
    from registry.bench.adapters import build_for_model

    rows = _keys_and_shapes("sononet16_keys.txt")  # the names and shapes of the released SonoNet16.pth
    path = tmp_path / "SonoNet16.pth"
    torch.save(_random_state(rows), path)  # the port ships a bare state dict (no num_batches_tracked)
    adapter = build_for_model(_entry("sononet"), tmp_path, weights_override=path)
    rng = np.random.default_rng(0)
    grey = (rng.random((300, 400)) * 255).astype(np.uint8)
    rgb = (rng.random((250, 330, 3)) * 255).astype(np.uint8)
    preds = adapter.predict([grey, rgb])
    assert [p.probs.shape for p in preds] == [(14,), (14,)]
    assert all(abs(p.probs.sum() - 1) < 1e-5 and p.label == int(p.probs.argmax()) for p in preds)
    # test.py: grey, 224 x 288, (x - mean) / std * 255, then the network's own softmax
    from PIL import Image

    x = np.asarray(Image.fromarray(grey).resize((288, 224), Image.BILINEAR), np.float32)
    x = (x - x.mean()) / x.std() * 255.0
    with torch.no_grad():
        expected = adapter.module(torch.from_numpy(x)[None, None]).numpy()[0]
    assert np.allclose(preds[0].probs, expected, atol=1e-4)


def test_fpus23_plane_classifier_entry_runs_the_lightning_state_dict(tmp_path):
    from registry.bench import compat
    from registry.bench.adapters import build_for_model

    model = _entry("fpus23-resnet34")
    assert compat.check(model, _dataset("fpus23")).ok  # runnable now: classes, task and weights all fit
    rows = _keys_and_shapes("fpus23_plane8_keys.txt")  # model.conv1.weight ... model.fc.bias
    path = tmp_path / "PLANE_8.pth"
    torch.save(_random_state(rows, seed=1), path)
    adapter = build_for_model(model, tmp_path, weights_override=path)
    image = (np.random.default_rng(1).random((60, 80, 3)) * 255).astype(np.uint8)
    [pred] = adapter.predict([image])
    x = torch.from_numpy(image.astype(np.float32) / 255.0).permute(2, 0, 1)[None]  # ToTensor, no resize
    with torch.no_grad():
        expected = torch.softmax(adapter.module(x), dim=1).numpy()[0]
    assert np.allclose(pred.probs, expected, atol=1e-5) and pred.label == int(expected.argmax())


@pytest.fixture(scope="module")
def deeplab_two_heads() -> dict:
    """A random torchvision-layout DeepLabV3-ResNet50 with 2 outputs, built once (40M parameters)."""
    from registry.bench.adapters.torch_state_dict import build_module

    torch.manual_seed(0)
    return build_module("deeplabv3-resnet50", 2).state_dict()


def test_echonet_measurements_entry_loads_torchvision_deeplab_keys_and_outputs_two_points(tmp_path, deeplab_two_heads):
    from registry.bench.adapters import build_for_model
    from registry.bench.preprocess import Spec

    expected = {k: tuple(v.shape) for k, v in deeplab_two_heads.items()}
    for key, shape in _keys_and_shapes("deeplabv3_resnet50_head_keys.txt"):  # torchvision's names and shapes
        assert expected.get(key) == shape, key
    assert not any(k.startswith(("aux_classifier.", "backbone.fc.")) for k in expected)
    path = tmp_path / "aorta_weights.ckpt"
    torch.save({f"m.{k}": v for k, v in deeplab_two_heads.items()}, path)  # the Lightning wrapper's "m." prefix
    adapter = build_for_model(_entry("echonet-measurements"), tmp_path, weights_override=path)
    assert adapter.output_kind == "points" and adapter.spec.size == (480, 640)
    adapter.spec = Spec(channels=3, size=(48, 64), normalization="zero-one")  # a small frame keeps the test fast
    [pred] = adapter.predict([np.full((96, 128, 3), 80, np.uint8)])
    assert pred.points.shape == (2, 2)
    assert (pred.points >= 0).all() and (pred.points[:, 0] <= 128).all() and (pred.points[:, 1] <= 96).all()


def test_echonet_dynamic_entry_runs_its_dataparallel_checkpoint_with_a_one_channel_head(tmp_path, deeplab_two_heads):
    from registry.bench import compat
    from registry.bench.adapters import WeightsLoadError, build_for_model
    from registry.bench.preprocess import Spec

    model = _entry("echonet-dynamic-model")
    assert compat.check(model, _dataset("echonet-dynamic")).ok
    one = dict(deeplab_two_heads)  # the same network with EchoNet's one-logit head (classifier[-1] replaced)
    one["classifier.4.weight"] = one["classifier.4.weight"][:1].clone()
    one["classifier.4.bias"] = one["classifier.4.bias"][:1].clone()
    path = tmp_path / "deeplabv3_resnet50_random.pt"  # echonet/utils/segmentation.py's save: DataParallel keys
    ckpt = {"epoch": 49, "state_dict": {f"module.{k}": v for k, v in one.items()}, "best_loss": 0.07, "loss": 0.07}
    ckpt["opt_dict"] = {"state": {}, "param_groups": [{"lr": 1e-5, "momentum": 0.9, "params": [0, 1]}]}
    torch.save(ckpt, path)
    adapter = build_for_model(model, tmp_path, weights_override=path)
    assert adapter.spec.size == (112, 112) and adapter.spec.channels == 3
    adapter.spec = Spec(channels=3, size=(48, 48), normalization="per-image")  # a smaller frame keeps the test fast
    image = (np.random.default_rng(3).random((96, 96)) * 255).astype(np.uint8)
    [pred] = adapter.predict([image])
    from PIL import Image

    x = np.asarray(Image.fromarray(image).resize((48, 48), Image.BILINEAR), np.float32)
    x = np.repeat(((x - x.mean()) / x.std())[None], 3, axis=0)  # the grey frame in three channels, standardised
    with torch.no_grad():
        logit = adapter.module(torch.from_numpy(x)[None]).numpy()[0, 0]
    expected = np.asarray(Image.fromarray((logit > 0).astype(np.uint8)).resize((96, 96), Image.NEAREST))
    assert pred.mask.shape == (96, 96) and np.mean(pred.mask == expected) > 0.99
    torch.save({**ckpt, "state_dict": {f"module.{k}": v for k, v in deeplab_two_heads.items()}}, path)
    with pytest.raises(WeightsLoadError, match=r"classifier\.4\.weight \(2, 256, 1, 1\) vs \(1, 256, 1, 1\)"):
        build_for_model(model, tmp_path, weights_override=path)


def test_heatmap_points_are_sigmoid_weighted_centroids_in_x_y_order():
    from registry.bench.adapters.torch_state_dict import heatmap_centroids

    logits = torch.full((1, 2, 20, 30), -40.0)
    logits[0, 0, 4:7, 10:13] = 40.0  # a blob centred at x=11, y=5
    logits[0, 1, 15, 25] = 40.0
    points = heatmap_centroids(torch, logits).numpy()[0]
    assert np.allclose(points, [[11.0, 5.0], [25.0, 15.0]], atol=1e-3)


def test_wrong_or_truncated_state_dicts_are_weights_load_errors(tmp_path):
    from registry.bench.adapters import WeightsLoadError, build_for_model
    from registry.bench.adapters.torch_state_dict import build_module
    from registry.errors import UsageError

    model = _entry("fpus23-resnet34")
    other = tmp_path / "sononet.pth"
    torch.save(_random_state(_keys_and_shapes("sononet16_keys.txt")), other)
    with pytest.raises(WeightsLoadError, match="does not match fpus23-resnet8"):
        build_for_model(model, tmp_path, weights_override=other)
    rows = _keys_and_shapes("fpus23_plane8_keys.txt")
    wide = _random_state(rows)
    wide["model.fc.weight"] = torch.zeros(5, 256)
    wrong = tmp_path / "wrong_head.pth"
    torch.save(wide, wrong)
    with pytest.raises(WeightsLoadError, match=r"differently shaped.*model\.fc\.weight|fc\.weight \(5, 256\)"):
        build_for_model(model, tmp_path, weights_override=wrong)
    good = tmp_path / "PLANE_8.pth"
    torch.save(_random_state(rows), good)
    cut = tmp_path / "PLANE_8_cut.pth"
    cut.write_bytes(good.read_bytes()[:5000])
    with pytest.raises(WeightsLoadError, match=r"does not load with torch\.load"):
        build_for_model(model, tmp_path, weights_override=cut)
    with pytest.raises(UsageError, match="unknown architecture"):
        build_module("resnet-from-yaml", 4)
    from registry.errors import UsregError

    with pytest.raises(UsregError, match=r"format its adapter reads.*pytorch-state-dict"):
        build_for_model(model.model_copy(update={"weights": []}), tmp_path)


def test_runner_scores_a_state_dict_classifier_by_class_name(tmp_path):
    """The runner path (class mapping by name, classification metrics) with the fpus23 entry's adapter."""
    from registry.bench.adapters import build_for_model
    from registry.bench.runner import evaluate
    from registry.formats.sample import Sample
    from tests.bench.helpers import view

    path = tmp_path / "PLANE_8.pth"
    torch.save(_random_state(_keys_and_shapes("fpus23_plane8_keys.txt"), seed=4), path)
    adapter = build_for_model(_entry("fpus23-resnet34"), tmp_path, weights_override=path)
    names = ["AC_PLANE", "BPD_PLANE", "FL_PLANE", "NO_PLANE"]
    rng = np.random.default_rng(3)
    samples = [Sample(f"s{i}", (rng.random((40, 56, 3)) * 255).astype(np.uint8), label=names[i % 4]) for i in range(8)]
    out = evaluate(adapter, view(samples, labels=names, targets={}), n_boot=0)
    metrics = {m.name: m.value for m in out.metrics}
    predicted = [names[p.label] for p in adapter.predict([s.image for s in samples])]
    expected = np.mean([p == s.label for p, s in zip(predicted, samples, strict=True)])
    assert out.task == "classification" and metrics["accuracy"] == pytest.approx(expected)


# --- checkpoints with framework metadata ------------------------------------------------------------------------------

CODE_RAN: list[str] = []


class TrainingLogEntry:
    """Stands for a framework object pickled next to the weights (e.g. MMEngine's HistoryBuffer)."""

    def __init__(self, values):
        self.values = values

    def __setstate__(self, state):
        CODE_RAN.append("setstate")  # must never run while usreg reads a checkpoint
        self.__dict__.update(state)


def test_checkpoint_metadata_of_other_classes_is_dropped_without_running_its_code(tmp_path):
    from registry.bench.adapters.checkpoint import Placeholder
    from registry.bench.adapters.sam_adapter import read_state_dict
    from registry.errors import UsregError

    weights = {"conv.weight": torch.randn(2, 1, 3, 3), "conv.bias": torch.zeros(2)}
    path = tmp_path / "epoch_12.pth"
    meta = {"hub": TrainingLogEntry([0.5, 0.4]), "acc": np.float64(0.91), "cfm": np.eye(2)}
    torch.save({"meta": meta, "message_hub": TrainingLogEntry([1]), "state_dict": weights}, path)
    CODE_RAN.clear()
    state = read_state_dict(path)
    assert set(state) == set(weights) and all(torch.equal(state[k], weights[k]) for k in weights)
    assert CODE_RAN == []
    from registry.bench.adapters.checkpoint import load_tensors

    raw = load_tensors(path)
    assert isinstance(raw["message_hub"], Placeholder) and isinstance(raw["meta"]["acc"], Placeholder)
    bad = tmp_path / "bad.pth"
    torch.save({"conv.weight": torch.zeros(1), "history": TrainingLogEntry([2])}, bad)
    with pytest.raises(UsregError, match="not tensors"):
        read_state_dict(bad)
    assert CODE_RAN == []


class TrainingWrapper(torch.nn.Module):
    """A module class of some training library: unpickling it for real would run its __setstate__."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
        self.register_buffer("scratch", torch.zeros(1), persistent=False)

    def __setstate__(self, state):
        CODE_RAN.append("module setstate")  # must never run while usreg reads a checkpoint
        super().__setstate__(state)


def test_a_pickled_module_gives_its_state_dict_without_running_its_classes(tmp_path):
    from registry.bench.adapters.module_pickle import Record, load_records, read_weights

    net = TrainingWrapper()
    path = tmp_path / "model.pth"
    torch.save(net, path)
    CODE_RAN.clear()
    assert isinstance(load_records(path), Record)
    state = read_weights(path)
    assert CODE_RAN == []
    expected = net.state_dict()  # body.0.weight ... body.1.num_batches_tracked; the non-persistent buffer is left out
    assert list(state) == list(expected) and "scratch" not in state
    assert all(torch.equal(state[k], v) for k, v in expected.items())
    torch.save({"epoch": 3, "model": net}, path)  # a module inside a training checkpoint
    assert set(read_weights(path)) == set(expected) and CODE_RAN == []


def test_ultrasam_refinement_decodes_again_with_mask_and_box_prompts(tmp_path):
    """options.refine: UltraSam's second pass (first mask's logits as mask prompt, the point replaced by the first
    mask's box, best of three masks by predicted IoU), checked against SamModel called by hand."""
    from safetensors.torch import save_file

    from registry.bench.adapters.sam_adapter import SamAdapter

    path = tmp_path / "tiny.safetensors"
    save_file(_tiny_sam_state(seed=7), str(path))
    plain = SamAdapter.from_weights(AdapterInfo("sam", "p"), "sam-tiny-test", path)
    refined = SamAdapter.from_weights(AdapterInfo("sam", "r"), "sam-tiny-test", path, refine=True)
    image = (np.random.default_rng(5).random((128, 128)) * 255).astype(np.uint8)  # input size: no rescaling
    prompt = make_prompt(_disc(128, 128, 60, 64, 20), PromptSettings(kind="point"), np.random.default_rng(0))
    [first] = plain.predict_prompted(image, [prompt])
    [answer] = refined.predict_prompted(image, [prompt])
    model, enc = plain.model, plain._encode(plain._rgb(image))
    with torch.no_grad():
        emb = model.get_image_embeddings(enc["pixel_values"])
        points = torch.tensor(prompt.points, dtype=torch.float32)[None, None]
        labels = torch.tensor(prompt.labels)[None, None]
        one = model(image_embeddings=emb, input_points=points, input_labels=labels, multimask_output=False)
        ys, xs = np.nonzero(first.mask)
        if xs.size == 0:
            assert np.array_equal(answer.mask, first.mask)
            return
        box = torch.tensor([[[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]]], dtype=torch.float32)
        two = model(
            image_embeddings=emb, input_boxes=box, input_masks=one.pred_masks[0, :, 0][None], multimask_output=True
        )
    best = int(two.iou_scores[0, 0].argmax())
    expected = plain.processor.post_process_masks(
        two.pred_masks[:, :, best : best + 1], enc["original_sizes"], enc["reshaped_input_sizes"], binarize=True
    )[0][0, 0].numpy()
    assert np.array_equal(answer.mask, expected) and answer.score == pytest.approx(float(two.iou_scores[0, 0, best]))


# --- usreg bench picks the adapter ------------------------------------------------------------------------------------


def test_usreg_bench_runs_a_state_dict_model_and_reports_a_broken_checkpoint(
    tmp_path, catalog_root, run_cli, usreg_home, deeplab_two_heads
):
    import json
    import shutil

    from registry.index import RegistryIndex
    from registry.loaders.pipeline import convert_entry
    from tests.conftest import minimal_model
    from tests.fixtures.builders import bus_bra
    from tests.loaders.conftest import make_entry

    fx = bus_bra.build(tmp_path / "src")
    convert_entry(make_entry("bus-bra", "bus-bra"), fx.root, usreg_home, "1", workers=1)
    shutil.copy(REPO / "entries/datasets/bus-bra.yaml", catalog_root.root / "entries/datasets/bus-bra.yaml")
    catalog_root.model(
        minimal_model(
            "lesion-deeplab",
            anatomy=["breast"],
            input={"channels": 3, "size": [64, 64], "normalization": "imagenet"},
            output={"kind": "mask", "classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "lesion"}],
                    "activation": "softmax"},
            adapter={"name": "torch-state-dict", "options": {"architecture": "deeplabv3-resnet50", "num_outputs": 2}},
        )
    )  # fmt: skip
    state = {f"module.{k}": v for k, v in deeplab_two_heads.items()}
    weights = tmp_path / "best.pt"  # EchoNet-style: DataParallel keys, training metadata next to them
    torch.save({"epoch": 3, "best_loss": np.float64(0.2), "state_dict": state}, weights)
    args = ("bench", "bus-bra", "--model", "lesion-deeplab", "--bootstrap", "0", "--format", "json")
    result = run_cli(*args, "--weights", f"lesion-deeplab={weights}", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    [run] = json.loads(result.stdout)["runs"]
    assert run["status"] == "ok", run
    rows = [r for r in RegistryIndex(catalog_root.root).bench_results() if r["model_id"] == "lesion-deeplab"]
    assert "dice" in {r["metric"] for r in rows}

    cut = tmp_path / "cut.pt"
    cut.write_bytes(weights.read_bytes()[:100_000])
    broken = run_cli(*args, "--weights", f"lesion-deeplab={cut}", root=catalog_root.root)
    assert "Traceback" not in broken.output and "does not load with torch.load" in broken.output
    assert broken.exit_code == 1 and json.loads(broken.stdout)["runs"][0]["status"] == "failed"


def test_us_ucl_entry_runs_its_fine_tuned_checkpoint_with_resize_and_centre_crop(tmp_path):
    from PIL import Image

    from registry.bench import compat
    from registry.bench.adapters import build_for_model
    from registry.bench.adapters.torch_state_dict import build_module
    from registry.bench.weights import runnable_weights

    model = _entry("us-ucl")
    assert compat.check(model, _dataset("gbcu")).ok
    assert runnable_weights(model) is model.weights[1]  # the GB fine-tuned checkpoint, not the pretrained one
    torch.manual_seed(2)
    state = build_module("resnet50-mlp256", 3).state_dict()
    assert {"fc.0.weight", "fc.3.weight"} <= set(state) and tuple(state["fc.3.weight"].shape) == (3, 256)
    path = tmp_path / "model_best.pth.tar"  # lincls_bin.save_checkpoint: numpy metrics next to the state dict
    torch.save({"epoch": 30, "arch": "resnet50", "state_dict": state, "metrics": [np.float64(0.9)] * 3}, path)
    adapter = build_for_model(model, tmp_path, weights_override=path)
    image = (np.random.default_rng(2).random((120, 200, 3)) * 255).astype(np.uint8)
    [pred] = adapter.predict([image])
    square = image[:, 40:160]  # the centred 120 x 120 square
    x = np.asarray(Image.fromarray(square).resize((224, 224), Image.BILINEAR), np.float32) / 255.0
    x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    with torch.no_grad():
        expected = torch.softmax(adapter.module(torch.from_numpy(x).permute(2, 0, 1)[None]), dim=1).numpy()[0]
    assert np.allclose(pred.probs, expected, atol=1e-4)
    bad = model.model_copy(update={"adapter": model.adapter.model_copy(update={"options": {"weights_index": 7}})})
    from registry.errors import UsregError

    with pytest.raises(UsregError, match="weights_index=7"):
        runnable_weights(bad)
    from registry.bench.adapters.base import AdapterInfo as Info
    from registry.bench.adapters.torch_state_dict import TorchStateDictAdapter
    from registry.bench.preprocess import Spec

    with pytest.raises(UsregError, match="classifiers only"):
        options = {"architecture": "fpus23-resnet8", "num_outputs": 2, "center_crop": True}
        TorchStateDictAdapter(Info("torch-state-dict", "m", options=options), None, Spec(channels=3), "mask", [], None)


# --- UltraBones100k: the pickled smp.FPN module, read without segmentation_models_pytorch --------------------------

_SMP_CLASSES = {  # usreg's module class -> where segmentation_models_pytorch (and torchvision) define theirs
    "FPN": "segmentation_models_pytorch.decoders.fpn.model",
    "Decoder": "segmentation_models_pytorch.decoders.fpn.decoder",
    "Skip": "segmentation_models_pytorch.decoders.fpn.decoder",
    "SegBlock": "segmentation_models_pytorch.decoders.fpn.decoder",
    "ConvGNReLU": "segmentation_models_pytorch.decoders.fpn.decoder",
    "ResNet": "segmentation_models_pytorch.encoders.resnet",
    "BasicBlock": "torchvision.models.resnet",
}


def _save_as_pickled_module(module, path: Path, monkeypatch) -> None:
    """torch.save(module, path) as train_lightning.py does, with every class named as the authors' libraries name it
    (modules registered in sys.modules only while pickling), so the file's GLOBALs are smp's and torchvision's."""
    import sys
    import types

    renamed: dict[type, tuple[str, str]] = {}
    with monkeypatch.context() as patch:
        try:
            for sub in module.modules():
                cls = type(sub)
                target = _SMP_CLASSES.get(cls.__name__)
                if target is None or not cls.__module__.startswith("registry") or cls in renamed:
                    continue
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    name = ".".join(parts[:i])
                    if name not in sys.modules:
                        patch.setitem(sys.modules, name, types.ModuleType(name))
                renamed[cls] = (cls.__module__, cls.__qualname__)
                cls.__module__, cls.__qualname__ = target, cls.__name__
                patch.setattr(sys.modules[target], cls.__name__, cls, raising=False)
            torch.save(module, path)
        finally:
            for cls, (mod, qual) in renamed.items():
                cls.__module__, cls.__qualname__ = mod, qual


@pytest.fixture(scope="module")
def bone_fpn():
    from registry.bench.adapters.torch_state_dict import build_module

    torch.manual_seed(5)
    return build_module("smp-fpn-resnet34-1ch", 1).eval()


def test_ultrabones_entry_runs_the_pickled_smp_fpn_without_importing_it(tmp_path, monkeypatch, bone_fpn):
    import sys

    from PIL import Image

    from registry.bench import compat
    from registry.bench.adapters import build_for_model
    from registry.bench.adapters.module_pickle import _pickled_globals

    model = _entry("ultrabones100k-segmentation")
    assert compat.check(model, _dataset("ultrabones100k")).ok
    path = tmp_path / "epoch_100.pth"
    _save_as_pickled_module(bone_fpn, path, monkeypatch)
    names = _pickled_globals(path)
    assert (
        "segmentation_models_pytorch.decoders.fpn.model.FPN" in names
        and "torchvision.models.resnet.BasicBlock" in names
    )
    assert not any(k.startswith("segmentation_models_pytorch") for k in sys.modules)
    adapter = build_for_model(model, tmp_path, weights_override=path)
    assert not any(k.startswith(("segmentation_models_pytorch", "torchvision.models")) for k in sys.modules)
    loaded = adapter.module.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in bone_fpn.state_dict().items())
    image = (np.random.default_rng(6).random((120, 160)) * 255).astype(np.uint8)
    [pred] = adapter.predict([image])
    # predict_on_images.py: grey, 256 x 256 bilinear, normalise, sigmoid > 0.5, back to the image size
    x = np.asarray(Image.fromarray(image).resize((256, 256), Image.BILINEAR), np.float32) / 255.0
    x = (x - 0.17475835978984833) / 0.16475939750671387
    with torch.no_grad():
        prob = torch.sigmoid(bone_fpn(torch.from_numpy(x)[None, None])).numpy()[0, 0]
    small = (prob > 0.5).astype(np.uint8)
    expected = np.asarray(Image.fromarray(small).resize((160, 120), Image.NEAREST))
    assert pred.mask.shape == (120, 160) and set(np.unique(pred.mask)) <= {0, 1}
    assert np.mean(pred.mask == expected) > 0.99  # the runner resizes probabilities, then thresholds


def test_pickled_modules_of_another_network_or_cut_short_are_weights_load_errors(tmp_path, monkeypatch, bone_fpn):
    from registry.bench.adapters import WeightsLoadError, build_for_model
    from registry.bench.adapters.torch_state_dict import build_module

    model = _entry("ultrabones100k-segmentation")
    other = tmp_path / "resnet.pth"
    _save_as_pickled_module(build_module("fpus23-resnet8", 4), other, monkeypatch)
    with pytest.raises(WeightsLoadError, match="does not match smp-fpn-resnet34-1ch"):
        build_for_model(model, tmp_path, weights_override=other)
    path = tmp_path / "epoch_100.pth"
    _save_as_pickled_module(bone_fpn, path, monkeypatch)
    cut = tmp_path / "epoch_100_cut.pth"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    with pytest.raises(WeightsLoadError, match=r"does not load with torch\.load"):
        build_for_model(model, tmp_path, weights_override=cut)


# --- MI-SegNet: encoder and decoder state dicts side by side ------------------------------------------------------


def test_mi_segnet_full_size_keys_are_the_notebooks_seg_encoder_and_decoder():
    from registry.bench.adapters.torch_state_dict import build_module

    with torch.device("meta"):  # shapes only, no memory: Seg_encoder_LM(1, 64, 2) + Seg_decoder_LM(1, 64, 2)
        shapes = {k: tuple(v.shape) for k, v in build_module("mi-segnet", 1).state_dict().items()}
    assert shapes["encoder.0.weight"] == (64, 1, 7, 7)
    assert shapes["encoder.4.res_layer.0.downsample.0.weight"] == (128, 64, 1, 1)
    assert shapes["encoder.7.res_layer.1.conv2.weight"] == (1024, 1024, 3, 3)
    assert shapes["encoder.7.res_layer.1.conv2.bias"] == (1024,)  # Res_block's convolutions keep their bias
    assert shapes["decoder.0.block.0.weight"] == (1024, 512, 2, 2)  # ConvTranspose2d(16f, 8f, 2, 2)
    assert shapes["decoder.9.res_layer.1.bn2.running_var"] == (64,)
    assert shapes["decoder.10.weight"] == (1, 64, 1, 1) and "decoder.11.weight" not in shapes  # conv, then sigmoid


def _tiny_mi_segnet(monkeypatch):
    """The same network at an eighth of its width (8 features), registered under the entry's architecture name."""
    from registry.bench.adapters import architectures as arch

    tiny = arch.Architecture(lambda n: arch._mi_segnet(n, features=8), 1, "MI-SegNet, 8 features (test)")
    monkeypatch.setitem(arch.ARCHITECTURES, "mi-segnet", tiny)
    torch.manual_seed(8)
    return tiny.build(1).eval()


def test_mi_segnet_entry_merges_the_checkpoints_encoder_and_decoder(tmp_path, monkeypatch):
    from PIL import Image

    from registry.bench import compat
    from registry.bench.adapters import WeightsLoadError, build_for_model
    from registry.bench.preprocess import Spec

    model = _entry("mi-segnet")
    assert compat.check(model, _dataset("cca-mi-segnet")).ok
    net = _tiny_mi_segnet(monkeypatch)
    state = net.state_dict()
    encoder = {k: v for k, v in state.items() if k.startswith("encoder.")}
    decoder = {k: v for k, v in state.items() if k.startswith("decoder.")}
    ckpt = {  # train_MI_SegNet.save_checkpoint: five networks, five optimisers, the best loss
        "epoch": 30,
        "best_test_loss": torch.tensor(0.1858),
        "state_dict_rec_en": {"encoder.0.weight": torch.zeros(8, 1, 3, 3)},
        "state_dict_seg_en": encoder,
        "state_dict_seg_de": decoder,
        "optimizer_seg_en": {"state": {}, "param_groups": [{"lr": 1e-5, "params": [0, 1]}]},
    }
    path = tmp_path / "model_best.pth"
    torch.save(ckpt, path)
    adapter = build_for_model(model, tmp_path, weights_override=path)
    assert adapter.spec.size == (256, 256) and adapter.spec.channels == 1
    adapter.spec = Spec(channels=1, size=(64, 64), normalization="minus-one-one")  # a smaller input keeps it fast
    image = (np.random.default_rng(9).random((90, 110, 3)) * 255).astype(np.uint8)
    [pred] = adapter.predict([image])
    # Model Testing.ipynb: grey, /255, Normalize(0.5, 0.5) (at 256 x 256); the decoder ends in a sigmoid
    grey = np.asarray(Image.fromarray(image).convert("L").resize((64, 64), Image.BILINEAR), np.float32)
    with torch.no_grad():
        prob = net(torch.from_numpy(grey / 127.5 - 1.0)[None, None]).numpy()[0, 0]
    expected = np.asarray(Image.fromarray((prob > 0.5).astype(np.uint8)).resize((110, 90), Image.NEAREST))
    assert pred.mask.shape == (90, 110) and np.mean(pred.mask == expected) > 0.99
    del ckpt["state_dict_seg_de"]
    half = tmp_path / "encoder_only.pth"
    torch.save(ckpt, half)
    with pytest.raises(WeightsLoadError, match="no state dict under state_dict_seg_de"):
        build_for_model(model, tmp_path, weights_override=half)
    swapped = tmp_path / "swapped.pth"
    torch.save({**ckpt, "state_dict_seg_de": encoder}, swapped)
    with pytest.raises(WeightsLoadError, match="repeats keys"):
        build_for_model(model, tmp_path, weights_override=swapped)


# --- which catalog models the runner can execute ------------------------------------------------------------------


def test_catalog_has_ten_runnable_models_and_every_declared_adapter_resolves():
    import yaml

    from registry.bench.runnability import runnable
    from registry.schema.model import Model

    verdicts = {}
    for path in sorted((REPO / "entries" / "models").glob("*.yaml")):
        model = Model.model_validate(yaml.safe_load(path.read_text()))
        verdicts[model.id] = (model, runnable(model))
    declared = {k: v for k, (m, v) in verdicts.items() if m.adapter is not None}
    assert all(v.ok for v in declared.values()), {k: str(v) for k, v in declared.items() if not v.ok}
    weights_run = {k for k, v in declared.items() if v.ok and v.adapter != "builtin"}
    assert len(weights_run) >= 10, sorted(weights_run)
    assert {"ultrabones100k-segmentation", "mi-segnet", "echonet-dynamic-model"} <= weights_run
    uscl = verdicts["uscl"][1]
    assert not uscl.ok and "no adapter naming their architecture" in uscl.detail


def test_runnable_verdict_names_what_is_missing():
    from registry.bench.runnability import runnable

    model = _entry("ultrabones100k-segmentation")
    assert str(runnable(model)).startswith("yes, adapter torch-state-dict (architecture smp-fpn-resnet34-1ch")
    adapter = model.adapter.model_copy(update={"options": {"architecture": "unet-from-somewhere"}})
    verdict = runnable(model.model_copy(update={"adapter": adapter}))
    assert not verdict.ok and "not in the torch-state-dict allow-list" in verdict.detail
    verdict = runnable(model.model_copy(update={"weights": []}))
    assert not verdict.ok and "no weights in a format the torch-state-dict adapter reads" in verdict.detail
