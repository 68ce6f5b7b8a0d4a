"""Typed model-adapter options (issue 16, typed seams): ``registry.bench.adapter_options`` is the one description of
what each adapter and built-in recipe takes; ``usreg validate`` reports a bad ``adapter`` at its line, and the adapters
check the same models when ``usreg bench`` builds them."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from registry.bench.adapter_options import (
    ADAPTER_OPTIONS,
    DEFAULTS,
    RECIPE_OPTIONS,
    SAM_PREPROCESSING,
    UNET_ENCODERS,
    UNetEnsembleOptions,
    adapter_problems,
)
from registry.bench.adapters import OutputClass, build_builtin
from registry.bench.adapters.arraymodel import check_options
from registry.bench.compat import ADAPTERS
from registry.bench.recipes import BUILTINS
from registry.errors import UsregError
from tests.conftest import REPO_ROOT, minimal_model

CLASSES = [OutputClass(0, "background"), OutputClass(1, "plaque")]


def _real_adapters() -> list[tuple[str, dict]]:
    out = []
    for path in sorted((REPO_ROOT / "entries" / "models").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("adapter"):
            out.append((path.name, data["adapter"]))
    return out


def test_every_real_model_adapter_validates():
    adapters = _real_adapters()
    assert len(adapters) >= 10, adapters  # the catalog's runnable models; an empty glob would prove nothing
    assert {a["name"] for _, a in adapters} >= {"onnx", "builtin", "sam", "torch-state-dict"}
    problems = {name: adapter_problems(a["name"], a.get("options")) for name, a in adapters}
    assert {name: p for name, p in problems.items() if p} == {}


def test_one_options_model_per_adapter_and_recipe():
    assert {*ADAPTER_OPTIONS, "builtin"} == set(ADAPTERS)
    assert set(RECIPE_OPTIONS) == set(BUILTINS)
    # the unet-ensemble defaults are the options model's defaults, key for key
    assert UNetEnsembleOptions().model_dump() == DEFAULTS


def test_copied_names_match_their_origin():
    from registry.bench.adapters.sam_adapter import SamAdapter

    assert SamAdapter.PREPROCESSING == SAM_PREPROCESSING == ("sam", "medsam")
    pytest.importorskip("torch", reason="registry.bench.unet imports torch")
    from registry.bench.unet import ENCODERS

    assert tuple(ENCODERS) == UNET_ENCODERS


def test_the_options_module_loads_no_heavy_libraries():
    code = (
        "import sys, registry.bench.adapter_options; "
        "print([m for m in ('numpy', 'torch', 'transformers', 'PIL', 'scipy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_problems_name_their_path_under_adapter():
    [typo] = adapter_problems("torch-state-dict", {"architecture": "x", "num_output": 2})
    assert typo.path == ("options", "num_output")
    assert "did you mean 'num_outputs'?" in typo.message and "checkpoint_keys" in typo.hint
    [item] = adapter_problems("torch-state-dict", {"checkpoint_keys": ["a", 2]})
    assert item.path == ("options", "checkpoint_keys", 1)
    [recipe] = adapter_problems("builtin", {"recipe": "unet-ensembel"})
    assert recipe.path == ("options", "recipe") and "did you mean 'unet-ensemble'?" in recipe.message
    [encoder] = adapter_problems("builtin", {"recipe": "unet-ensemble", "encoders": ["vgg", "densenet"]})
    assert encoder.path == ("options", "encoders", 1) and "'vgg', 'resnet' or 'mobilenet'" in encoder.message
    [threshold] = adapter_problems("builtin", {"recipe": "intensity-threshold", "threshold": 300})
    assert threshold.path == ("options", "threshold")  # one problem, though both branches of 'otsu' | 0..255 fail
    assert "'otsu'" in threshold.message and "less than or equal to 255" in threshold.message
    assert adapter_problems("onnx", None) == [] and adapter_problems("builtin", {"recipe": "all-background"}) == []


def test_strict_types_with_yaml_exponent_numbers():
    # a string is not an integer, and neither is a boolean
    assert adapter_problems("onnx", {"batch_size": "8"})[0].path == ("options", "batch_size")
    assert adapter_problems("onnx", {"output_index": True})[0].path == ("options", "output_index")
    # an integer is a number; PyYAML reads 1e-3 as text, which is taken as the number it spells; other text is not
    assert adapter_problems("torch-state-dict", {"input_scale": 255}) == []
    assert adapter_problems("builtin", {"recipe": "unet-ensemble", "lr": "1e-3"}) == []
    assert adapter_problems("builtin", {"recipe": "unet-ensemble", "lr": "fast"})[0].path == ("options", "lr")


# --- usreg validate ------------------------------------------------------------------------------------------------

CASES = {
    "typo": (
        {"name": "onnx", "options": {"batch_sise": 8}},
        "batch_sise",
        "adapter.options.batch_sise",
        "unknown adapter option 'batch_sise' for adapter 'onnx'; did you mean 'batch_size'?",
    ),
    "wrong-type": (
        {"name": "onnx", "options": {"batch_size": "8"}},
        "batch_size",
        "adapter.options.batch_size",
        "adapter option 'batch_size' of adapter 'onnx': Input should be a valid integer",
    ),
    "bad-enum": (
        {"name": "sam", "options": {"architecture": "sam-vit-base", "preprocess": "imagenet"}},
        "preprocess",
        "adapter.options.preprocess",
        "adapter option 'preprocess' of adapter 'sam': Input should be 'sam' or 'medsam'",
    ),
    "unknown-adapter": (
        {"name": "tensorflow"},
        "name: tensorflow",
        "adapter.name",
        "unknown adapter 'tensorflow'",
    ),
    "no-recipe": (  # reported where the options mapping starts
        {"name": "builtin", "options": {"epochs": 3}},
        "epochs: 3",
        "adapter.options",
        "adapter 'builtin' needs options.recipe",
    ),
    "no-options": (  # no options at all: at the adapter
        {"name": "builtin"},
        "name: builtin",
        "adapter.options",
        "adapter 'builtin' needs options.recipe",
    ),
    "recipe-option": (
        {"name": "builtin", "options": {"recipe": "intensity-threshold", "invert": "yes please"}},
        "invert",
        "adapter.options.invert",
        "option 'invert' of recipe 'intensity-threshold': Input should be a valid boolean",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_validate_reports_one_adapter_problem_at_its_line(case, catalog_root, run_cli):
    adapter, marker, field, message = CASES[case]
    path = catalog_root.model(minimal_model("broken", adapter=adapter))
    catalog_root.model(minimal_model("fine", adapter={"name": "onnx", "options": {"batch_size": 4}}))
    result = run_cli("validate", "--format", "json", root=catalog_root.root)
    assert result.exit_code == 1, result.output
    errors = json.loads(result.output)["errors"]
    assert [(e["entry"], e["field"]) for e in errors] == [("broken", field)]
    lines = path.read_text(encoding="utf-8").splitlines()
    after = next(i for i, text in enumerate(lines, 1) if text.startswith("adapter:"))
    expected = next(i for i, text in enumerate(lines, 1) if i >= after and marker in text)
    assert errors[0]["line"] == expected and errors[0]["file"] == "entries/models/broken.yaml"
    assert message in errors[0]["message"]


def test_validate_text_names_the_file_line_option_and_allowed_names(catalog_root, run_cli):
    path = catalog_root.model(minimal_model("typo", adapter={"name": "onnx", "options": {"batch_sise": 8}}))
    result = run_cli("validate", root=catalog_root.root)
    assert result.exit_code == 1
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "batch_sise" in text)
    assert f"entries/models/typo.yaml:{line}:" in result.output
    assert "[adapter.options.batch_sise]" in result.output
    assert "options of adapter 'onnx': layout, batch_size, threshold" in result.output
    assert "Traceback" not in result.output


# --- the same models at run time ----------------------------------------------------------------------------------


def test_runtime_check_options_raises_a_clear_error_naming_model_and_option():
    with pytest.raises(UsregError, match=r"model seg: adapter option 'batch_size' of adapter 'onnx'") as info:
        check_options({"batch_size": True}, "seg")  # a boolean passed the old isinstance(int) check
    assert "batch_size" in info.value.hint
    with pytest.raises(UsregError, match=r"model seg: .*'threshold'.*less than or equal to 1"):
        check_options({"threshold": 2.5}, "seg")
    with pytest.raises(UsregError, match="unknown adapter option 'architecture' for adapter 'onnx'"):
        check_options({"architecture": "x"}, "seg")
    # weights.runnable_weights honours weights_index for every adapter that reads weights
    assert check_options({"weights_index": 1}, "seg") == {"weights_index": 1}
    assert check_options({"architecture": "x", "input_scale": 255}, "m", "torch-state-dict")["input_scale"] == 255


def test_runtime_recipes_and_sam_check_the_same_models():
    with pytest.raises(UsregError, match="model builtin:intensity-threshold: option 'threshold'"):
        build_builtin("intensity-threshold", CLASSES, {"threshold": True})
    with pytest.raises(UsregError, match="unknown option 'x' for recipe 'all-background'"):
        build_builtin("all-background", CLASSES, {"x": 1})
    # checked before torch is imported: a string epoch count is refused on any machine
    with pytest.raises(UsregError, match="model m: option 'epochs' of recipe 'unet-ensemble'"):
        build_builtin("unet-ensemble", CLASSES, {"epochs": "3"}, model_id="m")
    from registry.bench.adapters.sam_adapter import build_sam
    from registry.schema import Model

    model = Model.model_validate(minimal_model("s", adapter={"name": "sam", "options": {}}))
    with pytest.raises(UsregError, match=r"model s: unknown adapter option 'refin' for adapter 'sam'.*'refine'"):
        build_sam(model, {"architecture": "sam-tiny-test", "refin": True}, None, None, "cpu")


def test_intensity_threshold_reads_validated_values():
    img = np.array([[10, 200]], np.uint8)
    [pred] = build_builtin("intensity-threshold", CLASSES, {"threshold": "1e2", "class_id": 2}).predict([img])
    assert pred.mask.tolist() == [[0, 2]]  # '1e2' (YAML's text) is the grey level 100


@pytest.mark.parametrize(
    ("adapter", "message"),
    [
        ({"name": "onnx", "options": {"batch_size": 0}}, r"model m: adapter option 'batch_size' of adapter 'onnx'"),
        ({"name": "torch-state-dict", "options": {"architecure": "unet"}}, r"unknown adapter option 'architecure'"),
    ],
)
def test_a_bad_option_is_reported_as_such_before_any_weights_are_read(tmp_path, adapter: dict, message: str):
    """Not as "the weights do not load" (which a registry verification would record against the weights)."""
    from registry.bench.adapters import WeightsLoadError, build_for_model
    from registry.schema import Model

    weights = [{"format": "onnx", "source": {"kind": "http", "url": "https://example.org/m.onnx"}, "file": "m.onnx"}]
    model = Model.model_validate(minimal_model("m", adapter=adapter, weights=weights, output={"kind": "mask"}))
    with pytest.raises(UsregError, match=message) as info:
        build_for_model(model, tmp_path)
    assert not isinstance(info.value, WeightsLoadError)
