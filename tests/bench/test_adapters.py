"""Preprocessing from the input spec, the ONNX adapter (models built with the onnx package), the baselines, weights
checksums and the registry-verification forward check."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from registry.bench import preprocess as pp
from registry.bench.adapters import WeightsLoadError, build_builtin, build_for_model
from registry.bench.adapters.base import OutputClass
from registry.bench.adapters.baselines import otsu_threshold
from registry.errors import UsregError
from tests.bench import onnx_models
from tests.bench.helpers import onnx_model_entry


def test_channels_and_normalizations():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    assert pp.to_channels(grey, 3).shape == (3, 4, 3)
    rgb = np.stack([grey, grey, grey], axis=2)
    assert np.array_equal(pp.to_channels(rgb, 1)[:, :, 0], grey)
    rgba = np.concatenate([rgb, np.full((3, 4, 1), 255, np.uint8)], axis=2)
    assert pp.to_channels(rgba, 3).shape == (3, 4, 3)
    with pytest.raises(ValueError, match="2 input channels"):
        pp.to_channels(grey, 2)
    x = pp.to_channels(grey, 1)
    assert pp.normalize(x, pp.Spec(normalization="zero-one")).max() == pytest.approx(220 / 255)
    assert pp.normalize(x, pp.Spec(normalization="minus-one-one")).min() == pytest.approx(-1.0)
    per = pp.normalize(x, pp.Spec(normalization="per-image"))
    assert per.mean() == pytest.approx(0, abs=1e-6) and per.std() == pytest.approx(1, abs=1e-4)
    net = pp.normalize(pp.to_channels(grey, 3), pp.Spec(channels=3, normalization="imagenet"))
    assert net[0, 0, 0] == pytest.approx((0 - 0.485) / 0.229)
    ms = pp.Spec(normalization="mean-std", mean=(0.5,), std=(0.25,))
    assert pp.normalize(x, ms)[0, 0, 0] == pytest.approx(-2.0)
    ms255 = pp.Spec(normalization="mean-std", mean=(100.0,), std=(50.0,))
    assert pp.normalize(x, ms255)[0, 0, 0] == pytest.approx(-2.0)
    chw = pp.prepare(grey, pp.Spec(channels=1, size=(6, 8)))
    assert chw.shape == (1, 6, 8) and chw.dtype == np.float32


def test_scores_are_mapped_back_to_the_original_size():
    scores = np.zeros((2, 4, 4), np.float32)
    scores[1, :, 2:] = 1.0
    scores[0] = 1.0 - scores[1]  # probabilities: softmax of two classes == sigmoid of one
    labels = pp.scores_to_labels(scores, (8, 12))
    assert labels.shape == (8, 12) and labels[:, :5].max() == 0 and labels[:, 7:].min() == 1
    one = pp.scores_to_labels(scores[1:], (8, 12), threshold=0.5)
    assert np.array_equal(one, labels)
    assert pp.resize_labels(np.eye(3, dtype=np.uint8), (6, 6)).shape == (6, 6)
    with pytest.raises(ValueError, match="activation"):
        pp.activate(scores, "relu")


def _image(h=48, w=40):
    img = np.full((h, w), 30, np.uint8)
    img[10:30, 5:25] = 220
    return img


def test_onnx_segmenter_resizes_and_maps_back(tmp_path):
    path = onnx_models.threshold_segmenter(tmp_path / "seg.onnx", size=(32, 32))
    model = onnx_model_entry("seg", path)
    adapter = build_for_model(model, tmp_path, weights_override=path)
    [pred] = adapter.predict([_image()])
    assert pred.mask.shape == (48, 40)
    expected = (_image() > 127).astype(np.uint8)
    assert (pred.mask == expected).mean() > 0.97
    checks = {c["metric"]: c["value"] for c in adapter.check()}
    assert checks == {"check.output_shape": 1.0}
    assert adapter.info.weights_sha256 and adapter.info.weights_path == str(path)


def test_onnx_segmenter_without_fixed_size_and_sigmoid_output(tmp_path):
    path = onnx_models.threshold_segmenter(tmp_path / "seg1.onnx", size=None, n_out=1)
    model = onnx_model_entry("seg1", path, activation="sigmoid")
    adapter = build_for_model(model, tmp_path, weights_override=path)
    preds = adapter.predict([_image(), _image(30, 50)])  # different sizes: one image per forward pass
    assert [p.mask.shape for p in preds] == [(48, 40), (30, 50)]
    assert np.array_equal(preds[0].mask, (_image() > 127).astype(np.uint8))


def test_declared_output_mismatch_is_recorded(tmp_path):
    path = onnx_models.threshold_segmenter(tmp_path / "seg.onnx")
    model = onnx_model_entry("seg3", path, classes=("background", "a", "b"))
    [check] = build_for_model(model, tmp_path, weights_override=path).check()
    assert check["metric"] == "check.output_shape" and check["value"] == 0.0
    assert "(N, 3, H, W)" in check["detail"]


def test_weights_are_fetched_through_the_fetch_layer_and_verified(tmp_path, host_server):
    path = onnx_models.threshold_segmenter(tmp_path / "seg.onnx")
    url = host_server.add_http_file("/weights/seg/model.onnx", path.read_bytes())
    home = tmp_path / "home"
    model = onnx_model_entry("seg", path, file_name="model.onnx", url=url)
    adapter = build_for_model(model, home)  # not cached: fetched from the local server, checksum verified
    downloaded = home / "downloads" / "seg" / "latest" / "model.onnx"
    assert adapter.info.weights_path == str(downloaded) and downloaded.read_bytes() == path.read_bytes()
    assert len(host_server.requests("/weights/seg/model.onnx")) == 1
    build_for_model(model, home)  # cached now: no second download
    assert len(host_server.requests("/weights/seg/model.onnx")) == 1

    # a host that answers 404: a clear error naming the model and what to do
    missing = onnx_model_entry("gone", path, file_name="model.onnx", url=f"{host_server.url}/weights/gone.onnx")
    with pytest.raises(UsregError, match="gone: cannot fetch its weights"):
        build_for_model(missing, home)


def test_weights_checksum_and_load_failures(tmp_path):
    path = onnx_models.threshold_segmenter(tmp_path / "seg.onnx")
    model = onnx_model_entry("seg", path)
    home = tmp_path / "home"
    cached = home / "downloads" / "seg" / "latest" / path.name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(path.read_bytes())
    assert build_for_model(model, home).info.weights_path == str(cached)
    # a corrupted file in the cache fails the declared checksum and is never loaded
    cached.write_bytes(path.read_bytes()[:-3] + b"xyz")
    with pytest.raises(UsregError, match="sha256") as refused:
        build_for_model(model, home)
    assert not isinstance(refused.value, WeightsLoadError)
    # given with --weights it is the user's file: not refused for its checksum, loaded (and here it does not load)
    with pytest.raises(WeightsLoadError, match="does not load with onnx") as given:
        build_for_model(model, home, weights_override=cached)
    assert given.value.status == "unverified"
    # a file that is not ONNX at all: WeightsLoadError (the registry-verification finding)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    unsigned = onnx_model_entry("junk", junk, with_sha=False)
    with pytest.raises(WeightsLoadError, match="does not load with onnx"):
        build_for_model(unsigned, tmp_path, weights_override=junk)


def test_unknown_adapter_options_are_rejected(tmp_path):
    path = onnx_models.threshold_segmenter(tmp_path / "seg.onnx")
    model = onnx_model_entry("seg", path, options={"colour": "blue"})
    with pytest.raises(UsregError, match="unknown adapter option 'colour'"):
        build_for_model(model, tmp_path, weights_override=path)


def test_onnx_classifier_points_and_boxes(tmp_path):
    cls_path = onnx_models.mean_classifier(tmp_path / "cls.onnx")
    model = onnx_model_entry("cls", cls_path, classes=("benign", "malignant"), kind="label", tasks=("classification",))
    adapter = build_for_model(model, tmp_path, weights_override=cls_path)
    dark, bright = np.full((20, 20), 20, np.uint8), np.full((20, 20), 230, np.uint8)
    p_dark, p_bright = adapter.predict([dark, bright])
    assert (p_dark.label, p_bright.label) == (0, 1)
    assert p_bright.probs.sum() == pytest.approx(1.0)
    assert adapter.check()[0]["value"] == 1.0

    pts = onnx_models.constant_points(tmp_path / "pts.onnx", np.array([[8.0, 16.0], [30.0, 2.0]]))
    model = onnx_model_entry("pts", pts, classes=(), kind="points", tasks=("landmark",), activation="none")
    [pred] = build_for_model(model, tmp_path, weights_override=pts).predict([np.zeros((64, 128), np.uint8)])
    assert pred.points == pytest.approx(np.array([[32.0, 32.0], [120.0, 4.0]]))  # x * 128/32, y * 64/32

    boxes = onnx_models.constant_boxes(tmp_path / "box.onnx", np.array([[4, 4, 12, 8]]), np.array([0.7]), np.array([1]))
    model = onnx_model_entry(
        "box", boxes, classes=("background", "lesion"), kind="boxes", tasks=("detection",), activation="none"
    )
    adapter = build_for_model(model, tmp_path, weights_override=boxes)
    [pred] = adapter.predict([np.zeros((64, 64), np.uint8)])
    [inst] = pred.instances
    assert inst.box == pytest.approx((8, 8, 24, 16)) and inst.score == pytest.approx(0.7) and inst.category_id == 1
    assert adapter.check()[0]["value"] == 1.0


def test_baselines():
    classes = [OutputClass(0, "background"), OutputClass(1, "plaque")]
    img = _image()
    [bg] = build_builtin("all-background", classes).predict([img])
    assert bg.mask.shape == img.shape and bg.mask.max() == 0
    [th] = build_builtin("intensity-threshold", classes).predict([img])
    assert np.array_equal(th.mask, (img > 127).astype(np.uint8))
    [fixed] = build_builtin("intensity-threshold", classes, {"threshold": 250}).predict([img])
    assert fixed.mask.max() == 0
    [inv] = build_builtin("intensity-threshold", classes, {"threshold": 100, "invert": True}).predict([img])
    assert np.array_equal(inv.mask, (img < 100).astype(np.uint8))
    with pytest.raises(UsregError, match="unknown option"):
        build_builtin("intensity-threshold", classes, {"level": 3})
    with pytest.raises(UsregError, match="unknown built-in"):
        build_builtin("magic", classes)


def test_otsu_threshold_separates_two_levels():
    img = np.concatenate([np.full(100, 40), np.full(100, 200)]).astype(np.uint8)
    t = otsu_threshold(img)
    assert 40 <= t < 200
    assert otsu_threshold(np.full(10, 7, np.uint8)) <= 7


def test_torchscript_adapter(tmp_path):
    torch = pytest.importorskip("torch", reason="TorchScript needs torch (pip install 'usreg[bench]')")

    class Threshold(torch.nn.Module):
        def forward(self, x):
            x = x.mean(dim=1, keepdim=True)
            return torch.cat([0.5 - x, x - 0.5], dim=1)

    path = tmp_path / "seg.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript is deprecated in torch 2.13
        torch.jit.save(torch.jit.script(Threshold()), str(path))
    exported = tmp_path / "seg.pt2"
    batch = torch.export.Dim("batch")
    program = torch.export.export(Threshold(), (torch.zeros(2, 1, 32, 32),), dynamic_shapes={"x": {0: batch}})
    torch.export.save(program, str(exported))
    for archive in (path, exported):
        model = onnx_model_entry("ts", archive, size=(32, 32))
        model = model.model_copy(update={"weights": [model.weights[0].model_copy(update={"format": "torchscript"})]})
        adapter = build_for_model(model, tmp_path, weights_override=archive)
        assert adapter.info.name == "torchscript"
        preds = adapter.predict([_image(), _image()])
        assert preds[0].mask.shape == (48, 40) and (preds[1].mask == (_image() > 127)).mean() > 0.97
        assert adapter.check()[0]["value"] == 1.0
    # a state dict is not a TorchScript archive: refused with a clear message, as a weights-load finding
    torch.save({"w": torch.zeros(1)}, tmp_path / "state.pt")
    unsigned = model.model_copy(update={"weights": [model.weights[0].model_copy(update={"sha256": None})]})
    with pytest.raises(WeightsLoadError, match=r"not a TorchScript or torch\.export archive"):
        build_for_model(unsigned, tmp_path, weights_override=tmp_path / "state.pt")


def test_a_model_that_does_not_say_what_it_outputs_is_a_clear_error(tmp_path):
    # no output block and only a task with no benchmark output: the adapter cannot know what it returns
    path = onnx_models.threshold_segmenter(tmp_path / "seg.onnx", size=(32, 32))
    model = onnx_model_entry("no-output", path, tasks=("registration",)).model_copy(update={"output": None})
    with pytest.raises(UsregError, match="does not say what it outputs") as info:
        build_for_model(model, tmp_path, weights_override=path)
    assert "output: {kind:" in info.value.hint
