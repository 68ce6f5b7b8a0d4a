"""UltraSuite UXSSD (Ultrax Speech Sound Disorders): frames of raw ultrasound tongue imaging.

Layout (UltraSuite's download page, ``ustools``' ``folder_utils.get_dir_info`` and the Kaldi recipe
``decode-uxssd-upx.py``, which walk ``core/<speaker>/<session>/``): ``rsync ...::ultrasuite/core-uxssd`` gives
``core-uxssd/doc/`` and ``core-uxssd/core/<speaker>/<session>/`` (sessions BL, Mid, Post, Maint and Therapy ones;
the recipe names an utterance ``<speaker>-<session>-<id>``, e.g. ``02F-Therapy_07-004A``). Each utterance is
``<id>.wav``, ``<id>.txt``, ``<id>.ult`` and ``<id>.param``, stored as in UXTD (see ``ultrasuite_uxtd``: 8-bit
frames of ``NumVectors`` x ``PixPerVector``).

One sample per picked frame (``frames``, default 3, evenly spaced over 10-90 % of each utterance), named
``<speaker>_<session>_<id>_f<frame>``; the image is the raw frame (echoes down, scanlines across, not
scan-converted). Label: the prompt type of the id's last letter. Subject: the speaker, session in ``extra``. The
release publishes no split: a seeded split grouped by speaker, so all sessions of a child stay together.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..base import ConvertContext, Converter, Item, register
from .ultrasuite_uxtd import PROMPT_TYPES, UltOptions, prompt_type, read_utterance, ult_files, utterance_items


@register
class UltrasuiteUxssd(Converter):
    name = "ultrasuite-uxssd"
    summary = "core-uxssd/core/<speaker>/<session>/<id>.ult + .param (+ .txt); frames of raw UTI"
    Options = UltOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(UltOptions)
        ults = ult_files(ctx, "core-uxssd/ (doc/ and core/<speaker>/<session>/)")
        ctx.declare_labels(list(PROMPT_TYPES.values()))
        ctx.split_note = "No official split: a seeded split grouped by speaker (all sessions of a child together)."
        for ult in ults:
            if ult.parent.parent.parent.name != "core":
                ctx.problem("unexpected_file", ult, "not in core/<speaker>/<session>/; not converted")
                continue
            speaker, session = ult.parent.parent.name, ult.parent.name
            utt = read_utterance(ctx, ult)
            if utt is None:
                continue
            yield from utterance_items(
                ctx,
                utt,
                f"{speaker}_{session}_{ult.stem}",
                opts.frames,
                subject=speaker,
                label=prompt_type(ctx, ult),
                extra={"speaker": speaker, "session": session},
            )
