"""Regional-US brachial plexus (supraclavicular nerve block videos): annotated video frames with nerve and needle masks.

Layout (the authors' repository ``Regional-US/brachial_plexus`` is the download; its file listing and UltraSam's
``datasets/datasets/brachial_plexus.py``, which reads every ``*.mp4`` and ``*.jpg`` of it):

- ``data/<device>/videos/<video>.mp4`` (devices ``Butterfly`` and ``Sonosite``, videos ``b240``, ``s005`` ...);
- ``data/<device>/ac_masks/<video>/<video>_<NNN>.jpg``: the nerve mask of frame ``NNN`` (from 000), the union of the
  expert boxes of ``data/<device>/bb_annotations/<video>.txt``;
- ``data/Sonosite/needle/needle_masks/<video>/<video>_<NNN>.jpg``: needle masks of the frames showing the needle (the
  tip and tail coordinates are in ``needle_coordinates/<video>.txt``);
- ``data/demo/<video>.txt`` and ``data/demo/<video>_masks/<video>_<NNN>.jpg`` for a demonstration video.

Masks are JPEG: a pixel is foreground where it is at least 100 (UltraSam's threshold). Sampling: ``frames`` (default
20) of each video's annotated frames, evenly spaced from the first to the last (all of them when fewer); sample id
``<video>_f<NNN>``, the frame index kept. The video is the subject (no split is published: a seeded split grouped by
video). A frame has the ``needle`` target only where a needle mask exists. Annotated frames not sampled, masks of a
video the download lacks and the README's example animations (``other/*.gif``) are left out on purpose.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import MaskSpec, mask_decode
from ._video import VIDEO_EXTS, read_frame
from ._volumes import spread

MASK = re.compile(r"^(?P<video>.+)_(?P<frame>\d{1,6})\.(?:jpe?g|png)$", re.IGNORECASE)
THRESHOLD = MaskSpec(encoding="binary", threshold=99)  # foreground >= 100, as UltraSam thresholds the JPEG masks
TARGETS = {"nerve": {0: "background", 1: "brachial plexus"}, "needle": {0: "background", 1: "needle"}}


class BrachialPlexusOptions(CommonOptions):
    frames: int = Field(20, ge=1, le=10_000, description="Annotated frames sampled per video, evenly spaced.")


def _mask_files(ctx: ConvertContext) -> dict[str, dict[str, dict[int, Path]]]:
    """{target: {video: {frame: mask file}}}: ``<video>/<video>_<NNN>.jpg`` or ``<video>_masks/<video>_<NNN>.jpg``."""
    out: dict[str, dict[str, dict[int, Path]]] = {"nerve": defaultdict(dict), "needle": defaultdict(dict)}
    for path in ctx.files():
        m = MASK.match(path.name)
        if not m or path.parent.name not in (m.group("video"), f"{m.group('video')}_masks"):
            continue
        target = "needle" if any("needle" in part.lower() for part in Path(ctx.rel(path)).parts[:-1]) else "nerve"
        frames = out[target][m.group("video")]
        frame = int(m.group("frame"))
        if frame in frames:
            ctx.problem("duplicate", path, f"a second {target} mask of frame {frame}; the first one is used", "warning")
            continue
        frames[frame] = path
    return out


@register
class RegionalUsBrachialPlexus(Converter):
    name = "regional-us-brachial-plexus"
    summary = "data/<device>/videos/<video>.mp4 with ac_masks/<video>/<video>_<NNN>.jpg (and needle masks), sampled"
    Options = BrachialPlexusOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(BrachialPlexusOptions)
        ctx.split_note = "No published split: a seeded split grouped by video."
        for target, classes in TARGETS.items():
            ctx.declare_target(target, classes)
        masks = _mask_files(ctx)
        videos: dict[str, Path] = {}
        for path in ctx.files():
            if path.suffix.lower() not in VIDEO_EXTS:
                continue
            if path.suffix.lower() == ".gif" and path.parent.name == "other":
                ctx.ignore_file(path, "an example animation of the README, not data")
                continue
            if path.stem in videos:
                ctx.problem("duplicate", path, f"a second video named {path.stem!r}; the first one is used", "warning")
                continue
            videos[path.stem] = path
        if not videos and not masks["nerve"]:
            ctx.find_dir(lambda d: False, "data/<device>/videos/<video>.mp4 with ac_masks/<video>/ masks")
        for video in sorted(set(masks["nerve"]) | set(masks["needle"])):
            if video not in videos:
                files = [*masks["nerve"].get(video, {}).values(), *masks["needle"].get(video, {}).values()]
                ctx.problem(
                    "missing_image", files[0], f"masks of video {video!r}, which is not in the download", "warning"
                )
                for f in files:
                    ctx.ignore_file(f, f"video {video} is not in the download")
        for video, path in sorted(videos.items()):
            nerve = masks["nerve"].get(video, {})
            needle = masks["needle"].get(video, {})
            if not nerve:
                ctx.problem("missing_mask", path, "no ac_masks/ frames for this video; not converted", "warning")
                continue
            annotated = sorted(nerve)
            picked = spread(annotated, opts.frames)
            wanted = tuple(picked)
            for frame in set(annotated) - set(picked):
                ctx.ignore_file(nerve[frame], "annotated frame not sampled")
            for frame in set(needle) - set(picked):
                ctx.ignore_file(needle[frame], "needle mask of a frame not sampled")
            rel = ctx.rel(path)
            device = path.parent.parent.name if path.parent.name == "videos" else path.parent.name
            for frame in picked:
                frame_masks = {"nerve": mask_decode(ctx, nerve[frame], THRESHOLD, "nerve")}
                if frame in needle:
                    frame_masks["needle"] = mask_decode(ctx, needle[frame], THRESHOLD, "needle")
                yield Item(
                    sample_id=f"{video}_f{frame:05d}",
                    image=Decode(read_frame, (str(path), frame, wanted), source=rel),
                    masks=frame_masks,
                    source_file=rel,
                    subject_id=video,
                    frame=frame,
                    extra={"device": device, "annotated_frames": len(annotated)},
                )
