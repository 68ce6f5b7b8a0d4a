"""ConvertContext.options_as: a converter reads its validated options as its own model, checked at run time."""

from __future__ import annotations

import pytest

from registry.loaders.base import CommonOptions, ConvertContext


class _Narrow(CommonOptions):
    frames: str = "annotated"


def test_options_as_returns_the_converters_own_model(tmp_path):
    options = _Narrow(frames="all", seed=3)
    ctx = ConvertContext(tmp_path, None, options, "narrow-like")
    got = ctx.options_as(_Narrow)
    assert got is options and got.frames == "all" and got.seed == 3


def test_options_of_another_model_are_refused_by_name(tmp_path):
    ctx = ConvertContext(tmp_path, None, CommonOptions(), "narrow-like")
    with pytest.raises(TypeError, match="narrow-like: the options are CommonOptions, not _Narrow"):
        ctx.options_as(_Narrow)
