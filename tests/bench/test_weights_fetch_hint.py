"""A model's weights that cannot be fetched: the hint names bench's own way round (--weights), not fetch's."""

from __future__ import annotations

import socket

import pytest

from registry.bench.adapters import build_for_model
from registry.errors import UsregError
from tests.bench import onnx_models
from tests.bench.helpers import onnx_model_entry


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("where", ["404", "refused"])
def test_unfetchable_weights_hint_at_weights_option(tmp_path, host_server, where) -> None:
    path = onnx_models.threshold_segmenter(tmp_path / "seg.onnx")
    base = host_server.url if where == "404" else f"http://127.0.0.1:{_closed_port()}"
    model = onnx_model_entry("gone", path, file_name="model.onnx", url=f"{base}/weights/gone.onnx")

    with pytest.raises(UsregError, match="gone: cannot fetch its weights") as caught:
        build_for_model(model, tmp_path / "home")

    hint = caught.value.hint
    assert "--weights gone=PATH" in hint, hint
    assert "--from-file" not in hint and "--mirror" not in hint, hint  # options `usreg bench` does not have
