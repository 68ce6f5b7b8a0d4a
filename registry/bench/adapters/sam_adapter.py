"""Segment Anything (and its fine-tunes, e.g. UltraSam) through Hugging Face ``transformers``' ``SamModel``.

The architecture comes from an allow-list in this module (``ARCHITECTURES``), never from YAML: an entry names one with
``adapter: {name: sam, options: {architecture: sam-vit-base}}``. Weights are a state dict in one of three key layouts,
recognised by their key names and mapped onto ``SamModel``:

- ``transformers``: the keys of ``SamModel.state_dict()`` (``vision_encoder.*``, ``prompt_encoder.*``,
  ``mask_decoder.*``, ``shared_image_embedding.*``), as in the Hub's ``facebook/sam-vit-*`` ``model.safetensors``;
- ``segment-anything``: Meta's original checkpoints (``image_encoder.*``, ``prompt_encoder.*``, ``mask_decoder.*``),
  mapped by :func:`map_segment_anything_keys`;
- ``mmdet``: UltraSam's MMDetection checkpoint (``backbone.*`` ...), mapped by ``registry.bench.adapters.sam_keys``
  where that module is present (its docstring cites the evidence); otherwise a clear error says so.

Files load with ``torch.load(weights_only=True)`` or ``safetensors``: no pickled code runs.
Images are resized so that the longest side is the model's input size, normalised with ImageNet statistics and
padded (``SamImageProcessor``); prompts are scaled the same way; the low-resolution mask logits are upsampled back to
the original size and thresholded at 0 (``post_process_masks``). The score of a mask is the model's predicted IoU.
``options.refine`` adds UltraSam's cascaded mask refinement (a second decoding pass, see ``sam_keys``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import UsageError, UsregError
from ..adapter_options import SAM_PREPROCESSING, check_adapter
from ..weights import first_line
from .base import AdapterInfo, PromptableAdapter, PromptedMask
from .sam_keys import map_mmdet_keys
from .sam_keys import map_segment_anything_keys as map_segment_anything_keys

if TYPE_CHECKING:
    from ...schema import Model

# name -> SamConfig keyword arguments; the three published SAM sizes and a tiny one for tests and smoke runs.
ARCHITECTURES: dict[str, dict[str, Any]] = {
    "sam-vit-base": {},
    "sam-vit-large": {
        "vision_config": {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
                          "global_attn_indexes": [5, 11, 17, 23]},
    },
    "sam-vit-huge": {
        "vision_config": {"hidden_size": 1280, "num_hidden_layers": 32, "num_attention_heads": 16,
                          "global_attn_indexes": [7, 15, 23, 31]},
    },
    "sam-tiny-test": {
        "vision_config": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
                          "image_size": 128, "patch_size": 16, "output_channels": 32, "global_attn_indexes": [1],
                          "window_size": 4, "mlp_dim": 64, "num_pos_feats": 16},
        "prompt_encoder_config": {"hidden_size": 32, "image_size": 128, "patch_size": 16, "mask_input_channels": 4},
        "mask_decoder_config": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "mlp_dim": 64,
                                "iou_head_hidden_dim": 32},
    },
}  # fmt: skip


def _unwrap(obj: Any) -> dict[str, Any]:
    """The tensor dict inside a checkpoint (``state_dict`` / ``model`` wrappers of training frameworks)."""
    for _ in range(3):
        if isinstance(obj, dict) and not any(hasattr(v, "shape") for v in obj.values()):
            inner = obj.get("state_dict") or obj.get("model") or obj.get("module")
            if inner is None:
                break
            obj = inner
    if not isinstance(obj, dict):
        raise UsregError("the weights file holds no state dict", hint="save model.state_dict(), not the model object")
    return obj


def key_layout(keys: Sequence[str]) -> str:
    """Which key layout a state dict uses: ``transformers``, ``segment-anything`` or ``mmdet``."""
    prefixes = {k.split(".", 1)[0] for k in keys}
    if {"vision_encoder", "mask_decoder"} <= prefixes:
        return "transformers"
    if {"image_encoder", "mask_decoder"} <= prefixes:
        return "segment-anything"
    if "backbone" in prefixes:
        return "mmdet"
    raise UsregError(
        "unrecognised SAM weights: top-level keys " + ", ".join(sorted(prefixes)[:8]),
        hint="expected transformers' SamModel keys, Meta's segment-anything keys, or UltraSam's MMDetection keys",
    )


def tensor_state(state: dict[str, Any], name: str) -> dict[str, Any]:
    """``state`` when every entry is a tensor; else a UsregError naming a few that are not (file ``name``)."""
    odd = [str(k) for k, v in state.items() if not hasattr(v, "shape")]
    if odd:
        raise UsregError(
            f"{name}: {len(odd)} state-dict entries are not tensors (e.g. {', '.join(odd[:3])})",
            hint="the weights must be a dict of tensors (torch.save(model.state_dict(), path))",
        )
    return state


def read_state_dict(path: Path) -> dict[str, Any]:
    """Tensors from a ``.safetensors`` file or a PyTorch checkpoint, without running pickled code (non-tensor
    metadata of other classes is dropped, ``checkpoint.load_tensors``)."""
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except Exception as exc:  # truncated or not a safetensors file
            raise UsregError(
                f"{path.name} is not a readable safetensors file: {first_line(exc)}",
                hint="fetch the file again (it may be truncated)",
            ) from None
    from .checkpoint import load_tensors

    try:
        return tensor_state(_unwrap(load_tensors(path)), path.name)
    except UsregError:
        raise
    except Exception as exc:  # truncated, not a checkpoint, or pickled objects that weights_only refuses
        raise UsregError(
            f"{path.name} does not load with torch.load(weights_only=True): {first_line(exc)}",
            hint="the file is truncated or not a PyTorch checkpoint, or it pickles objects beyond tensors "
            "(re-save only the state dict: torch.save(ckpt['state_dict'], path))",
        ) from None


_SHARED_PE = ("shared_image_embedding.positional_embedding", "prompt_encoder.shared_embedding.positional_embedding")


def to_transformers_keys(state: dict[str, Any]) -> dict[str, Any]:
    layout = key_layout(list(state))
    if layout == "segment-anything":
        state = map_segment_anything_keys(state)
    elif layout == "mmdet":
        state = map_mmdet_keys(state)
    # SamModel keeps the random positional matrix twice (image side and prompt side); checkpoints store it once
    for have, want in (_SHARED_PE, _SHARED_PE[::-1]):
        if have in state and want not in state:
            state = {**state, want: state[have]}
    return state


def build_model(architecture: str):
    if architecture not in ARCHITECTURES:
        raise UsageError(
            f"unknown SAM architecture {architecture!r}", hint="choose one of: " + ", ".join(sorted(ARCHITECTURES))
        )
    try:
        from transformers import SamConfig, SamModel
    except ImportError:
        raise UsageError("the SAM adapter needs transformers", hint="pip install 'usreg[bench]'") from None
    return SamModel(SamConfig(**ARCHITECTURES[architecture]))


class SamAdapter(PromptableAdapter):
    """Promptable segmentation with a SAM-architecture model (``transformers.SamModel``)."""

    PREPROCESSING = SAM_PREPROCESSING

    def __init__(
        self, info: AdapterInfo, model: Any, device: str = "cpu", preprocess: str = "sam", refine: bool = False
    ) -> None:
        super().__init__(info)
        if preprocess not in self.PREPROCESSING:
            raise UsageError(
                f"unknown SAM preprocessing {preprocess!r}", hint="choose one of: " + ", ".join(self.PREPROCESSING)
            )
        self.preprocess = preprocess
        self.refine = bool(refine)  # UltraSam's cascaded mask refinement (sam_keys docstring)
        import torch
        from transformers import SamImageProcessor

        if device.startswith("cuda") and not torch.cuda.is_available():
            raise UsageError("--device cuda was asked for but no CUDA device is available", hint="use --device cpu")
        self.torch = torch
        self.device = device
        self.model = model.to(device).eval()
        size = int(model.config.vision_config.image_size)
        self.processor = SamImageProcessor(
            size={"longest_edge": size}, pad_size={"height": size, "width": size}, do_convert_rgb=True
        )

    @classmethod
    def from_weights(
        cls,
        info: AdapterInfo,
        architecture: str,
        path: Path | None,
        device: str = "cpu",
        preprocess: str = "sam",
        refine: bool = False,
    ) -> SamAdapter:
        model = build_model(architecture)
        if path is not None:
            state = to_transformers_keys(read_state_dict(path))
            try:
                missing, unexpected = model.load_state_dict(state, strict=False)
            except RuntimeError as exc:  # shapes that differ from the architecture
                raise UsregError(
                    f"{path.name} does not fit {architecture}: {str(exc).splitlines()[-1].strip()[:200]}",
                    hint="check options.architecture in the model entry",
                ) from None
            # mask_embed only encodes mask prompts, which only the refinement pass uses; UltraSam trained without
            # mask refinement has none (sam_keys docstring)
            no_mask_embed = any(k.startswith("prompt_encoder.mask_embed.") for k in missing)
            if no_mask_embed and refine:
                raise UsregError(
                    f"{path.name} has no mask-prompt encoder (mask_downscaling), which options.refine needs",
                    hint="drop refine from the entry's adapter options for this checkpoint",
                )
            missing = [k for k in missing if not k.startswith("prompt_encoder.mask_embed.")]
            if missing or unexpected:
                raise UsregError(
                    f"{path.name} does not match {architecture}: {len(missing)} missing and {len(unexpected)} "
                    f"unexpected keys (e.g. {', '.join((missing + unexpected)[:3])})",
                    hint="check options.architecture in the model entry",
                )
        return cls(info, model, device, preprocess, refine)

    def _rgb(self, image: np.ndarray) -> np.ndarray:
        return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image[..., :3]

    def _encode(self, rgb: np.ndarray) -> dict[str, Any]:
        """``sam``: SamImageProcessor (longest side to the input size, ImageNet mean/std, padding). ``medsam``: as
        MedSAM's ``MedSAM_Inference.py``: a square resize to the input size (bicubic) and min-max scaling to [0, 1],
        with no mean/std normalisation."""
        if self.preprocess == "sam":
            return dict(self.processor(images=rgb, return_tensors="pt"))
        from PIL import Image

        torch = self.torch
        size = int(self.model.config.vision_config.image_size)
        resized = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.BICUBIC), dtype=np.float32)
        scaled = (resized - resized.min()) / max(float(resized.max() - resized.min()), 1e-8)
        return {
            "pixel_values": torch.from_numpy(scaled).permute(2, 0, 1)[None].contiguous(),
            "original_sizes": torch.tensor([[rgb.shape[0], rgb.shape[1]]]),
            "reshaped_input_sizes": torch.tensor([[size, size]]),
        }

    def predict_prompted(self, image: np.ndarray, prompts: Sequence[Any]) -> list[PromptedMask]:
        if not prompts:
            return []
        torch = self.torch
        height, width = image.shape[:2]
        enc = self._encode(self._rgb(image))
        rh, rw = (float(v) for v in enc["reshaped_input_sizes"][0])
        sy, sx = rh / height, rw / width
        kwargs: dict[str, Any] = {"pixel_values": enc["pixel_values"].to(self.device), "multimask_output": False}
        if prompts[0].box is not None:
            boxes = [[b.box[0] * sx, b.box[1] * sy, b.box[2] * sx, b.box[3] * sy] for b in prompts]
            kwargs["input_boxes"] = torch.tensor([boxes], dtype=torch.float32, device=self.device)
        else:
            k = max(len(p.points) for p in prompts)
            points = np.zeros((len(prompts), k, 2), np.float32)
            labels = np.full((len(prompts), k), -10, np.int64)  # -10: padding, ignored by SamModel
            for i, p in enumerate(prompts):
                points[i, : len(p.points)] = p.points * [sx, sy]
                labels[i, : len(p.points)] = p.labels
            kwargs["input_points"] = torch.from_numpy(points)[None].to(self.device)
            kwargs["input_labels"] = torch.from_numpy(labels)[None].to(self.device)
        with torch.inference_mode():
            if self.refine:
                kwargs["image_embeddings"] = self.model.get_image_embeddings(kwargs.pop("pixel_values"))
            out = self.model(**kwargs)
        masks = self.processor.post_process_masks(
            out.pred_masks.cpu(), enc["original_sizes"], enc["reshaped_input_sizes"], binarize=True
        )[0]  # (prompts, 1, H, W)
        scores = out.iou_scores.cpu().numpy()[0, :, 0]
        answers = [PromptedMask(masks[i, 0].numpy().astype(bool), float(scores[i])) for i in range(len(prompts))]
        if self.refine:
            answers = self._refine(answers, prompts, kwargs["image_embeddings"], out.pred_masks[0, :, 0], enc, sx, sy)
        return answers

    def _refine(self, first, prompts, embeddings, logits, enc, sx: float, sy: float) -> list[PromptedMask]:
        """UltraSam's ``SAM.predict`` with ``use_mask_refinement``: decode again with the first mask's logits as a
        mask prompt and a box (the prompt's box, or for a point prompt the first mask's bounding box,
        ``mask2bbox``), three output masks, keep the one with the highest predicted IoU. An empty first mask has no
        box and keeps its first answer."""
        torch = self.torch
        out_masks: list[PromptedMask] = []
        for i, (answer, prompt) in enumerate(zip(first, prompts, strict=True)):
            if prompt.box is not None:
                box = [prompt.box[0] * sx, prompt.box[1] * sy, prompt.box[2] * sx, prompt.box[3] * sy]
            else:
                ys, xs = np.nonzero(answer.mask)
                if xs.size == 0:
                    out_masks.append(answer)
                    continue
                box = [xs.min() * sx, ys.min() * sy, (xs.max() + 1) * sx, (ys.max() + 1) * sy]
            with torch.inference_mode():
                out = self.model(
                    image_embeddings=embeddings,
                    input_boxes=torch.tensor([[box]], dtype=torch.float32, device=self.device),
                    input_masks=logits[i][None, None],
                    multimask_output=True,
                )
            best = int(out.iou_scores[0, 0].argmax())
            mask = self.processor.post_process_masks(
                out.pred_masks[:, :, best : best + 1].cpu(),
                enc["original_sizes"],
                enc["reshaped_input_sizes"],
                binarize=True,
            )[0][0, 0]
            out_masks.append(PromptedMask(mask.numpy().astype(bool), float(out.iou_scores[0, 0, best])))
        return out_masks


def build_sam(model: Model, options: dict[str, Any], path: Path | None, digest: str | None, device: str) -> SamAdapter:
    """The adapter for a model entry with ``adapter: {name: sam, options: {architecture: ...}}``; the options are
    ``registry.bench.adapter_options.SamOptions``."""
    check_adapter("sam", options, model.id)
    architecture = str(options.get("architecture") or "")
    info = AdapterInfo(
        name="sam",
        model_id=model.id,
        weights_sha256=digest,
        weights_path=str(path) if path else None,
        options=dict(options),
    )
    return SamAdapter.from_weights(
        info, architecture, path, device, str(options.get("preprocess") or "sam"), bool(options.get("refine", False))
    )
