"""UltraSam's MMDetection checkpoint keys -> transformers' ``SamModel`` keys.

UltraSam (CAMMA-public/UltraSam) is SAM ViT-B re-implemented as an MMDetection detector
(``endosam.models.detectors.SAM``, config ``configs/_base_/models/sam.py``). Its weights were made from Meta's
``sam_vit_b_01ec64.pth`` by the authors' own converters, ``weights/convert_sam_bb_to_mmdet.py`` (image encoder) and
``weights/convert_sam_to_mmdet.py`` (prompt encoder and mask decoder), then fine-tuned. This module inverts those two
converters, producing Meta's segment-anything names, and hands them to
:func:`map_segment_anything_keys` (below), which renames Meta's keys to transformers'.

Evidence, by module (paths in CAMMA-public/UltraSam at HEAD):

``backbone.*`` -- ``mmpretrain.ViTSAM`` (arch ``base``, img_size 1024, patch 16, out_channels 256, window 14, absolute
and relative position embeddings: ``configs/_base_/models/sam.py``). ``convert_sam_bb_to_mmdet.py`` renames Meta's
``image_encoder.`` to ``backbone.`` with ``blocks.`` -> ``layers.``, ``patch_embed.proj`` -> ``patch_embed.projection``,
``norm`` -> ``ln`` (``norm1``/``norm2`` -> ``ln1``/``ln2``), ``neck`` -> ``channel_reduction``, ``mlp.lin1`` ->
``ffn.layers.0.0`` and ``mlp.lin2`` -> ``ffn.layers.1`` (mmcv ``FFN``). ``attn.qkv``, ``attn.proj``,
``attn.rel_pos_h/_w`` and ``pos_embed`` keep their names.

``decoder.*`` -- ``SAMTransformerDecoder`` (``endosam/models/utils/sam_layers.py``), Meta's two-way transformer.
``convert_sam_to_mmdet.py`` renames ``mask_decoder.transformer.`` to ``decoder.``, ``mlp.lin1/lin2`` ->
``mlp.layers.0.0``/``mlp.layers.1``, ``norm_final_attn`` -> ``post_norm``; each attention (``self_attn``,
``cross_attn_token_to_image``, ``cross_attn_image_to_token``, ``final_attn_token_to_image``) is an mmcv
``MultiheadAttention`` wrapping ``torch.nn.MultiheadAttention`` as ``.attn`` (``SAMAttention``: separate
``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` of shape (embed/downsample, embed), ``out_proj``), so
``q_proj.weight`` -> ``attn.q_proj_weight`` and the three biases are concatenated into ``attn.in_proj_bias`` in q, k, v
order. Here the bias is split back into three equal thirds.

``bbox_head.*`` -- ``SAMHead`` (``endosam/models/dense_heads/sam_mask_decoder.py``): Meta's ``mask_decoder.`` without
the transformer and without the two token embeddings (``output_upscaling``, ``output_hypernetworks_mlps``,
``iou_prediction_head`` keep Meta's names).

``prompt_encoder.*`` -- ``SAMPaddingGenerator`` (``endosam/models/task_modules/prior_generators/prompt_encoder.py``) and
its ``LabelEmbedEncoder``: every learned token lives in one ``nn.Embedding``,
``prompt_encoder.label_encoder.label_embedding.weight``, whose rows follow ``EmbeddingIndex`` and the concatenation
order of ``convert_sam_to_mmdet.py``: 0 ``no_mask_embed``; 1-4 ``point_embeddings.0-3`` (negative point, positive
point, box corner A, box corner B); 5 ``not_a_point_embed``; 6-9 ``mask_decoder.mask_tokens`` (the single-mask token
and the three multimask tokens); 10 ``mask_decoder.iou_token``. ``pe_layer.positional_encoding_gaussian_matrix`` and
``mask_downscaling.*`` keep Meta's names.

Differences from ``SamModel`` and what the adapter does about them:

- Mask refinement (``use_mask_refinement=True``, ``configs/_base_/models/sam_mask_refinement.py``, used by the
  ``UltraSAM_*_refine`` configs that the README trains and tests with): ``SAM.predict`` decodes once with a single
  mask, replaces a point prompt by the predicted mask's box, feeds the mask logits back as a dense prompt
  (``mask_downscaling``) and decodes again with the three multimask outputs, keeping the one with the highest
  predicted IoU. ``SamModel`` has the same layers (``mask_embed`` for ``input_masks``) and this mapping loads them;
  ``SamAdapter`` runs that second pass when the entry sets ``options.refine`` (the UltraSam entry does: its README
  trains and tests with the refine configs), and otherwise decodes once with the single-mask token, UltraSam's first
  pass. A checkpoint trained without refinement has no ``mask_downscaling`` keys; SamModel's ``mask_embed`` layers
  then stay as initialised, which a single pass never uses (the adapter accepts exactly these keys as missing, and
  refuses ``refine`` for such a checkpoint).
- Token order: UltraSam appends the output tokens after the prompt tokens, SAM puts them first. The two-way transformer
  gives each token its own positional term (zero for output tokens in both), so the order does not change the result.
- Point coordinates: Meta's prompt encoder shifts points by half a pixel before the positional encoding, UltraSam's does
  not (``PositionEmbeddingRandom.forward_with_coords``): a 0.5-pixel difference in a 1024-pixel frame, left as SAM does.
"""

from __future__ import annotations

import re
from typing import Any

from ...errors import UsregError

LABEL_EMBEDDING = "prompt_encoder.label_encoder.label_embedding.weight"
# rows of LABEL_EMBEDDING before the mask tokens (EmbeddingIndex 0-5), in order
_LEADING_ROWS = (
    "prompt_encoder.no_mask_embed.weight",
    "prompt_encoder.point_embeddings.0.weight",
    "prompt_encoder.point_embeddings.1.weight",
    "prompt_encoder.point_embeddings.2.weight",
    "prompt_encoder.point_embeddings.3.weight",
    "prompt_encoder.not_a_point_embed.weight",
)

# backbone (mmpretrain ViTSAM) -> Meta image_encoder: the inverse of convert_sam_bb_to_mmdet.py
_BACKBONE_RULES: list[tuple[str, str]] = [
    (r"^backbone\.layers\.(\d+)\.ln(\d)\.", r"image_encoder.blocks.\1.norm\2."),
    (r"^backbone\.layers\.(\d+)\.ffn\.layers\.0\.0\.", r"image_encoder.blocks.\1.mlp.lin1."),
    (r"^backbone\.layers\.(\d+)\.ffn\.layers\.1\.", r"image_encoder.blocks.\1.mlp.lin2."),
    (r"^backbone\.layers\.(\d+)\.attn\.", r"image_encoder.blocks.\1.attn."),
    (r"^backbone\.patch_embed\.projection\.", "image_encoder.patch_embed.proj."),
    (r"^backbone\.channel_reduction\.", "image_encoder.neck."),
    (r"^backbone\.pos_embed$", "image_encoder.pos_embed"),
]
_ATTN = r"(self_attn|cross_attn_token_to_image|cross_attn_image_to_token|final_attn_token_to_image)"
# decoder (SAMTransformerDecoder) -> Meta mask_decoder.transformer: the inverse of convert_sam_to_mmdet.py
_DECODER_RULES: list[tuple[str, str]] = [
    (rf"\.{_ATTN}\.attn\.([qkv])_proj_weight$", r".\1.\2_proj.weight"),
    (rf"\.{_ATTN}\.attn\.out_proj\.", r".\1.out_proj."),
    (r"\.mlp\.layers\.0\.0\.", ".mlp.lin1."),
    (r"\.mlp\.layers\.1\.", ".mlp.lin2."),
    (r"^decoder\.post_norm\.", "decoder.norm_final_attn."),
]


def mmdet_to_segment_anything(state: dict[str, Any]) -> dict[str, Any]:
    """UltraSam's keys -> Meta's segment-anything keys. Unknown keys are refused (they would be silently unused)."""
    out: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in state.items():
        if key == LABEL_EMBEDDING:
            out.update(_split_label_embedding(value))
        elif key.startswith("backbone."):
            new = _apply(_BACKBONE_RULES, key)
            if new is None:
                unknown.append(key)
            else:
                out[new] = value
        elif key.startswith("decoder."):
            if re.search(rf"\.{_ATTN}\.attn\.in_proj_bias$", key):
                base = key[: -len(".attn.in_proj_bias")]
                q, k, v = _thirds(value, key)
                for name, part in (("q", q), ("k", k), ("v", v)):
                    out[f"mask_decoder.transformer.{base[len('decoder.') :]}.{name}_proj.bias"] = part
                continue
            new = key
            for pattern, repl in _DECODER_RULES:
                new = re.sub(pattern, repl, new)
            out["mask_decoder.transformer." + new[len("decoder.") :]] = value
        elif key.startswith("bbox_head."):
            out["mask_decoder." + key[len("bbox_head.") :]] = value
        elif key.startswith("prompt_encoder.") and (
            key == "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix"
            or key.startswith("prompt_encoder.mask_downscaling.")
        ):
            out[key] = value
        else:
            unknown.append(key)
    if unknown:
        raise UsregError(
            f"{len(unknown)} key(s) of the MMDetection checkpoint have no SAM counterpart "
            f"(e.g. {', '.join(unknown[:3])})",
            hint="this does not look like UltraSam's SAM detector (backbone, decoder, bbox_head, prompt_encoder)",
        )
    return out


def map_mmdet_keys(state: dict[str, Any]) -> dict[str, Any]:
    """UltraSam's MMDetection state dict with transformers' ``SamModel`` key names (see the module docstring)."""
    return map_segment_anything_keys(mmdet_to_segment_anything(state))


def _apply(rules: list[tuple[str, str]], key: str) -> str | None:
    for pattern, repl in rules:
        new, n = re.subn(pattern, repl, key)
        if n:
            return new
    return None


def _thirds(value: Any, key: str):
    n = int(value.shape[0]) if getattr(value, "ndim", 0) == 1 else -1
    if n <= 0 or n % 3:
        raise UsregError(f"{key} has shape {tuple(getattr(value, 'shape', ()))}, expected a vector of 3 x embed dims")
    third = n // 3
    return value[:third], value[third : 2 * third], value[2 * third :]


def _split_label_embedding(value: Any) -> dict[str, Any]:
    """Rows 0-5: prompt-encoder tokens; the rest but the last: mask tokens; the last: the IoU token."""
    rows = int(value.shape[0]) if getattr(value, "ndim", 0) == 2 else 0
    if rows < len(_LEADING_ROWS) + 2:
        raise UsregError(
            f"{LABEL_EMBEDDING} has shape {tuple(getattr(value, 'shape', ()))}; UltraSam's has 11 rows "
            "(no-mask, 4 point/box-corner, not-a-point, 4 mask-output and 1 IoU embeddings)"
        )
    out = {name: value[i : i + 1].clone() for i, name in enumerate(_LEADING_ROWS)}
    out["mask_decoder.mask_tokens.weight"] = value[len(_LEADING_ROWS) : -1].clone()
    out["mask_decoder.iou_token.weight"] = value[-1:].clone()
    return out


# --- Meta's segment-anything keys -> transformers' SamModel keys ---------------------------------------------------

_HYPER = "mask_decoder.output_hypernetworks_mlps."
# Meta's segment-anything module names -> transformers' SamModel names (read off both implementations' modules).
_SEGMENT_ANYTHING_RULES: list[tuple[str, str]] = [
    (r"^image_encoder\.neck\.0\.", "vision_encoder.neck.conv1."),
    (r"^image_encoder\.neck\.1\.", "vision_encoder.neck.layer_norm1."),
    (r"^image_encoder\.neck\.2\.", "vision_encoder.neck.conv2."),
    (r"^image_encoder\.neck\.3\.", "vision_encoder.neck.layer_norm2."),
    (r"^image_encoder\.patch_embed\.proj\.", "vision_encoder.patch_embed.projection."),
    (r"^image_encoder\.blocks\.(\d+)\.norm1\.", r"vision_encoder.layers.\1.layer_norm1."),
    (r"^image_encoder\.blocks\.(\d+)\.norm2\.", r"vision_encoder.layers.\1.layer_norm2."),
    (r"^image_encoder\.blocks\.(\d+)\.mlp\.lin1\.", r"vision_encoder.layers.\1.mlp.lin1."),
    (r"^image_encoder\.blocks\.(\d+)\.mlp\.lin2\.", r"vision_encoder.layers.\1.mlp.lin2."),
    (r"^image_encoder\.blocks\.(\d+)\.attn\.", r"vision_encoder.layers.\1.attn."),
    (r"^image_encoder\.pos_embed$", "vision_encoder.pos_embed"),
    (r"^prompt_encoder\.pe_layer\.positional_encoding_gaussian_matrix$", "shared_image_embedding.positional_embedding"),
    (r"^prompt_encoder\.point_embeddings\.(\d+)\.", r"prompt_encoder.point_embed.\1."),
    (r"^prompt_encoder\.mask_downscaling\.0\.", "prompt_encoder.mask_embed.conv1."),
    (r"^prompt_encoder\.mask_downscaling\.1\.", "prompt_encoder.mask_embed.layer_norm1."),
    (r"^prompt_encoder\.mask_downscaling\.3\.", "prompt_encoder.mask_embed.conv2."),
    (r"^prompt_encoder\.mask_downscaling\.4\.", "prompt_encoder.mask_embed.layer_norm2."),
    (r"^prompt_encoder\.mask_downscaling\.6\.", "prompt_encoder.mask_embed.conv3."),
    (r"^mask_decoder\.output_upscaling\.0\.", "mask_decoder.upscale_conv1."),
    (r"^mask_decoder\.output_upscaling\.1\.", "mask_decoder.upscale_layer_norm."),
    (r"^mask_decoder\.output_upscaling\.3\.", "mask_decoder.upscale_conv2."),
    (r"^mask_decoder\.output_hypernetworks_mlps\.(\d+)\.layers\.0\.", _HYPER + r"\1.proj_in."),
    (r"^mask_decoder\.output_hypernetworks_mlps\.(\d+)\.layers\.1\.", _HYPER + r"\1.layers.0."),
    (r"^mask_decoder\.output_hypernetworks_mlps\.(\d+)\.layers\.2\.", _HYPER + r"\1.proj_out."),
    (r"^mask_decoder\.iou_prediction_head\.layers\.0\.", "mask_decoder.iou_prediction_head.proj_in."),
    (r"^mask_decoder\.iou_prediction_head\.layers\.1\.", "mask_decoder.iou_prediction_head.layers.0."),
    (r"^mask_decoder\.iou_prediction_head\.layers\.2\.", "mask_decoder.iou_prediction_head.proj_out."),
    (r"^mask_decoder\.transformer\.layers\.(\d+)\.norm(\d)\.", r"mask_decoder.transformer.layers.\1.layer_norm\2."),
    (r"^mask_decoder\.transformer\.norm_final_attn\.", "mask_decoder.transformer.layer_norm_final_attn."),
]  # fmt: skip


def map_segment_anything_keys(state: dict[str, Any]) -> dict[str, Any]:
    """Rename Meta's segment-anything keys to transformers' (keys that no rule names are kept as they are)."""
    out: dict[str, Any] = {}
    for key, value in state.items():
        new = key
        for pattern, repl in _SEGMENT_ANYTHING_RULES:
            new, n = re.subn(pattern, repl, new)
            if n:
                break
        out[new] = value
    return out
