"""TaL, the Tongue and Lips corpus (TaL1 and TaL80): frames of raw ultrasound tongue imaging.

Layout (the corpus page on ultrasuite.github.io and ``tal-tools``' ``read_ultrasound_tuple``, which reads
``<path>.param`` and ``<path>.ult``):

- ``rsync ...::tal-corpus/TaL1`` and ``.../TaL80`` give ``TaL1/{samples,core,doc}`` and ``TaL80/{samples,core,doc}``.
  ``TaL80/core/<speaker>/`` (``01fi``, ``02fe``: number, gender, country) and ``TaL1/core/<session>/`` (``day1``
  ... ``day6``; the first released as ``day1_no_vid_sync``) hold the utterances; ``samples/`` holds copies of a few
  of them (2 per speaker or session) and sample videos, and is left out here.
- An utterance id is ``<number>_<tag>`` (``002_cal``, ``004_xaud``): tag ``swa`` swallow, ``cal`` calibration,
  ``aud`` audible read speech, ``sil`` silent speech, ``whi`` whispered speech, ``spo`` spontaneous speech, with a
  leading ``x`` for prompts shared across speakers (TaL80) or sessions (TaL1). Its files are ``.txt`` (prompt and
  date-time), ``.wav``, ``.sync``, ``.ult``, ``.param`` and ``.mp4`` (lip video), and ``.lab`` for spontaneous speech.
- ``.ult`` and ``.param`` are stored as in UltraSuite (see ``ultrasuite_uxtd``): 8-bit frames of ``NumVectors``
  scanlines x ``PixPerVector`` echoes, ``tal-tools`` taking ``int(size / frame_size)`` frames.

One sample per picked frame (``frames``, default 3, evenly spaced over 10-90 % of each utterance), named
``<TaL1|TaL80>_<speaker or session>_<id>_f<frame>``; the image is the raw frame (echoes down, scanlines across, not
scan-converted); lip videos and audio are not converted. Label: the prompt tag's kind (``shared`` in ``extra``).
Subject: the TaL80 speaker; TaL1 is one speaker (subject ``TaL1``, session in ``extra``). No published split: a
seeded split grouped by speaker. Without a ``TaL1``/``TaL80`` folder above ``core/`` (a download given from inside
it), a ``day<N>`` folder is taken as a TaL1 session and any other as a TaL80 speaker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..base import ConvertContext, Converter, Item, register
from .ultrasuite_uxtd import UltOptions, read_utterance, ult_files, utterance_items

TAGS = {
    "swa": "swallow",
    "cal": "calibration",
    "aud": "audible",
    "sil": "silent",
    "whi": "whispered",
    "spo": "spontaneous",
}
UTTERANCE_ID = re.compile(r"^\d+_(?P<shared>x?)(?P<tag>[a-z]+)$", re.IGNORECASE)
SESSION = re.compile(r"^day\d+", re.IGNORECASE)
PARTS = {"tal1": "TaL1", "tal80": "TaL80"}


@register
class TalCorpus(Converter):
    name = "tal-corpus"
    summary = "TaL1/core/<day>/ and TaL80/core/<speaker>/<NNN_tag>.ult + .param (+ .txt); frames of raw UTI"
    Options = UltOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(UltOptions)
        ults = ult_files(ctx, "TaL1/ or TaL80/ (samples/, core/, doc/)")
        ctx.declare_labels(list(TAGS.values()))
        ctx.split_note = "No official split: a seeded split grouped by speaker (TaL1's one speaker in one split)."
        for ult in ults:
            parts = ctx.rel(ult).split("/")
            if "samples" in parts[:-1]:
                ctx.ignore_file(ult, "a copy in the samples subset; the core folder holds the utterance")
                continue
            if ult.parent.parent.name != "core":
                ctx.problem("unexpected_file", ult, "not in core/<speaker or session>/; not converted")
                continue
            folder = ult.parent.name
            above = PARTS.get(ult.parent.parent.parent.name.lower())
            part = above or ("TaL1" if SESSION.match(folder) else "TaL80")
            m = UTTERANCE_ID.match(ult.stem)
            label = TAGS.get(m.group("tag").lower()) if m else None
            if label is None:
                ctx.problem(
                    "missing_label",
                    ult,
                    "the utterance id is not <number>_<tag> with a known tag; kept without a label",
                    severity="warning",
                )
            utt = read_utterance(ctx, ult)
            if utt is None:
                continue
            extra = {"part": part, "shared": bool(m and m.group("shared"))}
            if part == "TaL1":
                subject = "TaL1"
                extra["session"] = folder
            else:
                subject = folder
                extra["speaker"] = folder
            yield from utterance_items(
                ctx, utt, f"{part}_{folder}_{ult.stem}", opts.frames, subject=subject, label=label, extra=extra
            )
