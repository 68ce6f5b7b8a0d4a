"""UnityLV-MultiX (Imperial College / THRIVE centre): 200 end-diastolic and end-systolic apical four-chamber frames,
each with the left-ventricle endocardial border traced by 11 experts and their consensus curve.

Layout (from the host's description of the package, thrive-centre.com/datasets/UnityLV-MultiX): an ``Images/`` folder
of 200 PNGs named ``<study id>-<frame>.png``; ``UnityLV_multiX_annotations.json``, organised by image name, with each
anonymised expert's curve as ``([X], [Y])`` coordinate lists; ``UnityLV_multiX_consensus_curves.json``, organised by
image name, with the consensus (average) curve as ``([X], [Y])``. Each study has two frames, the ED frame first, then
the ES frame.

- One sample per image; points: the consensus curve (x, y); target ``lv``: the region inside the consensus curve,
  closed by the straight segment between its end points (0 background, 1 left ventricle). An image without a
  consensus curve is reported and not converted.
- ``extra``: the phase (``ED`` for a study's first listed frame, ``ES`` for its second), the frame number of the
  file name and each expert's curve as ``experts: {userId: [[x, y], ...]}``.
- Subject = study (video). The set is an external test set: every sample is in split ``test``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode, read_json
from ..decode import mask_polygons

CONSENSUS = "UnityLV_multiX_consensus_curves.json"
EXPERTS = "UnityLV_multiX_annotations.json"
MAX_POINTS = 100_000


def curve(value: Any) -> list[tuple[float, float]] | None:
    """An ``([X], [Y])`` pair of coordinate lists as (x, y) points, or None when it is not one."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    xs, ys = value
    if not isinstance(xs, list) or not isinstance(ys, list) or len(xs) != len(ys) or len(xs) > MAX_POINTS:
        return None
    try:
        return [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    except (TypeError, ValueError):
        return None


def _load(ctx: ConvertContext, path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    return read_json(ctx, path, dict, "a JSON object keyed by image name", "ignored") or {}


@register
class UnitylvMultix(Converter):
    name = "unitylv-multix"
    summary = "Images/<study>-<frame>.png with UnityLV_multiX_consensus_curves.json and per-expert annotations"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(lambda d: (d / CONSENSUS).is_file(), CONSENSUS)
        ctx.declare_target("lv", {0: "background", 1: "left ventricle"}, "inside the consensus endocardial curve")
        ctx.split_note = "An external test set: every sample is in split test."
        consensus = _load(ctx, root / CONSENSUS)
        experts = _load(ctx, root / EXPERTS)
        order = [str(name) for name in (experts or consensus)]
        phase: dict[str, str] = {}
        seen: dict[str, int] = {}
        for name in order:
            study = Path(name).stem.rsplit("-", 1)[0]
            seen[study] = seen.get(study, 0) + 1
            phase[name] = {1: "ED", 2: "ES"}.get(seen[study], "")
        # `usreg fetch --from-file <folder holding the package>` places the declared JSON files at the top of the
        # source tree and leaves Images/ in the package folder: Images/ is looked for beside the JSON, then anywhere
        folder = root if (root / "Images").is_dir() else ctx.find_dir(lambda d: (d / "Images").is_dir(), "Images/")
        images = sorted(p for p in (folder / "Images").rglob("*") if p.is_file() and p.suffix.lower() == ".png")
        for image in images:
            name, sid = image.name, image.stem
            points = curve(consensus.get(name))
            if points is None:
                why = "no consensus curve" if name not in consensus else "a consensus curve that is not ([X], [Y])"
                ctx.problem("missing_annotation", image, f"{why} in {CONSENSUS}; skipped", sample_id=sid)
                continue
            extra: dict[str, Any] = {"phase": phase.get(name) or None}
            raw = experts.get(name)
            per_expert: dict[str, Any] = raw if isinstance(raw, dict) else {}
            curves = {str(user): curve(value) for user, value in per_expert.items()}
            bad = sorted(user for user, c in curves.items() if c is None)
            if bad:
                ctx.problem(
                    "annotation_unreadable",
                    root / EXPERTS,
                    f"{name}: the curves of {', '.join(bad)} are not ([X], [Y]); left out",
                    severity="warning",
                    sample_id=sid,
                )
            extra["experts"] = {u: [[x, y] for x, y in c] for u, c in sorted(curves.items()) if c is not None}
            flat = [v for p in points for v in p]
            study, _, frame = sid.rpartition("-")
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={"lv": Decode(mask_polygons, ([(1, flat)],), needs_shape=True, source=ctx.rel(root / CONSENSUS))},
                split="test",
                subject_id=study or sid,
                points=points,
                extra={**extra, "frame": int(frame) if frame.isdigit() else None},
                annotation_file=ctx.rel(root / CONSENSUS),
            )
