"""Generic converters for folder layouts: image/mask folder pairs, and one folder per class.

Example entry (image/mask pairs with a name pattern)::

    loader:
      name: image-mask-folders
      options:
        images: "{split}/images/{stem}.png"
        masks: {lesion: "{split}/masks/{stem}_mask.png"}
        mask: {encoding: binary, threshold: 127}

Example entry (class per folder)::

    loader:
      name: class-folders
      options:
        images: "{split}/{label}/{stem}.{ext}"
        classes: [normal, benign, malignant]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field

from .base import CommonOptions, ConvertContext, Converter, Item, register
from .common import MaskSpec, canonical_split, entry_classes, image_decode, mask_decode, target_classes
from .patterns import Match, compile_pattern, match_files, siblings

Colour = Literal["auto", "grey", "rgb"]


def sample_ids(matches: list[Match], ctx: ConvertContext) -> list[str]:
    """The stem when stems are unique, else all captured groups joined, else the relative path."""
    stems = [m.groups.get("stem") or m.path.name.split(".")[0] for m in matches]
    if len(set(stems)) == len(stems):
        return stems
    joined = ["_".join(v for k, v in m.groups.items() if k != "ext") for m in matches]
    if all(joined) and len(set(joined)) == len(joined):
        return joined
    return [ctx.rel(m.path).rsplit(".", 1)[0].replace("/", "_") for m in matches]


def not_ignored(matches: list[Match], ignore: list[str], ctx: ConvertContext) -> list[Match]:
    """``matches`` less the files the entry's ``ignore`` patterns leave out on purpose (an annotation image beside its
    image in a class folder, a preview): such a file is reported as ignored, never converted as a sample."""
    rxs = [compile_pattern(p) for p in ignore]
    return [m for m in matches if not any(rx.match(ctx.rel(m.path)) for rx in rxs)]


def subject_of(match: Match, regex: re.Pattern[str] | None, ctx: ConvertContext) -> str | None:
    if "subject" in match.groups:
        return match.groups["subject"]
    if regex is not None:
        m = regex.search(ctx.rel(match.path))
        if m:
            return m.group("subject")
    return None


def compile_subject(pattern: str | None) -> re.Pattern[str] | None:
    if not pattern:
        return None
    rx = re.compile(pattern)
    if "subject" not in rx.groupindex:
        from ..errors import UsregError

        raise UsregError(
            f"loader option subject={pattern!r} needs a named group (?P<subject>...)",
            hint="e.g. subject: '(?P<subject>\\d+)_'",
        )
    return rx


class FoldersOptions(CommonOptions):
    images: str = Field(description="Pattern of the image files, e.g. '{split}/images/{stem}.png'.")
    masks: dict[str, str] = Field(default_factory=dict, description="Target name -> mask file pattern.")
    mask: MaskSpec | dict[str, MaskSpec] = Field(default_factory=MaskSpec, description="Mask encoding (per target).")
    classes: dict[str, dict[int, str]] | None = Field(None, description="Target -> {class id: name}.")
    split_names: dict[str, str] | None = Field(None, description="Folder name -> split name.")
    subject: str | None = Field(None, description="Regex with (?P<subject>...) applied to the image's path.")
    require_masks: bool = Field(True, description="Skip (and report) images without a mask.")
    colour: Colour = "auto"


def _spec(opts: FoldersOptions, target: str) -> MaskSpec:
    return opts.mask.get(target, MaskSpec()) if isinstance(opts.mask, dict) else opts.mask


@register
class ImageMaskFolders(Converter):
    name = "image-mask-folders"
    summary = "image files with mask files found by name patterns (binary, index or palette masks)"
    Options = FoldersOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(FoldersOptions)
        files = ctx.files()
        mask_rx = {t: compile_pattern(p) for t, p in opts.masks.items()}
        images = [
            m
            for m in not_ignored(match_files(opts.images, files, ctx.source_dir), opts.ignore, ctx)
            if not any(rx.match(ctx.rel(m.path)) for rx in mask_rx.values())
        ]
        for target in opts.masks:
            explicit = (opts.classes or {}).get(target)
            ctx.declare_target(target, target_classes(ctx, _spec(opts, target), explicit))
        subject_rx = compile_subject(opts.subject)
        used: set[Path] = set()
        for match, sid in zip(images, sample_ids(images, ctx), strict=True):
            masks = {}
            missing = []
            for target, pattern in opts.masks.items():
                found = siblings(ctx.source_dir, pattern, match)
                if not found:
                    missing.append(target)
                    continue
                used.update(found)
                masks[target] = mask_decode(ctx, found, _spec(opts, target), target)
            if missing and opts.require_masks:
                ctx.problem(
                    "missing_mask",
                    match.path,
                    f"no mask for target(s) {', '.join(missing)}; image skipped",
                    sample_id=sid,
                )
                continue
            label = match.groups.get("label")
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, match.path),
                source_file=ctx.rel(match.path),
                masks=masks,
                split=canonical_split(match.groups["split"], opts.split_names) if "split" in match.groups else None,
                subject_id=subject_of(match, subject_rx, ctx),
                label=ctx.check_label(label, match.path, sid) if label else None,
                colour=opts.colour,
            )
        ignore_rx = [compile_pattern(p) for p in opts.ignore]  # left out on purpose, not masks without an image
        for target, rx in mask_rx.items():
            for f in files:
                rel = ctx.rel(f)
                if f not in used and rx.match(rel) and not any(ig.match(rel) for ig in ignore_rx):
                    ctx.problem("missing_image", f, f"mask of target '{target}' without an image; ignored")


class ClassFoldersOptions(CommonOptions):
    images: str = Field("{label}/{stem}.{ext}", description="Pattern with a {label} placeholder.")
    classes: list[str] | None = Field(None, description="Class names; default: the entry's classes, else folders.")
    label_names: dict[str, str] | None = Field(
        None, description="Folder name -> class name, where the source names a class differently from its folder."
    )
    split_names: dict[str, str] | None = None
    subject: str | None = None
    colour: Colour = "auto"


@register
class ClassFolders(Converter):
    name = "class-folders"
    summary = "one folder per class (image-level labels), optionally inside split folders"
    Options = ClassFoldersOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(ClassFoldersOptions)
        matches = not_ignored(match_files(opts.images, ctx.files(), ctx.source_dir), opts.ignore, ctx)
        if "label" not in compile_pattern(opts.images).groupindex:
            from ..errors import UsregError

            raise UsregError(
                f"class-folders: the images pattern {opts.images!r} has no {{label}} placeholder",
                hint="e.g. images: '{label}/{stem}.{ext}'",
            )
        names = opts.label_names or {}
        declared = opts.classes or [n for n in entry_classes(ctx.entry).values() if n != "background"]
        ctx.declare_labels(declared or sorted({names.get(m.groups["label"], m.groups["label"]) for m in matches}))
        subject_rx = compile_subject(opts.subject)
        for match, sid in zip(matches, sample_ids(matches, ctx), strict=True):
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, match.path),
                source_file=ctx.rel(match.path),
                split=canonical_split(match.groups["split"], opts.split_names) if "split" in match.groups else None,
                subject_id=subject_of(match, subject_rx, ctx),
                label=ctx.check_label(names.get(match.groups["label"], match.groups["label"]), match.path, sid),
                colour=opts.colour,
            )
