"""Promptable segmentation: prompt derivation, mAP against pycocotools on hand-made cases, the SAM adapter on a tiny
randomly initialised SAM (no download), its key mappings, and `usreg bench --protocol` end to end."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from registry.bench.adapters.base import AdapterInfo, PromptableAdapter, PromptedMask
from registry.bench.prompted import evaluate_prompted
from registry.bench.prompts import PromptSettings, centroid, make_prompt, sample_rng, tight_box
from registry.formats.sample import Sample
from tests.bench.helpers import view

DATA = Path(__file__).parent / "data"


def c_shape(size: int = 40) -> np.ndarray:
    """A concave 'C': its centroid lies in the opening, off the object."""
    m = np.zeros((size, size), bool)
    m[5:35, 5:12] = True
    m[5:12, 5:35] = True
    m[28:35, 5:35] = True
    return m


def disc(h: int, w: int, cy: int, cx: int, r: int) -> np.ndarray:
    yy, xx = np.ogrid[:h, :w]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


# --- prompt derivation -------------------------------------------------------------------------------------------


def test_center_point_lies_inside_even_when_the_centroid_does_not():
    mask = c_shape()
    cx, cy = centroid(mask)
    assert not mask[round(cy), round(cx)]  # UltraSam's raw centroid misses a concave object
    prompt = make_prompt(mask, PromptSettings(kind="point"), np.random.default_rng(0))
    (x, y) = prompt.points[0]
    assert mask[int(y), int(x)] and list(prompt.labels) == [1]
    raw = make_prompt(mask, PromptSettings(kind="point", point_mode="centroid"), np.random.default_rng(0))
    assert tuple(raw.points[0]) == pytest.approx((cx, cy))


def test_random_points_are_interior_and_seeded():
    mask = c_shape()
    settings = PromptSettings(kind="point", point_mode="random", points_per_instance=5, seed=7)
    first = make_prompt(mask, settings, sample_rng(settings, "s1"))
    again = make_prompt(mask, settings, sample_rng(settings, "s1"))
    other = make_prompt(mask, settings, sample_rng(settings, "s2"))
    assert len(first.points) == 5 and all(mask[int(y), int(x)] for x, y in first.points)
    assert np.array_equal(first.points, again.points) and not np.array_equal(first.points, other.points)


def test_box_is_the_coco_bounding_box_without_jitter():
    from pycocotools import mask as mask_utils

    mask = disc(60, 80, 30, 40, 12)
    prompt = make_prompt(mask, PromptSettings(kind="box"), np.random.default_rng(0))
    x, y, w, h = mask_utils.toBbox(mask_utils.encode(np.asfortranarray(mask.astype(np.uint8))))
    assert prompt.box == pytest.approx((x, y, x + w, y + h)) == tight_box(mask)


def test_box_jitter_is_bounded_seeded_and_inside_the_image():
    mask = disc(60, 80, 30, 40, 12)
    settings = PromptSettings(kind="box", jitter=0.1, seed=3)
    a = make_prompt(mask, settings, sample_rng(settings, "x")).box
    b = make_prompt(mask, settings, sample_rng(settings, "x")).box
    tight = tight_box(mask)
    assert a == b and a != tight
    width, height = tight[2] - tight[0], tight[3] - tight[1]
    assert all(abs(p - q) <= 0.1 * s + 1e-9 for p, q, s in zip(a, tight, (width, height, width, height), strict=True))
    assert 0 <= a[0] < a[2] <= 80 and 0 <= a[1] < a[3] <= 60


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        PromptSettings(kind="scribble")
    with pytest.raises(ValueError):
        PromptSettings(jitter=0.9)
    with pytest.raises(ValueError):
        PromptSettings.for_protocol("prompts-lasso")


# --- metrics against pycocotools ------------------------------------------------------------------------------------


class OracleAdapter(PromptableAdapter):
    """Answers each prompt with a prepared mask and score, in order."""

    def __init__(self, answers: dict[str, list[tuple[np.ndarray, float]]]) -> None:
        super().__init__(AdapterInfo(name="oracle", model_id="oracle"))
        self.answers = answers
        self.calls: list[tuple[str, list]] = []
        self.current = ""

    def predict_prompted(self, image, prompts):
        self.calls.append((self.current, list(prompts)))
        return [PromptedMask(m, s) for m, s in self.answers[self.current][: len(prompts)]]


class _Samples(list):
    def __init__(self, samples, adapter):
        super().__init__(samples)
        self.adapter = adapter

    def __iter__(self):
        for s in list.__iter__(self):
            self.adapter.current = s.sample_id
            yield s


def _sample(sample_id: str, label_map: np.ndarray) -> Sample:
    return Sample(
        sample_id=sample_id,
        split="test",
        subject_id=None,
        image=np.zeros(label_map.shape, np.uint8),
        masks={"lesion": label_map.astype(np.uint8)},
    )


def _pycocotools_segm(gts: list[list[np.ndarray]], preds: list[list[tuple[np.ndarray, float]]], shape) -> tuple:
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def rle(m):
        r = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
        r["counts"] = r["counts"].decode()
        return r

    images = [{"id": i, "height": shape[0], "width": shape[1]} for i in range(len(gts))]
    gt_anns, dt_anns = [], []
    for i, (g, p) in enumerate(zip(gts, preds, strict=True)):
        for m in g:
            r = rle(m)
            bbox = list(mask_utils.toBbox(r))
            gt_anns.append(
                dict(
                    id=len(gt_anns) + 1,
                    image_id=i,
                    category_id=1,
                    iscrowd=0,
                    segmentation=r,
                    area=float(m.sum()),
                    bbox=bbox,
                )
            )
        for m, s in p:
            r = rle(m)
            dt_anns.append(
                dict(
                    id=len(dt_anns) + 1,
                    image_id=i,
                    category_id=1,
                    segmentation=r,
                    score=s,
                    area=float(m.sum()),
                    bbox=list(mask_utils.toBbox(r)),
                )
            )
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "categories": [{"id": 1, "name": "object"}], "annotations": gt_anns}
        gt.createIndex()
        dt = gt.loadRes(dt_anns)
        ev = COCOeval(gt, dt, "segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(ev.stats[0]), float(ev.stats[1])


def test_map_and_dice_match_pycocotools_on_hand_made_cases():
    shape = (64, 64)
    a, b = disc(*shape, 20, 20, 8), disc(*shape, 44, 44, 10)  # two instances, one image
    c = disc(*shape, 32, 32, 12)
    label_1 = a.astype(np.uint8) + 2 * b.astype(np.uint8)  # two classes: the protocol is class-agnostic
    label_2 = c.astype(np.uint8)
    shifted = np.roll(b, 3, axis=1)  # IoU about 0.7: counts at .5 and .7, not above
    answers = {"one": [(a, 0.9), (shifted, 0.8)], "two": [(disc(*shape, 32, 34, 12), 0.6)]}
    adapter = OracleAdapter(answers)
    samples = _Samples([_sample("one", label_1), _sample("two", label_2)], adapter)
    out = evaluate_prompted(adapter, view(samples, targets={"lesion": ["bg", "x", "y"]}), PromptSettings(), n_boot=0)
    got = {m.name: m.value for m in out.metrics}
    want_map, want_map50 = _pycocotools_segm([[a, b], [c]], [answers["one"], answers["two"]], shape)
    assert got["map"] == pytest.approx(want_map) and got["map50"] == pytest.approx(want_map50)
    assert 0 < got["map"] < 1 and got["map50"] == pytest.approx(1.0)
    dices = [
        1.0,
        2 * (shifted & b).sum() / (shifted.sum() + b.sum()),
        2 * (disc(*shape, 32, 34, 12) & c).sum() / (2 * c.sum()),
    ]
    assert got["instance_dice"] == pytest.approx(np.mean(dices))
    assert [len(p) for _, p in adapter.calls] == [2, 1]  # one prompt per instance, both classes
    assert out.task == "prompted-segmentation" and out.images == 2


def test_perfect_answers_score_one():
    shape = (48, 48)
    a = disc(*shape, 20, 24, 9)
    adapter = OracleAdapter({"p": [(a, 0.99)]})
    samples = _Samples([_sample("p", a.astype(np.uint8))], adapter)
    out = evaluate_prompted(
        adapter, view(samples, targets={"lesion": ["bg", "x"]}), PromptSettings(kind="box"), n_boot=0
    )
    got = {m.name: m.value for m in out.metrics}
    assert got["map"] == pytest.approx(1.0) and got["map50"] == pytest.approx(1.0) and got["instance_dice"] == 1.0


# --- the SAM adapter on a tiny random SAM -------------------------------------------------------------------------

torch = pytest.importorskip("torch", reason="the SAM adapter needs torch (pip install 'usreg[bench]')")
transformers = pytest.importorskip("transformers", reason="the SAM adapter needs transformers (usreg[bench])")


def _tiny_state(tmp_path: Path, seed: int = 0) -> tuple[Path, dict]:
    from safetensors.torch import save_file

    from registry.bench.adapters.sam_adapter import build_model

    torch.manual_seed(seed)
    state = {k: v.contiguous() for k, v in build_model("sam-tiny-test").state_dict().items()}
    state.pop("prompt_encoder.shared_embedding.positional_embedding", None)  # stored once, as the Hub does
    path = tmp_path / "tiny-sam.safetensors"
    save_file(state, str(path))
    return path, state


def _sam(path: Path):
    from registry.bench.adapters.sam_adapter import SamAdapter

    return SamAdapter.from_weights(AdapterInfo("sam", "tiny-sam"), "sam-tiny-test", path)


def test_sam_adapter_answers_point_and_box_prompts_at_the_original_size(tmp_path):
    path, _ = _tiny_state(tmp_path)
    adapter = _sam(path)
    image = (np.random.default_rng(1).random((90, 150)) * 255).astype(np.uint8)
    inst = disc(90, 150, 40, 60, 15)
    rng = np.random.default_rng(0)
    for settings in (PromptSettings(kind="point", points_per_instance=2), PromptSettings(kind="box")):
        answers = adapter.predict_prompted(
            image, [make_prompt(inst, settings, rng), make_prompt(c_shape(), settings, rng)]
        )
        assert len(answers) == 2
        assert all(a.mask.shape == (90, 150) and a.mask.dtype == bool and np.isfinite(a.score) for a in answers)


def test_sam_weights_in_segment_anything_layout_load_to_the_same_model(tmp_path):
    """Meta's key names (listed from segment_anything.modeling) map onto SamModel: every key, and equal outputs."""
    from registry.bench.adapters.sam_adapter import map_segment_anything_keys

    path, hf_state = _tiny_state(tmp_path, seed=5)
    sa_keys = [k for k in (DATA / "segment_anything_tiny_keys.txt").read_text().splitlines() if k and k[0] != "#"]
    mapped = map_segment_anything_keys({k: k for k in sa_keys})
    assert set(mapped) == set(hf_state)  # every segment-anything key has its SamModel name, and no key is left over
    sa_state = {sa: hf_state[hf] for hf, sa in mapped.items()}
    sa_path = tmp_path / "sam_tiny_segment_anything.pth"
    torch.save({"model": sa_state}, sa_path)
    image = (np.random.default_rng(2).random((64, 64)) * 255).astype(np.uint8)
    prompt = make_prompt(disc(64, 64, 30, 30, 10), PromptSettings(kind="box"), np.random.default_rng(0))
    a = _sam(path).predict_prompted(image, [prompt])[0]
    b = _sam(sa_path).predict_prompted(image, [prompt])[0]
    assert np.array_equal(a.mask, b.mask) and a.score == pytest.approx(b.score)


def test_sam_weights_that_do_not_fit_are_a_clear_error(tmp_path):
    from registry.errors import UsregError

    _, state = _tiny_state(tmp_path)
    other = tmp_path / "other.pth"
    torch.save({"backbone.patch_embed.weight": torch.zeros(1)}, other)
    with pytest.raises(UsregError, match="MMDetection"):
        _sam(other)
    state["vision_encoder.pos_embed"] = torch.zeros(1, 2, 2, 32)
    wrong = tmp_path / "wrong.pth"
    torch.save(state, wrong)
    with pytest.raises(UsregError, match="does not fit sam-tiny-test"):
        _sam(wrong)
    junk = tmp_path / "junk.pth"
    torch.save({"unrelated": torch.zeros(1)}, junk)
    with pytest.raises(UsregError, match="unrecognised SAM weights"):
        _sam(junk)


# --- end to end: usreg bench --protocol on a converted BUS-BRA fixture -----------------------------------------------


def test_bench_prompt_protocols_store_map_and_prompt_provenance(tmp_path, catalog_root, run_cli, usreg_home):
    from registry.index import RegistryIndex
    from registry.loaders.pipeline import convert_entry
    from tests.conftest import REPO_ROOT, minimal_model
    from tests.fixtures.builders import bus_bra
    from tests.loaders.conftest import make_entry

    fx = bus_bra.build(tmp_path / "src")
    convert_entry(make_entry("bus-bra", "bus-bra"), fx.root, usreg_home, "1", workers=1)
    shutil.copy(REPO_ROOT / "entries/datasets/bus-bra.yaml", catalog_root.root / "entries/datasets/bus-bra.yaml")
    weights, _ = _tiny_state(tmp_path)
    catalog_root.model(
        minimal_model(
            "tiny-sam",
            tasks=["segmentation"],
            anatomy=["breast"],
            evaluated_on=["bus-bra"],
            adapter={"name": "sam", "options": {"architecture": "sam-tiny-test"}},
            output={"kind": "mask"},
        )
    )
    for protocol in ("prompts-point", "prompts-box"):
        result = run_cli(
            "bench", "bus-bra", "--model", "tiny-sam", "--protocol", protocol, "--weights", f"tiny-sam={weights}",
            "--bootstrap", "0", "--format", "json", root=catalog_root.root,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        [run] = json.loads(result.stdout)["runs"]
        assert run["status"] == "ok", run
    rows = [r for r in RegistryIndex(catalog_root.root).bench_results() if r["model_id"] == "tiny-sam"]
    metrics = {r["metric"] for r in rows}
    assert {"map", "map50", "instance_dice"} <= metrics
    details = [json.loads(r["detail"]) for r in rows if r["metric"] == "map"]
    assert {d["protocol"] for d in details} == {"prompts-point", "prompts-box"}
    assert all(d["prompts"]["seed"] == 0 and d["prompts"]["kind"] in ("point", "box") for d in details)
    board = run_cli("leaderboard", "bus-bra", "--format", "json", root=catalog_root.root)
    assert board.exit_code == 0 and "tiny-sam" in board.stdout and "map50" in board.stdout
    refused = run_cli(
        "bench", "bus-bra", "--baseline", "all-background", "--protocol", "prompts-box", "--format", "json",
        root=catalog_root.root,
    )  # fmt: skip
    assert "does not take prompts" in refused.output


def test_medsam_preprocessing_is_a_square_resize_scaled_to_unit_range(tmp_path):
    """MedSAM_Inference.py: resize to 1024x1024 (here the tiny input size), min-max to [0, 1], no mean/std."""
    from registry.bench.adapters.sam_adapter import SamAdapter

    path, _ = _tiny_state(tmp_path)
    adapter = SamAdapter.from_weights(AdapterInfo("sam", "m"), "sam-tiny-test", path, preprocess="medsam")
    image = (np.random.default_rng(4).random((50, 200)) * 200 + 20).astype(np.uint8)
    enc = adapter._encode(np.repeat(image[..., None], 3, axis=2))
    assert tuple(enc["pixel_values"].shape) == (1, 3, 128, 128)
    assert float(enc["pixel_values"].min()) == 0.0 and float(enc["pixel_values"].max()) == pytest.approx(1.0)
    prompt = make_prompt(disc(50, 200, 25, 100, 10), PromptSettings(kind="box"), np.random.default_rng(0))
    [answer] = adapter.predict_prompted(image, [prompt])
    assert answer.mask.shape == (50, 200)
    with pytest.raises(Exception, match="unknown SAM preprocessing"):
        SamAdapter.from_weights(AdapterInfo("sam", "m"), "sam-tiny-test", path, preprocess="imagenet-ish")
